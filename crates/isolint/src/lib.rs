//! The `isolint` command. A library so that the binary of `crates/isolint` and the one the
//! repository root builds for pre-commit's `language: rust` hook (`isolint-hook`) are one program.

mod args;
mod baseline;
mod changed;
mod config;
mod run;
mod timing;

use args::{
    AuditArgs, AuditFormatArg, CheckArgs, Cli, ColorArg, Command, FormatArg, RuleArgs,
    RuleFormatArg,
};
use clap::Parser;
use isolint_linter::fix::session::FixOutcome;
use isolint_linter::registry::{all_rules, code_ranges, find_rule, planned_rule, unbuilt_codes};
use isolint_linter::{Applicability, Diagnostic, LintResult};
use isolint_report::audit::{write_report, AuditFormat, AuditRequest};
use isolint_report::{render, statistics, OutputFormat, RenderOptions};
use run::{configure_threads, prepare, run_fix, run_lint, Fatal, Prepared};
use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Runs the command line of this process.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Some(Command::Check(args)) => check(args),
        None => check(cli.check),
        Some(Command::Audit(args)) => audit(args),
        Some(Command::Rule(args)) => rule(args),
        Some(Command::Timing(args)) => timing::timing(args),
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(Fatal::Message(message)) => {
            eprintln!("isolint: error: {message}");
            ExitCode::from(2)
        }
        Err(Fatal::Config(error)) => {
            let report = miette::Report::new(*error);
            eprintln!("{report:?}");
            ExitCode::from(2)
        }
    }
}

/// Writes to stdout; a closed pipe (`isolint | head`) ends the program quietly.
fn emit(text: &str) {
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("isolint: error: cannot write the output: {error}");
        std::process::exit(2);
    }
}

