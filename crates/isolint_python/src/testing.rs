//! What unit tests of the model, the evaluator and query templates share: a snippet's model, and
//! the expression a `probe = ...` assignment in it binds.

use crate::model::{build, BindingValue, BuildOptions, FileModel, ScopeId};
use crate::parse::{parse, python_parser};
use crate::pytest_config::Naming;
use tree_sitter::Node;

/// Builds the model of `source` (as a test module) and hands it to `check`.
pub fn with_model<R>(source: &str, check: impl FnOnce(&FileModel) -> R) -> R {
    let mut parser = python_parser();
    let tree = parse(&mut parser, source).expect("the snippet parses");
    let naming = Naming::default();
    let wanted = vec![false; crate::syntax::kind_count()];
    let model = build(
        &tree,
        source,
        &BuildOptions {
            naming: &naming,
            wanted_kinds: &wanted,
            pytest_module: true,
        },
    );
    check(&model)
}

/// The right side of the last assignment to `name` in the snippet, with its scope.
pub fn assigned<'t>(model: &FileModel<'t>, name: &str) -> (ScopeId, Node<'t>) {
    model
        .scopes
        .iter()
        .enumerate()
        .rev()
        .find_map(|(id, s)| {
            s.bindings
                .get(name)
                .and_then(|b| b.last())
                .and_then(|b| match b.value {
                    BindingValue::Expr(expr) => Some((id, expr)),
                    _ => None,
                })
        })
        .unwrap_or_else(|| panic!("no `{name} = ...` assignment"))
}
