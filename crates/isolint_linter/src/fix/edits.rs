//! Edit builders the fixes share: taking a fixture as a parameter, adding a statement at the top of
//! a function body or an import at the top of the module, and the rewrites of single calls and
//! declarations that several rules offer (`monkeypatch.chdir`, `monkeypatch.syspath_prepend`, a
//! per-worker name, a module-level mutable turned into a fixture, a narrower fixture scope).
//!
//! Every builder answers `None` when it cannot be sure the rewrite keeps the code valid: a fix is
//! offered only when it is surely right.

use super::Edit;
use isolint_python::model::{BindingValue, FileModel, ScopeId, ScopeKind, MODULE_SCOPE};
use isolint_python::syntax::kind_of;
use isolint_python::syntax::{field, kind, named_children, text, unparenthesize, CallArgs};
use tree_sitter::Node;

/// How a function gets a fixture as a parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    /// It takes it already.
    Present,
    /// This edit adds it.
    Added(Edit),
}

impl Param {
    pub fn edit(self) -> Option<Edit> {
        match self {
            Param::Present => None,
            Param::Added(edit) => Some(edit),
        }
    }
}

/// The `function_definition` node of a function scope.
pub fn function_node<'t>(model: &FileModel<'t>, scope: ScopeId) -> Option<Node<'t>> {
    let s = model.scopes.get(scope)?;
    (s.kind == ScopeKind::Function && s.node.kind() == kind::FUNCTION_DEFINITION).then_some(s.node)
}

/// The names of a function's parameters, in order (`self` included, `*` and `/` left out).
pub fn parameter_names<'s>(function: Node, source: &'s str) -> Vec<&'s str> {
    let Some(parameters) = function.child_by_field_id(field::PARAMETERS.id()) else {
        return Vec::new();
    };
    named_children(parameters)
        .filter_map(|p| parameter_name(p, source))
        .collect()
}

fn parameter_name<'s>(parameter: Node, source: &'s str) -> Option<&'s str> {
    match kind_of(parameter) {
        kind::IDENTIFIER => Some(text(parameter, source)),
        kind::DEFAULT_PARAMETER | kind::TYPED_DEFAULT_PARAMETER => parameter
            .child_by_field_id(field::NAME.id())
            .map(|n| text(n, source)),
        kind::TYPED_PARAMETER | kind::LIST_SPLAT_PATTERN | kind::DICTIONARY_SPLAT_PATTERN => {
            named_children(parameter)
                .find(|c| kind_of(c) == kind::IDENTIFIER)
                .map(|n| text(n, source))
        }
        _ => None,
    }
}

/// Makes `function` take the fixture `name`. pytest fills parameters without a default by name,
/// keyword-only ones included, so the new parameter goes after the last plain one: before the first
/// parameter with a default (a parameter without one may not follow it) unless a `*` comes first,
/// and always before `**kwargs`. `mock.patch` decorators fill the first parameters, so appending
/// keeps them right. Comments and a trailing comma in the signature stay where they are.
pub fn add_parameter(function: Node, source: &str, name: &str) -> Option<Param> {
    if kind_of(function) != kind::FUNCTION_DEFINITION {
        return None;
    }
    let parameters = function.child_by_field_id(field::PARAMETERS.id())?;
    let list: Vec<Node> = named_children(parameters)
        .filter(|p| kind_of(p) != kind::COMMENT)
        .collect();
    if list
        .iter()
        .any(|p| parameter_name(*p, source) == Some(name))
    {
        return Some(Param::Present);
    }
    let mut seen_star = false;
    for parameter in &list {
        match kind_of(parameter) {
            kind::LIST_SPLAT_PATTERN | "keyword_separator" => seen_star = true,
            kind::DICTIONARY_SPLAT_PATTERN => {
                return Some(Param::Added(Edit::insert(
                    parameter.start_byte(),
                    format!("{name}, "),
                )))
            }
            kind::DEFAULT_PARAMETER | kind::TYPED_DEFAULT_PARAMETER if !seen_star => {
                return Some(Param::Added(Edit::insert(
                    parameter.start_byte(),
                    format!("{name}, "),
                )))
            }
            _ => {}
        }
    }
    Some(Param::Added(match list.last() {
        Some(last) => Edit::insert(last.end_byte(), format!(", {name}")),
        None => Edit::insert(parameters.start_byte() + 1, name.to_string()),
    }))
}

