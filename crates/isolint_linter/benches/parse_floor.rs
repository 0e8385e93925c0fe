//! isolint against the parse floor: the same files parsed by tree-sitter and nothing else, in the
//! same parallel setup. The gap is what the model, the rules and the project stage cost.
//!
//! A second baseline, the walk floor, parses and then visits every node once with a `TreeCursor`
//! doing nothing at each: what any linter that looks at every node pays before its first rule.
//!
//! `cargo bench -p isolint_linter --bench parse_floor -- DIR...` (default: the repository's fixtures);
//! `bench/run.sh` runs it on the public corpus. Set ISOLINT_BENCH_RUNS to change the repetitions.

use globset::GlobSet;
use isolint_linter::walk::{find_python_files, source_inputs, WalkOptions};
use isolint_linter::{lint, LintOptions, RuleSet, Settings, SourceInput};
use isolint_python::parse::{parse, python_parser};
use isolint_python::pytest_config::Naming;
use rayon::prelude::*;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn main() {
    let mut dirs: Vec<PathBuf> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .collect();
    if dirs.is_empty() {
        dirs.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures"));
    }
    let runs: usize = std::env::var("ISOLINT_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    for dir in dirs {
        let dir = dir.canonicalize().unwrap_or(dir);
        let exclude = GlobSet::empty();
        let (found, _) = find_python_files(
            std::slice::from_ref(&dir),
            &WalkOptions {
                no_ignore: false,
                exclude: &exclude,
                root: &dir,
            },
        );
        let inputs = source_inputs(found, &dir, &dir);
        // Read once up front: both passes then measure CPU work, not the page cache.
        let inputs: Vec<SourceInput> = inputs
            .into_iter()
            .filter_map(|mut input| {
                input.text = Some(std::fs::read_to_string(&input.path).ok()?);
                Some(input)
            })
            .collect();
        let bytes: usize = inputs
            .iter()
            .map(|i| i.text.as_ref().map_or(0, String::len))
            .sum();

        // ISOLINT_BENCH_ONLY=floor|walk|isolint runs one side alone, for profilers and instruction
        // counts.
        let only = std::env::var("ISOLINT_BENCH_ONLY").unwrap_or_default();
        let runs_of = |side: &str| {
            if only.is_empty() || only == side {
                runs
            } else {
                0
            }
        };
        let floor = best_of(runs_of("floor"), || {
            let nodes: usize = inputs
                .par_iter()
                .map_init(python_parser, |parser, input| {
                    parse(parser, input.text.as_deref().unwrap_or(""))
                        .map_or(0, |tree| tree.root_node().descendant_count())
                })
                .sum();
            assert!(nodes > 0 || inputs.is_empty());
        });
        let walk = best_of(runs_of("walk"), || {
            let nodes: usize = inputs
                .par_iter()
                .map_init(python_parser, |parser, input| {
                    parse(parser, input.text.as_deref().unwrap_or(""))
                        .map_or(0, |tree| visit_every_node(&tree))
                })
                .sum();
            assert!(nodes > 0 || inputs.is_empty());
        });
        let rules = RuleSet::default();
        let naming = Naming::default();
        let settings = Settings::default();
        let mut findings = 0;
        let full = best_of(runs_of("isolint"), || {
            let result = lint(
                &inputs,
                &LintOptions {
                    rules: &rules,
                    naming: &naming,
                    settings: &settings,
                    per_file_ignores: &[],
                    warn_unused_suppressions: false,
                    project_files: None,
                },
            );
            findings = result.diagnostics.len();
        });
        let ratio = if floor.is_zero() || full.is_zero() {
            "not measured".to_string()
        } else {
            format!(
                "{:.2}x the floor, {:.1} MB/s",
                full.as_secs_f64() / floor.as_secs_f64(),
                bytes as f64 / 1e6 / full.as_secs_f64()
            )
        };
        let walk_ratio = if floor.is_zero() || walk.is_zero() {
            "not measured".to_string()
        } else {
            format!("{:.2}x the floor", walk.as_secs_f64() / floor.as_secs_f64())
        };
        println!(
            "{}: {} files, {:.1} MB, {} findings\n  parse floor {:>8.1} ms\n  walk floor  {:>8.1} ms  ({walk_ratio})\n  isolint     {:>8.1} ms  ({ratio})",
            dir.display(),
            inputs.len(),
            bytes as f64 / 1e6,
            findings,
            ms(floor),
            ms(walk),
            ms(full),
        );
    }
}

/// Visits every node of `tree` once, pre-order, as the model's walk does; returns how many.
fn visit_every_node(tree: &tree_sitter::Tree) -> usize {
    let mut cursor = tree.walk();
    let mut visited = 0usize;
    let mut kinds = 0usize;
    'walk: loop {
        visited += 1;
        // Read the kind, as any walk dispatching on it must, so the optimiser keeps the visit.
        kinds = kinds.wrapping_add(usize::from(cursor.node().kind_id()));
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    std::hint::black_box(kinds);
    visited
}

fn best_of(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
