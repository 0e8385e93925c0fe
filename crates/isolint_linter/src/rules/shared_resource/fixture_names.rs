//! Database names given by fixtures (`def db_name(): return "testdb"`, then
//! `driver.session(database=db_name)`): the per-file step reports the choice with the fixture's
//! name in place of the database's; the project stage, which knows what each fixture returns,
//! puts the name in, or drops the finding when the value is unique per worker (`f"test_{worker_id}"`),
//! read from the environment or unknown.

use super::neo4j::{FIXTURE_VALUE, NAMED_BY_FIXTURE};
use super::quoted;
use crate::context::Finding;
use crate::diagnostic::Related;
use isolint_python::project::Project;
use isolint_python::query_tokens::Name;
use isolint_python::services::{NEO4J_DEFAULT_DATABASE, NEO4J_SYSTEM_DATABASE};
use isolint_python::value::{Root, Value};

/// Resolves the fixture-named databases of the findings of `project.files[file]`.
pub fn resolve_fixture_names(findings: &mut Vec<Finding>, file: usize, project: &Project) {
    findings.retain_mut(|finding| {
        let Some(fixture) = finding
            .resource
            .as_deref()
            .and_then(|r| r.strip_prefix(NAMED_BY_FIXTURE))
            .map(str::to_string)
        else {
            return true;
        };
        let Some(reference) = project.resolve(file, &finding.owner.classes, &fixture, None) else {
            return false;
        };
        let name = match project.fixture_value(reference) {
            Value::Text(text) if text.root == Root::Literal => Name::of_text(&text.text),
            _ => Name::Unknown,
        };
        let Name::Fixed(name) = name else {
            return false;
        };
        if name == NEO4J_SYSTEM_DATABASE || name == NEO4J_DEFAULT_DATABASE {
            return false;
        }
        let definition = project.fixture(reference);
        finding.message = finding
            .message
            .replace(&quoted(FIXTURE_VALUE), &quoted(&name));
        finding.resource = Some(format!("neo4j:db/{name}"));
        finding.related_elsewhere.push(Related {
            file: project.files[reference.file].display.clone(),
            line: definition.position.line,
            column: definition.position.column,
            message: format!("fixture `{fixture}` gives the name {}", quoted(&name)),
        });
        true
    });
}
