//! Knowledge tables: facts about Python and pytest kept as data, not code paths. Rules and the value
//! evaluator consult them; `[tool.isolint.rules]` can extend the sink and unique-name tables.

use crate::value::Root;

/// Fixtures pytest and pytest-xdist provide whose values are unique per test or per worker.
pub const UNIQUE_FIXTURES: &[&str] = &[
    "tmp_path",
    "tmpdir",
    "tmp_path_factory",
    "tmpdir_factory",
    "worker_id",
    "testrun_uid",
];

/// Fixtures that move the test into a private working directory before it runs.
pub const CHDIR_FIXTURES: &[&str] = &["pytester", "testdir"];

/// Fixtures that replace the real filesystem with a fake one (pyfakefs).
pub const FAKE_FILESYSTEM_FIXTURES: &[&str] = &["fs", "fs_class", "fs_module", "fs_session"];

/// Calls whose result is unique per call: prefixes of qualified names.
pub const UNIQUE_CALL_PREFIXES: &[&str] = &[
    "tempfile.mkdtemp",
    "tempfile.mkstemp",
    "tempfile.TemporaryDirectory",
    "tempfile.NamedTemporaryFile",
    "tempfile.TemporaryFile",
    "tempfile.SpooledTemporaryFile",
    "tempfile.mktemp",
    "uuid.",
    "secrets.",
    "os.getpid",
    "random.",
];

/// Python clients of Neo4j (the official driver, OGMs and REST clients): a suite that imports none
/// of them does not talk to Neo4j.
pub const NEO4J_CLIENT_MODULES: &[&str] = &[
    "neo4j",
    "py2neo",
    "neomodel",
    "neo4jrestclient",
    "graphdatascience",
    "langchain_neo4j",
    "neo4j_graphrag",
];

/// `module` (as imported: `neo4j`, `neo4j.exceptions`) belongs to a Neo4j client.
pub fn is_neo4j_client(module: &str) -> bool {
    NEO4J_CLIENT_MODULES.iter().any(|client| {
        module == *client
            || module
                .strip_prefix(client)
                .is_some_and(|rest| rest.starts_with('.'))
    })
}

/// Environment variables whose value is per worker or per test.
pub const UNIQUE_ENV_VARS: &[&str] = &["PYTEST_XDIST_WORKER", "PYTEST_CURRENT_TEST"];

/// Calls that return a well-known folder.
pub fn root_of_call(qualified: &str) -> Option<Root> {
    Some(match qualified {
        "tempfile.gettempdir" | "tempfile.gettempdirb" => Root::TempDir,
        "pathlib.Path.home" | "os.path.expanduser" => Root::Home,
        "os.getcwd" | "os.getcwdb" | "pathlib.Path.cwd" => Root::Cwd,
        _ => return None,
    })
}

/// Environment variables naming a well-known folder.
pub fn root_of_env(name: &str) -> Option<Root> {
    Some(match name {
        "TMPDIR" | "TEMP" | "TMP" => Root::TempDir,
        "HOME" | "USERPROFILE" => Root::Home,
        _ => return None,
    })
}

/// Where a fully known path lives, from the filesystem's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathClass {
    /// Inside the machine's shared temp folder.
    Temp,
    /// Inside the user's home folder.
    Home,
    /// Relative to the working directory.
    Relative,
    /// Next to the test file, inside the repository.
    SourceDir,
    /// Another absolute path (`/var/lib/...`).
    OtherAbsolute,
}

const TEMP_ROOTS: &[&str] = &["/tmp/", "/var/tmp/", "/dev/shm/", "/private/tmp/"];

/// Classifies a known path. `None` for what is not a shareable file path: URLs, devices, in-memory
/// databases, empty text, or a well-known folder itself (creating `/tmp` shares nothing).
pub fn classify_path(root: &Root, text: &str) -> Option<PathClass> {
    let text = text.trim();
    let rest_is_file = !text.trim_matches('/').is_empty() && text.trim_matches('/') != ".";
    match root {
        Root::Literal => classify_literal(text),
        Root::TempDir if rest_is_file => Some(PathClass::Temp),
        Root::Home if rest_is_file => Some(PathClass::Home),
        Root::SourceDir if rest_is_file => Some(PathClass::SourceDir),
        Root::Cwd if rest_is_file => Some(PathClass::Relative),
        _ => None,
    }
}

fn classify_literal(text: &str) -> Option<PathClass> {
    // SQLite URI filenames: `file:name.db?mode=ro`; in-memory ones share nothing on disk.
    if let Some(uri) = text.strip_prefix("file:") {
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        if query.contains("mode=memory") || path.starts_with(":memory:") {
            return None;
        }
        return classify_literal(path.trim_start_matches("//"));
    }
    if text.is_empty()
        || text.contains("://")
        || text.starts_with(":memory:")
        || text.starts_with("file::memory:")
        || text.starts_with("/dev/") && !text.starts_with("/dev/shm/")
        || text == "-"
        || text.contains('\n')
        || text.contains('*')
    {
        return None;
    }
    let bare = text.trim_end_matches('/');
    if TEMP_ROOTS
        .iter()
        .any(|root| root.trim_end_matches('/') == bare)
        || bare.is_empty()
    {
        return None;
    }
    if TEMP_ROOTS.iter().any(|root| {
        text.strip_prefix(root)
            .is_some_and(|rest| !rest.trim_matches('/').is_empty())
    }) {
        return Some(PathClass::Temp);
    }
    if let Some(rest) = text.strip_prefix('~') {
        return (!rest.trim_matches('/').is_empty()).then_some(PathClass::Home);
    }
    if text.starts_with('/') || text.as_bytes().get(1) == Some(&b':') || text.starts_with('\\') {
        return Some(PathClass::OtherAbsolute);
    }
    if text == "." || text == ".." || text.starts_with('-') {
        return None;
    }
    Some(PathClass::Relative)
}

