//! The audit report (`isolint audit`): docs/test-isolation-audit.md and its JSON twin.
//!
//! The report is computed once as a model ([`model::Audit`]) and rendered as GitHub-flavoured Markdown
//! or as JSON, so both formats say the same thing. Rendering depends on the lint result, the paths and
//! the notes only (no clock unless `--timestamp`), and the file is written atomically: a temporary file
//! in the same folder, flushed to disk, then renamed over the report.

mod markdown;
pub mod model;
pub mod parallel_setup;
mod service_waits;
mod similar;
pub mod speedup;
mod text;

use isolint_linter::LintResult;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The team's section of the Markdown report starts and ends with these lines; what lies between is
/// carried over unchanged when the report is regenerated.
pub const NOTES_START: &str = "<!-- isolint:notes -->";
pub const NOTES_END: &str = "<!-- /isolint:notes -->";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditFormat {
    Markdown,
    Json,
}

pub struct AuditRequest<'a> {
    pub result: &'a LintResult,
    /// Absolute path of pytest's rootdir: `FileFacts::node_path` and node ids are relative to it.
    pub rootdir: PathBuf,
    /// Absolute path of the report to write.
    pub output: PathBuf,
    pub format: AuditFormat,
    /// `--timestamp`: put the generation time in the report (otherwise bytes depend on input only).
    pub timestamp: Option<String>,
    /// The paths that were audited, as the user gave them (for the summary).
    pub audited_paths: Vec<String>,
    /// What the project's files say about running in parallel (`None`: not read).
    pub setup: Option<parallel_setup::ParallelSetup>,
    /// The "Expected speedup" section, from measured durations (`--timing`).
    pub speedup: Option<speedup::Speedup>,
}

/// Renders the report and writes it atomically, keeping the team's notes section of an existing
/// report. Returns the rendered text.
pub fn write_report(request: &AuditRequest) -> io::Result<String> {
    let output = text::normalize(&request.output);
    let notes = match read_existing(&output)? {
        Some(bytes) => previous_notes(&output, &bytes, request.format)?,
        None => None,
    };
    let rendered = render(request, notes);
    write_atomically(&output, rendered.as_bytes())?;
    Ok(rendered)
}

/// No report isolint writes comes near this; a bigger "report" is something else, never read whole.
pub const MAX_EXISTING_REPORT_BYTES: u64 = 64 * 1024 * 1024;

/// The bytes of the report already at `path` (to carry its notes over), or `None` when there is none.
/// Only a writable regular file is read and later replaced: a device (`/dev/null`, `/dev/full`), a
/// FIFO, a terminal or a folder is refused before anything is read or renamed over it, and so is a
/// read-only report, which someone protected on purpose.
fn read_existing(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let refuse = |kind: io::ErrorKind, why: String| Err(io::Error::new(kind, why));
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return refuse(
                error.kind(),
                format!("cannot read the existing report: {error}"),
            )
        }
    };
    if !meta.is_file() {
        return refuse(
            io::ErrorKind::InvalidInput,
            "it is not a regular file (a folder, device, pipe or terminal); the report is written only to a regular file, or to standard output with `--output -`".into(),
        );
    }
    if meta.permissions().readonly() {
        return refuse(
            io::ErrorKind::PermissionDenied,
            "the existing report is read-only; make it writable (or remove it) to regenerate it"
                .into(),
        );
    }
    if meta.len() > MAX_EXISTING_REPORT_BYTES {
        return refuse(
            io::ErrorKind::InvalidData,
            format!(
                "the existing file is {} MB, not a report isolint wrote; move it away or choose another --output",
                meta.len() / (1024 * 1024)
            ),
        );
    }
    let file = File::open(path).map_err(|error| {
        io::Error::new(
            error.kind(),
            format!("cannot read the existing report: {error}"),
        )
    })?;
    // The size was checked, but a file can grow between the check and the read.
    let mut bytes = Vec::new();
    io::Read::read_to_end(
        &mut io::Read::take(file, MAX_EXISTING_REPORT_BYTES + 1),
        &mut bytes,
    )?;
    if bytes.len() as u64 > MAX_EXISTING_REPORT_BYTES {
        return refuse(
            io::ErrorKind::InvalidData,
            "the existing file grew past 64 MB while it was read; it is not a report isolint wrote"
                .into(),
        );
    }
    Ok(Some(bytes))
}