/// Whether test function `owner` can take fixture `name`: nothing in it binds the name otherwise
/// (a local, a nested function's parameter), no parametrization names it, and no decorator changes
/// how pytest calls it in a way that refuses function-scoped fixtures (Hypothesis' `@given`).
pub fn can_take_fixture(model: &FileModel, owner: ScopeId, name: &str) -> bool {
    let source = model.source;
    let Some(function) = function_node(model, owner) else {
        return false;
    };
    let takes_it = parameter_names(function, source).contains(&name);
    for scope in model.subtree(owner) {
        let Some(bindings) = model.scopes[scope].bindings.get(name) else {
            continue;
        };
        let parameter_here = scope == owner
            && takes_it
            && bindings
                .iter()
                .all(|b| matches!(b.value, BindingValue::Param(_)));
        if !parameter_here {
            return false;
        }
    }
    let quoted = [format!("\"{name}"), format!("'{name}"), format!(",{name}")];
    !model.scopes[owner].decorators.iter().any(|d| {
        let t = text(*d, source);
        t.contains("given") || quoted.iter().any(|q| t.contains(q.as_str()))
    }) && !model.scopes[owner].decorators.iter().any(|d| {
        // `@pytest.mark.parametrize("a, tmp_path", ...)`
        text(*d, source).contains("parametrize") && text(*d, source).contains(name)
    })
}

/// Inserts statements at the top of a function's body (after its docstring), indented like the
/// body. `None` for a body on the `def` line, or one holding only a docstring.
pub fn insert_at_body_start(function: Node, source: &str, lines: &[String]) -> Option<Edit> {
    let body = function.child_by_field_id(field::BODY.id())?;
    let statements: Vec<Node> = named_children(body)
        .filter(|c| kind_of(c) != kind::COMMENT)
        .collect();
    let first = statements.first()?;
    let is_docstring = kind_of(first) == kind::EXPRESSION_STATEMENT
        && named_children(*first).count() == 1
        && named_children(*first)
            .next()
            .is_some_and(|c| kind_of(c) == kind::STRING);
    let target = if is_docstring {
        statements.get(1)?
    } else {
        first
    };
    let line_start = source[..target.start_byte()].rfind('\n')? + 1;
    let indent = &source[line_start..target.start_byte()];
    if !indent.chars().all(|c| c == ' ' || c == '\t') || indent.is_empty() {
        return None;
    }
    let newline = newline_of(source);
    let content: String = lines
        .iter()
        .map(|l| format!("{indent}{l}{newline}"))
        .collect();
    Some(Edit::insert(line_start, content))
}

/// Whether the module binds `local` by importing `module` (`import os`, `from unittest import
/// mock`), and whether the name is free for such an import.
pub enum Imported {
    Yes,
    /// Not bound: an import may be added.
    Free,
    /// Bound to something else.
    Taken,
}

pub fn imported(model: &FileModel, local: &str, module: &str) -> Imported {
    let Some(bindings) = model.scopes[MODULE_SCOPE].bindings.get(local) else {
        return Imported::Free;
    };
    let all_imports = bindings.iter().all(|b| match b.value {
        BindingValue::Import(qualified, _) => qualified == module,
        _ => false,
    });
    if all_imports {
        Imported::Yes
    } else {
        Imported::Taken
    }
}

