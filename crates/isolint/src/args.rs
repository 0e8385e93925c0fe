//! The command line, as `../shared/spec/cli.md` defines it.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  isolint tests/                          lint the suite (same as `isolint check tests/`)
  isolint tests/ --select ISO1            only the hardcoded-path family
  isolint tests/ --output-format github   annotations for GitHub Actions
  isolint tests/ --fix                    apply the safe fixes, report what is left
  isolint tests/ --diff                   show the fixes as a diff, change nothing
  isolint audit tests/                    write docs/test-isolation-audit.md
  isolint rule ISO101                     explain a rule
  isolint rule --all                      list every rule

Exit status: 0 no findings, 1 findings, 2 usage, configuration or I/O error. With --fix: 1 when
findings are left after fixing. With --diff: 1 when there is something to fix.";

#[derive(Debug, Parser)]
#[command(
    name = "isolint",
    version,
    about = "Finds what stops a pytest suite from running in parallel (pytest-xdist) or in random order.",
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub check: CheckArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint a suite and print the findings (the default command).
    #[command(after_help = EXAMPLES)]
    Check(CheckArgs),
    /// Write the test-isolation audit report (docs/test-isolation-audit.md).
    Audit(AuditArgs),
    /// Print a rule's documentation, or list every rule.
    Rule(RuleArgs),
    /// Join measured test durations with the suite's facts, predict pytest-xdist's speedup, plan
    /// CI shards.
    Timing(TimingArgs),
}

#[derive(Debug, Clone, Args, Default)]
pub struct SelectionArgs {
    /// Rules to enable: codes (ISO101), prefixes (ISO1), names (hardcoded-tmp-path), categories
    /// (hardcoded-path) or ALL. Comma-separated; replaces the configured selection.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub select: Vec<String>,
    /// Rules to disable, same forms as --select.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub ignore: Vec<String>,
    /// Rules to enable on top of the selection.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub extend_select: Vec<String>,
    /// Use this configuration file instead of the discovered one.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore isolint's configuration files (pytest's own settings are still read).
    #[arg(long, conflicts_with = "config")]
    pub isolated: bool,
    /// Lint files that .gitignore, .ignore and .isolintignore exclude.
    #[arg(long)]
    pub no_ignore: bool,
    /// Worker threads (default: all cores; at most 4 per core). Output is the same for any value.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Neither read nor write the cache of per-file results.
    #[arg(long, env = "ISOLINT_NO_CACHE", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_cache: bool,
    /// Keep the cache in DIR (default: `cache-dir` in the configuration, else .isolint_cache in
    /// the project root).
    #[arg(long, value_name = "DIR", env = "ISOLINT_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct CheckArgs {
    /// Files or folders to lint (default: pytest's testpaths, else tests/, else .). `-` reads
    /// standard input (with --stdin-filename).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Output format (default: full on a terminal, concise otherwise).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub output_format: Option<FormatArg>,
    /// Exit with 0 even when there are findings (errors still exit 2).
    #[arg(long)]
    pub exit_zero: bool,
    /// Print a count per rule instead of the findings.
    #[arg(long)]
    pub statistics: bool,
    /// When to use colour.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
    /// Print only the findings, no summary line.
    #[arg(long, short)]
    pub quiet: bool,
    /// Report only findings not recorded in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record the current findings in this baseline file and exit 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Report suppression comments that suppress nothing, or name unknown rules.
    #[arg(long)]
    pub warn_unused_ignores: bool,
    /// Apply the safe fixes (a private `tmp_path`, `monkeypatch` instead of a hand-made change),
    /// then report the findings left. Files are linted again after each round of fixes.
    #[arg(long)]
    pub fix: bool,
    /// Also apply the unsafe fixes, which may change what other code sees (a per-worker resource
    /// name another test looks up). Goes with --fix or --diff.
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Print the changes --fix would make as a unified diff and write nothing.
    #[arg(long, conflicts_with_all = ["write_baseline", "statistics"])]
    pub diff: bool,
    /// The path of the file read from standard input, for messages and rules.
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,
    /// The PATHs are files a commit changes, as pre-commit passes them: lint the whole suite
    /// (pytest's testpaths, else tests/, else .) and report only the findings in those files.
    /// PATHs that are not part of it (not Python, not in the suite, gone) are skipped quietly;
    /// with none left, exit 0 at once.
    #[arg(long, conflicts_with_all = ["stdin_filename", "write_baseline"])]
    pub changed_files: bool,
}

#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    /// Files or folders to audit (default as for check).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Where to write the report, a regular file (default: docs/test-isolation-audit.md in the
    /// project root); `-` writes it to standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = AuditFormatArg::Markdown)]
    pub format: AuditFormatArg,
    /// Put the generation time in the report (by default the report depends on the suite only).
    #[arg(long)]
    pub timestamp: bool,
    /// Measured durations (JUnit XML from `pytest --junitxml`, or `pytest --durations=0 -vv`
    /// output): adds the "Expected speedup" section and its chart beside the report.
    #[arg(long, value_name = "PATH")]
    pub timing: Option<PathBuf>,
    #[command(flatten)]
    pub machine: MachineArgs,
}

/// The machine a speedup is predicted for.
#[derive(Debug, Clone, Args)]
pub struct MachineArgs {
    /// Cores the workers share; `-n auto` starts this many (default: this machine's).
    #[arg(long, value_name = "N")]
    pub cpus: Option<usize>,
    /// Cores' worth of CPU the run gets when the machine is shared (default: all its cores).
    #[arg(long, value_name = "CORES")]
    pub capacity: Option<f64>,
    /// Seconds pytest-xdist needs to start its workers before the first test.
    #[arg(long, value_name = "SECONDS", default_value_t = 1.5)]
    pub worker_start: f64,
}

#[derive(Debug, Clone, Args)]
pub struct TimingArgs {
    /// Files or folders of the suite (default as for check).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Measured durations: JUnit XML from `pytest --junitxml=PATH`, or the output of
    /// `pytest --durations=0 -vv`.
    #[arg(long, value_name = "PATH")]
    pub junit: PathBuf,
    /// Where to write the baseline (default: reports/test-timing-baseline.json in the project root).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also plan N CI jobs: writes `.test_durations` (pytest-split) in the project root and
    /// reports/shard-plan.json, keeping each xdist group in one job.
    #[arg(long, value_name = "N")]
    pub shards: Option<usize>,
    #[command(flatten)]
    pub machine: MachineArgs,
}

#[derive(Debug, Clone, Args)]
pub struct RuleArgs {
    /// A rule code or name.
    #[arg(value_name = "CODE", required_unless_present = "all")]
    pub code: Option<String>,
    /// List every rule.
    #[arg(long, conflicts_with = "code")]
    pub all: bool,
    /// `json` for machine-readable output.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub output_format: Option<RuleFormatArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Full,
    Concise,
    Json,
    JsonLines,
    Github,
    Gitlab,
    Sarif,
    Junit,
    Pylint,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorArg {
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormatArg {
    Markdown,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RuleFormatArg {
    Text,
    Json,
}
