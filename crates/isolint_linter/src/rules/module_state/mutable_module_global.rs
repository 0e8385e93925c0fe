use super::{leaks, short, who, write_finding, StateWriteRule};
use crate::analysis::state::{Holder, StateWrite};
use crate::context::{FileContext, FileInfo, Finding};
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};

/// ISO301: a module-level mutable object of a test module or conftest changed by test code.
pub struct MutableModuleGlobal;

static META: RuleMeta = RuleMeta {
    code: "ISO301",
    name: "mutable-module-global",
    category: Category::ModuleState,
    severity: Severity::Warning,
    effort: Effort::Lines,
    shared_effort: Effort::Moderate,
    summary: "Test code changes a module-level mutable object and never restores it",
    doc: include_str!("../../../../../rules/ISO301-mutable-module-global.md"),
};

impl StateWriteRule for MutableModuleGlobal {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, write: &StateWrite, file: &FileInfo, module: &str) -> Option<Finding> {
        if write.holder != Holder::ModuleObject || !leaks(write, file) {
            return None;
        }
        let name = short(&write.path, module);
        let object = name.split(['.', '[']).next().unwrap_or(&name).to_string();
        let message = format!(
            "{} {} `{name}`, a module-level object every test of the module shares, and never restores it; tests that run later in the same worker see the change",
            who(write),
            write.verb
        );
        let fix = format!(
            "give each test its own copy: build `{object}` in a function-scoped fixture (or `copy.deepcopy` it in the test), or use `monkeypatch.setitem`/`monkeypatch.setattr` so pytest restores it"
        );
        let related = write
            .definition
            .map(|(span, _)| (span, format!("`{object}` is defined here, once per module")))
            .into_iter()
            .collect();
        Some(write_finding(&META, write, message, fix, related))
    }

    /// Unsafe: the module-level literal becomes a function-scoped fixture of the same name that
    /// every test using it takes, so each test starts from a fresh value. Tests that relied on
    /// what an earlier test left behind change meaning, which is the point but not a safe edit.
    fn fix(&self, write: &StateWrite, ctx: &FileContext, module: &str) -> Option<crate::fix::Fix> {
        let own = write
            .path
            .strip_prefix(module)
            .and_then(|rest| rest.strip_prefix('.'))?;
        if write.holder != Holder::ModuleObject
            || write.through.is_some()
            || write.owner.role != isolint_python::model::Role::Test
            || ctx.file.is_conftest
            || ctx.file.package_code
            || !ctx.file.pytest_module
        {
            return None;
        }
        let object = own.split(['.', '[']).next()?;
        ctx.module_mutable_fixes
            .borrow_mut()
            .entry(object.to_string())
            .or_insert_with(|| {
                crate::fix::edits::module_mutable_to_fixture(ctx.model, object)
                    .and_then(crate::fix::Fix::unsafe_)
            })
            .clone()
    }
}
