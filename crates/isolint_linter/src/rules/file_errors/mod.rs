//! Files that cannot be linted whole, and suppression comments that do nothing. These rules have no check of their own: the lint pipeline
//! reports them when reading or parsing a file fails.

use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::Rule;

pub struct UnreadableFile;
pub struct SyntaxError;
pub struct UnusedSuppression;

pub static UNREADABLE_FILE: RuleMeta = RuleMeta {
    code: "ISO001",
    name: "unreadable-file",
    category: Category::Collection,
    severity: Severity::Error,
    effort: Effort::Lines,
    shared_effort: Effort::Lines,
    summary: "A file could not be read, is not UTF-8, or made isolint fail",
    doc: include_str!("../../../../../rules/ISO001-unreadable-file.md"),
};

pub static SYNTAX_ERROR: RuleMeta = RuleMeta {
    code: "ISO002",
    name: "syntax-error",
    category: Category::Collection,
    severity: Severity::Error,
    effort: Effort::Lines,
    shared_effort: Effort::Lines,
    summary: "Part of a file does not parse; the rest was linted",
    doc: include_str!("../../../../../rules/ISO002-syntax-error.md"),
};

pub static UNUSED_SUPPRESSION: RuleMeta = RuleMeta {
    code: "ISO003",
    name: "unused-suppression",
    category: Category::Config,
    severity: Severity::Warning,
    effort: Effort::Lines,
    shared_effort: Effort::Lines,
    summary: "A suppression comment suppresses nothing or names an unknown rule (with --warn-unused-ignores)",
    doc: include_str!("../../../../../rules/ISO003-unused-suppression.md"),
};

impl Rule for UnusedSuppression {
    fn meta(&self) -> &'static RuleMeta {
        &UNUSED_SUPPRESSION
    }
}

impl Rule for UnreadableFile {
    fn meta(&self) -> &'static RuleMeta {
        &UNREADABLE_FILE
    }
}

impl Rule for SyntaxError {
    fn meta(&self) -> &'static RuleMeta {
        &SYNTAX_ERROR
    }
}