fn check(args: CheckArgs) -> Result<u8, Fatal> {
    configure_threads(args.selection.threads);
    let reads_stdin = args.paths.len() == 1 && args.paths[0].as_os_str() == "-";
    let stdin = if reads_stdin {
        let name = args.stdin_filename.clone().ok_or_else(|| {
            Fatal::Message("reading standard input (`-`) needs --stdin-filename PATH".into())
        })?;
        Some((name, read_stdin()?))
    } else {
        if args.stdin_filename.is_some() {
            return Err(Fatal::Message(
                "--stdin-filename goes with `-` as the PATH".into(),
            ));
        }
        None
    };
    // With --changed-files the PATHs say where to report; the suite is found as with no PATH.
    let changed = args
        .changed_files
        .then(|| changed::ChangedFiles::new(&args.paths));
    let paths = if reads_stdin || changed.is_some() {
        Vec::new()
    } else {
        args.paths.clone()
    };
    let mut prepared = prepare(
        &paths,
        &args.selection,
        stdin.as_ref().map(|(n, t)| (n.as_path(), t.clone())),
    )?;
    let cwd = std::env::current_dir()
        .map_err(|e| Fatal::Message(format!("cannot read the current folder: {e}")))?;
    let relevant = changed.as_ref().map(|c| c.relevant(&prepared, &cwd));
    if relevant == Some(0) {
        // Nothing the suite reads was changed (a README, a package module): nothing to say.
        return Ok(0);
    }
    note_planned_selectors(&args.selection);
    warn_non_utf8_names(&prepared.inputs);
    for problem in &prepared.walk_problems {
        eprintln!("isolint: warning: {problem}");
    }
    if args.unsafe_fixes && !args.fix && !args.diff {
        return Err(Fatal::Message(
            "--unsafe-fixes goes with --fix or --diff".into(),
        ));
    }
    let mut fixed: Option<(usize, usize)> = None;
    let mut result = if args.fix || args.diff {
        // With --changed-files only the given files are rewritten; the rest is context.
        let editable: Option<std::collections::HashSet<String>> = changed.as_ref().map(|c| {
            prepared
                .inputs
                .iter()
                .filter(|input| c.keeps(&cwd, &input.display))
                .map(|input| input.display.clone())
                .collect()
        });
        let outcome = run_fix(
            &mut prepared,
            args.warn_unused_ignores,
            args.unsafe_fixes,
            |file| editable.as_ref().is_none_or(|e| e.contains(file)),
        );
        if args.diff {
            return Ok(show_diff(&prepared, &outcome, args.quiet));
        }
        if reads_stdin {
            // An editor's "fix" action: the fixed text on standard output, the rest as usual.
            let text = match outcome.changed.get(&0) {
                Some((_, after)) => after.clone(),
                None => stdin.as_ref().map(|(_, t)| t.clone()).unwrap_or_default(),
            };
            emit(&text);
            let left = outcome.result.diagnostics.len();
            if !args.quiet {
                eprintln!(
                    "isolint: fixed {}, {} left",
                    counted(outcome.applied, "finding"),
                    left
                );
            }
            return Ok(if left > 0 && !args.exit_zero { 1 } else { 0 });
        }
        write_fixed(&prepared, &outcome)?;
        fixed = Some((outcome.applied, outcome.changed.len()));
        outcome.result
    } else {
        run_lint(&prepared, args.warn_unused_ignores)
    };
    if let Some(changed) = &changed {
        let mut kept: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
        result.diagnostics.retain(|d| {
            *kept
                .entry(d.file.clone())
                .or_insert_with(|| changed.keeps(&cwd, &d.file))
        });
    }
    let node_paths: std::collections::HashMap<&str, &str> = prepared
        .inputs
        .iter()
        .map(|input| (input.display.as_str(), input.node_path.as_str()))
        .collect();

    if let Some(path) = &args.write_baseline {
        let files = baseline::Files {
            sources: &result.sources,
            node_paths: &node_paths,
        };
        baseline::write(path, &result.diagnostics, &files).map_err(|e| {
            Fatal::Message(format!("cannot write the baseline {}: {e}", path.display()))
        })?;
        if !args.quiet {
            eprintln!(
                "isolint: recorded {} in {}",
                counted(result.diagnostics.len(), "finding"),
                path.display()
            );
        }
        return Ok(0);
    }
    let baseline_path = args.baseline.clone().or_else(|| {
        let configured = prepared.config.config.baseline.as_ref()?;
        let base = prepared.config.path.as_ref()?.parent()?;
        Some(base.join(configured))
    });
    if let Some(path) = baseline_path {
        let diagnostics = std::mem::take(&mut result.diagnostics);
        let files = baseline::Files {
            sources: &result.sources,
            node_paths: &node_paths,
        };
        result.diagnostics =
            baseline::filter(&path, diagnostics, &files).map_err(Fatal::Message)?;
    }

    let stdout_is_terminal = std::io::stdout().is_terminal();
    let format = match args.output_format {
        Some(f) => f,
        None if stdout_is_terminal => FormatArg::Full,
        None => FormatArg::Concise,
    };
    let color = match args.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => {
            stdout_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    if args.statistics {
        emit(&statistics(&result.diagnostics));
    } else {
        let options = RenderOptions {
            color,
            version: VERSION,
        };
        emit(&render(
            output_format(format),
            &result.diagnostics,
            &result.sources,
            &options,
        ));
        if matches!(format, FormatArg::Full | FormatArg::Concise) && !args.quiet {
            if let Some((applied, files)) = fixed.filter(|(applied, _)| *applied > 0) {
                emit(&format!(
                    "Fixed {} in {}.\n",
                    counted(applied, "finding"),
                    counted(files, "file")
                ));
            }
            emit(&summary(&result, relevant.unwrap_or(prepared.inputs.len())));
        } else if let Some((applied, files)) =
            fixed.filter(|(applied, _)| *applied > 0 && !args.quiet)
        {
            eprintln!(
                "isolint: fixed {} in {}",
                counted(applied, "finding"),
                counted(files, "file")
            );
        }
    }
    let has_findings = !result.diagnostics.is_empty();
    Ok(if has_findings && !args.exit_zero {
        1
    } else {
        0
    })
}

/// `--diff`: the changes as a unified diff per file; exit 1 when there is something to fix.
fn show_diff(prepared: &Prepared, outcome: &FixOutcome, quiet: bool) -> u8 {
    let mut out = String::new();
    for (index, (before, after)) in &outcome.changed {
        let shown = &prepared.inputs[*index].display;
        out.push_str(
            &similar::TextDiff::from_lines(before, after)
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{shown}"), &format!("b/{shown}"))
                .to_string(),
        );
    }
    emit(&out);
    if !quiet {
        eprintln!(
            "isolint: would fix {} in {}",
            counted(outcome.applied, "finding"),
            counted(outcome.changed.len(), "file")
        );
    }
    u8::from(!outcome.changed.is_empty())
}

/// Writes each fixed file in place (a temporary file beside it, renamed over it, so that a failed
/// write leaves the file whole), keeping its permissions.
fn write_fixed(prepared: &Prepared, outcome: &FixOutcome) -> Result<(), Fatal> {
    for (index, (_, after)) in &outcome.changed {
        let shown = &prepared.inputs[*index].path;
        // Through a symbolic link to the file itself, which stays a link.
        let path = &std::fs::canonicalize(shown).unwrap_or_else(|_| shown.clone());
        let fail = |e: std::io::Error| {
            Fatal::Message(format!("cannot write the fixed {}: {e}", path.display()))
        };
        let permissions = std::fs::metadata(path).map_err(fail)?.permissions();
        let folder = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temporary = folder.join(format!(".{name}.isolint-fix"));
        std::fs::write(&temporary, after).map_err(fail)?;
        std::fs::set_permissions(&temporary, permissions).map_err(fail)?;
        if let Err(e) = std::fs::rename(&temporary, path) {
            let _ = std::fs::remove_file(&temporary);
            return Err(fail(e));
        }
    }
    Ok(())
}

fn output_format(format: FormatArg) -> OutputFormat {
    match format {
        FormatArg::Full => OutputFormat::Full,
        FormatArg::Concise => OutputFormat::Concise,
        FormatArg::Json => OutputFormat::Json,
        FormatArg::JsonLines => OutputFormat::JsonLines,
        FormatArg::Github => OutputFormat::Github,
        FormatArg::Gitlab => OutputFormat::Gitlab,
        FormatArg::Sarif => OutputFormat::Sarif,
        FormatArg::Junit => OutputFormat::Junit,
        FormatArg::Pylint => OutputFormat::Pylint,
    }
}

/// Standard input, up to the size limit of a file: a pipe that never ends (`/dev/zero`) or a huge one
/// is an error, not a hang.
fn read_stdin() -> Result<String, Fatal> {
    let limit = isolint_linter::lint::MAX_FILE_BYTES;
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Fatal::Message(format!("cannot read standard input: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(Fatal::Message(format!(
            "standard input is larger than {} MB, the most isolint reads from one file",
            limit / (1024 * 1024)
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        Fatal::Message(format!(
            "standard input is not valid UTF-8 (first invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Tells, once per selector, that a selection names only rules not built yet: it is accepted, and
/// selects nothing in this version.
fn note_planned_selectors(selection: &args::SelectionArgs) {
    let named = selection
        .select
        .iter()
        .chain(&selection.extend_select)
        .chain(&selection.ignore);
    let mut noted = std::collections::BTreeSet::new();
    for text in named {
        let planned = isolint_linter::Selector::parse(text).is_ok_and(|s| s.only_planned());
        if planned && noted.insert(text.trim()) {
            eprintln!(
                "isolint: note: `{}` names only rules not built in this version; it changes nothing yet",
                text.trim()
            );
        }
    }
}

/// Files whose names are not valid UTF-8 are linted; their names are shown with U+FFFD.
fn warn_non_utf8_names(inputs: &[isolint_linter::SourceInput]) {
    for input in inputs.iter().filter(|i| i.path.to_str().is_none()) {
        eprintln!(
            "isolint: warning: {}: the file name is not valid UTF-8; it is shown with U+FFFD in place of the invalid bytes",
            input.display
        );
    }
}

/// The closing line: how many findings, and which families were checked (never more than ran).
fn summary(result: &LintResult, files: usize) -> String {
    // Name what ran and what did not, by code: a family can be partly built (ISO501 of ISO5xx).
    let mut checked: Vec<String> = Vec::new();
    for category in &result.categories_checked {
        let codes: Vec<&str> = result
            .codes_checked
            .iter()
            .copied()
            .filter(|code| {
                isolint_linter::registry::find_rule(code).is_some_and(|m| m.category == *category)
            })
            .collect();
        checked.push(format!("{} ({})", category.as_str(), code_ranges(&codes)));
    }
    let checked = if checked.is_empty() {
        "no rule family".to_string()
    } else {
        checked.join(", ")
    };
    let mut line = if result.diagnostics.is_empty() {
        format!("No findings in {files} files. Checked: {checked}.\n")
    } else {
        let mut by_code: std::collections::BTreeMap<&str, usize> =
            std::collections::BTreeMap::new();
        for d in &result.diagnostics {
            *by_code.entry(d.rule.code).or_default() += 1;
        }
        let counts: Vec<String> = by_code
            .iter()
            .map(|(code, n)| format!("{n} {code}"))
            .collect();
        let files_with: std::collections::BTreeSet<&str> = result
            .diagnostics
            .iter()
            .map(|d: &Diagnostic| d.file.as_str())
            .collect();
        // Findings in the project's configuration (pyproject.toml, CI files) are counted apart
        // from the linted Python files.
        let project_files = files_with
            .iter()
            .filter(|f| !result.files.iter().any(|facts| facts.display == **f))
            .count();
        let where_found = match project_files {
            0 => format!("{} of {files} files", files_with.len()),
            n if n == files_with.len() => counted(n, "project file"),
            n => format!(
                "{} of {files} files and {}",
                files_with.len() - n,
                counted(n, "project file")
            ),
        };
        format!(
            "Found {} finding{} in {where_found} ({}). Checked: {checked}.\n",
            result.diagnostics.len(),
            if result.diagnostics.len() == 1 {
                ""
            } else {
                "s"
            },
            counts.join(", "),
        )
    };
    let safe = result
        .diagnostics
        .iter()
        .filter(|d| {
            d.autofix
                .as_ref()
                .is_some_and(|f| f.applicability == Applicability::Safe)
        })
        .count();
    let unsafe_ = result
        .diagnostics
        .iter()
        .filter(|d| {
            d.autofix
                .as_ref()
                .is_some_and(|f| f.applicability == Applicability::Unsafe)
        })
        .count();
    if safe + unsafe_ > 0 {
        let mut fixable = Vec::new();
        if safe > 0 {
            fixable.push(format!("[*] {safe} fixable with --fix"));
        }
        if unsafe_ > 0 {
            fixable.push(format!("{unsafe_} more with --fix --unsafe-fixes"));
        }
        line.push_str(&format!("{}.\n", fixable.join(", ")));
    }
    let unbuilt = unbuilt_codes();
    if !unbuilt.is_empty() {
        line.push_str(&format!(
            "Not checked (rules not built yet): {}.\n",
            code_ranges(&unbuilt)
        ));
    }
    line
}

fn audit(args: AuditArgs) -> Result<u8, Fatal> {
    configure_threads(args.selection.threads);
    let prepared = prepare(&args.paths, &args.selection, None)?;
    note_planned_selectors(&args.selection);
    warn_non_utf8_names(&prepared.inputs);
    for problem in &prepared.walk_problems {
        eprintln!("isolint: warning: {problem}");
    }
    let result = run_lint(&prepared, false);
    let cwd = std::env::current_dir()
        .map_err(|e| Fatal::Message(format!("cannot read the current folder: {e}")))?;
    // `-o -`: the report goes to standard output; links in it are relative to the current folder.
    let to_stdout = args.output.as_deref() == Some(std::path::Path::new("-"));
    let output = match &args.output {
        Some(_) if to_stdout => cwd.join("test-isolation-audit.md"),
        Some(path) if path.is_absolute() => path.clone(),
        Some(path) => cwd.join(path),
        None => prepared.project_root.join("docs").join(match args.format {
            AuditFormatArg::Markdown => "test-isolation-audit.md",
            AuditFormatArg::Json => "test-isolation-audit.json",
        }),
    };
    let rootdir = std::fs::canonicalize(&prepared.rootdir).unwrap_or(prepared.rootdir.clone());
    let output = match (
        output.parent().and_then(|p| std::fs::canonicalize(p).ok()),
        output.file_name(),
    ) {
        (Some(parent), Some(name)) => parent.join(name),
        _ => output,
    };
    let request = AuditRequest {
        result: &result,
        rootdir,
        output: output.clone(),
        format: match args.format {
            AuditFormatArg::Markdown => AuditFormat::Markdown,
            AuditFormatArg::Json => AuditFormat::Json,
        },
        timestamp: args.timestamp.then(now_utc),
        audited_paths: if args.paths.is_empty() {
            vec![".".into()]
        } else {
            args.paths
                .iter()
                .map(|p| isolint_linter::walk::slash_path(p))
                .collect()
        },
        setup: prepared
            .project_files
            .as_ref()
            .map(isolint_report::audit::parallel_setup::ParallelSetup::from_project),
        speedup: None,
    };
    let mut request = request;
    if let Some(path) = &args.timing {
        let (speedup, chart) = timing::audit_section(path, &result, &args.machine, &output)?;
        let chart_path = output.with_file_name(&speedup.chart);
        if let Some(folder) = chart_path.parent() {
            std::fs::create_dir_all(folder)
                .map_err(|e| Fatal::Message(format!("cannot create {}: {e}", folder.display())))?;
        }
        std::fs::write(&chart_path, chart).map_err(|e| {
            Fatal::Message(format!(
                "cannot write the chart {}: {e}",
                chart_path.display()
            ))
        })?;
        request.speedup = Some(speedup);
    }
    if to_stdout {
        emit(&isolint_report::audit::render(&request, None));
        return Ok(0);
    }
    write_report(&request).map_err(|e| {
        Fatal::Message(format!("cannot write the report {}: {e}", output.display()))
    })?;
    let needing_fix: std::collections::BTreeSet<&String> = result
        .diagnostics
        .iter()
        .flat_map(|d| d.affected_tests.iter())
        .collect();
    let shown = output.strip_prefix(&cwd).unwrap_or(&output);
    eprintln!(
        "isolint: wrote {} ({}, {} a fix)",
        shown.display(),
        counted(result.diagnostics.len(), "finding"),
        match needing_fix.len() {
            1 => "1 test needs".to_string(),
            n => format!("{n} tests need"),
        }
    );
    Ok(0)
}

/// `1 finding`, `2 findings`.
fn counted(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// The current UTC time as `YYYY-MM-DD HH:MM UTC`, from the system clock.
fn now_utc() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let days = seconds.div_euclid(86_400);
    let rest = seconds.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

fn rule(args: RuleArgs) -> Result<u8, Fatal> {
    let json = args.output_format == Some(RuleFormatArg::Json);
    if args.all {
        if json {
            let list: Vec<serde_json::Value> =
                all_rules().iter().map(|r| rule_json(r.meta())).collect();
            emit(&(serde_json::to_string_pretty(&list).unwrap_or_default() + "\n"));
        } else {
            let mut text = String::new();
            for r in all_rules() {
                let m = r.meta();
                text.push_str(&format!(
                    "{:<7} {:<28} {:<16} {}\n",
                    m.code,
                    m.name,
                    m.category.as_str(),
                    m.summary
                ));
            }
            emit(&text);
        }
        return Ok(0);
    }
    let code = args.code.unwrap_or_default();
    if let (None, Some(planned)) = (find_rule(&code), planned_rule(&code)) {
        if json {
            let value = serde_json::json!({
                "code": planned.code,
                "name": planned.name,
                "category": planned.category.as_str(),
                "summary": planned.description,
                "built": false,
            });
            emit(&(serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"));
        } else {
            emit(&format!(
                "# {} {}\n\nCategory: {}\n\nFrom the rule catalogue: {}\n\nNot built in isolint {VERSION}: no run checks it yet, and selecting or ignoring it changes nothing. `isolint rule --all` lists the rules that are built.\n",
                planned.code,
                planned.name,
                planned.category.as_str(),
                planned.description
            ));
        }
        return Ok(0);
    }
    let meta = find_rule(&code).ok_or_else(|| {
        Fatal::Message(format!("no rule `{code}`: `isolint rule --all` lists them"))
    })?;
    if json {
        emit(&(serde_json::to_string_pretty(&rule_json(meta)).unwrap_or_default() + "\n"));
    } else {
        emit(meta.doc);
    }
    Ok(0)
}

fn rule_json(meta: &isolint_linter::RuleMeta) -> serde_json::Value {
    serde_json::json!({
        "code": meta.code,
        "name": meta.name,
        "category": meta.category.as_str(),
        "severity": meta.severity.as_str(),
        "effort": meta.effort.as_str(),
        "summary": meta.summary,
        "doc": meta.doc,
    })
}