/// Where new imports go: before the module's first import (after `from __future__` imports and
/// the docstring), else after the docstring, else at the top.
pub fn import_insertion_point(model: &FileModel) -> usize {
    let source = model.source;
    let root = model.tree.root_node();
    let mut after = 0;
    for (i, statement) in named_children(root).enumerate() {
        match kind_of(statement) {
            kind::COMMENT => continue,
            "future_import_statement" => {
                after = line_end(source, statement.end_byte());
            }
            kind::IMPORT_STATEMENT | kind::IMPORT_FROM_STATEMENT => {
                return line_start(source, statement.start_byte()).max(after)
            }
            kind::EXPRESSION_STATEMENT
                if i == 0
                    || named_children(root)
                        .take(i)
                        .all(|c| kind_of(c) == kind::COMMENT) =>
            {
                let docstring = named_children(statement)
                    .next()
                    .is_some_and(|c| kind_of(c) == kind::STRING);
                if docstring {
                    after = line_end(source, statement.end_byte());
                } else {
                    return after;
                }
            }
            _ => return after,
        }
    }
    after
}

/// The file's line ending, for inserted lines: `\r\n` when its first line ends so.
pub fn newline_of(source: &str) -> &'static str {
    match source.find('\n') {
        Some(i) if i > 0 && source.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

fn line_start(source: &str, at: usize) -> usize {
    source[..at].rfind('\n').map_or(0, |i| i + 1)
}

fn line_end(source: &str, at: usize) -> usize {
    source[at..].find('\n').map_or(source.len(), |i| at + i + 1)
}

/// `import X` lines for the modules not imported yet (each `(local name, module, statement)`),
/// as one insertion; `None` when a name is bound to something else.
pub fn add_imports(model: &FileModel, wanted: &[(&str, &str, &str)]) -> Option<Option<Edit>> {
    let mut lines = String::new();
    for (local, module, statement) in wanted {
        match imported(model, local, module) {
            Imported::Yes => {}
            Imported::Free => {
                lines.push_str(statement);
                lines.push_str(newline_of(model.source));
            }
            Imported::Taken => return None,
        }
    }
    if lines.is_empty() {
        return Some(None);
    }
    let at = import_insertion_point(model);
    // At the very end of a file without a final newline, start a line first.
    if at == model.source.len() && !model.source.is_empty() && !model.source.ends_with('\n') {
        lines.insert_str(0, newline_of(model.source));
    }
    Some(Some(Edit::insert(at, lines)))
}

/// The call is a statement of its own (its value unused).
pub fn is_statement(call: Node) -> bool {
    call.parent()
        .is_some_and(|p| kind_of(p) == kind::EXPRESSION_STATEMENT && named_children(p).count() == 1)
}

/// `os.chdir(d)` → `monkeypatch.chdir(d)`: the folder is changed back after the test. The call must
/// be a statement with one positional argument; the caller adds the `monkeypatch` parameter.
pub fn chdir_to_monkeypatch(call: Node, source: &str) -> Option<Edit> {
    let args = CallArgs::of(call, source);
    if kind_of(call) != kind::CALL
        || !is_statement(call)
        || args.positional.len() != 1
        || !args.keywords.is_empty()
    {
        return None;
    }
    let callee = call.child_by_field_id(field::FUNCTION.id())?;
    Some(Edit::replace(
        callee.start_byte(),
        callee.end_byte(),
        "monkeypatch.chdir",
    ))
}

/// `sys.path.insert(0, p)` → `monkeypatch.syspath_prepend(p)`: `sys.path` is restored after the
/// test. Only the insert at the front: an append or an insert elsewhere means another order.
pub fn syspath_insert_to_monkeypatch(call: Node, source: &str) -> Option<Edit> {
    let args = CallArgs::of(call, source);
    if kind_of(call) != kind::CALL
        || !is_statement(call)
        || args.positional.len() != 2
        || !args.keywords.is_empty()
        || text(unparenthesize(args.positional[0]), source) != "0"
    {
        return None;
    }
    let path = args.positional[1];
    Some(Edit::replace(
        call.start_byte(),
        call.end_byte(),
        format!("monkeypatch.syspath_prepend({})", text(path, source)),
    ))
}

/// A plain string literal (no f-string, bytes or implicit concatenation) and its quote.
fn plain_string<'s>(node: Node, source: &'s str) -> Option<(&'s str, &'s str)> {
    if kind_of(node) != kind::STRING
        || named_children(node).any(|c| kind_of(c) == kind::INTERPOLATION)
    {
        return None;
    }
    let whole = text(node, source);
    let prefix_len = whole.find(['"', '\''])?;
    let prefix = &whole[..prefix_len];
    if !prefix.chars().all(|c| matches!(c, 'u' | 'U')) {
        return None;
    }
    let rest = &whole[prefix_len..];
    let quote = if rest.starts_with("\"\"\"") || rest.starts_with("\'\'\'") {
        rest.get(..3)?
    } else {
        rest.get(..1)?
    };
    (rest.len() >= 2 * quote.len() && rest.ends_with(quote)).then_some((prefix, quote))
}

