//! Shell command lines as pytest sees them: words (quotes honoured), the pytest invocations among
//! them, and the options of those invocations that matter for parallel and random-order runs.

/// One word of a command line and the byte offset where it starts in that line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub offset: usize,
}

/// Splits a command line into commands (at `&&`, `||`, `;`, `|`) and each command into words, as
/// a POSIX shell would for the quoting that appears in CI files. A `#` starting a word ends the
/// line.
pub fn commands(line: &str) -> Vec<Vec<Word>> {
    let mut commands: Vec<Vec<Word>> = vec![Vec::new()];
    let mut current: Option<Word> = None;
    let mut quote: Option<char> = None;
    let mut chars = line.char_indices().peekable();
    let finish = |current: &mut Option<Word>, commands: &mut Vec<Vec<Word>>| {
        if let Some(word) = current.take() {
            if let Some(last) = commands.last_mut() {
                last.push(word);
            }
        }
    };
    while let Some((at, c)) = chars.next() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            } else if c == '\\' && q == '"' {
                if let Some((_, next)) = chars.next() {
                    push_char(&mut current, at, next);
                }
            } else {
                push_char(&mut current, at, c);
            }
            continue;
        }
        match c {
            '\'' | '"' => {
                quote = Some(c);
                current.get_or_insert(Word {
                    text: String::new(),
                    offset: at,
                });
            }
            '\\' => {
                if let Some((_, next)) = chars.next() {
                    if next != '\n' {
                        push_char(&mut current, at, next);
                    }
                }
            }
            '#' if current.is_none() => break,
            ';' | '|' | '&' => {
                finish(&mut current, &mut commands);
                while chars.peek().is_some_and(|(_, n)| matches!(n, '|' | '&')) {
                    chars.next();
                }
                commands.push(Vec::new());
            }
            c if c.is_whitespace() => finish(&mut current, &mut commands),
            _ => push_char(&mut current, at, c),
        }
    }
    finish(&mut current, &mut commands);
    commands.retain(|c| !c.is_empty());
    commands
}

fn push_char(current: &mut Option<Word>, at: usize, c: char) {
    current
        .get_or_insert(Word {
            text: String::new(),
            offset: at,
        })
        .text
        .push(c);
}

/// The pytest part of one command: `pytest ARGS`, `python -m pytest ARGS`, `uv run pytest ARGS`,
/// `coverage run -m pytest ARGS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PytestCall {
    /// The words after `pytest`.
    pub args: Vec<Word>,
    /// Offset of the `pytest` word.
    pub offset: usize,
    /// Run under `coverage run`, which measures only the main process unless told otherwise.
    pub under_coverage: bool,
}

/// The pytest invocation in a command, if it runs pytest.
pub fn pytest_call(words: &[Word]) -> Option<PytestCall> {
    let start = words
        .iter()
        .position(|w| is_pytest_program(&w.text))
        .or_else(|| {
            words
                .windows(2)
                .position(|pair| pair[0].text == "-m" && pair[1].text == "pytest")
                .map(|at| at + 1)
        })?;
    let under_coverage = words[..start]
        .windows(2)
        .any(|pair| program_name(&pair[0].text) == "coverage" && pair[1].text == "run");
    Some(PytestCall {
        args: words[start + 1..].to_vec(),
        offset: words[start].offset,
        under_coverage,
    })
}

/// Package specifications a command installs: `pip install A B`, `uv pip install`, `uv add`,
/// `poetry add`, nox's `session.install` arguments are handled by the nox reader.
pub fn installed_packages(words: &[Word]) -> Vec<&Word> {
    let Some(verb) = words
        .iter()
        .position(|w| w.text == "install" || w.text == "add")
    else {
        return Vec::new();
    };
    let installer = words[..verb].iter().any(|w| {
        matches!(
            program_name(&w.text),
            "pip" | "pip3" | "uv" | "poetry" | "pdm"
        )
    });
    if !installer {
        return Vec::new();
    }
    let mut packages = Vec::new();
    let mut skip_next = false;
    for word in &words[verb + 1..] {
        if skip_next {
            skip_next = false;
            continue;
        }
        if word.text.starts_with('-') {
            // Options that take a value: the value is not a package.
            skip_next = matches!(
                word.text.as_str(),
                "-r" | "--requirement"
                    | "-c"
                    | "--constraint"
                    | "-e"
                    | "--editable"
                    | "-i"
                    | "--index-url"
                    | "--extra-index-url"
                    | "--group"
                    | "-G"
            );
            continue;
        }
        packages.push(word);
    }
    packages
}

