//! The `hardcoded-path` family (ISO1xx): fixed paths that every worker shares. The rules classify the
//! path effects of [`crate::analysis::path_effects`]; this module holds what they word alike.

mod cwd_relative_output;
mod fixed_sqlite_file;
mod hardcoded_tmp_path;
mod home_dir_path;
mod shared_path_removal;

pub use cwd_relative_output::CwdRelativeOutput;
pub use fixed_sqlite_file::FixedSqliteFile;
pub use hardcoded_tmp_path::HardcodedTmpPath;
pub use home_dir_path::HomeDirPath;
pub use shared_path_removal::SharedPathRemoval;

use crate::analysis::path_effects::ResolvedEffect;
use crate::context::{Finding, Owner};
use crate::diagnostic::FixSite;
use crate::registry::RuleMeta;
use isolint_python::knowledge::PathOp;
use isolint_python::model::Role;
use isolint_python::value::OriginLevel;

/// "test `test_export`", "fixture `out_dir`", "`setUp`": who does it, in a message.
pub(crate) fn actor(owner: &Owner) -> String {
    match owner.role {
        Role::Test => "test".to_string(),
        Role::Fixture => format!(
            "fixture `{}`",
            owner.fixture.as_deref().unwrap_or(&owner.function)
        ),
        Role::Setup | Role::Teardown => format!("`{}`", owner.function),
        _ => format!("helper `{}`", owner.function),
    }
}

/// Who does it, and through which call when it happens inside another function: "test through
/// `utils.rmtree`".
pub(crate) fn doer(effect: &ResolvedEffect) -> String {
    let actor = actor(&effect.effect.owner);
    match &effect.effect.through {
        Some(through) => format!("{actor} (through `{}`)", through.function),
        None => actor,
    }
}

/// "writes to the fixed path", "creates the fixed folder", ... for a message.
pub(crate) fn what_it_does(op: PathOp) -> &'static str {
    match op {
        PathOp::Write | PathOp::Mention => "writes to the fixed path",
        PathOp::CreateDir => "creates the fixed folder",
        PathOp::Delete => "removes the fixed path",
        PathOp::Database => "opens the fixed database file",
        PathOp::Check => "checks the fixed path",
    }
}

/// The last component of a shown path, for fixes like `tmp_path / "out.json"`.
pub(crate) fn file_name(shown: &str) -> &str {
    let name = shown
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(shown);
    if name.is_empty() || name.starts_with('$') || name == "~" {
        "out"
    } else {
        name
    }
}

/// Where the fix lives: a shared definition of the path, or the owner itself.
pub(crate) fn fix_site(effect: &ResolvedEffect) -> FixSite {
    if effect.effect.helper.is_some() {
        return FixSite::Helper;
    }
    if effect.via_fixture.is_some() {
        return FixSite::Fixture;
    }
    match effect.origin.as_ref().map(|o| o.level) {
        Some(OriginLevel::Module) => FixSite::Module,
        Some(OriginLevel::Class) if effect.effect.owner.role != Role::Fixture => FixSite::Class,
        _ => effect.effect.owner.site(),
    }
}

/// The concrete change that gives each test or worker its own copy of a written path.
pub(crate) fn private_copy_fix(effect: &ResolvedEffect) -> String {
    let name = file_name(&effect.shown);
    let owner = &effect.effect.owner;
    if let Some((fixture, _)) = &effect.via_fixture {
        return format!(
            "make fixture `{fixture}` return a path under `tmp_path` (or `tmp_path_factory.mktemp(\"{fixture}\")` when its scope is wider than one test)"
        );
    }
    if let Some(origin) = effect
        .origin
        .as_ref()
        .filter(|o| o.level == OriginLevel::Module)
    {
        return format!(
            "replace the module constant `{}` with a fixture that returns `tmp_path / \"{name}\"`",
            origin.name
        );
    }
    match owner.role {
        Role::Fixture if matches!(owner.fixture_scope.as_deref(), Some("session" | "package" | "module" | "class")) => {
            format!("take `tmp_path_factory` and use `tmp_path_factory.mktemp(\"data\") / \"{name}\"`")
        }
        _ if owner.unittest => format!(
            "create a private folder in `setUp` with `tempfile.mkdtemp()` (removed by `self.addCleanup(shutil.rmtree, path)`) and use `{name}` inside it"
        ),
        _ if owner.role == Role::Helper => format!(
            "let helper `{}` take the path as an argument and pass `tmp_path / \"{name}\"` from the tests",
            owner.function
        ),
        _ => format!("take the `tmp_path` fixture and use `tmp_path / \"{name}\"`"),
    }
}

/// A finding for a path effect, with the definition, fixture and paired locations as related notes.
pub(crate) fn finding(
    rule: &'static RuleMeta,
    effect: &ResolvedEffect,
    message: String,
    fix: String,
) -> Finding {
    let mut related = Vec::new();
    if let Some(origin) = &effect.origin {
        if origin.level != OriginLevel::Fixture && !origin.span.contains(effect.effect.span) {
            related.push((origin.span, format!("path `{}` defined here", origin.name)));
        }
    }
    related.extend(effect.paired.iter().cloned());
    Finding {
        rule,
        span: effect.effect.span,
        message,
        fix,
        owner: effect.effect.owner.clone(),
        related,
        related_elsewhere: effect
            .via_fixture
            .iter()
            .map(|(_, related)| related.clone())
            .chain(effect.effect.through.iter().map(|t| t.sink.clone()))
            .collect(),
        resource: Some(format!("path:{}", effect.shown)),
        site: fix_site(effect),
        tests: effect
            .effect
            .helper
            .as_ref()
            .map(|_| effect.reached_tests.clone()),
    }
}

/// The common finding of ISO101/ISO102/ISO105: a write to a shared location.
pub(crate) fn shared_write(
    rule: &'static RuleMeta,
    effect: &ResolvedEffect,
    place: &str,
    fix: String,
) -> Finding {
    let message = format!(
        "{} {} '{}'{place}",
        doer(effect),
        what_it_does(effect.effect.op),
        effect.shown
    );
    finding(rule, effect, message, fix)
}

/// The owner names the path itself or through a module constant: not through a fixture's value,
/// a helper, a call into the project's code or a class attribute (whose fix is a refactor, not an
/// edit here). Whether a constant's uses can be rewritten is the fix's own question
/// (`fix::shared_path`).
pub(crate) fn owner_writes_it(effect: &ResolvedEffect) -> bool {
    effect.via_fixture.is_none()
        && effect.effect.helper.is_none()
        && effect.effect.through.is_none()
        && effect
            .origin
            .as_ref()
            .is_none_or(|o| o.level != OriginLevel::Class)
}

pub(crate) fn is_write(op: PathOp) -> bool {
    matches!(op, PathOp::Write | PathOp::CreateDir | PathOp::Mention)
}
