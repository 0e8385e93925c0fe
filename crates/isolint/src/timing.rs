//! `isolint timing` and the timing part of `isolint audit --timing`: measured durations joined with
//! the lint's facts, the speedup table, the baseline and shard files.

use crate::args::{MachineArgs, TimingArgs};
use crate::run::{configure_threads, prepare, run_lint, Fatal};
use isolint_linter::LintResult;
use isolint_timing::simulate::{worker_counts, Mode};
use isolint_timing::{baseline, shards, simulate_all, Baseline, Model, Prediction};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Reads and parses a timing file; a file that is not JUnit XML or `--durations` output is an error
/// (exit 2) naming the file.
pub fn load_baseline(path: &Path, result: &LintResult) -> Result<Baseline, Fatal> {
    let bytes = std::fs::read(path)
        .map_err(|e| Fatal::Message(format!("cannot read {}: {e}", path.display())))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        Fatal::Message(format!(
            "{}: not UTF-8 text; give JUnit XML or `pytest --durations=0` output",
            path.display()
        ))
    })?;
    let timings = isolint_timing::parse(&text)
        .map_err(|e| Fatal::Message(format!("{}: {e}", path.display())))?;
    let mut findings: HashMap<String, Vec<String>> = HashMap::new();
    for d in &result.diagnostics {
        for test in &d.affected_tests {
            let codes = findings.entry(test.clone()).or_default();
            if !codes.iter().any(|c| c == d.rule.code) {
                codes.push(d.rule.code.to_string());
            }
        }
    }
    for codes in findings.values_mut() {
        codes.sort();
    }
    Ok(baseline::build(&timings, &result.files, &findings))
}

pub fn model(machine: &MachineArgs) -> Model {
    let cores = machine.cpus.filter(|n| *n > 0).unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    Model {
        cores,
        capacity: machine
            .capacity
            .filter(|c| c.is_finite() && *c > 0.0)
            .unwrap_or(cores as f64),
        worker_start: machine.worker_start.max(0.0),
    }
}

fn write(path: &Path, text: &str) -> Result<(), Fatal> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Fatal::Message(format!("cannot create {}: {e}", parent.display())))?;
    }
    std::fs::write(path, text)
        .map_err(|e| Fatal::Message(format!("cannot write {}: {e}", path.display())))
}

/// The speedup table: one row per mode, one column per worker count.
pub fn table(baseline: &Baseline, model: &Model, predictions: &[Prediction]) -> String {
    let counts = worker_counts(model);
    let mut out = format!(
        "Serial run: {:.1} s ({} tests, {:.1} s in tests). Expected wall time and speedup with pytest-xdist on {} cores ({:.1} cores' worth of CPU for the run):\n\n",
        baseline.session_seconds,
        baseline.tests.len(),
        baseline.test_seconds(),
        model.cores,
        model.capacity.min(model.cores as f64)
    );
    out.push_str(&format!("{:<10}", "--dist"));
    for (_, label) in &counts {
        out.push_str(&format!("{:>18}", format!("-n {label}")));
    }
    out.push('\n');
    for mode in Mode::ALL {
        out.push_str(&format!("{:<10}", mode.as_str()));
        for (workers, _) in &counts {
            if let Some(p) = predictions
                .iter()
                .find(|p| p.mode == mode && p.workers == *workers)
            {
                out.push_str(&format!(
                    "{:>18}",
                    format!("{:.1} s ({:.2}×)", p.wall_seconds, p.speedup)
                ));
            }
        }
        out.push('\n');
    }
    out
}

pub fn timing(args: TimingArgs) -> Result<u8, Fatal> {
    configure_threads(args.selection.threads);
    let prepared = prepare(&args.paths, &args.selection, None)?;
    let result = run_lint(&prepared, false);
    let baseline = load_baseline(&args.junit, &result)?;
    let cwd = std::env::current_dir()
        .map_err(|e| Fatal::Message(format!("cannot read the current folder: {e}")))?;
    let output = match &args.output {
        Some(path) => cwd.join(path),
        None => prepared
            .project_root
            .join("reports")
            .join("test-timing-baseline.json"),
    };
    write(&output, &baseline.to_json())?;
    let model = model(&args.machine);
    let predictions = simulate_all(&baseline, &model);
    let mut text = table(&baseline, &model, &predictions);
    if baseline.unmatched > 0 {
        text.push_str(&format!(
            "\n{} of {} measured tests match no test isolint read: their markers, fixtures and groups are unknown (lint the same folder pytest ran).\n",
            baseline.unmatched,
            baseline.tests.len()
        ));
    }
    if !baseline.fixture_setup.is_empty() {
        let list: Vec<String> = baseline
            .fixture_setup
            .iter()
            .map(|(k, v)| format!("{k} ({v:.2} s)"))
            .collect();
        text.push_str(&format!(
            "\nWide fixtures each worker sets up again: {}.\n",
            list.join(", ")
        ));
    }
    text.push_str(&format!("\nWrote {}.\n", shown(&output, &cwd)));
    if let Some(jobs) = args.shards {
        let plan = shards::plan(&baseline, jobs);
        let durations = prepared.project_root.join(".test_durations");
        write(&durations, &shards::test_durations(&baseline))?;
        let plan_path = prepared
            .project_root
            .join("reports")
            .join("shard-plan.json");
        let mut json = serde_json::to_string_pretty(&plan).unwrap_or_default();
        json.push('\n');
        write(&plan_path, &json)?;
        text.push_str(&format!(
            "\nShard plan for {jobs} CI jobs (each xdist group in one job):\n"
        ));
        for shard in &plan.shards {
            text.push_str(&format!(
                "  job {}: {} tests, {:.1} s\n",
                shard.group,
                shard.tests.len(),
                shard.seconds
            ));
        }
        text.push_str(&format!(
            "Wrote {} (pytest-split: `pytest --splits {jobs} --group K`) and {}.\n",
            shown(&durations, &cwd),
            shown(&plan_path, &cwd)
        ));
        if !plan.groups_split_by_pytest_split.is_empty() {
            text.push_str(&format!(
                "pytest-split's own split would spread the xdist group(s) {} over several jobs: run those jobs from reports/shard-plan.json instead (one node id list per job).\n",
                plan.groups_split_by_pytest_split.join(", ")
            ));
        }
    }
    crate::emit(&text);
    Ok(0)
}

fn shown(path: &Path, cwd: &Path) -> String {
    path.strip_prefix(cwd)
        .map(PathBuf::from)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

/// The audit's "Expected speedup" section and its SVG chart, named after the report.
pub fn audit_section(
    path: &Path,
    result: &LintResult,
    machine: &MachineArgs,
    report: &Path,
) -> Result<(isolint_report::audit::speedup::Speedup, String), Fatal> {
    let baseline = load_baseline(path, result)?;
    let model = model(machine);
    let predictions = simulate_all(&baseline, &model);
    let chart = isolint_timing::svg::speedup_chart(&predictions);
    let stem = report
        .file_stem()
        .map_or("test-isolation-audit".into(), |s| {
            s.to_string_lossy().into_owned()
        });
    let section = isolint_report::audit::speedup::Speedup {
        // The file name only: the report must not depend on where the file was read from.
        source: path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        serial_seconds: baseline.session_seconds,
        tests: baseline.tests.len(),
        cores: model.cores,
        predictions,
        chart: format!("{stem}-speedup.svg"),
    };
    Ok((section, chart))
}
