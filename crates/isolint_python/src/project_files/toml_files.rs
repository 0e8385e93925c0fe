//! `pyproject.toml` (PEP 621 dependencies and extras, PEP 735 dependency groups, Poetry, uv, PDM
//! and hatch settings, pytest's and coverage's sections) and the TOML lock files (`poetry.lock`,
//! `uv.lock`, `pdm.lock`), through `toml_edit`, which keeps every value's span.

use super::{
    CoverageParallel, Invocation, Location, Origin, Pin, Problem, ProjectFiles, TextFile, Word,
};
use toml_edit::{ImDocument, Item, Table, TableLike, Value};

fn parse<'a>(files: &mut ProjectFiles, file: &TextFile<'a>) -> Option<ImDocument<&'a str>> {
    match ImDocument::parse(file.text) {
        Ok(document) => Some(document),
        Err(error) => {
            let span = error.span().unwrap_or(0..0);
            files.problems.push(Problem {
                at: file.at(span.start, span.end),
                message: format!(
                    "this file is not valid TOML ({}); isolint could not read its settings",
                    error.message().trim()
                ),
            });
            None
        }
    }
}

pub(super) fn read_pyproject(files: &mut ProjectFiles, file: &TextFile) {
    let Some(document) = parse(files, file) else {
        return;
    };
    let root: &Table = document.as_table();
    if let Some(project) = table(root.get("project")) {
        strings_of(files, file, project.get("dependencies"));
        if let Some(extras) = table(project.get("optional-dependencies")) {
            for (_, list) in extras.iter() {
                strings_of(files, file, Some(list));
            }
        }
    }
    if let Some(groups) = table(root.get("dependency-groups")) {
        for (_, list) in groups.iter() {
            strings_of(files, file, Some(list));
        }
    }
    let tool = table(root.get("tool"));
    let tool_get = |name: &str| tool.and_then(|t| t.get(name));
    if let Some(poetry) = table(tool_get("poetry")) {
        poetry_names(files, file, poetry.get("dependencies"));
        poetry_names(files, file, poetry.get("dev-dependencies"));
        if let Some(groups) = table(poetry.get("group")) {
            for (_, group) in groups.iter() {
                poetry_names(
                    files,
                    file,
                    table(Some(group)).and_then(|g| g.get("dependencies")),
                );
            }
        }
    }
    if let Some(uv) = table(tool_get("uv")) {
        strings_of(files, file, uv.get("dev-dependencies"));
    }
    if let Some(pdm) = table(tool_get("pdm")).and_then(|p| table(p.get("dev-dependencies"))) {
        for (_, list) in pdm.iter() {
            strings_of(files, file, Some(list));
        }
    }
    if let Some(envs) = table(tool_get("hatch")).and_then(|h| table(h.get("envs"))) {
        for (_, env) in envs.iter() {
            let Some(env) = table(Some(env)) else {
                continue;
            };
            strings_of(files, file, env.get("dependencies"));
            strings_of(files, file, env.get("extra-dependencies"));
            if let Some(scripts) = table(env.get("scripts")) {
                for (_, script) in scripts.iter() {
                    for (text, start) in string_items(file, script) {
                        files.read_shell_line(Origin::Hatch, file, &text, start);
                    }
                }
            }
        }
    }
    if let Some(pytest) = table(tool_get("pytest")) {
        // pytest 9 reads `[tool.pytest]` natively; older versions `[tool.pytest.ini_options]`.
        let (section, header) = match table(pytest.get("ini_options")) {
            Some(options) => (options, pytest.get("ini_options")),
            None => (pytest, tool_get("pytest")),
        };
        read_pytest_section(files, file, section, header);
    }
    if let Some(run) = table(tool_get("coverage")).and_then(|c| table(c.get("run"))) {
        if let Some((key, item)) = run.get_key_value("parallel") {
            if let Some(value) = item.as_bool() {
                let span = key.span().or_else(|| item.span()).unwrap_or(0..0);
                files.coverage_parallel.push(CoverageParallel {
                    value,
                    at: file.at(span.start, span.end),
                });
            }
        }
    }
}

