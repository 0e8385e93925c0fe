//! Extracting the tree-free facts of a file (tests, fixtures, plugins) that the project stage keeps
//! after the tree is dropped.

use crate::context::FileInfo;
use isolint_python::eval::Evaluator;
use isolint_python::intern::intern;
use isolint_python::knowledge;
use isolint_python::model::{
    sequence_len, string_value, BindingValue, FileModel, Role, ScopeId, ScopeKind, MODULE_SCOPE,
};
use isolint_python::project::{
    ClassFacts, FileFacts, FixtureFacts, ImportFacts, MarkerUse, TestFacts,
};
use isolint_python::pytest_config::Naming;
use isolint_python::source::{LineIndex, Span};
use isolint_python::syntax::{kind, kind_of, CallArgs};
use isolint_python::value::Value;
use std::collections::HashMap;

pub fn extract(
    model: &FileModel,
    eval: &Evaluator,
    info: &FileInfo,
    index: &LineIndex,
    naming: &Naming,
) -> FileFacts {
    let source = model.source;
    let mut facts = FileFacts {
        node_path: info.node_path.clone(),
        display: info.display.clone(),
        is_conftest: info.is_conftest,
        is_test_module: info.pytest_module || !model.unittest_classes.is_empty(),
        pytest_plugins: model.pytest_plugins.clone(),
        module_usefixtures: usefixtures(model, MODULE_SCOPE, true),
        ..Default::default()
    };
    let mut test_of_scope: HashMap<ScopeId, usize> = HashMap::new();
    for id in model.function_scopes_with(Role::Test) {
        test_of_scope.insert(id, facts.tests.len());
        facts.tests.push(test_facts(model, eval, info, index, id));
    }
    let mut marker_uses: Vec<MarkerUse> = model
        .markers
        .iter()
        .flat_map(|(scope, markers)| markers.iter().map(move |m| (*scope, m)))
        .map(|(scope, marker)| MarkerUse {
            name: marker.name.to_string(),
            position: index.position(source, marker.span.start),
            end: index.position(source, marker.span.end),
            span: marker.span,
            module_level: scope == MODULE_SCOPE,
        })
        .collect();
    marker_uses.sort_by(|a, b| (a.position, &a.name).cmp(&(b.position, &b.name)));
    marker_uses.dedup();
    facts.marker_uses = marker_uses;
    for (local, bindings) in &model.scopes[MODULE_SCOPE].bindings {
        for binding in bindings {
            if let BindingValue::Import(module, member) = binding.value {
                facts.imports.push(ImportFacts {
                    local: local.to_string(),
                    module: module.to_string(),
                    member: member.map(String::from),
                });
            }
        }
    }
    facts.imported_modules = model
        .scopes
        .iter()
        .flat_map(|scope| scope.bindings.values().flatten())
        .filter_map(|binding| match binding.value {
            BindingValue::Import(module, _) => Some(module.to_string()),
            _ => None,
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    facts.neo4j = crate::neo4j_facts::extract(model, eval, index);
    // The package's own connection retries are the application's: the suite's waits are in
    // conftest, test modules and their helpers.
    if info.package_code {
        facts
            .neo4j
            .retain(|f| f.kind != isolint_python::project::Neo4jFactKind::Wait);
    }
    facts
        .imports
        .sort_by(|a, b| (&a.local, &a.module, &a.member).cmp(&(&b.local, &b.module, &b.member)));
    for (id, scope) in model
        .scopes
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind == ScopeKind::Class)
    {
        let setup_changes_cwd = model
            .subtree(id)
            .filter(|m| model.scopes[*m].parent == Some(id) && model.scopes[*m].role == Role::Setup)
            .any(|m| isolation_of(model, eval, m).0);
        let methods: Vec<ScopeId> = model
            .subtree(id)
            .filter(|m| {
                model.scopes[*m].parent == Some(id) && model.scopes[*m].kind == ScopeKind::Function
            })
            .collect();
        let test_methods = methods
            .iter()
            .filter(|m| {
                let method = &model.scopes[**m];
                method.role == Role::Test
                    || method.role == Role::Helper && naming.is_test_function(method.name)
            })
            // The tests pytest collects here are in `facts.tests` already; subclasses find them there.
            .filter(|m| !test_of_scope.contains_key(m))
            .map(|m| test_facts(model, eval, info, index, *m))
            .collect();
        facts.classes.push(ClassFacts {
            collected: model.test_classes.contains(&id) || model.unittest_classes.contains(&id),
            module_level: scope.parent == Some(MODULE_SCOPE),
            unittest: model.unittest_classes.contains(&id),
            methods: methods
                .iter()
                .map(|m| model.scopes[*m].name.to_string())
                .collect(),
            test_methods,
            name: scope.name.to_string(),
            bases: scope
                .bases
                .iter()
                .map(|b| {
                    knowledge::last_component(isolint_python::syntax::text(*b, source)).to_string()
                })
                .collect(),
            setup_changes_cwd,
        });
    }
    for fixture in &model.fixtures {
        let id = fixture.scope;
        let scope = &model.scopes[id];
        let value = scope.returned.map_or(Value::Unknown, |r| eval.eval(r, id));
        let (changes_cwd, isolates_home) = isolation_of(model, eval, id);
        let resets_env = env_resets(model, id);
        facts.fixtures.push(FixtureFacts {
            name: fixture.name.clone(),
            function: scope.name.to_string(),
            scope: fixture.scope_name.clone(),
            autouse: fixture.autouse,
            params: fixture.params,
            classes: model.class_path(id).into_iter().map(String::from).collect(),
            position: index.position(source, model.span_of_name(id).start),
            requested: scope
                .parameters()
                .into_iter()
                .filter(|(name, default)| default.is_none() && !matches!(*name, "self" | "cls"))
                .map(|(name, _)| intern(name))
                .collect(),
            value,
            changes_cwd,
            isolates_home,
            resets_env,
            calls: called_names(model, id),
            shared_value: crate::rules::wide_fixture_scope::shared_value(model, id),
            resets: crate::rules::wide_fixture_scope::resets(model, id),
        });
    }
    facts
}

/// The facts of a test function or method (also of a test-named method of a class pytest does not
/// collect itself, which subclasses inherit).
fn test_facts(
    model: &FileModel,
    eval: &Evaluator,
    info: &FileInfo,
    index: &LineIndex,
    id: ScopeId,
) -> TestFacts {
    let source = model.source;
    let scope = &model.scopes[id];
    let classes: Vec<String> = model.class_path(id).into_iter().map(String::from).collect();
    let parametrized_names = eval.parametrized_names(id);
    let (requested, requested_spans): (Vec<String>, Vec<Span>) = scope
        .parameter_bindings()
        .into_iter()
        .filter(|(name, binding)| {
            matches!(binding.value, BindingValue::Param(None))
                && !matches!(*name, "self" | "cls")
                && !parametrized_names.iter().any(|p| p == name)
        })
        .map(|(name, binding)| (name.to_string(), binding.span))
        .unzip();
    let mut parameter_count = Some(1usize);
    let mut parametrized = false;
    for marker in model
        .markers_of(id)
        .into_iter()
        .filter(|m| m.name == "parametrize")
    {
        parametrized = true;
        let values = marker
            .call
            .and_then(|call| model.call_args(call).get(1, "argvalues"));
        parameter_count = match (parameter_count, values.and_then(sequence_len)) {
            (Some(total), Some(n)) => Some(total * n),
            _ => None,
        };
    }
    let mut node_id = vec![info.node_path.clone()];
    node_id.extend(classes.iter().cloned());
    node_id.push(scope.name.to_string());
    TestFacts {
        node_id: node_id.join("::"),
        name: scope.name.to_string(),
        position: index.position(source, model.span_of_name(id).start),
        requested: requested.iter().map(|name| intern(name)).collect(),
        requested_spans,
        usefixtures: usefixtures(model, id, false),
        parameter_count: if parametrized { parameter_count } else { None },
        parametrized,
        markers: model
            .markers_of(id)
            .iter()
            .map(|m| m.name.to_string())
            .collect(),
        xdist_group: model
            .markers_of(id)
            .into_iter()
            .filter(|m| m.name == "xdist_group")
            .find_map(|m| {
                let args = CallArgs::of(m.call?, source);
                string_value(args.get(0, "name")?, source)
            }),
        unittest: model
            .class_of_method(id)
            .is_some_and(|c| model.unittest_classes.contains(&c)),
        calls: called_names(model, id),
        fixture_writes: crate::rules::wide_fixture_scope::fixture_writes(
            model, index, id, &requested,
        ),
        classes,
    }
}

/// Fixture names of `usefixtures` markers on a scope (and, unless `own_only`, its classes).
fn usefixtures(model: &FileModel, id: ScopeId, own_only: bool) -> Vec<&'static str> {
    let markers = if own_only {
        model
            .markers
            .get(&id)
            .map(|m| m.iter().collect())
            .unwrap_or_default()
    } else {
        model.markers_of(id)
    };
    markers
        .into_iter()
        .filter(|m| m.name == "usefixtures" && (own_only || m.call.is_some()))
        .filter_map(|m| m.call)
        .flat_map(|call| {
            model
                .call_args(call)
                .positional
                .iter()
                .filter_map(|a| string_value(*a, model.source))
                .collect::<Vec<_>>()
        })
        .filter(|name| !own_only || id == MODULE_SCOPE || !name.is_empty())
        .map(|name| intern(&name))
        .collect()
}

