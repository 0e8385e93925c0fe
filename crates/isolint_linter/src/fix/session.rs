//! `--fix`: lint, apply every applicable fix of each file together, lint the changed sources
//! again, until nothing more applies (bounded). Sources are changed in memory only; the caller
//! writes them or shows a diff.

use super::{apply, Applicability, Fix};
use crate::lint::{lint, LintOptions, LintResult, SourceInput};
use std::collections::BTreeMap;

/// Rounds of lint-and-fix before giving up on a fix that keeps coming back.
pub const MAX_ROUNDS: usize = 10;

/// What fixing did.
pub struct FixOutcome {
    /// The lint of the sources as fixed: what is left.
    pub result: LintResult,
    /// Each changed file, by its index in the inputs: the text before any fix and after all.
    pub changed: BTreeMap<usize, (String, String)>,
    /// Fixes applied, over every round.
    pub applied: usize,
    /// Rounds of linting that applied something.
    pub rounds: usize,
}

/// Runs the fix loop over `inputs`, whose `text` ends up holding the fixed sources of changed files.
/// Unsafe fixes are applied only when `unsafe_fixes` is set. A file whose text isolint reads
/// differently from its bytes (a byte order mark, lone carriage returns, another encoding) is
/// never changed: its offsets would not be the bytes' offsets.
pub fn fix_inputs(
    inputs: &mut [SourceInput],
    options: &LintOptions,
    unsafe_fixes: bool,
) -> FixOutcome {
    fix_inputs_where(inputs, options, unsafe_fixes, |_| true)
}

/// [`fix_inputs`], changing only the files `editable` accepts (by their shown path): the rest of
/// the suite is linted as context, as `--changed-files` asks, but never rewritten.
pub fn fix_inputs_where(
    inputs: &mut [SourceInput],
    options: &LintOptions,
    unsafe_fixes: bool,
    editable: impl Fn(&str) -> bool,
) -> FixOutcome {
    let mut changed: BTreeMap<usize, (String, String)> = BTreeMap::new();
    let mut applied = 0;
    let mut rounds = 0;
    loop {
        let result = lint(inputs, options);
        if rounds == MAX_ROUNDS {
            return FixOutcome {
                result,
                changed,
                applied,
                rounds,
            };
        }
        let mut by_file: BTreeMap<&str, Vec<Fix>> = BTreeMap::new();
        for d in result.diagnostics.iter().filter(|d| editable(&d.file)) {
            if let Some(autofix) = &d.autofix {
                if autofix.applicability == Applicability::Safe || unsafe_fixes {
                    by_file
                        .entry(d.file.as_str())
                        .or_default()
                        .push(autofix.fix());
                }
            }
        }
        let mut applied_now = 0;
        for (display, fixes) in by_file {
            let Some(index) = inputs.iter().position(|i| i.display == display) else {
                continue;
            };
            let Some(linted) = result.sources.get(display) else {
                continue;
            };
            let current = match &inputs[index].text {
                Some(text) => text.clone(),
                None => match std::fs::read(&inputs[index].path)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                {
                    Some(text) => text,
                    None => continue,
                },
            };
            if current.as_str() != &**linted {
                continue;
            }
            let out = apply(&current, fixes.iter());
            if out.applied == 0 || out.text == current {
                continue;
            }
            applied_now += out.applied;
            changed
                .entry(index)
                .or_insert_with(|| (current.clone(), String::new()))
                .1 = out.text.clone();
            inputs[index].text = Some(out.text);
        }
        if applied_now == 0 {
            changed.retain(|_, (before, after)| before != after);
            return FixOutcome {
                result,
                changed,
                applied,
                rounds,
            };
        }
        applied += applied_now;
        rounds += 1;
    }
}