/// The report's text for `request`, with `notes` as the team's section.
pub fn render(request: &AuditRequest, notes: Option<String>) -> String {
    let output = text::normalize(&request.output);
    let report_dir = output
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("/"));
    let rootdir = text::normalize(&request.rootdir);
    let inputs = model::Inputs {
        result: request.result,
        rootdir: &rootdir,
        report_dir: &report_dir,
        timestamp: request.timestamp.clone(),
        audited_paths: request.audited_paths.clone(),
        notes,
    };
    let mut audit = model::build(&inputs);
    audit.setup = request.setup.clone();
    audit.speedup = request.speedup.clone();
    match request.format {
        AuditFormat::Markdown => markdown::render(&audit),
        AuditFormat::Json => {
            let mut json =
                serde_json::to_string_pretty(&audit).expect("the audit model serializes");
            json.push('\n');
            json
        }
    }
}

/// The notes of an existing report: the text between the markers (Markdown), or the `notes` field
/// (JSON). A start marker without an end marker is an error, so a damaged report never loses notes.
fn previous_notes(path: &Path, bytes: &[u8], format: AuditFormat) -> io::Result<Option<String>> {
    match format {
        AuditFormat::Markdown => {
            let Ok(text) = std::str::from_utf8(bytes) else {
                if contains(bytes, NOTES_START.as_bytes()) {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("the existing report {} is not valid UTF-8, so its notes section cannot be kept; fix or remove it", path.display()),
                    ));
                }
                return Ok(None);
            };
            extract_notes(text).map_err(|message| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: {message}", path.display()),
                )
            })
        }
        AuditFormat::Json => Ok(serde_json::from_slice::<serde_json::Value>(bytes)
            .ok()
            .and_then(|value| {
                value
                    .get("notes")
                    .and_then(|n| n.as_str())
                    .map(String::from)
            })),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The text between the notes markers, verbatim.
pub fn extract_notes(text: &str) -> Result<Option<String>, String> {
    let Some(start) = text.find(NOTES_START) else {
        return Ok(None);
    };
    let body_start = start + NOTES_START.len();
    match text[body_start..].find(NOTES_END) {
        Some(end) => Ok(Some(text[body_start..body_start + end].to_string())),
        None => Err(format!(
            "the report has `{NOTES_START}` but no `{NOTES_END}` after it; add the end marker (or remove the start marker) so the team's notes are not lost"
        )),
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomically_with(path, |file| file.write_all(bytes))
}

/// Writes `path` by filling a temporary file in the same folder and renaming it over `path`, so a
/// reader (or a crash) sees the old report or the new one, never part of one. The temporary file is
/// removed if anything fails.
fn write_atomically_with(
    path: &Path,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    // Write through a symbolic link rather than replacing it.
    let path = match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => fs::canonicalize(path)?,
        _ => path.to_path_buf(),
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    fs::create_dir_all(&dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    let temp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)?;
    let result = (|| {
        fill(&mut file)?;
        file.flush()?;
        file.sync_all()?;
        if let Ok(meta) = fs::metadata(&path) {
            file.set_permissions(meta.permissions())?;
        }
        drop(file);
        fs::rename(&temp, &path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    } else if let Ok(folder) = File::open(&dir) {
        // Make the rename itself durable where the platform allows it.
        let _ = folder.sync_all();
    }
    result
}

#[cfg(test)]
mod tests;
