//! Analyses shared by several rules, computed once per file from the model.

pub mod path_effects;