/// What a sink does to the path it is given.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum PathOp {
    /// Creates or writes a file.
    Write,
    /// Creates a folder.
    CreateDir,
    /// Deletes a file or a tree.
    Delete,
    /// Opens a database file (SQLite, dbm, shelve).
    Database,
    /// A library call outside the table that receives a fixed path: a write only if the same path is
    /// also removed or checked by test code.
    Mention,
    /// Checks for existence (`os.path.exists`): evidence for [`PathOp::Mention`].
    Check,
}

/// How a sink is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callee {
    /// A function by its qualified name (`os.makedirs`, `builtins.open`).
    Function(&'static str),
    /// A method of a path value (`Path("/tmp/x").write_text(...)`): the receiver is the path.
    PathMethod(&'static str),
    /// A method of any object that takes the path as an argument (`df.to_csv(path)`).
    AnyMethod(&'static str),
}

/// When the call writes: always, or only with a write mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Always,
    /// A mode argument at this position/keyword; absent means `default`.
    Arg {
        position: usize,
        keyword: &'static str,
        default: &'static str,
    },
    /// `os.open` flags: writes when they include a write or create flag.
    OsFlags,
}

/// Where the path is: an argument, or the receiver of a path method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathArg {
    Receiver,
    Arg {
        position: usize,
        keyword: &'static str,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sink {
    pub callee: Callee,
    pub path: PathArg,
    pub mode: Mode,
    pub op: PathOp,
    /// The argument is a database URL (`sqlite:///file.db`), not a path.
    pub sqlite_url: bool,
}

const fn arg(position: usize, keyword: &'static str) -> PathArg {
    PathArg::Arg { position, keyword }
}

const fn sink(callee: Callee, path: PathArg, mode: Mode, op: PathOp) -> Sink {
    Sink {
        callee,
        path,
        mode,
        op,
        sqlite_url: false,
    }
}

const fn url_sink(function: &'static str) -> Sink {
    Sink {
        callee: Function(function),
        path: arg(0, "url"),
        mode: Mode::Always,
        op: Database,
        sqlite_url: true,
    }
}

/// The file of a SQLite URL: `sqlite:///app.db` → `app.db`, `sqlite:////tmp/x.db` → `/tmp/x.db`.
/// `None` for in-memory databases and other engines.
pub fn sqlite_url_file(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "sqlite" && !scheme.starts_with("sqlite+") {
        return None;
    }
    let path = rest.strip_prefix('/')?;
    let path = path.split('?').next().unwrap_or(path);
    (!path.is_empty() && path != ":memory:").then_some(path)
}

const READ_MODE: Mode = Mode::Arg {
    position: 1,
    keyword: "mode",
    default: "r",
};

use Callee::{AnyMethod, Function, PathMethod};
use PathOp::{CreateDir, Database, Delete, Write};

/// Calls that create, write or delete files. Reading is never a hazard.
pub const SINKS: &[Sink] = &[
    sink(Function("builtins.open"), arg(0, "file"), READ_MODE, Write),
    sink(Function("io.open"), arg(0, "file"), READ_MODE, Write),
    sink(
        Function("codecs.open"),
        arg(0, "filename"),
        READ_MODE,
        Write,
    ),
    sink(Function("os.open"), arg(0, "path"), Mode::OsFlags, Write),
    sink(
        Function("os.makedirs"),
        arg(0, "name"),
        Mode::Always,
        CreateDir,
    ),
    sink(
        Function("os.mkdir"),
        arg(0, "path"),
        Mode::Always,
        CreateDir,
    ),
    sink(Function("shutil.copy"), arg(1, "dst"), Mode::Always, Write),
    sink(Function("shutil.copy2"), arg(1, "dst"), Mode::Always, Write),
    sink(
        Function("shutil.copyfile"),
        arg(1, "dst"),
        Mode::Always,
        Write,
    ),
    sink(
        Function("shutil.copytree"),
        arg(1, "dst"),
        Mode::Always,
        Write,
    ),
    sink(Function("shutil.move"), arg(1, "dst"), Mode::Always, Write),
    sink(
        Function("shutil.make_archive"),
        arg(0, "base_name"),
        Mode::Always,
        Write,
    ),
    sink(Function("os.rename"), arg(1, "dst"), Mode::Always, Write),
    sink(Function("os.replace"), arg(1, "dst"), Mode::Always, Write),
    sink(Function("os.symlink"), arg(1, "dst"), Mode::Always, Write),
    sink(
        Function("shutil.rmtree"),
        arg(0, "path"),
        Mode::Always,
        Delete,
    ),
    sink(Function("os.remove"), arg(0, "path"), Mode::Always, Delete),
    sink(Function("os.unlink"), arg(0, "path"), Mode::Always, Delete),
    sink(Function("os.rmdir"), arg(0, "path"), Mode::Always, Delete),
    sink(
        Function("os.removedirs"),
        arg(0, "name"),
        Mode::Always,
        Delete,
    ),
    sink(Function("numpy.save"), arg(0, "file"), Mode::Always, Write),
    sink(Function("numpy.savez"), arg(0, "file"), Mode::Always, Write),
    sink(
        Function("numpy.savez_compressed"),
        arg(0, "file"),
        Mode::Always,
        Write,
    ),
    sink(
        Function("numpy.savetxt"),
        arg(0, "fname"),
        Mode::Always,
        Write,
    ),
    sink(
        Function("logging.FileHandler"),
        arg(0, "filename"),
        Mode::Always,
        Write,
    ),
    sink(
        Function("logging.handlers.RotatingFileHandler"),
        arg(0, "filename"),
        Mode::Always,
        Write,
    ),
    sink(
        Function("logging.handlers.TimedRotatingFileHandler"),
        arg(0, "filename"),
        Mode::Always,
        Write,
    ),
    sink(
        Function("logging.handlers.WatchedFileHandler"),
        arg(0, "filename"),
        Mode::Always,
        Write,
    ),
    sink(
        Function("logging.basicConfig"),
        arg(usize::MAX, "filename"),
        Mode::Always,
        Write,
    ),
    sink(
        Function("zipfile.ZipFile"),
        arg(0, "file"),
        READ_MODE,
        Write,
    ),
    sink(Function("tarfile.open"), arg(0, "name"), READ_MODE, Write),
    sink(
        Function("sqlite3.connect"),
        arg(0, "database"),
        Mode::Always,
        Database,
    ),
    sink(
        Function("dbm.open"),
        arg(0, "file"),
        Mode::Arg {
            position: 1,
            keyword: "flag",
            default: "r",
        },
        Database,
    ),
    sink(
        Function("shelve.open"),
        arg(0, "filename"),
        Mode::Always,
        Database,
    ),
    url_sink("sqlalchemy.create_engine"),
    url_sink("sqlalchemy.engine.create_engine"),
    url_sink("sqlalchemy.ext.asyncio.create_async_engine"),
    url_sink("sqlmodel.create_engine"),
    sink(
        PathMethod("write_text"),
        PathArg::Receiver,
        Mode::Always,
        Write,
    ),
    sink(
        PathMethod("write_bytes"),
        PathArg::Receiver,
        Mode::Always,
        Write,
    ),
    sink(PathMethod("touch"), PathArg::Receiver, Mode::Always, Write),
    sink(
        PathMethod("mkdir"),
        PathArg::Receiver,
        Mode::Always,
        CreateDir,
    ),
    sink(
        PathMethod("open"),
        PathArg::Receiver,
        Mode::Arg {
            position: 0,
            keyword: "mode",
            default: "r",
        },
        Write,
    ),
    sink(
        PathMethod("unlink"),
        PathArg::Receiver,
        Mode::Always,
        Delete,
    ),
    sink(PathMethod("rmdir"), PathArg::Receiver, Mode::Always, Delete),
    sink(
        PathMethod("symlink_to"),
        PathArg::Receiver,
        Mode::Always,
        Write,
    ),
    sink(PathMethod("rename"), arg(0, "target"), Mode::Always, Write),
    sink(PathMethod("replace"), arg(0, "target"), Mode::Always, Write),
    sink(
        AnyMethod("to_csv"),
        arg(0, "path_or_buf"),
        Mode::Always,
        Write,
    ),
    sink(AnyMethod("to_parquet"), arg(0, "path"), Mode::Always, Write),
    sink(
        AnyMethod("to_json"),
        arg(0, "path_or_buf"),
        Mode::Always,
        Write,
    ),
    sink(
        AnyMethod("to_excel"),
        arg(0, "excel_writer"),
        Mode::Always,
        Write,
    ),
    sink(AnyMethod("to_pickle"), arg(0, "path"), Mode::Always, Write),
    sink(
        AnyMethod("to_hdf"),
        arg(0, "path_or_buf"),
        Mode::Always,
        Write,
    ),
    sink(AnyMethod("to_feather"), arg(0, "path"), Mode::Always, Write),
    sink(AnyMethod("to_stata"), arg(0, "path"), Mode::Always, Write),
    sink(AnyMethod("savefig"), arg(0, "fname"), Mode::Always, Write),
    sink(
        Function("xlsxwriter.Workbook"),
        arg(0, "filename"),
        Mode::Always,
        Write,
    ),
    sink(
        Function("pyarrow.parquet.write_table"),
        arg(1, "where"),
        Mode::Always,
        Write,
    ),
    sink(
        Function("pyarrow.feather.write_feather"),
        arg(1, "dest"),
        Mode::Always,
        Write,
    ),
    sink(Function("h5py.File"), arg(0, "name"), READ_MODE, Write),
    sink(Function("gzip.open"), arg(0, "filename"), READ_MODE, Write),
    sink(Function("bz2.open"), arg(0, "filename"), READ_MODE, Write),
    sink(Function("lzma.open"), arg(0, "filename"), READ_MODE, Write),
    sink(
        Function("duckdb.connect"),
        arg(0, "database"),
        Mode::Always,
        Database,
    ),
];

/// Whether a keyword argument's name says the callee writes there (`dest_file_name=`,
/// `output_path=`, `outfile=`): a library call outside the sink table handed a fixed file this
/// way writes it.
pub fn keyword_names_output(keyword: &str) -> bool {
    let is_one_of = |word: &str, words: &[&str]| words.iter().any(|w| word.eq_ignore_ascii_case(w));
    if is_one_of(keyword, OUTPUT_KEYWORDS) {
        return true;
    }
    // The last word names what is passed: `dest_file_name` is a path, `dest_file_type` is not.
    // Checked first: every keyword argument of every call comes through here.
    let says_path = keyword
        .rsplit('_')
        .next()
        .is_some_and(|last| is_one_of(last, PATH_WORDS));
    says_path && keyword.split('_').any(|part| is_one_of(part, OUTPUT_WORDS))
}

/// Keywords that are an output path on their own.
const OUTPUT_KEYWORDS: &[&str] = &[
    "outfile",
    "outpath",
    "outdir",
    "dest",
    "destination",
    "output",
    "out",
];
/// Words of a keyword that say it is written to.
const OUTPUT_WORDS: &[&str] = &[
    "dest",
    "destination",
    "output",
    "out",
    "outfile",
    "save",
    "export",
    "target",
];
/// Last words of a keyword that say it is a path.
const PATH_WORDS: &[&str] = &[
    "file",
    "filename",
    "fname",
    "path",
    "dir",
    "folder",
    "directory",
    "name",
];

/// Calls that test for a path's existence: evidence that a library call wrote it.
pub const CHECKS: &[Callee] = &[
    Function("os.path.exists"),
    Function("os.path.isfile"),
    Function("os.path.isdir"),
    Function("os.path.getsize"),
    PathMethod("exists"),
    PathMethod("is_file"),
    PathMethod("is_dir"),
];

/// Programs launched by `subprocess` write where `-o`/`--output` points.
pub const SUBPROCESS_CALLS: &[&str] = &[
    "subprocess.run",
    "subprocess.call",
    "subprocess.check_call",
    "subprocess.check_output",
    "subprocess.Popen",
];
pub const OUTPUT_FLAGS: &[&str] = &["-o", "--output", "--out", "--output-file", "--outfile"];

/// Whether a call's last name component can be a sink, a check or a subprocess launch: lets the
/// analysis skip most calls without resolving their qualified name.
pub fn may_touch_paths(last: &str) -> bool {
    static NAMES: std::sync::OnceLock<foldhash::HashSet<&'static str>> = std::sync::OnceLock::new();
    NAMES
        .get_or_init(|| {
            let callee_name = |callee: &Callee| match *callee {
                Callee::Function(name) => last_component(name),
                Callee::PathMethod(name) | Callee::AnyMethod(name) => name,
            };
            SINKS
                .iter()
                .map(|s| callee_name(&s.callee))
                .chain(CHECKS.iter().map(callee_name))
                .chain(SUBPROCESS_CALLS.iter().map(|q| last_component(q)))
                .collect()
        })
        .contains(last)
}

/// Whether a mode string (`"w"`, `"rb"`, `"a+"`, `"w:gz"`, dbm's `"c"`) writes or creates.
pub fn mode_writes(mode: &str) -> bool {
    mode.chars()
        .take_while(|c| *c != ':')
        .any(|c| matches!(c, 'w' | 'a' | 'x' | '+' | 'c' | 'n'))
}

/// `os.open` flags written in source: writes when a write or create flag appears.
pub fn os_flags_write(source_text: &str) -> bool {
    ["O_WRONLY", "O_RDWR", "O_CREAT", "O_APPEND", "O_TRUNC"]
        .iter()
        .any(|flag| source_text.contains(flag))
}

/// The last component of a qualified name.
pub fn last_component(qualified: &str) -> &str {
    // A plain byte search from the end: the analyses ask this of nearly every call, and on names
    // this short `rsplit`'s searcher costs several times more.
    match qualified.bytes().rposition(|b| b == b'.') {
        Some(dot) => qualified.get(dot + 1..).unwrap_or(qualified),
        None => qualified,
    }
}

/// A helper named for a temporary folder (`tempdir`, `temp_dir`, `tmp_cwd`): used as a context
/// manager by a suite, it conventionally moves into that folder.
pub fn names_temp_folder(last: &str) -> bool {
    let last = last.to_ascii_lowercase();
    [
        "tempdir", "temp_dir", "tmpdir", "tmp_dir", "tmp_cwd", "temp_cwd", "tmp_path",
    ]
    .iter()
    .any(|n| last.contains(n))
        && !last.starts_with("get")
}

/// Context managers and calls that move the test into another working directory for a while.
pub fn changes_cwd(qualified: &str) -> bool {
    // Asked of every call of test code: compared in place, without a lowercased copy.
    let last = last_component(qualified);
    contains_ignoring_case(last, "chdir")
        || contains_ignoring_case(last, "cwd")
        || [
            "cd",
            "pushd",
            "isolated_filesystem",
            "working_directory",
            "change_directory",
            "in_tempdir",
            "in_tmpdir",
            "in_dir",
            "tempdir_context",
        ]
        .iter()
        .any(|name| last.eq_ignore_ascii_case(name))
}

/// Whether `needle` (ASCII) occurs in `haystack`, ignoring ASCII case.
fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(test)]
mod output_keyword_tests {
    use super::keyword_names_output;

