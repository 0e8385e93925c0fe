//! Analyses shared by several rules, computed once per file from the model.

pub mod call_list;
pub mod calls;
pub mod path_effects;
pub mod process_state;
pub mod state;
pub mod summaries;
