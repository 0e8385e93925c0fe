//! isolint against the parse floor: the same files parsed by tree-sitter and nothing else, in the
//! same parallel setup. The gap is what the model, the rules and the project stage cost. "The same
//! files" are the walked ones and the project's own modules a run reads beside them for their
//! effect summaries.
//!
//! A second baseline, the walk floor, parses and then visits every node once with a `TreeCursor`
//! doing nothing at each: what any linter that looks at every node pays before its first rule.
//! Beside it, the same visit with isolint's own walk (`isolint_python::walk::Walk`, which the model
//! uses): what the model's walk pays for its steps.
//!
//! `cargo bench -p isolint_linter --bench parse_floor -- DIR...` (default: the repository's fixtures);
//! `bench/run.sh` runs it on the public corpus. Set ISOLINT_BENCH_RUNS to change the repetitions.

use globset::GlobSet;
use isolint_linter::walk::{find_python_files, source_inputs, WalkOptions};
use isolint_linter::{first_party_files, lint, LintOptions, RuleSet, Settings, SourceInput};
use isolint_python::parse::{parse, python_parser};
use isolint_python::pytest_config::Naming;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
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
        let root = project_root(&dir);
        let inputs = source_inputs(found, &dir, &root);
        let rules = RuleSet::default();
        let naming = Naming::default();
        // As the command line does: the project's own modules import from its root or `src/`.
        let settings = Settings {
            source_roots: vec![root.clone(), root.join("src")],
            ..Settings::default()
        };
        let options = LintOptions {
            rules: &rules,
            naming: &naming,
            settings: &settings,
            per_file_ignores: &[],
            warn_unused_suppressions: false,
            project_files: None,
        };
        let first_party = first_party_files(&inputs, &options);
        // Read once up front: both passes then measure CPU work, not the page cache.
        let inputs: Vec<SourceInput> = inputs
            .into_iter()
            .filter_map(|mut input| {
                input.text = Some(std::fs::read_to_string(&input.path).ok()?);
                Some(input)
            })
            .collect();
        let texts: Vec<&str> = inputs.iter().filter_map(|i| i.text.as_deref()).collect();
        let first_party_texts: Vec<String> = first_party
            .iter()
            .filter_map(|path| std::fs::read_to_string(path).ok())
            .collect();
        let texts: Vec<&str> = texts
            .into_iter()
            .chain(first_party_texts.iter().map(String::as_str))
            .collect();
        let bytes: usize = texts.iter().map(|t| t.len()).sum();

        // ISOLINT_BENCH_ONLY=floor|walk|own-walk|isolint runs one side alone, for profilers and instruction
        // counts; any other value runs none, to count the setup (reading, and finding the project's
        // own modules, which lints once when there are any) that each side's count includes.
        let only = std::env::var("ISOLINT_BENCH_ONLY").unwrap_or_default();
        let runs_of = |side: &str| {
            if only.is_empty() || only == side {
                runs
            } else {
                0
            }
        };
        let floor = best_of(runs_of("floor"), || {
            let nodes: usize = texts
                .par_iter()
                .map_init(python_parser, |parser, text| {
                    parse(parser, text).map_or(0, |tree| tree.root_node().descendant_count())
                })
                .sum();
            assert!(nodes > 0 || texts.is_empty());
        });
        let walk = best_of(runs_of("walk"), || {
            let nodes: usize = texts
                .par_iter()
                .map_init(python_parser, |parser, text| {
                    parse(parser, text).map_or(0, |tree| visit_every_node(&tree))
                })
                .sum();
            assert!(nodes > 0 || texts.is_empty());
        });
        let own_walk = best_of(runs_of("own-walk"), || {
            let nodes: usize = texts
                .par_iter()
                .map_init(python_parser, |parser, text| {
                    parse(parser, text).map_or(0, |tree| visit_every_node_by_walk(&tree))
                })
                .sum();
            assert!(nodes > 0 || texts.is_empty());
        });
        let mut findings = 0;
        let full = best_of(runs_of("isolint"), || {
            let result = lint(&inputs, &options);
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
        let floor_ratio = |side: Duration| {
            if floor.is_zero() || side.is_zero() {
                "not measured".to_string()
            } else {
                format!("{:.2}x the floor", side.as_secs_f64() / floor.as_secs_f64())
            }
        };
        println!(
            "{}: {} files ({} of the project's own code), {:.1} MB, {} findings\n  parse floor {:>8.1} ms\n  walk floor  {:>8.1} ms  ({})\n  own walk    {:>8.1} ms  ({})\n  isolint     {:>8.1} ms  ({ratio})",
            dir.display(),
            texts.len(),
            first_party_texts.len(),
            bytes as f64 / 1e6,
            findings,
            ms(floor),
            ms(walk),
            floor_ratio(walk),
            ms(own_walk),
            floor_ratio(own_walk),
            ms(full),
        );
    }
}

/// The nearest folder at or above `dir` holding a project's settings (`pyproject.toml`,
/// `setup.cfg`, `tox.ini`, `setup.py`), else `dir`: a test folder's project root.
fn project_root(dir: &Path) -> PathBuf {
    const MARKERS: [&str; 4] = ["pyproject.toml", "setup.cfg", "tox.ini", "setup.py"];
    dir.ancestors()
        .find(|folder| MARKERS.iter().any(|m| folder.join(m).is_file()))
        .unwrap_or(dir)
        .to_path_buf()
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

/// The same visit as [`visit_every_node`] with isolint's walk.
fn visit_every_node_by_walk(tree: &tree_sitter::Tree) -> usize {
    let mut walk = isolint_python::walk::Walk::new(tree.root_node());
    let mut visited = 0usize;
    let mut kinds = 0usize;
    'walk: loop {
        visited += 1;
        kinds = kinds.wrapping_add(usize::from(walk.kind_id()));
        if walk.goto_first_child() {
            continue;
        }
        while !walk.goto_next_sibling() {
            if !walk.goto_parent() {
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
