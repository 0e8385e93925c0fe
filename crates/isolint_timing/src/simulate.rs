//! A model of pytest-xdist's schedulers, run over the measured durations.
//!
//! `load` (pytest-xdist 3.x `LoadScheduling`): with fewer than two tests per worker they are dealt
//! round-robin; otherwise each worker first gets a run of consecutive tests (a quarter of its
//! share, at least two), and whenever a worker finishes a test while holding fewer than
//! `max(2, pending / workers / 4)` it is topped up to `max(2, pending / workers / 2)` — unless the
//! test took 0.1 s or more and it still holds two. `loadscope`, `loadfile` and `loadgroup`
//! (`LoadScopeScheduling` and its subclasses) cut the collection into units (a module or class, a
//! file, an `xdist_group` or a single test), order them largest first, give each worker one unit
//! and then another whenever it holds two tests or fewer.
//!
//! Each worker pays the set-up of a wide fixture the first time it runs a test using it (the cost
//! the durations show). Workers beyond the cores the run gets share them: all times stretch by
//! `workers / capacity`, where the capacity is the machine's cores when it is idle and less when
//! other jobs share it (measure it, or pass `--capacity`). Every worker collects the suite itself, which costs what the serial run spent
//! outside its tests; starting the workers costs `worker_start` seconds.

use crate::baseline::Baseline;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet, VecDeque};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Load,
    LoadScope,
    LoadFile,
    LoadGroup,
}

impl Mode {
    pub const ALL: [Mode; 4] = [Mode::Load, Mode::LoadScope, Mode::LoadFile, Mode::LoadGroup];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Load => "load",
            Mode::LoadScope => "loadscope",
            Mode::LoadFile => "loadfile",
            Mode::LoadGroup => "loadgroup",
        }
    }
}

/// The machine the prediction is for.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Model {
    /// Cores of the machine (`-n auto` starts this many workers).
    pub cores: usize,
    /// How many cores' worth of CPU the run actually gets: `cores` on an idle machine, less on a
    /// shared one (other jobs take the rest).
    pub capacity: f64,
    /// Seconds to start the workers (execnet gateways, interpreters), paid once.
    pub worker_start: f64,
}

/// The expected wall time of one configuration.
#[derive(Debug, Clone, Serialize)]
pub struct Prediction {
    pub mode: Mode,
    pub workers: usize,
    /// `2`, or `auto (2)`.
    pub label: String,
    pub wall_seconds: f64,
    /// Serial wall time divided by this one.
    pub speedup: f64,
}

/// The worker counts the table shows: 1, 2, 4, 8 and `auto`.
pub fn worker_counts(model: &Model) -> Vec<(usize, String)> {
    let mut counts: Vec<(usize, String)> =
        [1, 2, 4, 8].iter().map(|n| (*n, n.to_string())).collect();
    counts.push((model.cores.max(1), format!("auto ({})", model.cores.max(1))));
    counts
}

/// Every mode for every worker count, in mode then worker order.
pub fn simulate_all(baseline: &Baseline, model: &Model) -> Vec<Prediction> {
    let mut out = Vec::new();
    for mode in Mode::ALL {
        for (workers, label) in worker_counts(model) {
            let wall = wall_time(baseline, model, mode, workers);
            out.push(Prediction {
                mode,
                workers,
                label,
                wall_seconds: wall,
                speedup: if wall > 0.0 {
                    baseline.session_seconds / wall
                } else {
                    1.0
                },
            });
        }
    }
    out
}

/// The expected wall time of `pytest -n workers --dist mode`.
pub fn wall_time(baseline: &Baseline, model: &Model, mode: Mode, workers: usize) -> f64 {
    let workers = workers.max(1);
    // Runs never get more than they had serially: the serial run is measured on this machine.
    let stretch =
        (workers as f64 / model.capacity.max(1.0).min(model.cores.max(1) as f64)).max(1.0);
    let busy = makespan(baseline, mode, workers);
    model.worker_start + (baseline.overhead_seconds() + busy) * stretch
}

/// Each test's own time, its first user's fixture set-up taken out (workers pay it themselves).
fn base_durations(baseline: &Baseline) -> Vec<f64> {
    let mut seen: HashSet<&str> = HashSet::new();
    baseline
        .tests
        .iter()
        .map(|t| {
            let mut own = t.duration;
            for key in &t.wide_fixtures {
                if seen.insert(key) {
                    own -= baseline.fixture_setup.get(key).copied().unwrap_or(0.0);
                }
            }
            own.max(0.0)
        })
        .collect()
}

