//! Timing: what a suite's measured durations (JUnit XML from `pytest --junitxml`, or the text of
//! `pytest --durations=0`) say about running it in parallel.
//!
//! input (parse) → baseline (join with isolint's static facts) → simulate (pytest-xdist's
//! schedulers over N workers) → speedup table, SVG chart, CI shard plan.

pub mod baseline;
pub mod input;
pub mod shards;
pub mod simulate;
pub mod svg;

pub use baseline::{Baseline, TimedTest};
pub use input::{parse, Measured, TimingError, Timings};
pub use simulate::{simulate_all, Mode, Model, Prediction};