    #[test]
    fn the_last_word_says_what_is_passed() {
        for yes in [
            "dest_file_name",
            "output_path",
            "outfile",
            "save_dir",
            "target_file",
        ] {
            assert!(keyword_names_output(yes), "{yes}");
        }
        for no in [
            "dest_file_type",
            "output_format",
            "dest_file_stream",
            "name",
            "file_type",
        ] {
            assert!(!keyword_names_output(no), "{no}");
        }
    }
}

/// Standard-library modules whose calls the sink table describes well enough: handing them a
/// value does nothing to it that the tables do not already say (reading, listing, checking).
pub const DESCRIBED_STDLIB: &[&str] = &[
    "builtins",
    "os",
    "shutil",
    "pathlib",
    "io",
    "json",
    "re",
    "glob",
    "fnmatch",
    "itertools",
    "functools",
    "collections",
    "posixpath",
    "ntpath",
    "string",
    "textwrap",
    "logging",
    "warnings",
    "typing",
    "copy",
    "operator",
    "math",
    "time",
    "datetime",
    "sys",
    "stat",
    "codecs",
    "csv",
];

/// Whether a qualified call name belongs to [`DESCRIBED_STDLIB`].
pub fn is_described_stdlib(qualified: &str) -> bool {
    let first = qualified.split('.').next().unwrap_or(qualified);
    DESCRIBED_STDLIB.contains(&first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn working_folder_changes_are_named_in_any_case() {
        for yes in [
            "os.chdir",
            "monkeypatch.chdir",
            "ChDir",
            "helpers.set_cwd",
            "GetCwdGuard",
            "Pushd",
            "runner.isolated_filesystem",
            "IN_TMPDIR",
            "cd",
        ] {
            assert!(changes_cwd(yes), "{yes}");
        }
        for no in [
            "os.getenv",
            "c",
            "chdi",
            "in_dirs",
            "os.path.cwd_like.x",
            "pushd_log",
        ] {
            assert!(!changes_cwd(no), "{no}");
        }
    }

    #[test]
    fn last_components_are_what_follows_the_last_dot() {
        for name in [
            "os.environ.pop",
            "open",
            "",
            "a.",
            ".a",
            "a..b",
            "é.ü",
            "x.é",
        ] {
            assert_eq!(
                last_component(name),
                name.rsplit('.').next().unwrap_or(name),
                "{name}"
            );
        }
    }

    #[test]
    fn classifies_paths() {
        let lit = Root::Literal;
        assert_eq!(classify_path(&lit, "/tmp/out.json"), Some(PathClass::Temp));
        assert_eq!(classify_path(&lit, "/tmp"), None);
        assert_eq!(classify_path(&lit, "/tmp/"), None);
        assert_eq!(classify_path(&lit, "out.json"), Some(PathClass::Relative));
        assert_eq!(classify_path(&lit, ":memory:"), None);
        assert_eq!(classify_path(&lit, "/dev/null"), None);
        assert_eq!(classify_path(&lit, "~/.cache/x"), Some(PathClass::Home));
        assert_eq!(classify_path(&lit, "https://example.com/x"), None);
        assert_eq!(
            classify_path(&lit, "file:memdb1?mode=memory&cache=shared"),
            None
        );
        assert_eq!(
            classify_path(&lit, "file:app.db?mode=rwc"),
            Some(PathClass::Relative)
        );
        assert_eq!(
            classify_path(&Root::TempDir, "x.txt"),
            Some(PathClass::Temp)
        );
        assert_eq!(classify_path(&Root::TempDir, ""), None);
        assert_eq!(
            classify_path(&Root::SourceDir, "out"),
            Some(PathClass::SourceDir)
        );
    }

    #[test]
    fn sqlite_urls() {
        assert_eq!(sqlite_url_file("sqlite:///app.db"), Some("app.db"));
        assert_eq!(sqlite_url_file("sqlite:////tmp/x.db"), Some("/tmp/x.db"));
        assert_eq!(
            sqlite_url_file("sqlite+pysqlite:///a.db?mode=ro"),
            Some("a.db")
        );
        assert_eq!(sqlite_url_file("sqlite://"), None);
        assert_eq!(sqlite_url_file("sqlite:///:memory:"), None);
        assert_eq!(sqlite_url_file("postgresql://u@h/db"), None);
    }

    #[test]
    fn modes() {
        assert!(mode_writes("w"));
        assert!(mode_writes("rb+"));
        assert!(mode_writes("w:gz"));
        assert!(!mode_writes("rb"));
        assert!(!mode_writes("r:gz"));
    }
}

/// Sinks that take a `pathlib` object wherever they take a path string (on every Python isolint's
/// fixes target), as `PathEffect::callee` names them: `--fix` may hand them `tmp_path / "name"`.
/// Any other call gets `str(tmp_path / "name")`.
pub const PATH_OBJECT_SINKS: &[&str] = &[
    "open",
    "io.open",
    "codecs.open",
    "os.open",
    "os.makedirs",
    "os.mkdir",
    "os.rename",
    "os.replace",
    "os.remove",
    "os.unlink",
    "os.rmdir",
    "shutil.copy",
    "shutil.copy2",
    "shutil.copyfile",
    "shutil.copytree",
    "shutil.move",
    "gzip.open",
    "bz2.open",
    "lzma.open",
    "zipfile.ZipFile",
    "tarfile.open",
    "sqlite3.connect",
    "numpy.save",
    "numpy.savez",
    "numpy.savez_compressed",
    "numpy.savetxt",
    "logging.FileHandler",
];

// Process-wide state that test code changes and must put back (ISO502–ISO505).

/// Words in a name that say it holds a value saved before a change, to be put back.
/// Library calls that read the process environment for their caller, under variable names the call
/// alone does not say (a prefix, a settings class): a read of the whole environment (ISO402).
pub const ENVIRONMENT_READERS: &[&str] = &[
    "environs.Env",
    "environ.Env",
    "decouple.config",
    "decouple.AutoConfig",
    "envparse.env",
    "envparse.Env",
];

/// Calls that read the file or folder their first argument names: given a relative path, they read
/// the process's working folder (ISO402 pairs them with an unrestored `chdir`).
pub const PATH_READERS: &[&str] = &[
    "builtins.open",
    "io.open",
    "codecs.open",
    "pathlib.Path",
    "os.path.exists",
    "os.path.isfile",
    "os.path.isdir",
    "os.path.getsize",
    "os.listdir",
    "os.scandir",
    "os.stat",
    "glob.glob",
];

/// Test clients that run the function handed to them (`CliRunner().invoke(cli, args)`): the class
/// of the client and its method; the function is their first argument.
pub const FUNCTION_RUNNERS: &[(&str, &str)] = &[
    ("click.testing.CliRunner", "invoke"),
    ("typer.testing.CliRunner", "invoke"),
];

/// Calls that find a class through `sys.modules` by its module's name (pickling) or build objects of
/// the class found there (unpickling): a module removed from `sys.modules` or reloaded by another
/// test makes them meet a second copy of the class (ISO402).
pub const CLASS_BY_MODULE_NAME: &[&str] = &[
    "pickle.dumps",
    "pickle.dump",
    "pickle.loads",
    "pickle.load",
    "cPickle.dumps",
    "cPickle.dump",
    "cPickle.loads",
    "cPickle.load",
    "dill.dumps",
    "dill.loads",
    "cloudpickle.dumps",
];

pub const SAVED_VALUE_WORDS: &[&str] = &["old", "orig", "saved", "prev", "backup", "restore"];

/// Calls that move the process into another working folder.
pub const CHDIR_CALLS: &[&str] = &["os.chdir", "os.fchdir"];

/// Text of calls whose result is the current working folder: a name bound to one is a saved cwd.
pub const CWD_GETTERS: &[&str] = &[
    "getcwd",
    ".cwd()",
    "curdir",
    "abspath(\".\")",
    "abspath('.')",
];

/// Methods of `sys.path`, `sys.modules` and `sys.argv` that add or replace entries, and those that
/// remove them.
pub const IMPORT_STATE_ADDERS: &[&str] = &[
    "insert",
    "append",
    "extend",
    "update",
    "setdefault",
    "__setitem__",
];
pub const IMPORT_STATE_REMOVERS: &[&str] = &["remove", "pop", "clear", "__delitem__", "popitem"];

/// Calls that re-execute a module in place: classes and functions get new identities while other
/// modules keep the old ones.
pub const RELOAD_CALLS: &[&str] = &["importlib.reload", "imp.reload"];

/// A process-wide setting changed by one call and put back by calling it again.
pub struct GlobalSetting {
    pub setter: &'static str,
    /// The effect key; `{0}` is replaced by the first argument's text (`signal:SIGALRM`).
    pub key: &'static str,
    /// Calls whose result is the current value (a name bound to one is a saved value).
    pub getter: &'static str,
    /// Fewer arguments than this only query the setting (`locale.setlocale(locale.LC_ALL)`).
    pub min_args: usize,
    /// How to do it without leaking.
    pub fix: &'static str,
}

pub const GLOBAL_SETTINGS: &[GlobalSetting] = &[
    GlobalSetting {
        setter: "socket.setdefaulttimeout",
        key: "socket:defaulttimeout",
        getter: "getdefaulttimeout",
        min_args: 1,
        fix: "save `socket.getdefaulttimeout()` first and set it back in `finally` (or in a yield fixture's teardown)",
    },
    GlobalSetting {
        setter: "locale.setlocale",
        key: "locale:{0}",
        getter: "getlocale",
        min_args: 2,
        fix: "save `locale.setlocale(category)` first and set it back in `finally` (or in a yield fixture's teardown)",
    },
    GlobalSetting {
        setter: "time.tzset",
        key: "time:tz",
        getter: "tzname",
        min_args: 0,
        fix: "restore `TZ` and call `time.tzset()` again in `finally` (or after `yield` in a fixture that uses `monkeypatch.setenv(\"TZ\", ...)`)",
    },
    GlobalSetting {
        setter: "signal.signal",
        key: "signal:{0}",
        getter: "getsignal",
        min_args: 2,
        fix: "keep the handler `signal.signal` returns and reinstall it in `finally` (or after `yield` in a fixture)",
    },
    GlobalSetting {
        setter: "sys.setrecursionlimit",
        key: "sys:recursionlimit",
        getter: "getrecursionlimit",
        min_args: 1,
        fix: "save `sys.getrecursionlimit()` first and set it back in `finally` (or after `yield` in a fixture)",
    },
    GlobalSetting {
        setter: "sys.setswitchinterval",
        key: "sys:switchinterval",
        getter: "getswitchinterval",
        min_args: 1,
        fix: "save `sys.getswitchinterval()` first and set it back in `finally`",
    },
    GlobalSetting {
        setter: "logging.disable",
        key: "logging:disable",
        getter: "root.manager.disable",
        min_args: 0,
        fix: "call `logging.disable(logging.NOTSET)` in `finally` (or after `yield` in a fixture)",
    },
    GlobalSetting {
        setter: "logging.captureWarnings",
        key: "logging:captureWarnings",
        getter: "",
        min_args: 1,
        fix: "call `logging.captureWarnings(False)` in `finally` (or after `yield` in a fixture)",
    },
    GlobalSetting {
        setter: "logging.setLoggerClass",
        key: "logging:loggerClass",
        getter: "getLoggerClass",
        min_args: 1,
        fix: "save `logging.getLoggerClass()` first and set it back in `finally`",
    },
    GlobalSetting {
        setter: "asyncio.set_event_loop_policy",
        key: "asyncio:policy",
        getter: "get_event_loop_policy",
        min_args: 1,
        fix: "call `asyncio.set_event_loop_policy(None)` in `finally` (or after `yield` in a fixture)",
    },
];

/// Logger methods that change a logger for the whole process, and the logger attributes whose
/// assignment does.
pub const LOGGER_SETTERS: &[&str] = &[
    "setLevel",
    "addHandler",
    "removeHandler",
    "addFilter",
    "removeFilter",
];
pub const LOGGER_ATTRIBUTES: &[&str] = &["disabled", "propagate", "handlers", "level", "filters"];

/// Context managers that save a logger's level and handlers and put them back on exit.
pub const LOGGER_GUARDS: &[&str] = &["assertLogs", "assertNoLogs", "at_level", "catching_logs"];

/// Constructors of patchers that `.start()` switches on and `.stop()` off (matched on the end of the
/// qualified name).
pub const PATCHER_CONSTRUCTORS: &[&str] = &[
    "mock.patch",
    "mock.patch.object",
    "mock.patch.dict",
    "mock.patch.multiple",
    "freezegun.freeze_time",
    "requests_mock.Mocker",
    "requests_mock.mock",
    "aioresponses.aioresponses",
    "respx.mock",
    "time_machine.travel",
];

/// Module-level switches of HTTP mocking libraries: the call that turns interception on, and the
/// calls that turn it off.
pub const MOCK_SWITCHES: &[(&str, &[&str])] = &[
    ("responses.start", &["responses.stop"]),
    ("responses.mock.start", &["responses.mock.stop"]),
    ("httpretty.enable", &["httpretty.disable"]),
    (
        "httpretty.httpretty.enable",
        &["httpretty.httpretty.disable"],
    ),
    ("pook.on", &["pook.off", "pook.disable"]),
    ("pook.activate", &["pook.off", "pook.disable"]),
];

/// Markers that ask for a place in the run order (pytest-order, pytest-ordering, pytest-dependency,
/// the `incremental` recipe of pytest's docs).
pub const ORDER_MARKERS: &[&str] = &[
    "order",
    "run",
    "first",
    "second",
    "third",
    "last",
    "second_to_last",
    "dependency",
    "incremental",
];

/// Words that, followed by a number, place a test in a sequence (`test_step2`, `test_part1`).
pub const SEQUENCE_WORDS: &[&str] = &["step", "part", "stage", "phase"];

/// Calls that list a folder in the file system's order (ISO701 wants them sorted).
pub const UNORDERED_LISTINGS: &[&str] = &[
    "listdir", "scandir", "glob", "iglob", "rglob", "iterdir", "walk",
];

/// Qualified-name prefixes of calls whose value differs in every process.
pub const VARYING_VALUE_PREFIXES: &[&str] = &[
    "random.",
    "uuid.uuid1",
    "uuid.uuid4",
    "time.time",
    "time.monotonic",
    "time.perf_counter",
    "datetime.datetime.now",
    "datetime.datetime.utcnow",
    "datetime.datetime.today",
    "datetime.date.today",
    "secrets.",
    "os.urandom",
];

/// Calls whose result is a connection, session, driver or Dagster context (the last component).
pub const CONNECTION_FACTORIES: &[&str] = &[
    "connect",
    "session",
    "Session",
    "driver",
    "MongoClient",
    "Redis",
    "StrictRedis",
    "build_op_context",
    "build_asset_context",
    "build_init_resource_context",
    "build_resources",
    "begin",
];

/// Methods that write through a connection or session.
pub const CONNECTION_WRITE_METHODS: &[&str] = &[
    "add_all",
    "bulk_save_objects",
    "commit",
    "flush",
    "merge",
    "insert_one",
    "insert_many",
    "update_one",
    "update_many",
    "delete_one",
    "delete_many",
    "replace_one",
    "hset",
    "lpush",
    "rpush",
    "sadd",
];

/// Words of a query that writes (matched as whole words, case-insensitively).
pub const CONNECTION_WRITE_WORDS: &[&str] = &[
    "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "TRUNCATE", "MERGE",
];

/// Methods that put a shared value back into its starting state.
pub const RESET_METHODS: &[&str] = &[
    "clear",
    "reset",
    "reset_mock",
    "rollback",
    "truncate",
    "begin",
    "begin_nested",
    "delete_all",
    "flushdb",
    "flushall",
    "drop_all",
    "cleanup",
    "refresh",
];

/// Calls whose result is a mutable container.
pub const MUTABLE_FACTORIES: &[&str] = &[
    "dict",
    "list",
    "set",
    "defaultdict",
    "OrderedDict",
    "Counter",
    "deque",
    "bytearray",
];

/// Classes whose instances cannot be changed in place (or are not shared state when they are).
pub const IMMUTABLE_CLASSES: &[&str] = &[
    "Path",
    "PurePath",
    "PosixPath",
    "WindowsPath",
    "Decimal",
    "Fraction",
    "Enum",
    "UUID",
    "Timestamp",
    "Timedelta",
    "MagicMock",
    "Mock",
    "AsyncMock",
];

/// Calls that start a process or server that runs until stopped (ISO506). Threads are left out:
/// most end on their own when their target returns.
pub const RESOURCE_STARTERS: &[&str] = &[
    "subprocess.Popen",
    "http.server.HTTPServer",
    "http.server.ThreadingHTTPServer",
    "socketserver.TCPServer",
    "socketserver.ThreadingTCPServer",
    "socketserver.UDPServer",
];

/// Methods that stop (or wait for) such a resource.
pub const RESOURCE_CLEANUPS: &[&str] = &[
    "terminate",
    "kill",
    "wait",
    "communicate",
    "join",
    "shutdown",
    "server_close",
    "close",
    "stop",
    "cancel",
    "__exit__",
];

/// Methods that change a container (or most objects named like one) in place: a call on shared
/// state is a write to it.
pub const MUTATING_METHODS: &[&str] = &[
    "append",
    "extend",
    "insert",
    "update",
    "setdefault",
    "add",
    "sort",
    "reverse",
    "appendleft",
    "extendleft",
    "register",
    "__setitem__",
];

/// Methods that take something out of a container in place.
pub const REMOVING_METHODS: &[&str] = &[
    "pop",
    "popitem",
    "clear",
    "remove",
    "discard",
    "popleft",
    "unregister",
    "__delitem__",
];

/// Calls whose value never changes in place (a module-level `X = frozenset(...)` is a constant).
pub const IMMUTABLE_FACTORIES: &[&str] = &[
    "frozenset",
    "tuple",
    "str",
    "int",
    "float",
    "bool",
    "bytes",
    "namedtuple",
    "compile",
    "Path",
    "PurePath",
    "join",
    "dirname",
    "abspath",
    "getenv",
    "get",
    "format",
    "Decimal",
    "Fraction",
    "datetime",
    "date",
    "timedelta",
    "UUID",
    "uuid4",
    "object",
    "TypeVar",
    "getLogger",
    "mark",
    "parametrize",
    "fixture",
    "skipif",
    "MappingProxyType",
];

/// Class methods that hand out one process-wide instance (`Config.get_instance()`).
pub const SINGLETON_ACCESSORS: &[&str] = &[
    "get_instance",
    "getInstance",
    "instance",
    "get_default",
    "shared_instance",
    "sharedInstance",
    "default_instance",
];

/// Module-level calls that open a connection, client, engine or server at import time (ISO304):
/// qualified names, or the last component for methods of client libraries.
pub const IMPORT_TIME_CONNECTIONS: &[&str] = &[
    "neo4j.GraphDatabase.driver",
    "sqlalchemy.create_engine",
    "sqlalchemy.ext.asyncio.create_async_engine",
    "redis.Redis",
    "redis.StrictRedis",
    "redis.from_url",
    "redis.Redis.from_url",
    "pymongo.MongoClient",
    "motor.motor_asyncio.AsyncIOMotorClient",
    "boto3.client",
    "boto3.resource",
    "boto3.session.Session",
    "boto3.Session",
    "requests.Session",
    "requests.session",
    "httpx.Client",
    "httpx.AsyncClient",
    "psycopg2.connect",
    "psycopg.connect",
    "pymysql.connect",
    "MySQLdb.connect",
    "sqlite3.connect",
    "elasticsearch.Elasticsearch",
    "kafka.KafkaProducer",
    "kafka.KafkaConsumer",
    "pika.BlockingConnection",
    "docker.from_env",
    "docker.DockerClient",
    "socket.socket",
    "socket.create_connection",
    "smtplib.SMTP",
    "ftplib.FTP",
    "paramiko.SSHClient",
    "selenium.webdriver.Chrome",
    "selenium.webdriver.Firefox",
    "testcontainers.postgres.PostgresContainer",
    "testcontainers.core.container.DockerContainer",
    "http.server.HTTPServer",
    "socketserver.TCPServer",
];

/// Attribute names whose "mutations" are not in-process state: Django model managers write to the
/// database, which the test case rolls back.
pub const NOT_STATE_ATTRIBUTES: &[&str] = &["objects", "_default_manager", "_base_manager"];

/// State the test framework itself resets around every test (Django's mail outbox; the standard
/// streams, which pytest's capture puts back after each test).
pub const RESET_BY_FRAMEWORK: &[&str] = &[
    "django.core.mail.outbox",
    "sys.stdout",
    "sys.stderr",
    "sys.stdin",
];

/// Whether a method changes its container in place, by adding or by taking out.
pub fn changes_in_place(method: &str) -> bool {
    MUTATING_METHODS.contains(&method) || REMOVING_METHODS.contains(&method)
}
