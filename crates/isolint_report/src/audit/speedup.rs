//! The audit's "Expected speedup" section: what the measured durations predict for pytest-xdist,
//! with the chart written beside the report. One function renders it from a small struct.

use isolint_timing::simulate::{Mode, Prediction};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Speedup {
    /// The timing file, as given.
    pub source: String,
    pub serial_seconds: f64,
    pub tests: usize,
    pub cores: usize,
    pub predictions: Vec<Prediction>,
    /// The chart's file name, beside the report.
    pub chart: String,
}

/// The section; `recommended` is the `--dist` mode section 7 recommends.
pub fn markdown(s: &Speedup, recommended: &str) -> String {
    let mut out = String::from("## Expected speedup\n\n");
    out.push_str(&format!(
        "From the durations in `{}`: the serial run took {:.1} s for {} tests. Predicted wall time of `pytest -n N --dist MODE` on {} cores \
         (a model of pytest-xdist's schedulers over these durations; each worker also collects the suite and sets up wide fixtures again):\n\n",
        s.source, s.serial_seconds, s.tests, s.cores
    ));
    out.push_str(&format!(
        "![Expected speedup by workers and --dist mode]({})\n\n",
        s.chart
    ));
    let mut labels: Vec<&str> = Vec::new();
    for p in &s.predictions {
        if !labels.contains(&p.label.as_str()) {
            labels.push(&p.label);
        }
    }
    out.push_str("| --dist |");
    for l in &labels {
        out.push_str(&format!(" -n {l} |"));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(labels.len()));
    out.push('\n');
    for mode in Mode::ALL {
        let marker = if mode.as_str() == recommended {
            " (recommended)"
        } else {
            ""
        };
        out.push_str(&format!("| `{}`{marker} |", mode.as_str()));
        for l in &labels {
            match s
                .predictions
                .iter()
                .find(|p| p.mode == mode && p.label == *l)
            {
                Some(p) => out.push_str(&format!(" {:.1} s ({:.2}×) |", p.wall_seconds, p.speedup)),
                None => out.push_str(" – |"),
            }
        }
        out.push('\n');
    }
    out.push('\n');
    out
}
