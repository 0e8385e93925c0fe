use crate::context::{FileContext, Finding};
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::Rule;
use isolint_python::knowledge::{changes_in_place, last_component, SEQUENCE_WORDS};
use isolint_python::model::{BindingValue, Role, ScopeId, ScopeKind, MODULE_SCOPE};
use isolint_python::source::Span;
use isolint_python::syntax::kind_of;
use isolint_python::syntax::{field, kind, named_children};
use std::collections::HashMap;
use tree_sitter::Node;

/// ISO404: tests numbered in sequence where a later one reads state an earlier one writes.
pub struct NumberedTestsSharingState;

static META: RuleMeta = RuleMeta {
    code: "ISO404",
    name: "numbered-tests-sharing-state",
    category: Category::OrderDependency,
    severity: Severity::Warning,
    effort: Effort::Moderate,
    shared_effort: Effort::Moderate,
    summary: "Tests numbered in sequence pass state from one to the next",
    doc: include_str!("../../../../../rules/ISO404-numbered-tests-sharing-state.md"),
};

/// The place of a test in a numbered sequence: `test_01_create` → 1, `test_step2` → 2.
pub fn sequence_number(name: &str) -> Option<u64> {
    let segments: Vec<&str> = name.split('_').collect();
    for segment in segments.iter().skip(1) {
        if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            return segment.parse().ok();
        }
        let digits = segment.trim_start_matches(|c: char| c.is_ascii_alphabetic());
        let word = &segment[..segment.len() - digits.len()];
        if !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && SEQUENCE_WORDS.contains(&word.to_ascii_lowercase().as_str())
        {
            return digits.parse().ok();
        }
    }
    None
}

/// What one test writes and reads of the state its container shares.
#[derive(Default)]
struct Touches<'t> {
    writes: Vec<(String, Node<'t>)>,
    reads: Vec<(String, Node<'t>)>,
}

/// The shared state an expression names: a class attribute (`cls.x`, `type(self).x`,
/// `Class.x`, and `self.x` when read) or a module-level variable.
fn state_key(
    expr: Node,
    scope: ScopeId,
    class: Option<(ScopeId, &str)>,
    writing: bool,
    ctx: &FileContext,
) -> Option<String> {
    let model = ctx.model;
    match kind_of(expr) {
        kind::ATTRIBUTE => {
            let (_, class_name) = class?;
            let object = ctx.text(ctx.model.attribute_parts(expr).0?);
            let attribute = ctx.text(ctx.model.attribute_parts(expr).1?);
            let on_class =
                matches!(object, "cls" | "type(self)" | "self.__class__") || object == class_name;
            // A test's `self` is a new instance per test: only reads of it can see the class's value.
            let via_self = object == "self" && !writing;
            (on_class || via_self).then(|| format!("class:{class_name}.{attribute}"))
        }
        kind::IDENTIFIER => {
            let name = ctx.text(expr);
            let (bound_in, binding) = model.lookup(name, scope, expr.start_byte())?;
            let module_variable = bound_in == MODULE_SCOPE
                && matches!(binding.value, BindingValue::Expr(_) | BindingValue::Opaque)
                && name != "pytestmark";
            (module_variable && (!writing || model.scopes[scope].globals.contains(&name)))
                .then(|| format!("module:{name}"))
        }
        _ => None,
    }
}

fn touches<'t>(
    test: ScopeId,
    class: Option<(ScopeId, &str)>,
    ctx: &FileContext<'_, 't>,
) -> Touches<'t> {
    let model = ctx.model;
    let mut found = Touches::default();
    let mut stack = vec![model.scopes[test].node];
    while let Some(node) = stack.pop() {
        let scope = model.scope_at(node.start_byte(), test);
        match kind_of(node) {
            kind::ASSIGNMENT | kind::AUGMENTED_ASSIGNMENT => {
                if let Some(left) = node.child_by_field_id(field::LEFT.id()) {
                    let target = if kind_of(left) == kind::SUBSCRIPT {
                        left.child_by_field_id(field::VALUE.id()).unwrap_or(left)
                    } else {
                        left
                    };
                    // `X[k] = v` mutates a module variable without `global`.
                    let mutation = target.id() != left.id();
                    let key = if mutation {
                        state_key(target, scope, class, false, ctx)
                    } else {
                        state_key(target, scope, class, true, ctx)
                    };
                    if let Some(key) = key {
                        found.writes.push((key, node));
                    }
                }
                if let Some(right) = node.child_by_field_id(field::RIGHT.id()) {
                    stack.push(right);
                }
                continue;
            }
            kind::CALL => {
                if let Some(callee) = ctx.model.callee(node) {
                    if kind_of(callee) == kind::ATTRIBUTE
                        && changes_in_place(last_component(ctx.text(callee)))
                    {
                        if let Some(key) = ctx
                            .model
                            .attribute_parts(callee)
                            .0
                            .and_then(|o| state_key(o, scope, class, false, ctx))
                        {
                            found.writes.push((key, node));
                        }
                    }
                }
            }
            kind::ATTRIBUTE | kind::IDENTIFIER => {
                if let Some(key) = state_key(node, scope, class, false, ctx) {
                    found.reads.push((key, node));
                }
                if kind_of(node) == kind::IDENTIFIER {
                    continue;
                }
            }
            _ => {}
        }
        stack.extend(named_children(node));
    }
    found
}