struct Worker {
    queue: VecDeque<usize>,
    clock: f64,
    set_up: HashSet<String>,
    done: bool,
}

impl Worker {
    fn run_next(&mut self, baseline: &Baseline, base: &[f64]) -> Option<f64> {
        let index = self.queue.pop_front()?;
        let mut took = base[index];
        for key in &baseline.tests[index].wide_fixtures {
            if self.set_up.insert(key.clone()) {
                took += baseline.fixture_setup.get(key).copied().unwrap_or(0.0);
            }
        }
        self.clock += took;
        Some(took)
    }
}

/// The time the busiest worker needs, from the first test to its last.
pub fn makespan(baseline: &Baseline, mode: Mode, workers: usize) -> f64 {
    let base = base_durations(baseline);
    let n = base.len();
    if n == 0 {
        return 0.0;
    }
    let mut nodes: Vec<Worker> = (0..workers)
        .map(|_| Worker {
            queue: VecDeque::new(),
            clock: 0.0,
            set_up: HashSet::new(),
            done: false,
        })
        .collect();
    match mode {
        Mode::Load => run_load(baseline, &base, &mut nodes),
        _ => run_units(baseline, &base, &mut nodes, mode),
    }
    nodes.iter().map(|w| w.clock).fold(0.0, f64::max)
}

/// The worker whose next test finishes first (ties: the lowest index, as messages arrive in order).
fn next_worker(nodes: &[Worker]) -> Option<usize> {
    nodes
        .iter()
        .enumerate()
        .filter(|(_, w)| !w.done && !w.queue.is_empty())
        .min_by(|(a, x), (b, y)| x.clock.total_cmp(&y.clock).then(a.cmp(b)))
        .map(|(i, _)| i)
}

fn run_load(baseline: &Baseline, base: &[f64], nodes: &mut [Worker]) {
    let count = nodes.len();
    let mut pending: VecDeque<usize> = (0..base.len()).collect();
    if pending.len() < 2 * count {
        let mut node = 0;
        while let Some(index) = pending.pop_front() {
            nodes[node].queue.push_back(index);
            node = (node + 1) % count;
        }
    } else {
        let chunk = (base.len() / count / 4).max(2);
        for node in nodes.iter_mut() {
            for _ in 0..chunk {
                if let Some(index) = pending.pop_front() {
                    node.queue.push_back(index);
                }
            }
        }
    }
    while let Some(node) = next_worker(nodes) {
        let took = nodes[node].run_next(baseline, base).unwrap_or(0.0);
        if pending.is_empty() {
            continue;
        }
        let min = (pending.len() / count / 4).max(2);
        let max = (pending.len() / count / 2).max(2);
        let held = nodes[node].queue.len();
        if held < min && !(took >= 0.1 && held >= 2) {
            for _ in held..max {
                match pending.pop_front() {
                    Some(index) => nodes[node].queue.push_back(index),
                    None => break,
                }
            }
        }
    }
}