/// Names of functions a test calls, nested scopes included.
fn called_names(model: &FileModel, id: ScopeId) -> Vec<&'static str> {
    let mut names: Vec<&str> = model
        .calls_under(id)
        .filter_map(|(_, call)| model.callee(call))
        .filter_map(|callee| match kind_of(callee) {
            kind::IDENTIFIER => Some(isolint_python::syntax::text(callee, model.source)),
            kind::ATTRIBUTE => model
                .attribute_parts(callee)
                .1
                .map(|a| isolint_python::syntax::text(a, model.source)),
            _ => None,
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    // Kept for every test until the project stage; most calls repeat a name, across tests too.
    names.into_iter().map(intern).collect()
}

/// Variables a fixture sets or deletes with `monkeypatch` before its test runs (`*` for
/// `mock.patch.dict(os.environ, clear=True)`).
fn env_resets(model: &FileModel, id: ScopeId) -> Vec<String> {
    let before_yield = model.scopes[id].yield_at.unwrap_or(usize::MAX);
    let mut keys: Vec<String> = model
        .calls_under(id)
        .filter(|(_, call)| call.start_byte() < before_yield)
        .filter_map(|(_, call)| {
            let callee = isolint_python::syntax::text(model.callee(call)?, model.source);
            let args = || model.call_args(call);
            match knowledge::last_component(callee) {
                // `monkeypatch.setenv/delenv`, and `os.environ.pop` before the test runs.
                "setenv" | "delenv" | "pop" if last_is_env_call(callee) => args()
                    .positional
                    .first()
                    .and_then(|a| string_value(*a, model.source)),
                "dict"
                    if callee.contains("patch")
                        && args()
                            .keyword("clear")
                            .is_some_and(|v| kind_of(v) == kind::TRUE) =>
                {
                    Some("*".to_string())
                }
                _ => None,
            }
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// The context expression of a `with` item (`with tempdir() as d:`).
fn is_with_item(call: tree_sitter::Node) -> bool {
    let parent = call.parent();
    let parent = match parent {
        Some(p) if kind_of(p) == kind::AS_PATTERN => p.parent(),
        other => other,
    };
    parent.is_some_and(|p| kind_of(p) == kind::WITH_ITEM)
}

/// `monkeypatch.setenv`, `monkeypatch.delenv`, `os.environ.pop` (not any `.pop`).
fn last_is_env_call(callee: &str) -> bool {
    !callee.ends_with(".pop") || callee.ends_with("environ.pop")
}

/// Whether a function moves into a private working folder, and whether it points HOME at one.
pub fn isolation_of(model: &FileModel, eval: &Evaluator, id: ScopeId) -> (bool, bool) {
    let mut cwd = false;
    let mut home = false;
    for (scope, call) in model.calls_under(id) {
        let Some(callee) = model.callee(call) else {
            continue;
        };
        let written = isolint_python::syntax::text(callee, model.source);
        let written_last = knowledge::last_component(written);
        // Resolve aliases only for calls that may matter.
        if !(knowledge::changes_cwd(written_last)
            || matches!(written_last, "setenv" | "dict")
            || kind_of(callee) == kind::IDENTIFIER)
        {
            continue;
        }
        let name = model
            .qualified_name(callee, scope)
            .unwrap_or_else(|| written.to_string());
        // A suite's own `with tempdir():` helper (pylint's, and many others) moves into the folder
        // it makes; `tempfile`'s context managers do not.
        if knowledge::names_temp_folder(written_last)
            && !name.starts_with("tempfile.")
            && is_with_item(call)
        {
            cwd = true;
        }
        let last = knowledge::last_component(&name);
        if !(knowledge::changes_cwd(&name) || last == "setenv" || last == "dict") {
            continue;
        }
        let args = model.call_args(call);
        if knowledge::changes_cwd(&name) {
            let target = args.positional.first().map(|a| eval.eval(*a, scope));
            if target.as_ref().and_then(Value::concrete_text).is_none() {
                cwd = true;
            }
        }
        let first_is_home = args
            .positional
            .first()
            .and_then(|a| string_value(*a, model.source))
            .is_some_and(|k| k == "HOME" || k == "USERPROFILE");
        if last == "setenv" && first_is_home {
            home = true;
        }
        if last == "dict" && name.contains("patch") {
            if let Some(list) = model.arguments(call) {
                if isolint_python::syntax::text(list, model.source).contains("\"HOME\"")
                    || isolint_python::syntax::text(list, model.source).contains("'HOME'")
                {
                    home = true;
                }
            }
        }
    }
    (cwd, home)
}