/// Fixed names inside a string literal, made per worker: `"CREATE DATABASE reports"` →
/// `f"CREATE DATABASE reports_{worker_id}"`. Every whole-word occurrence of each name is suffixed
/// (a seed and its teardown name the same label); braces elsewhere are doubled so the f-string
/// reads the same. `None` when no name occurs. The caller adds the `worker_id` parameter.
pub fn suffix_with_worker_id(string: Node, source: &str, names: &[&str]) -> Option<Edit> {
    let (prefix, quote) = plain_string(string, source)?;
    let whole = text(string, source);
    let body = whole.get(prefix.len() + quote.len()..whole.len().checked_sub(quote.len())?)?;
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut cuts: Vec<usize> = Vec::new();
    for name in names.iter().filter(|n| !n.is_empty()) {
        for (i, _) in body.match_indices(name) {
            let before = body[..i].chars().next_back();
            let after = body[i + name.len()..].chars().next();
            if !before.is_some_and(is_word) && !after.is_some_and(is_word) {
                cuts.push(i + name.len());
            }
        }
    }
    if cuts.is_empty() {
        return None;
    }
    cuts.sort_unstable();
    cuts.dedup();
    let escape = |s: &str| s.replace('{', "{{").replace('}', "}}");
    let mut content = format!("f{quote}");
    let mut at = 0;
    for cut in cuts {
        content.push_str(&escape(&body[at..cut]));
        content.push_str("_{worker_id}");
        at = cut;
    }
    content.push_str(&escape(&body[at..]));
    content.push_str(quote);
    Some(Edit::replace(
        string.start_byte(),
        string.end_byte(),
        content,
    ))
}

/// Every string literal inside a node (a function), in source order.
pub fn strings_in<'t>(node: Node<'t>) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let mut cursor = node.walk();
    let mut stack = vec![node];
    while let Some(current) = stack.pop() {
        if kind_of(current) == kind::STRING {
            out.push(current);
            continue;
        }
        stack.extend(current.children(&mut cursor));
    }
    out.sort_by_key(|n| n.start_byte());
    out
}

/// `@pytest.fixture(scope="session")` → `@pytest.fixture(scope="function")` (or another narrower
/// scope): each test gets its own value. `decorator` is the fixture's decorator node.
pub fn narrow_fixture_scope(decorator: Node, source: &str, to: &str) -> Option<Edit> {
    const ORDER: [&str; 5] = ["function", "class", "module", "package", "session"];
    let call = named_children(decorator)
        .next()
        .filter(|c| kind_of(c) == kind::CALL)?;
    let args = CallArgs::of(call, source);
    let (_, value) = args.keywords.iter().find(|(k, _)| *k == "scope")?;
    let current = isolint_python::model::string_value(*value, source)?;
    let rank = |s: &str| ORDER.iter().position(|o| *o == s);
    if rank(to)? >= rank(&current)? {
        return None;
    }
    Some(Edit::replace(
        value.start_byte(),
        value.end_byte(),
        format!("\"{to}\""),
    ))
}

/// Tests that may take a fixture made of a module-level object.
const MAX_FIXTURE_USERS: usize = 32;

