//! The `missing-cleanup` family (ISO5xx): process-global state changed and never restored.

mod chdir_leak;
mod environ_leak;
mod global_config_leak;
mod import_state_leak;
mod patch_not_stopped;
mod resource_without_teardown;
pub mod restore;

pub use chdir_leak::{ChdirLeak, WorkingFolder};
pub use environ_leak::{Environ, EnvironLeak};
pub use global_config_leak::GlobalConfigLeak;
pub use import_state_leak::{ImportState, ImportStateLeak};
pub use patch_not_stopped::PatchNotStopped;
pub use resource_without_teardown::ResourceWithoutTeardown;