fn read_pytest_section(
    files: &mut ProjectFiles,
    file: &TextFile,
    section: &dyn TableLike,
    header: Option<&Item>,
) {
    if files.pytest.at.is_some() {
        return;
    }
    let header_at = header
        .and_then(Item::span)
        .map(|s| file.at(s.start, s.start))
        .unwrap_or_else(|| file.at(0, 0));
    files.pytest.at = Some(header_at.clone());
    if let Some(addopts) = section.get("addopts") {
        let words: Vec<(String, usize)> = string_items(file, addopts)
            .into_iter()
            .flat_map(|(text, start)| {
                super::commands(&text)
                    .into_iter()
                    .flatten()
                    .map(move |w| (w.text, start + w.offset))
            })
            .collect();
        let span = addopts.span().unwrap_or(0..0);
        files.invocations.push(Invocation {
            origin: Origin::Addopts,
            arg_at: words
                .iter()
                .map(|(text, start)| file.at(*start, start + text.len()))
                .collect(),
            args: words
                .into_iter()
                .map(|(text, offset)| Word { text, offset })
                .collect(),
            at: file.at(span.start, span.end),
            under_coverage: false,
        });
    }
    if let Some(markers) = section.get("markers") {
        for (text, _) in string_items(file, markers) {
            files
                .pytest
                .markers
                .extend(super::ini_files::marker_names(&text));
        }
    }
    for key in ["strict_markers", "strict"] {
        if let Some((key, item)) = section.get_key_value(key) {
            if item.as_bool() == Some(true) {
                let span = key.span().unwrap_or(0..0);
                files.pytest.strict = Some(file.at(span.start, span.end));
            }
        }
    }
}

pub(super) fn read_lock(files: &mut ProjectFiles, file: &TextFile) {
    let Some(document) = parse(files, file) else {
        return;
    };
    let Some(packages) = document.get("package").and_then(Item::as_array_of_tables) else {
        return;
    };
    for package in packages.iter() {
        let (Some(name), Some(version)) = (
            package.get("name").and_then(Item::as_str),
            package.get("version"),
        ) else {
            continue;
        };
        let Some(text) = version.as_str() else {
            continue;
        };
        let span = version.span().unwrap_or(0..0);
        let at: Location = file.at(span.start, span.end);
        files.pins.push(Pin {
            name: super::normalise(name),
            version: text.to_string(),
            at,
        });
    }
}

fn table(item: Option<&Item>) -> Option<&dyn TableLike> {
    item?.as_table_like()
}

/// Requirement strings of an array (`["pytest>=8", {include-group = "test"}]`).
fn strings_of(files: &mut ProjectFiles, file: &TextFile, item: Option<&Item>) {
    let Some(item) = item else { return };
    for (text, start) in string_items(file, item) {
        files.push_requirement(&text, file.at(start, start + text.len()));
    }
}

/// Poetry's `name = "^1.0"` tables: the keys are the packages.
fn poetry_names(files: &mut ProjectFiles, file: &TextFile, item: Option<&Item>) {
    let Some(dependencies) = table(item) else {
        return;
    };
    for (key, _) in dependencies.iter() {
        let span = dependencies.key(key).and_then(|k| k.span()).unwrap_or(0..0);
        files.push_requirement(key, file.at(span.start, span.end));
    }
}

/// The strings of a string or an array of strings, each with the byte offset of its first
/// character in the file (the value's span when escapes make the text differ from the source).
fn string_items(file: &TextFile, item: &Item) -> Vec<(String, usize)> {
    match item {
        Item::Value(Value::Array(array)) => {
            array.iter().filter_map(|v| string_at(file, v)).collect()
        }
        Item::Value(value) => string_at(file, value).into_iter().collect(),
        _ => Vec::new(),
    }
}

fn string_at(file: &TextFile, value: &Value) -> Option<(String, usize)> {
    let Value::String(text) = value else {
        return None;
    };
    let text = text.value().clone();
    let span = value.span().unwrap_or(0..0);
    let raw = file.text.get(span.clone()).unwrap_or("");
    for quote in ["\"\"\"", "'''", "\"", "'"] {
        if let Some(inner) = raw.strip_prefix(quote) {
            // A multi-line string drops the newline right after its opening quotes.
            let skipped = if quote.len() == 3 && inner.starts_with('\n') {
                1
            } else if quote.len() == 3 && inner.starts_with("\r\n") {
                2
            } else {
                0
            };
            if inner[skipped..].starts_with(text.as_str()) {
                return Some((text, span.start + quote.len() + skipped));
            }
            break;
        }
    }
    Some((text, span.start))
}
