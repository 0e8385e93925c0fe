//! Baselines: findings recorded once and not reported again. Entries are counts per (file, rule,
//! normalised source line), so a baseline survives edits that only move lines. The file is its path
//! relative to pytest's rootdir (as in node ids), so the baseline matches from any current folder.

use isolint_linter::Diagnostic;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct BaselineFile {
    version: u32,
    entries: Vec<Entry>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    file: String,
    code: String,
    source: String,
    count: usize,
}

type Key = (String, String, String);

/// What a baseline needs besides the findings: the text of each file with a finding, and each shown
/// path's rootdir-relative path.
pub struct Files<'a> {
    pub sources: &'a HashMap<String, Arc<str>>,
    pub node_paths: &'a HashMap<&'a str, &'a str>,
}

fn key(diagnostic: &Diagnostic, files: &Files) -> Key {
    let sources = files.sources;
    let line = sources
        .get(&diagnostic.file)
        .and_then(|text| text.lines().nth(diagnostic.start.line.saturating_sub(1)))
        .unwrap_or("");
    let normalised = line.split_whitespace().collect::<Vec<_>>().join(" ");
    let file = files
        .node_paths
        .get(diagnostic.file.as_str())
        .copied()
        .unwrap_or(&diagnostic.file);
    (
        file.to_string(),
        diagnostic.rule.code.to_string(),
        normalised,
    )
}

pub fn write(path: &Path, diagnostics: &[Diagnostic], files: &Files) -> std::io::Result<()> {
    let mut counts: BTreeMap<Key, usize> = BTreeMap::new();
    for d in diagnostics {
        *counts.entry(key(d, files)).or_default() += 1;
    }
    let file = BaselineFile {
        version: 1,
        entries: counts
            .into_iter()
            .map(|((file, code, source), count)| Entry {
                file,
                code,
                source,
                count,
            })
            .collect(),
    };
    let text = serde_json::to_string_pretty(&file).map_err(std::io::Error::other)? + "\n";
    std::fs::write(path, text)
}

/// Drops the diagnostics the baseline records, up to its count per entry.
pub fn filter(
    path: &Path,
    diagnostics: Vec<Diagnostic>,
    files: &Files,
) -> Result<Vec<Diagnostic>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the baseline {}: {e}", path.display()))?;
    let file: BaselineFile = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not an isolint baseline: {e}", path.display()))?;
    let mut remaining: HashMap<Key, usize> = file
        .entries
        .into_iter()
        .map(|e| ((e.file, e.code, e.source), e.count))
        .collect();
    Ok(diagnostics
        .into_iter()
        .filter(|d| match remaining.get_mut(&key(d, files)) {
            Some(count) if *count > 0 => {
                *count -= 1;
                false
            }
            _ => true,
        })
        .collect())
}
