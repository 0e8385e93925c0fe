//! The `missing-cleanup` family (ISO5xx): process-global state changed and never restored.

mod environ_leak;

pub use environ_leak::EnvironLeak;