/// A module-level `NAME = <mutable literal>` that only tests use, turned into a function-scoped
/// fixture of the same name that each of those tests takes: every test gets a fresh value.
/// `None` when anything else in the file reads the name (a helper, a class body, another module
/// constant), when a test rebinds it, or when pytest is not imported as `pytest`.
pub fn module_mutable_to_fixture(model: &FileModel, name: &str) -> Option<Vec<Edit>> {
    let source = model.source;
    let bindings = model.scopes[MODULE_SCOPE].bindings.get(name)?;
    let [binding] = bindings.as_slice() else {
        return None;
    };
    let BindingValue::Expr(value) = binding.value else {
        return None;
    };
    // The decorator runs where the constant was: `pytest` must be bound by then.
    let pytest_first = model.scopes[MODULE_SCOPE]
        .bindings
        .get("pytest")
        .is_some_and(|b| b.iter().all(|b| b.at <= binding.at));
    if !matches!(
        kind_of(unparenthesize(value)),
        kind::LIST | kind::DICTIONARY | kind::SET
    ) || !matches!(imported(model, "pytest", "pytest"), Imported::Yes)
        || !pytest_first
    {
        return None;
    }
    let assignment = value.parent().filter(|p| kind_of(p) == kind::ASSIGNMENT)?;
    let statement = assignment.parent().filter(|p| {
        kind_of(p) == kind::EXPRESSION_STATEMENT && p.parent() == Some(model.tree.root_node())
    })?;
    let mut edits = vec![Edit::replace(
        statement.start_byte(),
        statement.end_byte(),
        format!(
            "@pytest.fixture{nl}def {name}():{nl}    return {}",
            text(value, source),
            nl = newline_of(source)
        ),
    )];
    // Every other use of the name must sit in a test that can take the fixture.
    let mut users: Vec<ScopeId> = Vec::new();
    let mut cursor = model.tree.root_node().walk();
    let mut stack = vec![model.tree.root_node()];
    while let Some(node) = stack.pop() {
        if kind_of(node) == kind::IDENTIFIER
            && text(node, source) == name
            && assignment
                .child_by_field_id(field::LEFT.id())
                .is_none_or(|l| l.id() != node.id())
            && !is_member_or_keyword(node)
        {
            let scope = innermost_function(model, node)?;
            let owner = model.owner(scope);
            if model.scopes[owner].role != isolint_python::model::Role::Test
                || model
                    .class_of_method(owner)
                    .is_some_and(|c| model.unittest_classes.contains(&c))
                || model.scopes[scope].bindings.contains_key(name)
                || model.scopes[scope].globals.contains(&name)
            {
                return None;
            }
            if !users.contains(&owner) {
                // A container that many tests share is a design, not a slip: and each finding
                // would carry an edit per test.
                if users.len() == MAX_FIXTURE_USERS {
                    return None;
                }
                users.push(owner);
            }
        }
        stack.extend(node.children(&mut cursor));
    }
    for owner in users {
        if !can_take_fixture(model, owner, name) {
            return None;
        }
        edits.extend(add_parameter(function_node(model, owner)?, source, name)?.edit());
    }
    Some(edits)
}

/// `x.NAME` or `f(NAME=...)`: the identifier names an attribute or a keyword, not the variable.
pub(crate) fn is_member_or_keyword(identifier: Node) -> bool {
    identifier.parent().is_some_and(|p| {
        let field = match kind_of(p) {
            kind::ATTRIBUTE => field::ATTRIBUTE,
            kind::KEYWORD_ARGUMENT => field::NAME,
            _ => return false,
        };
        p.child_by_field_id(field.id())
            .is_some_and(|c| c.id() == identifier.id())
    })
}