fn program_name(word: &str) -> &str {
    word.rsplit(['/', '\\']).next().unwrap_or(word)
}

fn is_pytest_program(word: &str) -> bool {
    matches!(
        program_name(word),
        "pytest" | "py.test" | "pytest.exe" | "py.test.exe"
    )
}

/// The value of an option given as `-n 4`, `-n4`, `-n=4`, `--numprocesses 4` or
/// `--numprocesses=4`, with the word that names it.
pub fn option_value<'w>(
    args: &'w [Word],
    short: Option<&str>,
    long: &str,
) -> Option<(&'w Word, String)> {
    for (index, word) in args.iter().enumerate() {
        let text = word.text.as_str();
        let next = || args.get(index + 1).map(|w| w.text.clone());
        if text == long || short.is_some_and(|s| text == s) {
            return Some((word, next().unwrap_or_default()));
        }
        if let Some(value) = text.strip_prefix(long).and_then(|r| r.strip_prefix('=')) {
            return Some((word, value.to_string()));
        }
        if let Some(short) = short {
            if let Some(value) = text.strip_prefix(short) {
                // `-n4` but not `-nauto-something` of another option: short options are one letter.
                return Some((word, value.trim_start_matches('=').to_string()));
            }
        }
    }
    None
}

/// The plugin names disabled with `-p no:NAME` or `-pno:NAME`.
pub fn disabled_plugins(args: &[Word]) -> Vec<(&Word, String)> {
    let mut found = Vec::new();
    for (index, word) in args.iter().enumerate() {
        let value = if word.text == "-p" {
            args.get(index + 1).map(|w| w.text.as_str())
        } else {
            word.text.strip_prefix("-p")
        };
        if let Some(name) = value.and_then(|v| v.strip_prefix("no:")) {
            found.push((word, name.to_string()));
        }
    }
    found
}

/// Adds the commands of one line of a script, whose text starts at byte `start` of its file, to
/// `all`; a line that continues the previous one (`\` at its end) joins that line's last command.
pub fn append_line_commands(all: &mut Vec<Vec<Word>>, text: &str, start: usize, continuing: bool) {
    let mut parsed: Vec<Vec<Word>> = commands(text)
        .into_iter()
        .map(|words| {
            words
                .into_iter()
                .map(|w| Word {
                    offset: start + w.offset,
                    text: w.text,
                })
                .collect()
        })
        .collect();
    if continuing && !parsed.is_empty() {
        let first = parsed.remove(0);
        if let Some(last) = all.last_mut() {
            last.extend(first);
        }
    }
    all.extend(parsed);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(words: &[Word]) -> Vec<&str> {
        words.iter().map(|w| w.text.as_str()).collect()
    }

    #[test]
    fn splits_commands_and_honours_quotes() {
        let all = commands("cd src && python -m pytest -n 4 -k 'a or b' # note");
        assert_eq!(all.len(), 2);
        assert_eq!(
            texts(&all[1]),
            ["python", "-m", "pytest", "-n", "4", "-k", "a or b"]
        );
        assert_eq!(all[1][3].offset, "cd src && python -m pytest ".len());
    }

    #[test]
    fn finds_pytest_calls() {
        let words = &commands("coverage run -m pytest -n auto --dist=loadgroup")[0];
        let call = pytest_call(words).unwrap();
        assert!(call.under_coverage);
        assert_eq!(
            option_value(&call.args, Some("-n"), "--numprocesses").map(|(_, v)| v),
            Some("auto".into())
        );
        assert_eq!(
            option_value(&call.args, None, "--dist").map(|(_, v)| v),
            Some("loadgroup".into())
        );
        assert!(pytest_call(&commands("echo pytest-xdist")[0]).is_none());
        let call = pytest_call(&commands(".venv/bin/pytest -n4 -p no:randomly")[0]).unwrap();
        assert_eq!(
            option_value(&call.args, Some("-n"), "--numprocesses").map(|(_, v)| v),
            Some("4".into())
        );
        assert_eq!(disabled_plugins(&call.args)[0].1, "randomly");
    }

    #[test]
    fn finds_installed_packages() {
        let words = &commands("python -m pip install -r req.txt pytest-xdist==3.6 'pytest<9'")[0];
        assert_eq!(
            installed_packages(words)
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>(),
            ["pytest-xdist==3.6", "pytest<9"]
        );
        assert!(installed_packages(&commands("apt-get install foo")[0]).is_empty());
    }
}
