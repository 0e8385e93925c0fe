//! Dagster instances in a fixed folder: `DAGSTER_HOME` set to one, or an instance made over one.
//! The instance keeps its runs, event logs and schedules in SQLite databases in that folder, so
//! every worker reads and writes the same ones.

use super::{quoted, Call, ResourceKind, ServiceOp};
use isolint_python::model::string_value;
use isolint_python::services::{DAGSTER_HOME, DAGSTER_INSTANCE_CALLS, ENV_SETTERS};
use isolint_python::value::{Root, Value};

pub(super) fn operations(call: &Call, ops: &mut Vec<ServiceOp>) {
    let args = call.args();
    let folder = if ENV_SETTERS.contains(&call.last) {
        let sets_home = args
            .positional
            .first()
            .and_then(|name| string_value(*name, call.ctx.source()))
            .is_some_and(|name| name == DAGSTER_HOME);
        if !sets_home {
            return;
        }
        args.positional.get(1).copied()
    } else {
        let Some((_, position, keyword)) = DAGSTER_INSTANCE_CALLS.iter().find(|(suffix, _, _)| {
            call.callee_text == *suffix
                || call
                    .callee_text
                    .strip_suffix(suffix)
                    .is_some_and(|rest| rest.ends_with('.'))
        }) else {
            return;
        };
        position
            .and_then(|p| args.positional.get(p).copied())
            .or_else(|| args.keyword(keyword))
    };
    let Some(shown) = folder.and_then(|f| fixed_folder(&call.value(f))) else {
        return;
    };
    ops.push(ServiceOp {
        kind: ResourceKind::Database,
        resource: format!("dagster:home/{shown}"),
        what: format!(
            "keeps the Dagster instance (run and event-log databases) in the fixed folder {}, shared by every worker",
            quoted(&shown)
        ),
        fix: "give each test its own instance: `DagsterInstance.ephemeral()`, `instance_for_test()` without `temp_dir`, or `DAGSTER_HOME` under `tmp_path` (`monkeypatch.setenv(\"DAGSTER_HOME\", str(tmp_path))`)".to_string(),
        connects_only: false,
    });
}

/// A folder known to be the same for every worker, as shown in a message.
fn fixed_folder(value: &Value) -> Option<String> {
    let text = value.concrete_text()?;
    let prefix = match &text.root {
        Root::Literal => "",
        Root::TempDir => "$TMPDIR/",
        Root::Home => "~/",
        Root::Cwd => "./",
        Root::SourceDir | Root::Fixture(_) | Root::Param(_) => return None,
    };
    Some(format!("{prefix}{}", text.text))
}