/// The innermost function scope around `node`, found from its ancestors (a lookup per
/// definition, not a scan of the file's scopes).
pub(crate) fn innermost_function<'t>(model: &FileModel<'t>, node: Node<'t>) -> Option<ScopeId> {
    model
        .ancestors(node)
        .filter_map(|ancestor| model.scope_defined_by(ancestor))
        .find(|id| model.scopes[*id].kind == ScopeKind::Function)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::fix::{apply, Fix};
    use isolint_python::model::{build, BuildOptions};
    use isolint_python::parse::{parse, python_parser};
    use isolint_python::pytest_config::Naming;

    /// Builds the model of `source` (as a test module) and hands it to `check`.
    pub(crate) fn with_model<R>(source: &str, check: impl FnOnce(&FileModel) -> R) -> R {
        let mut parser = python_parser();
        let tree = parse(&mut parser, source).expect("the snippet parses");
        let naming = Naming::default();
        let wanted = vec![false; isolint_python::syntax::kind_count()];
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

    fn function<'m>(model: &'m FileModel, name: &str) -> (ScopeId, Node<'m>) {
        let id = model
            .scopes
            .iter()
            .position(|s| s.name == name && s.kind == ScopeKind::Function)
            .expect("function exists");
        (id, function_node(model, id).expect("a def"))
    }

    fn applied(source: &str, edits: Vec<Edit>) -> String {
        apply(source, [&Fix::safe(edits).expect("edits")]).text
    }

    fn with_param(source: &str, name: &str) -> String {
        with_model(source, |model| {
            let (_, f) = function(model, "test_x");
            match add_parameter(f, source, name).expect("can add") {
                Param::Present => source.to_string(),
                Param::Added(edit) => applied(source, vec![edit]),
            }
        })
    }

    #[test]
    fn parameters_go_where_pytest_fills_them() {
        let cases = [
            (
                "def test_x():\n    pass\n",
                "def test_x(tmp_path):\n    pass\n",
            ),
            (
                "def test_x(a, b):\n    pass\n",
                "def test_x(a, b, tmp_path):\n    pass\n",
            ),
            (
                "def test_x(a, b,):\n    pass\n",
                "def test_x(a, b, tmp_path,):\n    pass\n",
            ),
            (
                "class T:\n    def test_x(self):\n        pass\n",
                "class T:\n    def test_x(self, tmp_path):\n        pass\n",
            ),
            (
                "def test_x(a, b=1):\n    pass\n",
                "def test_x(a, tmp_path, b=1):\n    pass\n",
            ),
            (
                "def test_x(a, *, b=1):\n    pass\n",
                "def test_x(a, *, b=1, tmp_path):\n    pass\n",
            ),
            (
                "def test_x(a, **kw):\n    pass\n",
                "def test_x(a, tmp_path, **kw):\n    pass\n",
            ),
            (
                "def test_x(a: int):\n    pass\n",
                "def test_x(a: int, tmp_path):\n    pass\n",
            ),
            (
                "def test_x(\n    a,  # the input\n):\n    pass\n",
                "def test_x(\n    a, tmp_path,  # the input\n):\n    pass\n",
            ),
            (
                "def test_x(tmp_path):\n    pass\n",
                "def test_x(tmp_path):\n    pass\n",
            ),
        ];
        for (source, expected) in cases {
            assert_eq!(with_param(source, "tmp_path"), expected, "{source}");
        }
    }

    #[test]
    fn a_name_bound_in_the_test_cannot_become_a_fixture() {
        let source = "import pytest\n\ndef test_a():\n    tmp_path = 1\n\ndef test_b():\n    def inner(tmp_path):\n        pass\n\n@pytest.mark.parametrize(\"tmp_path\", [1])\ndef test_c(tmp_path):\n    pass\n\ndef test_d(tmp_path):\n    pass\n\ndef test_e():\n    pass\n";
        with_model(source, |model| {
            for (name, ok) in [
                ("test_a", false),
                ("test_b", false),
                ("test_c", false),
                ("test_d", true),
                ("test_e", true),
            ] {
                let (id, _) = function(model, name);
                assert_eq!(can_take_fixture(model, id, "tmp_path"), ok, "{name}");
            }
        });
    }

    #[test]
    fn statements_go_after_the_docstring() {
        let source = "def test_x():\n    \"\"\"Doc.\"\"\"\n    # note\n    run()\n";
        with_model(source, |model| {
            let (_, f) = function(model, "test_x");
            let edit = insert_at_body_start(f, source, &["a = 1".into()]).unwrap();
            assert_eq!(
                applied(source, vec![edit]),
                "def test_x():\n    \"\"\"Doc.\"\"\"\n    # note\n    a = 1\n    run()\n"
            );
        });
        let one_line = "def test_x(): run()\n";
        with_model(one_line, |model| {
            let (_, f) = function(model, "test_x");
            assert!(insert_at_body_start(f, one_line, &["a = 1".into()]).is_none());
        });
    }

    #[test]
    fn imports_go_before_the_first_import() {
        let cases = [
            (
                "\"\"\"Doc.\"\"\"\nimport os\n",
                "\"\"\"Doc.\"\"\"\nimport shutil\nimport os\n",
            ),
            (
                "from __future__ import annotations\nimport os\n",
                "from __future__ import annotations\nimport shutil\nimport os\n",
            ),
            (
                "\"\"\"Doc.\"\"\"\n\nX = 1\n",
                "\"\"\"Doc.\"\"\"\nimport shutil\n\nX = 1\n",
            ),
            ("X = 1\n", "import shutil\nX = 1\n"),
            ("import shutil\nX = 1\n", "import shutil\nX = 1\n"),
        ];
        for (source, expected) in cases {
            with_model(source, |model| {
                let edit = add_imports(model, &[("shutil", "shutil", "import shutil")]).unwrap();
                let out = match edit {
                    Some(edit) => applied(source, vec![edit]),
                    None => source.to_string(),
                };
                assert_eq!(out, expected, "{source}");
            });
        }
        with_model("shutil = None\n", |model| {
            assert!(add_imports(model, &[("shutil", "shutil", "import shutil")]).is_none());
        });
    }

    fn first_call<'m>(model: &'m FileModel, callee: &str) -> Node<'m> {
        model
            .scopes
            .iter()
            .flat_map(|s| s.calls.iter())
            .copied()
            .find(|c| {
                c.child_by_field_id(field::FUNCTION.id())
                    .is_some_and(|f| text(f, model.source) == callee)
            })
            .expect("call exists")
    }

    #[test]
    fn chdir_becomes_monkeypatch_chdir() {
        let source = "import os\ndef test_x(tmp_path):\n    os.chdir(tmp_path)\n    x = os.chdir(tmp_path)\n";
        with_model(source, |model| {
            let calls: Vec<Node> = model
                .scopes
                .iter()
                .flat_map(|s| s.calls.iter())
                .copied()
                .collect();
            let edit = chdir_to_monkeypatch(calls[0], source).unwrap();
            assert_eq!(
                applied(source, vec![edit]),
                "import os\ndef test_x(tmp_path):\n    monkeypatch.chdir(tmp_path)\n    x = os.chdir(tmp_path)\n"
            );
            // The value of the call is used: not a statement of its own.
            assert!(chdir_to_monkeypatch(calls[1], source).is_none());
        });
    }

    #[test]
    fn syspath_insert_at_the_front_becomes_syspath_prepend() {
        let source = "import sys\ndef test_x():\n    sys.path.insert(0, str(HERE))\n    sys.path.insert(1, 'x')\n";
        with_model(source, |model| {
            let calls: Vec<Node> = model
                .scopes
                .iter()
                .flat_map(|s| s.calls.iter())
                .copied()
                .filter(|c| text(*c, source).starts_with("sys.path"))
                .collect();
            let edit = syspath_insert_to_monkeypatch(calls[0], source).unwrap();
            assert_eq!(
                applied(source, vec![edit]),
                "import sys\ndef test_x():\n    monkeypatch.syspath_prepend(str(HERE))\n    sys.path.insert(1, 'x')\n"
            );
            assert!(syspath_insert_to_monkeypatch(calls[1], source).is_none());
        });
    }

    #[test]
    fn a_fixed_name_gets_the_worker_suffix() {
        let source = "def f():\n    run(\"CREATE DATABASE reports IF NOT EXISTS {x} reports\")\n    run(\"reportsdb\")\n    run(f\"reports {y}\")\n";
        with_model(source, |model| {
            let strings: Vec<Node> = model
                .scopes
                .iter()
                .flat_map(|s| s.calls.iter())
                .filter_map(|c| CallArgs::of(*c, source).positional.first().copied())
                .collect();
            let edit = suffix_with_worker_id(strings[0], source, &["reports"]).unwrap();
            assert_eq!(
                applied(source, vec![edit]).lines().nth(1).unwrap(),
                "    run(f\"CREATE DATABASE reports_{worker_id} IF NOT EXISTS {{x}} reports_{worker_id}\")"
            );
            // Not a whole word; an f-string already.
            assert!(suffix_with_worker_id(strings[1], source, &["reports"]).is_none());
            assert!(suffix_with_worker_id(strings[2], source, &["reports"]).is_none());
        });
        let _ = first_call;
    }

    #[test]
    fn fixture_scope_narrows_only() {
        let source = "import pytest\n@pytest.fixture(scope=\"session\", autouse=True)\ndef db():\n    return {}\n@pytest.fixture(scope='function')\ndef other():\n    return {}\n";
        with_model(source, |model| {
            let session = model.fixtures.iter().find(|f| f.name == "db").unwrap();
            let edit = narrow_fixture_scope(session.decorator, source, "function").unwrap();
            assert!(applied(source, vec![edit])
                .contains("@pytest.fixture(scope=\"function\", autouse=True)"));
            assert!(narrow_fixture_scope(session.decorator, source, "session").is_none());
            let function = model.fixtures.iter().find(|f| f.name == "other").unwrap();
            assert!(narrow_fixture_scope(function.decorator, source, "module").is_none());
        });
    }

    #[test]
    fn a_module_mutable_becomes_a_fixture_its_tests_take() {
        let source = "import pytest\n\nSEEN = []\n\n\ndef test_a():\n    SEEN.append(1)\n\n\nclass TestB:\n    def test_b(self, tmp_path):\n        assert SEEN == []\n";
        with_model(source, |model| {
            let edits = module_mutable_to_fixture(model, "SEEN").unwrap();
            assert_eq!(
                applied(source, edits),
                "import pytest\n\n@pytest.fixture\ndef SEEN():\n    return []\n\n\ndef test_a(SEEN):\n    SEEN.append(1)\n\n\nclass TestB:\n    def test_b(self, tmp_path, SEEN):\n        assert SEEN == []\n"
            );
        });
        // A helper reads it too: the fixture would not reach it.
        let helper = "import pytest\n\nSEEN = []\n\ndef record(x):\n    SEEN.append(x)\n\ndef test_a():\n    record(1)\n";
        with_model(helper, |model| {
            assert!(module_mutable_to_fixture(model, "SEEN").is_none());
        });
        // Not a mutable literal; pytest not imported.
        with_model(
            "import pytest\nN = 3\ndef test_a():\n    assert N\n",
            |model| {
                assert!(module_mutable_to_fixture(model, "N").is_none());
            },
        );
        with_model("S = {}\ndef test_a():\n    assert S == {}\n", |model| {
            assert!(module_mutable_to_fixture(model, "S").is_none());
        });
        // Shared by more tests than one fix should touch; `x.SEEN` and `f(SEEN=1)` are not uses.
        let many = |n: usize| {
            let mut source = String::from("import pytest\nSEEN = []\n");
            for i in 0..n {
                source.push_str(&format!(
                    "def test_{i}():\n    SEEN.append({i})\n    x.SEEN = f(SEEN=1)\n"
                ));
            }
            source
        };
        with_model(&many(MAX_FIXTURE_USERS), |model| {
            let edits = module_mutable_to_fixture(model, "SEEN").unwrap();
            assert_eq!(edits.len(), MAX_FIXTURE_USERS + 1);
        });
        with_model(&many(MAX_FIXTURE_USERS + 1), |model| {
            assert!(module_mutable_to_fixture(model, "SEEN").is_none());
        });
    }
}