fn run_units(baseline: &Baseline, base: &[f64], nodes: &mut [Worker], mode: Mode) {
    // Units in collection order, then largest first (pytest-xdist's default `--loadscope-reorder`;
    // the sort is stable).
    let mut units: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut first_index: std::collections::HashMap<String, usize> =
        std::collections::HashMap::new();
    for (index, test) in baseline.tests.iter().enumerate() {
        let key = match mode {
            Mode::LoadScope => test.scope.clone(),
            Mode::LoadFile => test.file.clone(),
            _ => test
                .xdist_group
                .as_ref()
                .map_or_else(|| test.node_id.clone(), |g| format!("@{g}")),
        };
        let first = *first_index.entry(key).or_insert(index);
        units.entry(first).or_default().push(index);
    }
    let mut queue: Vec<Vec<usize>> = units.into_values().collect();
    queue.sort_by_key(|u| std::cmp::Reverse(u.len()));
    let mut queue: VecDeque<Vec<usize>> = queue.into();
    // Workers without a unit are shut down.
    let idle = nodes.len().saturating_sub(queue.len());
    for node in nodes.iter_mut().rev().take(idle) {
        node.done = true;
    }
    let assign = |node: &mut Worker, queue: &mut VecDeque<Vec<usize>>| {
        if let Some(unit) = queue.pop_front() {
            node.queue.extend(unit);
        }
    };
    for node in nodes.iter_mut().filter(|n| !n.done) {
        assign(node, &mut queue);
    }
    for node in nodes.iter_mut().filter(|n| !n.done) {
        if node.queue.len() <= 2 {
            assign(node, &mut queue);
        }
    }
    while let Some(node) = next_worker(nodes) {
        nodes[node].run_next(baseline, base);
        if nodes[node].queue.len() <= 2 {
            assign(&mut nodes[node], &mut queue);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::TimedTest;

    fn suite(durations: &[(f64, &str, Option<&str>)]) -> Baseline {
        let tests: Vec<TimedTest> = durations
            .iter()
            .enumerate()
            .map(|(i, (d, file, group))| TimedTest {
                node_id: format!("{file}::test_{i}"),
                duration: *d,
                markers: Vec::new(),
                fixtures: Vec::new(),
                findings: Vec::new(),
                xdist_group: group.map(String::from),
                file: file.to_string(),
                scope: file.to_string(),
                wide_fixtures: Vec::new(),
                matched: true,
            })
            .collect();
        Baseline {
            session_seconds: tests.iter().map(|t| t.duration).sum(),
            tests,
            fixture_setup: BTreeMap::new(),
            unmatched: 0,
        }
    }

    #[test]
    fn load_balances_equal_tests() {
        let baseline = suite(&[(1.0, "a.py", None); 8]);
        assert_eq!(makespan(&baseline, Mode::Load, 1), 8.0);
        assert_eq!(makespan(&baseline, Mode::Load, 2), 4.0);
        assert_eq!(makespan(&baseline, Mode::Load, 4), 2.0);
    }

    #[test]
    fn loadfile_keeps_a_file_on_one_worker() {
        let mut tests = vec![(1.0, "a.py", None); 6];
        tests.extend([(1.0, "b.py", None); 2]);
        let baseline = suite(&tests);
        assert_eq!(makespan(&baseline, Mode::LoadFile, 2), 6.0);
        assert_eq!(makespan(&baseline, Mode::Load, 2), 4.0);
        // More workers than files: the extra ones do nothing.
        assert_eq!(makespan(&baseline, Mode::LoadFile, 8), 6.0);
    }

    #[test]
    fn loadgroup_keeps_a_group_and_spreads_the_rest() {
        let mut tests = vec![(1.0, "a.py", Some("db")); 3];
        tests.extend([(1.0, "a.py", None); 3]);
        let baseline = suite(&tests);
        // The group's worker holds two tests or fewer after its first test, so it is sent one
        // more unit, as pytest-xdist does.
        assert_eq!(makespan(&baseline, Mode::LoadGroup, 2), 4.0);
        assert_eq!(makespan(&baseline, Mode::LoadGroup, 4), 3.0);
        // With `load` the group would spread: 3 tests on each of 2 workers.
        assert_eq!(makespan(&baseline, Mode::Load, 2), 3.0);
    }

    #[test]
    fn workers_pay_session_setup_each() {
        let mut baseline = suite(&[
            (2.0, "a.py", None),
            (0.5, "a.py", None),
            (0.5, "b.py", None),
            (0.5, "b.py", None),
        ]);
        for t in &mut baseline.tests {
            t.wide_fixtures = vec!["db".into()];
        }
        baseline.fixture_setup.insert("db".into(), 1.5);
        assert_eq!(makespan(&baseline, Mode::Load, 1), 3.5);
        // Two workers each set up `db`: 1.5 + 0.5 + 0.5 on each.
        assert_eq!(makespan(&baseline, Mode::Load, 2), 2.5);
    }

    #[test]
    fn oversubscribed_workers_share_the_cores() {
        let baseline = suite(&[(1.0, "a.py", None); 8]);
        let model = Model {
            cores: 2,
            capacity: 2.0,
            worker_start: 0.0,
        };
        assert_eq!(wall_time(&baseline, &model, Mode::Load, 2), 4.0);
        assert_eq!(wall_time(&baseline, &model, Mode::Load, 4), 4.0);
        // A shared machine that gives the run one core's worth: two workers gain nothing.
        let busy = Model {
            capacity: 1.0,
            ..model
        };
        assert_eq!(wall_time(&baseline, &busy, Mode::Load, 2), 8.0);
    }
}
