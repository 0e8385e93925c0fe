//! A plan for N CI jobs: units (an `xdist_group` stays whole, any other test is its own unit)
//! assigned longest first to the job with the least work so far, and the `.test_durations` file
//! pytest-split reads, with a check of whether pytest-split's own split would cut a group.

use crate::baseline::Baseline;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct Shard {
    /// 1-based, as pytest-split's `--group`.
    pub group: usize,
    pub seconds: f64,
    pub tests: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShardPlan {
    pub shards: Vec<Shard>,
    /// xdist groups pytest-split's `least_duration` split would spread over several jobs.
    pub groups_split_by_pytest_split: Vec<String>,
}

/// Units of work: each `xdist_group` as one, every other test alone; in first-appearance order.
fn units(baseline: &Baseline) -> Vec<(f64, Vec<usize>)> {
    let mut order: Vec<String> = Vec::new();
    let mut units: BTreeMap<String, (f64, Vec<usize>)> = BTreeMap::new();
    for (index, test) in baseline.tests.iter().enumerate() {
        let key = test
            .xdist_group
            .as_ref()
            .map_or_else(|| format!("test:{index}"), |g| format!("group:{g}"));
        let unit = units.entry(key.clone()).or_insert_with(|| {
            order.push(key);
            (0.0, Vec::new())
        });
        unit.0 += test.duration;
        unit.1.push(index);
    }
    order.into_iter().filter_map(|k| units.remove(&k)).collect()
}

pub fn plan(baseline: &Baseline, jobs: usize) -> ShardPlan {
    let jobs = jobs.max(1);
    let mut units = units(baseline);
    // Longest first; equal lengths keep collection order (the sort is stable).
    units.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut shards: Vec<(f64, Vec<usize>)> = vec![(0.0, Vec::new()); jobs];
    for (seconds, tests) in units {
        let lightest = shards
            .iter()
            .enumerate()
            .min_by(|(a, x), (b, y)| x.0.total_cmp(&y.0).then(a.cmp(b)))
            .map_or(0, |(i, _)| i);
        shards[lightest].0 += seconds;
        shards[lightest].1.extend(tests);
    }
    let shards = shards
        .into_iter()
        .enumerate()
        .map(|(i, (seconds, mut tests))| {
            tests.sort_unstable();
            Shard {
                group: i + 1,
                seconds,
                tests: tests
                    .into_iter()
                    .map(|t| baseline.tests[t].node_id.clone())
                    .collect(),
            }
        })
        .collect();
    ShardPlan {
        shards,
        groups_split_by_pytest_split: split_groups(baseline, jobs),
    }
}

/// pytest-split's `least_duration`: tests longest first, each to the group with the least time so
/// far. Which xdist groups does it spread over several jobs?
fn split_groups(baseline: &Baseline, jobs: usize) -> Vec<String> {
    let mut order: Vec<usize> = (0..baseline.tests.len()).collect();
    order.sort_by(|a, b| {
        baseline.tests[*b]
            .duration
            .total_cmp(&baseline.tests[*a].duration)
    });
    let mut totals = vec![0.0f64; jobs];
    let mut placed: BTreeMap<&str, std::collections::BTreeSet<usize>> = BTreeMap::new();
    for index in order {
        let job = totals
            .iter()
            .enumerate()
            .min_by(|(a, x), (b, y)| x.total_cmp(y).then(a.cmp(b)))
            .map_or(0, |(i, _)| i);
        totals[job] += baseline.tests[index].duration;
        if let Some(group) = &baseline.tests[index].xdist_group {
            placed.entry(group).or_default().insert(job);
        }
    }
    placed
        .into_iter()
        .filter(|(_, jobs)| jobs.len() > 1)
        .map(|(g, _)| g.to_string())
        .collect()
}

/// `.test_durations` as pytest-split writes and reads it: node id → seconds, sorted.
pub fn test_durations(baseline: &Baseline) -> String {
    let mut map: BTreeMap<&str, f64> = BTreeMap::new();
    for test in &baseline.tests {
        *map.entry(test.node_id.as_str()).or_default() += test.duration;
    }
    let mut text = serde_json::to_string_pretty(&map).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::TimedTest;

    #[test]
    fn groups_stay_in_one_shard_and_jobs_balance() {
        let test = |i: usize, d: f64, group: Option<&str>| TimedTest {
            node_id: format!("t.py::test_{i}"),
            duration: d,
            markers: Vec::new(),
            fixtures: Vec::new(),
            findings: Vec::new(),
            xdist_group: group.map(String::from),
            file: "t.py".into(),
            scope: "t.py".into(),
            wide_fixtures: Vec::new(),
            matched: true,
        };
        let baseline = Baseline {
            tests: vec![
                test(0, 2.0, Some("db")),
                test(1, 2.0, Some("db")),
                test(2, 2.0, None),
                test(3, 2.0, None),
            ],
            session_seconds: 8.0,
            fixture_setup: BTreeMap::new(),
            unmatched: 0,
        };
        let plan = plan(&baseline, 2);
        assert_eq!(plan.shards[0].tests, ["t.py::test_0", "t.py::test_1"]);
        assert_eq!(plan.shards[1].seconds, 4.0);
        // pytest-split alone would put the two `db` tests in different jobs.
        assert_eq!(plan.groups_split_by_pytest_split, ["db"]);
        assert!(test_durations(&baseline).contains("\"t.py::test_2\": 2.0"));
    }
}
