//! `noxfile.py`: `session.run("pytest", "-n", "4")` runs pytest and `session.install(...)` declares
//! packages. Only string literal arguments are read; `*session.posargs` and computed values are
//! left out, so nothing is guessed.

use super::{Origin, ProjectFiles, TextFile, Word};
use crate::model::string_value;
use crate::parse::{parse, python_parser};
use crate::syntax::{field, kind};

pub(super) fn read(files: &mut ProjectFiles, file: &TextFile) {
    let mut parser = python_parser();
    let Ok(tree) = parse(&mut parser, file.text) else {
        return;
    };
    let mut calls = Vec::new();
    let mut cursor = tree.walk();
    // Pre-order walk with the cursor: no recursion on the tree.
    'walk: loop {
        let node = cursor.node();
        if node.kind() == kind::CALL {
            calls.push(node);
        }
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    for call in calls {
        let Some(callee) = call.child_by_field_id(field::FUNCTION.id()) else {
            continue;
        };
        if callee.kind() != kind::ATTRIBUTE {
            continue;
        }
        let method = callee
            .child_by_field_id(field::ATTRIBUTE.id())
            .and_then(|a| file.text.get(a.byte_range()))
            .unwrap_or("");
        if !matches!(method, "run" | "install") {
            continue;
        }
        let Some(arguments) = call.child_by_field_id(field::ARGUMENTS.id()) else {
            continue;
        };
        let mut words = Vec::new();
        let mut walker = arguments.walk();
        for argument in arguments.named_children(&mut walker) {
            if argument.kind() == kind::KEYWORD_ARGUMENT {
                continue;
            }
            match string_value(argument, file.text) {
                // The text starts after the opening quote (and any prefix such as `f`).
                Some(text) => {
                    let raw = file.text.get(argument.byte_range()).unwrap_or("");
                    let inner = raw.find(['"', '\'']).map_or(0, |q| q + 1);
                    words.push(Word {
                        text,
                        offset: argument.start_byte() + inner,
                    });
                }
                None => continue,
            }
        }
        if method == "install" {
            // `-r requirements.txt`, `-e .`: the value after an option is not a package.
            let follows_option =
                |i: usize| i > 0 && matches!(words[i - 1].text.as_str(), "-r" | "-c" | "-e");
            let packages = words
                .iter()
                .enumerate()
                .filter(|(i, w)| !w.text.starts_with('-') && !follows_option(*i));
            for (_, word) in packages {
                let at = file.at(word.offset, word.offset + word.text.len());
                files.push_requirement(&word.text, at);
            }
        } else {
            files.read_commands(Origin::Nox, file, vec![words]);
        }
    }
}
