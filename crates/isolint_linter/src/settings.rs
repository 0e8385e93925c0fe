//! Rule settings from `[tool.isolint.rules]`: extensions of the knowledge tables.

/// A write sink added by the user: a function by qualified name, or a method name, that writes the
/// path given as its first argument (or `path-keyword`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtraSink {
    pub call: String,
    pub keyword: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Extra write sinks.
    pub write_sinks: Vec<ExtraSink>,
    /// Extra names whose values are unique per test or worker.
    pub unique_names: Vec<String>,
    /// Folders the project's own modules are imported from (pytest's rootdir, its `src/`): the
    /// functions tests call there are summarised. Empty: calls are followed within the linted
    /// files only.
    pub source_roots: Vec<std::path::PathBuf>,
}
