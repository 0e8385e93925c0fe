//! The whole run's result in the cache: when every linted file, every first-party module the
//! calls reached, the project's configuration files and every setting are what the last run with
//! these settings saw, its diagnostics and facts are the answer, and neither the per-file step nor
//! the project stage runs. One entry per combination of settings (the last run's), so a
//! pre-commit hook's changing file lists do not pile entries up; any difference is a miss, and the
//! per-file entries still serve.

use crate::cache::{Cache, Fingerprint, Key};
use crate::diagnostic::Diagnostic;
use crate::first_party::FirstParty;
use crate::lint::{LintOptions, LintResult, SourceInput};
use isolint_python::project::FileFacts;
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

/// A file as the run read it: its text (as linted) and content hash, or why it could not be read.
pub(crate) type Read = Result<(Arc<str>, Key), String>;

/// One module the first-party rounds looked for, and what they found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Lookup {
    pub module: String,
    /// The file it resolved to, and whether it was read (not a linted file, not read before).
    pub found: Option<(PathBuf, bool)>,
    /// The content hash of a file read (`None`: it could not be read).
    pub content: Option<Key>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct RunEntry {
    lookups: Vec<Lookup>,
    diagnostics: Vec<Diagnostic>,
    files: Vec<FileFacts>,
    /// The text reporters get for each file with a diagnostic.
    sources: Vec<(String, Source)>,
}

#[derive(serde::Serialize, serde::Deserialize)]
enum Source {
    /// The text of linted file number `.0`, whose text hashes to `.1`.
    Input(usize, Key),
    Text(String),
}

/// The slot (one per settings) and the key (settings, files, contents) of a run.
pub(crate) fn run_key(
    file_step: Key,
    options: &LintOptions,
    inputs: &[SourceInput],
    reads: &[Read],
    first_party: &FirstParty,
) -> (Key, Key) {
    let mut slot = Fingerprint::default();
    slot.str("run").key(file_step);
    for (glob, selectors) in options.per_file_ignores {
        slot.str(glob.glob().glob())
            .strs(selectors.iter().map(|s| s.as_str()));
    }
    slot.u64(options.per_file_ignores.len() as u64)
        .bool(options.warn_unused_suppressions)
        .bool(options.project_files.is_some());
    let slot = slot.finish();
    let mut key = Fingerprint::default();
    key.key(slot);
    if let Some(files) = options.project_files {
        key.bytes(files.root.as_os_str().as_encoded_bytes());
        for (display, text) in &files.texts {
            key.str(display).str(text);
        }
        key.u64(files.texts.len() as u64);
        for problem in &files.problems {
            key.str(&problem.at.file).str(&problem.message);
        }
        key.u64(files.problems.len() as u64);
    }
    for root in first_party.roots() {
        key.bytes(root.as_os_str().as_encoded_bytes());
    }
    let names: BTreeSet<&str> = first_party.names.0.iter().map(String::as_str).collect();
    key.u64(first_party.roots().len() as u64).strs(names);
    for (input, read) in inputs.iter().zip(reads) {
        key.bytes(input.path.as_os_str().as_encoded_bytes())
            .str(&input.display)
            .str(&input.node_path)
            .bool(input.explicit);
        match read {
            Ok((_, content)) => key.bool(true).key(*content),
            Err(why) => key.bool(false).str(why).bool(input.path.is_dir()),
        };
    }
    (slot, key.u64(inputs.len() as u64).finish())
}

/// The last run's result, if it holds for these files: the first-party modules are looked up again
/// and must resolve and hash the same.
pub(crate) fn load(
    cache: &Cache,
    (slot, key): (Key, Key),
    inputs: &[SourceInput],
    reads: &[Read],
    first_party: &FirstParty,
    options: &LintOptions,
) -> Option<LintResult> {
    let body = cache.read(slot, key)?;
    let entry: RunEntry = postcard::from_bytes(&body).ok()?;
    if !lookups_hold(&entry.lookups, inputs, first_party) {
        return None;
    }
    let mut sources = HashMap::new();
    for (display, source) in entry.sources {
        let text = match source {
            Source::Text(text) => Arc::from(text),
            Source::Input(i, hash) => {
                let (text, _) = reads.get(i)?.as_ref().ok()?;
                if crate::cache::content_hash(text.as_bytes()) != hash {
                    return None;
                }
                text.clone()
            }
        };
        sources.insert(display, text);
    }
    Some(LintResult {
        diagnostics: entry.diagnostics,
        files: entry.files,
        sources,
        categories_checked: options.rules.categories(),
        codes_checked: crate::lint::codes_checked(options.rules),
    })
}

fn lookups_hold(lookups: &[Lookup], inputs: &[SourceInput], first_party: &FirstParty) -> bool {
    if lookups.is_empty() {
        return true;
    }
    let mut seen = crate::lint::canonical_inputs(inputs);
    lookups.iter().all(|lookup| {
        let found = first_party.module_file(&lookup.module);
        let again = match found {
            None => None,
            Some(path) => {
                let read = seen.insert(path.clone());
                Some((path, read))
            }
        };
        if again != lookup.found {
            return false;
        }
        match &lookup.found {
            Some((path, true)) => {
                let input = SourceInput {
                    path: path.clone(),
                    display: String::new(),
                    node_path: String::new(),
                    explicit: false,
                    text: None,
                };
                crate::lint::read_input(&input).ok().map(|(_, key)| key) == lookup.content
            }
            _ => true,
        }
    })
}

/// The hash of each input's text as linted (`None`: it could not be read), which is all
/// [`store`] needs of the texts.
pub(crate) fn text_hashes(reads: &[Read]) -> Vec<Option<Key>> {
    reads
        .iter()
        .map(|read| {
            let (text, _) = read.as_ref().ok()?;
            Some(crate::cache::content_hash(text.as_bytes()))
        })
        .collect()
}

/// Stores this run's result for the next run with the same settings and files. `linted` holds
/// the hash of each input's text ([`text_hashes`]): a shown source that is that text is stored
/// as a reference to the input.
pub(crate) fn store(
    cache: &Cache,
    (slot, key): (Key, Key),
    result: &LintResult,
    lookups: Vec<Lookup>,
    inputs: &[SourceInput],
    linted: &[Option<Key>],
) {
    let mut sources: Vec<(String, Source)> = result
        .sources
        .iter()
        .map(|(display, text)| {
            let input = inputs.iter().position(|i| &i.display == display);
            let hash = crate::cache::content_hash(text.as_bytes());
            let source = match input.and_then(|i| Some((i, linted.get(i).copied()??))) {
                Some((i, linted)) if !text.is_empty() && linted == hash => Source::Input(i, hash),
                _ => Source::Text(text.to_string()),
            };
            (display.clone(), source)
        })
        .collect();
    sources.sort_by(|a, b| a.0.cmp(&b.0));
    let entry = RunEntry {
        lookups,
        diagnostics: result.diagnostics.clone(),
        files: result.files.clone(),
        sources,
    };
    if let Ok(body) = postcard::to_stdvec(&entry) {
        cache.write(slot, key, &body);
    }
}