impl Rule for NumberedTestsSharingState {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn node_kinds(&self) -> &'static [&'static str] {
        &[kind::MODULE, kind::CLASS_DEFINITION]
    }

    fn check_node(&self, node: Node, scope: ScopeId, ctx: &mut FileContext) {
        let model = ctx.model;
        let container = if kind_of(node) == kind::MODULE {
            MODULE_SCOPE
        } else {
            match model.scope_defined_by(node) {
                Some(id) => id,
                None => return,
            }
        };
        let _ = scope;
        let class = (model.scopes[container].kind == ScopeKind::Class)
            .then(|| (container, model.scopes[container].name));
        let mut numbered: Vec<(u64, ScopeId)> = model
            .subtree(container)
            .filter(|id| {
                let s = &model.scopes[*id];
                s.parent == Some(container) && s.kind == ScopeKind::Function && s.role == Role::Test
            })
            .filter_map(|id| sequence_number(model.scopes[id].name).map(|n| (n, id)))
            .collect();
        numbered.sort();
        numbered.dedup_by_key(|(n, _)| *n);
        if numbered.len() < 2 {
            return;
        }
        // The first writer of each key so far, in number order.
        let mut writers: HashMap<String, (ScopeId, Node)> = HashMap::new();
        let mut findings = Vec::new();
        for (_, test) in &numbered {
            let touched = touches(*test, class, ctx);
            let written_here: Vec<&String> = touched.writes.iter().map(|(k, _)| k).collect();
            if let Some((key, read, (writer, write))) =
                touched.reads.iter().find_map(|(key, read)| {
                    writers
                        .get(key)
                        .filter(|(writer, _)| writer != test)
                        .filter(|_| !written_here.contains(&key))
                        .map(|w| (key.clone(), *read, *w))
                })
            {
                findings.push((*test, key, read, writer, write));
            }
            for (key, write) in touched.writes {
                writers.entry(key).or_insert((*test, write));
            }
        }
        for (test, key, read, writer, write) in findings {
            let (_, owner) = ctx.owner_of(test);
            let shown = key
                .split_once(':')
                .map_or(key.as_str(), |(_, k)| k)
                .to_string();
            let writer_name = model.scopes[writer].name;
            let site = owner.site();
            ctx.report(Finding {
                rule: &META,
                span: Span::of(read),
                message: format!(
                    "`{}` comes after `{writer_name}` by number and reads `{shown}`, which `{writer_name}` sets: it passes only when both run in that order in the same worker",
                    owner.function
                ),
                fix: "give each test the state it needs from a fixture (or `setUp`), so that each passes alone and in any order; if the sequence must stay, keep it on one worker with `@pytest.mark.xdist_group` and `--dist loadgroup`".to_string(),
                related: vec![(Span::of(write), format!("`{writer_name}` sets `{shown}` here"))],
                owner,
                related_elsewhere: Vec::new(),
                resource: Some(key),
                site,
                tests: None,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sequence_number;

    #[test]
    fn numbers_in_test_names() {
        assert_eq!(sequence_number("test_01_create"), Some(1));
        assert_eq!(sequence_number("test_2_update"), Some(2));
        assert_eq!(sequence_number("test_step3"), Some(3));
        assert_eq!(sequence_number("test_part2_upload"), Some(2));
        assert_eq!(sequence_number("test_create"), None);
        assert_eq!(sequence_number("test_sha256"), None);
        assert_eq!(sequence_number("test_python3_syntax"), None);
    }
}
