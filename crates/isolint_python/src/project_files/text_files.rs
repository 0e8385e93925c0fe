//! Line-based formats: pip requirements files (one requirement a line, `#` comments, options) and
//! Makefile recipes (tab-indented shell lines, `\` continuations, `@`/`-` prefixes).

use super::command::append_line_commands;
use super::{Origin, ProjectFiles, TextFile, Word};

pub(super) fn read_requirements(files: &mut ProjectFiles, file: &TextFile) {
    for line in 0..file.line_count() {
        let text = file.line(line);
        // A comment starts at `#` preceded by whitespace or at the line start.
        let content = match text.find(" #").or_else(|| text.find("\t#")) {
            Some(at) => &text[..at],
            None if text.trim_start().starts_with('#') => "",
            None => text,
        };
        let spec = content.trim();
        if spec.is_empty() || spec.starts_with('-') || spec.contains("://") {
            continue;
        }
        let start = file.line_start(line) + (content.len() - content.trim_start().len());
        files.push_requirement(spec, file.at(start, start + spec.len()));
    }
}

pub(super) fn read_makefile(files: &mut ProjectFiles, file: &TextFile) {
    let mut all: Vec<Vec<Word>> = Vec::new();
    let mut continuing = false;
    for line in 0..file.line_count() {
        let text = file.line(line);
        if !continuing && !text.starts_with('\t') {
            continue;
        }
        let body = text.trim_start();
        // `@`, `-` and `+` prefix a recipe line, not its continuation.
        let command = if continuing {
            body
        } else {
            body.trim_start_matches(['@', '-', '+'])
        };
        let start = file.line_start(line) + (text.len() - command.len());
        append_line_commands(&mut all, command, start, continuing);
        continuing = text.trim_end().ends_with('\\');
    }
    files.read_commands(Origin::Makefile, file, all);
}
