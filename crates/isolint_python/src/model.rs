//! The per-file semantic model, built in one iterative cursor walk: scopes and their bindings
//! (imports included), classes and functions with their pytest roles (tests, fixtures, setup and
//! teardown, hooks), markers, and the nodes the enabled rules asked for.

use crate::ancestry::{Ancestors, Ancestry, WalkPath};
use crate::pytest_config::Naming;
use crate::source::Span;
use crate::syntax::{self, field, kind, kind_of, named_children, text, unparenthesize, CallArgs};
use crate::walk::Walk;
use foldhash::HashMap;
use std::borrow::Cow;
use tree_sitter::{Node, Tree};

pub type ScopeId = usize;
pub const MODULE_SCOPE: ScopeId = 0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    Module,
    Class,
    Function,
}

/// What pytest makes of a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Role {
    Module,
    ClassBody,
    Test,
    Fixture,
    /// `setUp`, `setup_method`, `setUpClass`, `setup_module`, ...
    Setup,
    /// `tearDown`, `teardown_method`, `tearDownClass`, `teardown_module`, ...
    Teardown,
    /// A `pytest_*` hook in a conftest or plugin.
    Hook,
    /// A `@contextlib.contextmanager` generator: it restores what it changes after `yield`.
    ContextManager,
    /// Any other function; a nested function takes its meaning from where it is defined.
    Helper,
}

impl Role {
    /// Test code in the catalogue's sense: what pytest runs around and inside a test.
    pub fn is_test_code(self) -> bool {
        matches!(
            self,
            Role::Test | Role::Fixture | Role::Setup | Role::Teardown
        )
    }
}

#[derive(Debug, Clone, Copy)]
pub enum BindingValue<'t> {
    /// `name = expr`
    Expr(Node<'t>),
    /// One element of an unpacked expression: `fd, path = tempfile.mkstemp()`.
    Element(Node<'t>),
    /// A function parameter, with its default.
    Param(Option<Node<'t>>),
    /// `import a.b as name`, `from a import b as name`: the qualified name.
    Import(&'t str, Option<&'t str>),
    /// `with expr as name`
    WithItem(Node<'t>),
    /// `def name` / `class name`
    Def(Node<'t>),
    /// The target of `for name in iterable`: one item of the iterable.
    LoopItem(Node<'t>),
    /// One name of a tuple target (`for key, rows in sheets.items()`): part of one item.
    LoopPart(Node<'t>),
    /// Loop targets, augmented assignments and other values not tracked.
    Opaque,
}

#[derive(Debug, Clone, Copy)]
pub struct Binding<'t> {
    /// Where the binding takes effect: lookups see the last binding before their own position.
    pub at: usize,
    pub span: Span,
    pub value: BindingValue<'t>,
}

#[derive(Debug)]
pub struct Scope<'t> {
    pub kind: ScopeKind,
    pub name: &'t str,
    pub node: Node<'t>,
    pub parent: Option<ScopeId>,
    pub role: Role,
    pub bindings: HashMap<&'t str, Vec<Binding<'t>>>,
    /// Names declared `global` in this function.
    pub globals: Vec<&'t str>,
    pub decorators: Vec<Node<'t>>,
    /// Call nodes whose innermost scope is this one, in source order.
    pub calls: Vec<Node<'t>>,
    /// Statements whose innermost scope is this one that change an object rather than bind a
    /// name: assignments and augmented assignments to an attribute or a subscript, and every
    /// `del`, in source order.
    pub object_writes: Vec<Node<'t>>,
    /// Class scopes: attributes assigned through `self.x = ...`/`cls.x = ...` in its methods.
    pub attributes: HashMap<&'t str, Vec<Binding<'t>>>,
    /// Class scopes: the base class expressions.
    pub bases: Vec<Node<'t>>,
    /// Function scopes: whether the body yields.
    pub yields: bool,
    /// Function scopes: where the first `yield` is (what follows it in a fixture is teardown).
    pub yield_at: Option<usize>,
    /// Function scopes: the first `return`/`yield` value in the body itself.
    pub returned: Option<Node<'t>>,
    /// A `for` loop binds a name here (its items may be followed one by one).
    pub has_loop_items: bool,
}

impl<'t> Scope<'t> {
    fn new(kind: ScopeKind, name: &'t str, node: Node<'t>, parent: Option<ScopeId>) -> Self {
        Scope {
            kind,
            name,
            node,
            parent,
            role: match kind {
                ScopeKind::Module => Role::Module,
                ScopeKind::Class => Role::ClassBody,
                ScopeKind::Function => Role::Helper,
            },
            bindings: HashMap::default(),
            globals: Vec::new(),
            decorators: Vec::new(),
            calls: Vec::new(),
            object_writes: Vec::new(),
            attributes: HashMap::default(),
            bases: Vec::new(),
            yields: false,
            yield_at: None,
            returned: None,
            has_loop_items: false,
        }
    }

    pub fn parameters(&self) -> Vec<(&'t str, Option<Node<'t>>)> {
        self.parameter_bindings()
            .into_iter()
            .map(|(name, binding)| match binding.value {
                BindingValue::Param(default) => (name, default),
                _ => (name, None),
            })
            .collect()
    }

    /// The parameters' bindings in signature order: each one's span is its name's.
    pub fn parameter_bindings(&self) -> Vec<(&'t str, &Binding<'t>)> {
        let mut params: Vec<_> = self
            .bindings
            .iter()
            .flat_map(|(name, list)| {
                list.iter()
                    .filter(|binding| matches!(binding.value, BindingValue::Param(_)))
                    .map(move |binding| (*name, binding))
            })
            .collect();
        params.sort_by_key(|(_, binding)| binding.at);
        params
    }
}

/// A marker applied to a test: `@pytest.mark.NAME(...)` or a `pytestmark` entry.
#[derive(Debug, Clone)]
pub struct Marker<'t> {
    pub name: &'t str,
    pub call: Option<Node<'t>>,
    pub span: Span,
}

/// The fixture facts of a fixture function.
#[derive(Debug, Clone)]
pub struct FixtureDef<'t> {
    pub scope: ScopeId,
    pub name: String,
    /// `function`, `class`, `module`, `package` or `session`.
    pub scope_name: String,
    pub autouse: bool,
    pub params: Option<usize>,
    pub decorator: Node<'t>,
}

/// The per-file model. Borrows the tree: rules run while it is alive, then its facts are kept.
pub struct FileModel<'t> {
    pub source: &'t str,
    pub tree: &'t Tree,
    pub scopes: Vec<Scope<'t>>,
    pub fixtures: Vec<FixtureDef<'t>>,
    /// Markers per function or class scope, `pytestmark` included; module markers at [`MODULE_SCOPE`].
    pub markers: HashMap<ScopeId, Vec<Marker<'t>>>,
    pub pytest_plugins: Vec<String>,
    /// Nodes of the kinds rules asked for, in source order, with their innermost scope.
    pub wanted_nodes: Vec<(Node<'t>, ScopeId)>,
    /// The kind id of each of `wanted_nodes`, same index: the walk has it in hand, and the
    /// analyses that dispatch on it would otherwise ask tree-sitter again for every node.
    pub wanted_kind_ids: Vec<u16>,
    /// Unittest-style classes (TestCase subclasses) by scope.
    pub unittest_classes: Vec<ScopeId>,
    /// Classes pytest collects as test classes.
    pub test_classes: Vec<ScopeId>,
    /// The scope a `def`/`class` node opens, by node id.
    scope_of_definition: HashMap<usize, ScopeId>,
    /// The ancestors of the wanted nodes and of calls.
    ancestry: Ancestry<'t>,
    /// The string literals that are not inside another string, in source order (the fix of fixed
    /// paths reads them all).
    pub strings: Vec<Node<'t>>,
    /// Each call's `function` and `arguments` children, by call node id, seen by the walk:
    /// tree-sitter finds a field by scanning the children again (through the hidden
    /// `primary_expression` for `function`), and a dozen analyses ask for these two per call.
    call_parts: HashMap<usize, FieldPair<'t>>,
    /// Each attribute's `object` and `attribute` children, by attribute node id, for the same
    /// reason: qualified names and state paths climb chains of them.
    attribute_parts: HashMap<usize, FieldPair<'t>>,
    /// Each call's arguments taken apart, by the id of its `arguments` child, filled as the walk
    /// passes them (what `CallArgs::of` would find by walking the list again).
    call_args: HashMap<usize, CallArgs<'t>>,
}

/// Two fields of a node, as the walk met them: a call's `function` and `arguments`, an
/// attribute's `object` and `attribute`.
#[derive(Debug, Clone, Copy, Default)]
struct FieldPair<'t> {
    first: Option<Node<'t>>,
    second: Option<Node<'t>>,
}

impl<'t> FieldPair<'t> {
    /// Notes `child` of the node at `parent` if it is the `first` or the `second` field; says
    /// whether it was the second.
    fn note(
        pairs: &mut HashMap<usize, FieldPair<'t>>,
        parent: Option<Node<'t>>,
        field_id: Option<u16>,
        child: Node<'t>,
        [first, second]: [field::Field; 2],
    ) -> bool {
        let (Some(parent), Some(field_id)) = (parent, field_id) else {
            return false;
        };
        let pair = pairs.entry(parent.id()).or_default();
        if field_id == first.id() {
            pair.first = Some(child);
        } else if field_id == second.id() {
            pair.second = Some(child);
            return true;
        }
        false
    }
}

/// What the model builder needs to know besides the source.
pub struct BuildOptions<'a> {
    pub naming: &'a Naming,
    /// Indexed by node kind id: whether a rule wants nodes of that kind.
    pub wanted_kinds: &'a [bool],
    /// Named like a pytest test module: its `test*` functions and `Test*` classes are collected.
    /// (unittest classes are collected in any linted file.)
    pub pytest_module: bool,
}

const SETUP_NAMES: &[&str] = &[
    "setUp",
    "setUpClass",
    "setUpModule",
    "setup_method",
    "setup_class",
    "setup_module",
    "setup_function",
    "setup",
    "asyncSetUp",
    "setUpTestData",
];
const TEARDOWN_NAMES: &[&str] = &[
    "tearDown",
    "tearDownClass",
    "tearDownModule",
    "teardown_method",
    "teardown_class",
    "teardown_module",
    "teardown_function",
    "teardown",
    "asyncTearDown",
    "doCleanups",
];
const UNITTEST_BASES: &[&str] = &[
    "TestCase",
    "SimpleTestCase",
    "TransactionTestCase",
    "LiveServerTestCase",
    "StaticLiveServerTestCase",
    "IsolatedAsyncioTestCase",
    "AsyncTestCase",
    "AioHTTPTestCase",
];

/// Bytes of source per node the walk records (a wanted node, an ancestor): one per 15 on average
/// on Django's tests, and one per 10 or more in nine files of ten. The tables are sized from it so
/// that the walk rarely grows them, which copies them each time.
const SOURCE_BYTES_PER_RECORDED_NODE: usize = 10;

/// Builds the model in one walk of the tree.
pub fn build<'t>(tree: &'t Tree, source: &'t str, options: &BuildOptions) -> FileModel<'t> {
    let root = tree.root_node();
    let recorded = source.len() / SOURCE_BYTES_PER_RECORDED_NODE;
    let mut model = FileModel {
        source,
        tree,
        scopes: vec![Scope::new(ScopeKind::Module, "", root, None)],
        fixtures: Vec::new(),
        markers: HashMap::default(),
        pytest_plugins: Vec::new(),
        wanted_nodes: Vec::with_capacity(recorded),
        wanted_kind_ids: Vec::with_capacity(recorded),
        unittest_classes: Vec::new(),
        test_classes: Vec::new(),
        scope_of_definition: HashMap::default(),
        ancestry: Ancestry::with_capacity(recorded),
        // Sized from the source as above: in test code, about one string per 100 bytes, one call
        // per 128 and one attribute per 64.
        strings: Vec::with_capacity(source.len() / 48),
        call_parts: HashMap::with_capacity_and_hasher(source.len() / 128, Default::default()),
        attribute_parts: HashMap::with_capacity_and_hasher(source.len() / 64, Default::default()),
        call_args: HashMap::with_capacity_and_hasher(source.len() / 128, Default::default()),
    };
    let call = syntax::kind_id(kind::CALL);
    let string = syntax::kind_id(kind::STRING);
    let argument_list = syntax::kind_id(kind::ARGUMENT_LIST);
    let generator = syntax::kind_id("generator_expression");
    let keyword_argument = syntax::kind_id(kind::KEYWORD_ARGUMENT);
    let attribute = syntax::kind_id(kind::ATTRIBUTE);
    let mut stack: Vec<ScopeId> = vec![MODULE_SCOPE];
    let mut path = WalkPath::default();
    // The kinds of the nodes on `path`, so a call's children know their parent is one.
    let mut path_kinds: Vec<u16> = Vec::new();
    // Steps in constant time and reads the kind without a call: the cursor's steps were most of
    // this walk's cost.
    let mut cursor = Walk::new(root);
    'walk: loop {
        let node = cursor.node();
        let kind_id = cursor.kind_id();
        let current = *stack.last().unwrap_or(&MODULE_SCOPE);
        let wanted = options
            .wanted_kinds
            .get(kind_id as usize)
            .copied()
            .unwrap_or(false);
        if wanted || kind_id == call {
            model.ancestry.record(node, &mut path);
        }
        if wanted {
            model.wanted_nodes.push((node, current));
            model.wanted_kind_ids.push(kind_id);
        }
        // Strings inside an f-string's interpolation start before the enclosing string ends.
        if kind_id == string
            && model
                .strings
                .last()
                .is_none_or(|last| node.start_byte() >= last.end_byte())
        {
            model.strings.push(node);
        }
        match path_kinds.last() {
            Some(&parent) if parent == call => {
                model.note_call_part(path.parent(), cursor.field_id().map(|f| f.get()), node);
            }
            Some(&parent) if parent == argument_list || parent == generator => {
                model.note_argument(path.parent(), node);
            }
            Some(&parent) if parent == attribute => {
                model.note_attribute_part(path.parent(), cursor.field_id().map(|f| f.get()), node);
            }
            Some(&parent) if parent == keyword_argument => {
                model.note_keyword_part(&path, cursor.field_id().map(|f| f.get()), node);
            }
            _ => {}
        }
        if let Some(new_scope) = model.enter(node, kind_id, path.parent(), current, source) {
            stack.push(new_scope);
        }
        if cursor.goto_first_child() {
            path.push(node);
            path_kinds.push(kind_id);
            continue;
        }
        let mut leaving = node;
        loop {
            if stack.len() > 1 && model.scopes[stack[stack.len() - 1]].node.id() == leaving.id() {
                stack.pop();
            }
            if cursor.goto_next_sibling() {
                continue 'walk;
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
            // The path's last node is the parent the cursor went back to.
            path_kinds.pop();
            match path.pop() {
                Some(parent) => leaving = parent,
                None => break 'walk,
            }
        }
    }
    for args in model.call_args.values_mut() {
        args.finish();
    }
    model.assign_roles(options);
    model
}

impl<'t> FileModel<'t> {
    fn note_call_part(&mut self, call: Option<Node<'t>>, field_id: Option<u16>, child: Node<'t>) {
        let fields = [field::FUNCTION, field::ARGUMENTS];
        if FieldPair::note(&mut self.call_parts, call, field_id, child, fields) {
            self.call_args.insert(child.id(), CallArgs::default());
        }
    }

    fn note_attribute_part(
        &mut self,
        attribute: Option<Node<'t>>,
        field_id: Option<u16>,
        child: Node<'t>,
    ) {
        let fields = [field::OBJECT, field::ATTRIBUTE];
        FieldPair::note(
            &mut self.attribute_parts,
            attribute,
            field_id,
            child,
            fields,
        );
    }

    /// An attribute node's `object` and `attribute` children (`a.b` → `a`, `b`).
    pub fn attribute_parts(&self, attribute: Node<'t>) -> (Option<Node<'t>>, Option<Node<'t>>) {
        match self.attribute_parts.get(&attribute.id()) {
            Some(parts) => (parts.first, parts.second),
            None => (
                attribute.child_by_field_id(field::OBJECT.id()),
                attribute.child_by_field_id(field::ATTRIBUTE.id()),
            ),
        }
    }

    /// A child of an argument list (or of a call's generator argument), in order.
    fn note_argument(&mut self, list: Option<Node<'t>>, child: Node<'t>) {
        let Some(args) = list.and_then(|list| self.call_args.get_mut(&list.id())) else {
            return;
        };
        args.push_child(child);
    }

    /// The name or value of a keyword argument, given to the call's last keyword.
    fn note_keyword_part(&mut self, path: &WalkPath<'t>, field_id: Option<u16>, child: Node<'t>) {
        let Some(args) = path
            .grandparent()
            .and_then(|list| self.call_args.get_mut(&list.id()))
        else {
            return;
        };
        args.fill_keyword(field_id, child, self.source);
    }

    /// A call's `function` child: what is called.
    pub fn callee(&self, call: Node<'t>) -> Option<Node<'t>> {
        match self.call_parts.get(&call.id()) {
            Some(parts) => parts.first,
            None => call.child_by_field_id(field::FUNCTION.id()),
        }
    }

    /// A call's `arguments` child: its argument list (or generator expression).
    pub fn arguments(&self, call: Node<'t>) -> Option<Node<'t>> {
        match self.call_parts.get(&call.id()) {
            Some(parts) => parts.second,
            None => call.child_by_field_id(field::ARGUMENTS.id()),
        }
    }

    /// A call's arguments taken apart, as the walk saw them; `CallArgs::of` for a call node from
    /// another tree.
    pub fn call_args(&self, call: Node<'t>) -> Cow<'_, CallArgs<'t>> {
        match self
            .arguments(call)
            .and_then(|list| self.call_args.get(&list.id()))
        {
            Some(args) => Cow::Borrowed(args),
            None => Cow::Owned(CallArgs::of(call, self.source)),
        }
    }

    fn bind(
        &mut self,
        scope: ScopeId,
        name: &'t str,
        at: usize,
        span: Span,
        value: BindingValue<'t>,
    ) {
        // A `global x` in a function binds x in the module.
        let target = if self.scopes[scope].globals.contains(&name) {
            MODULE_SCOPE
        } else {
            scope
        };
        self.scopes[target]
            .bindings
            .entry(name)
            .or_default()
            .push(Binding { at, span, value });
    }

    /// Records what a node introduces; returns a new scope when the node opens one.
    fn enter(
        &mut self,
        node: Node<'t>,
        kind_id: u16,
        parent: Option<Node<'t>>,
        scope: ScopeId,
        source: &'t str,
    ) -> Option<ScopeId> {
        if !modelled_kind(kind_id) {
            return None;
        }
        match kind_of(node) {
            kind::FUNCTION_DEFINITION | kind::CLASS_DEFINITION => {
                let name_node = node.child_by_field_id(field::NAME.id())?;
                let name = text(name_node, source);
                self.bind(
                    scope,
                    name,
                    node.start_byte(),
                    Span::of(name_node),
                    BindingValue::Def(node),
                );
                let is_class = kind_of(node) == kind::CLASS_DEFINITION;
                let scope_kind = if is_class {
                    ScopeKind::Class
                } else {
                    ScopeKind::Function
                };
                let id = self.scopes.len();
                let mut new_scope = Scope::new(scope_kind, name, node, Some(scope));
                if let Some(parent) = parent.filter(|p| kind_of(p) == kind::DECORATED_DEFINITION) {
                    new_scope.decorators = named_children(parent)
                        .filter(|child| kind_of(child) == kind::DECORATOR)
                        .collect();
                }
                if is_class {
                    if let Some(bases) = node.child_by_field_id(field::SUPERCLASSES.id()) {
                        new_scope.bases = named_children(bases)
                            .filter(|b| kind_of(b) != kind::KEYWORD_ARGUMENT)
                            .collect();
                    }
                }
                self.scopes.push(new_scope);
                self.scope_of_definition.insert(node.id(), id);
                if !is_class {
                    if let Some(params) = node.child_by_field_id(field::PARAMETERS.id()) {
                        self.bind_parameters(id, params, source);
                    }
                }
                return Some(id);
            }
            kind::ASSIGNMENT => self.record_assignment(node, scope, source),
            kind::AUGMENTED_ASSIGNMENT => {
                if let Some(left) = node.child_by_field_id(field::LEFT.id()) {
                    if matches!(kind_of(left), kind::ATTRIBUTE | kind::SUBSCRIPT) {
                        self.scopes[scope].object_writes.push(node);
                    }
                    if kind_of(left) == kind::IDENTIFIER {
                        let name = text(left, source);
                        self.bind(
                            scope,
                            name,
                            node.end_byte(),
                            Span::of(left),
                            BindingValue::Opaque,
                        );
                    }
                }
            }
            kind::FOR_STATEMENT => {
                if let Some(left) = node.child_by_field_id(field::LEFT.id()) {
                    let iterable = node.child_by_field_id(field::RIGHT.id());
                    for target in identifiers_in_target(left) {
                        let value = match iterable {
                            Some(items) if target.id() == left.id() => {
                                self.scopes[scope].has_loop_items = true;
                                BindingValue::LoopItem(items)
                            }
                            Some(items) => BindingValue::LoopPart(items),
                            None => BindingValue::Opaque,
                        };
                        self.bind(
                            scope,
                            text(target, source),
                            left.start_byte(),
                            Span::of(target),
                            value,
                        );
                    }
                }
            }
            kind::WITH_ITEM => {
                let value = node.child_by_field_id(field::VALUE.id())?;
                if kind_of(value) == kind::AS_PATTERN {
                    let expr = named_children(value).next()?;
                    let alias = value.child_by_field_id(field::ALIAS.id())?;
                    for target in identifiers_in_target(alias) {
                        let binding =
                            if target.id() == alias.id() || named_children(alias).count() == 1 {
                                BindingValue::WithItem(expr)
                            } else {
                                BindingValue::Opaque
                            };
                        self.bind(
                            scope,
                            text(target, source),
                            node.end_byte(),
                            Span::of(target),
                            binding,
                        );
                    }
                }
            }
            kind::IMPORT_STATEMENT => {
                for child in named_children(node) {
                    match kind_of(child) {
                        kind::DOTTED_NAME => {
                            // `import os.path` binds `os`.
                            let full = text(child, source);
                            let first = full.split('.').next().unwrap_or(full);
                            self.bind(
                                scope,
                                first,
                                node.end_byte(),
                                Span::of(child),
                                BindingValue::Import(first, None),
                            );
                        }
                        kind::ALIASED_IMPORT => {
                            if let (Some(name), Some(alias)) = (
                                child.child_by_field_id(field::NAME.id()),
                                child.child_by_field_id(field::ALIAS.id()),
                            ) {
                                self.bind(
                                    scope,
                                    text(alias, source),
                                    node.end_byte(),
                                    Span::of(alias),
                                    BindingValue::Import(text(name, source), None),
                                );
                            }
                        }
                        _ => {}
                    }
                }
            }
            kind::IMPORT_FROM_STATEMENT => {
                let module = node.child_by_field_id(field::MODULE_NAME.id())?;
                let module_name = text(module, source);
                let mut names = node.walk();
                for child in node.children_by_field_name(field::NAME.name, &mut names) {
                    let (name, alias) = match kind_of(child) {
                        kind::ALIASED_IMPORT => (
                            child.child_by_field_id(field::NAME.id()),
                            child.child_by_field_id(field::ALIAS.id()),
                        ),
                        _ => (Some(child), Some(child)),
                    };
                    if let (Some(name), Some(alias)) = (name, alias) {
                        self.bind(
                            scope,
                            text(alias, source),
                            node.end_byte(),
                            Span::of(alias),
                            BindingValue::Import(module_name, Some(text(name, source))),
                        );
                    }
                }
            }
            kind::GLOBAL_STATEMENT => {
                for child in named_children(node) {
                    if kind_of(child) == kind::IDENTIFIER {
                        self.scopes[scope].globals.push(text(child, source));
                    }
                }
            }
            kind::CALL => self.scopes[scope].calls.push(node),
            kind::DELETE_STATEMENT => self.scopes[scope].object_writes.push(node),
            kind::YIELD => {
                let function = self.enclosing_function_of(scope);
                if let Some(function) = function {
                    let s = &mut self.scopes[function];
                    s.yields = true;
                    s.yield_at.get_or_insert(node.start_byte());
                    if s.returned.is_none() {
                        s.returned = named_children(node).next();
                    }
                }
            }
            kind::RETURN_STATEMENT => {
                if let Some(function) = self.enclosing_function_of(scope) {
                    let s = &mut self.scopes[function];
                    if s.returned.is_none() {
                        s.returned = named_children(node).next();
                    }
                }
            }
            _ => {}
        }
        None
    }

    fn enclosing_function_of(&self, scope: ScopeId) -> Option<ScopeId> {
        (self.scopes[scope].kind == ScopeKind::Function).then_some(scope)
    }

    fn bind_parameters(&mut self, scope: ScopeId, params: Node<'t>, source: &'t str) {
        for param in named_children(params) {
            let (name, default) = match kind_of(param) {
                kind::IDENTIFIER => (Some(param), None),
                kind::DEFAULT_PARAMETER | kind::TYPED_DEFAULT_PARAMETER => (
                    param.child_by_field_id(field::NAME.id()),
                    param.child_by_field_id(field::VALUE.id()),
                ),
                kind::TYPED_PARAMETER => (
                    named_children(param).find(|c| kind_of(c) == kind::IDENTIFIER),
                    None,
                ),
                _ => (None, None),
            };
            if let Some(name) = name {
                self.bind(
                    scope,
                    text(name, source),
                    param.start_byte(),
                    Span::of(name),
                    BindingValue::Param(default),
                );
            }
        }
    }

    fn record_assignment(&mut self, node: Node<'t>, scope: ScopeId, source: &'t str) {
        let Some(left) = node.child_by_field_id(field::LEFT.id()) else {
            return;
        };
        // `a = b = expr`: every target gets the final value.
        let mut right = node.child_by_field_id(field::RIGHT.id());
        while let Some(r) = right.filter(|r| kind_of(r) == kind::ASSIGNMENT) {
            right = r.child_by_field_id(field::RIGHT.id());
        }
        let at = node.end_byte();
        if matches!(kind_of(left), kind::ATTRIBUTE | kind::SUBSCRIPT) {
            self.scopes[scope].object_writes.push(node);
        }
        match kind_of(left) {
            kind::IDENTIFIER => {
                let name = text(left, source);
                let value = right.map_or(BindingValue::Opaque, BindingValue::Expr);
                self.bind(scope, name, at, Span::of(left), value);
                if scope == MODULE_SCOPE && name == "pytest_plugins" {
                    if let Some(right) = right {
                        self.pytest_plugins = string_items(right, source);
                    }
                }
            }
            kind::ATTRIBUTE => {
                let (Some(object), Some(attribute)) = (
                    left.child_by_field_id(field::OBJECT.id()),
                    left.child_by_field_id(field::ATTRIBUTE.id()),
                ) else {
                    return;
                };
                let receiver = text(object, source);
                if receiver == "self" || receiver == "cls" {
                    if let Some(class) = self.class_of_method(scope) {
                        let value = right.map_or(BindingValue::Opaque, BindingValue::Expr);
                        self.scopes[class]
                            .attributes
                            .entry(text(attribute, source))
                            .or_default()
                            .push(Binding {
                                at,
                                span: Span::of(left),
                                value,
                            });
                    }
                }
            }
            kind::PATTERN_LIST
            | kind::TUPLE
            | kind::LIST_SPLAT_PATTERN
            | "list_pattern"
            | "tuple_pattern" => {
                let targets: Vec<Node> = named_children(left).collect();
                let values: Option<Vec<Node>> = right
                    .filter(|r| matches!(kind_of(r), kind::EXPRESSION_LIST | kind::TUPLE))
                    .map(|r| named_children(r).collect());
                for (index, target) in targets.iter().enumerate() {
                    if kind_of(target) != kind::IDENTIFIER {
                        continue;
                    }
                    let value = match (&values, right) {
                        (Some(values), _) if values.len() == targets.len() => {
                            BindingValue::Expr(values[index])
                        }
                        (None, Some(right)) => BindingValue::Element(right),
                        _ => BindingValue::Opaque,
                    };
                    self.bind(scope, text(*target, source), at, Span::of(*target), value);
                }
            }
            _ => {}
        }
    }

    /// The ancestors of a node, innermost first: kept from the walk for the wanted nodes and
    /// calls, found by one descent from the root for any other.
    pub fn ancestors(&self, node: Node<'t>) -> Ancestors<'_, 't> {
        self.ancestry.ancestors(node, self.tree.root_node())
    }

    /// The context expressions of the `with` statements around a node, innermost first, up to
    /// the enclosing function or lambda (see [`syntax::with_contexts_among`]).
    pub fn enclosing_with_contexts(&self, node: Node<'t>) -> Vec<Node<'t>> {
        syntax::with_contexts_among(self.ancestors(node))
    }

    /// What wraps `node` when `function` runs it: the `with` contexts around the node, innermost
    /// first, then the decorators' expressions of the function and of its class.
    pub fn wrapping(&self, node: Node<'t>, function: ScopeId) -> Vec<Node<'t>> {
        let decorators = |scope: ScopeId| {
            self.scopes[scope]
                .decorators
                .iter()
                .filter_map(|d| named_children(*d).next())
        };
        self.enclosing_with_contexts(node)
            .into_iter()
            .chain(decorators(function))
            .chain(
                self.class_of_method(function)
                    .into_iter()
                    .flat_map(decorators),
            )
            .collect()
    }

    /// The scope a `def` or `class` node opens.
    pub fn scope_defined_by(&self, definition: Node) -> Option<ScopeId> {
        self.scope_of_definition.get(&definition.id()).copied()
    }

    /// A scope and every scope nested in it: scopes are numbered in source order, so they are
    /// contiguous.
    pub fn subtree(&self, id: ScopeId) -> std::ops::Range<ScopeId> {
        let end_byte = self.scopes[id].node.end_byte();
        let end = self.scopes[id + 1..]
            .iter()
            .position(|s| s.node.start_byte() >= end_byte)
            .map_or(self.scopes.len(), |offset| id + 1 + offset);
        id..end
    }

    /// Every call in a scope and the scopes nested in it, with the scope each call is in.
    pub fn calls_under(&self, id: ScopeId) -> impl Iterator<Item = (ScopeId, Node<'t>)> + '_ {
        self.subtree(id).flat_map(move |scope| {
            self.scopes[scope]
                .calls
                .iter()
                .map(move |call| (scope, *call))
        })
    }

    /// The innermost scope under `within` that contains a byte offset.
    pub fn scope_at(&self, offset: usize, within: ScopeId) -> ScopeId {
        self.subtree(within)
            .rev()
            .find(|id| self.scopes[*id].node.byte_range().contains(&offset))
            .unwrap_or(within)
    }

    /// The class whose method (or a function nested in it) `scope` is.
    pub fn class_of_method(&self, mut scope: ScopeId) -> Option<ScopeId> {
        loop {
            let current = &self.scopes[scope];
            let parent = current.parent?;
            if current.kind == ScopeKind::Function && self.scopes[parent].kind == ScopeKind::Class {
                return Some(parent);
            }
            scope = parent;
        }
    }

    /// The function that gives a scope its meaning: the scope itself, or for a nested helper the
    /// nearest enclosing test, fixture, setup or teardown.
    pub fn owner(&self, scope: ScopeId) -> ScopeId {
        let mut current = scope;
        loop {
            let s = &self.scopes[current];
            if s.kind != ScopeKind::Function {
                return scope;
            }
            if s.role != Role::Helper {
                return current;
            }
            match s.parent {
                Some(parent) if self.scopes[parent].kind == ScopeKind::Function => current = parent,
                _ => return scope,
            }
        }
    }

    /// Whether a name denotes the `pytest` module (or one of its fixtures-decorator aliases).
    fn resolves_to(&self, expr: Node<'t>, qualified: &[&str]) -> bool {
        self.qualified_name(expr, MODULE_SCOPE)
            .is_some_and(|q| qualified.iter().any(|want| q == *want))
    }

    /// Resolves a dotted expression to the qualified name it imports: `osp.join` → `os.path.join`.
    /// Names bound by no import resolve to themselves (builtins, undefined globals).
    pub fn qualified_name(&self, expr: Node<'t>, scope: ScopeId) -> Option<String> {
        // `a.b.c`: the attribute names from the outside in, then the name at the base.
        let mut attributes: Vec<&'t str> = Vec::new();
        let mut base = unparenthesize(expr);
        while kind_of(base) == kind::ATTRIBUTE {
            let (Some(object), Some(attribute)) = self.attribute_parts(base) else {
                return None;
            };
            attributes.push(text(attribute, self.source));
            base = unparenthesize(object);
        }
        if kind_of(base) != kind::IDENTIFIER {
            return None;
        }
        let name = text(base, self.source);
        let (head, member): (&str, Option<&str>) = match self.lookup(name, scope, base.start_byte())
        {
            Some((
                _,
                Binding {
                    value: BindingValue::Import(module, member),
                    ..
                },
            )) => (module, member.as_deref()),
            Some(_) => return None,
            None if is_builtin(name) => ("builtins", Some(name)),
            None => (name, None),
        };
        // Built by appending: `format!` costs several times as much, and this runs per call.
        let length = head.len()
            + member.map_or(0, |m| m.len() + 1)
            + attributes.iter().map(|a| a.len() + 1).sum::<usize>();
        let mut qualified = String::with_capacity(length);
        qualified.push_str(head);
        if let Some(member) = member {
            qualified.push('.');
            qualified.push_str(member);
        }
        for attribute in attributes.iter().rev() {
            qualified.push('.');
            qualified.push_str(attribute);
        }
        Some(qualified)
    }

    /// The binding of `name` visible at `position` from `scope`: the last one before the position in
    /// the innermost scope that binds it (class scopes are skipped from inside methods, as in Python).
    pub fn lookup(
        &self,
        name: &str,
        scope: ScopeId,
        position: usize,
    ) -> Option<(ScopeId, &Binding<'t>)> {
        let mut current = Some(scope);
        let mut first = true;
        while let Some(id) = current {
            let s = &self.scopes[id];
            let visible = first || s.kind != ScopeKind::Class;
            if visible {
                if let Some(bindings) = s.bindings.get(name) {
                    let same_body = id == scope;
                    let found = if same_body && s.kind != ScopeKind::Module {
                        bindings
                            .iter()
                            .rev()
                            .find(|b| b.at <= position)
                            .or_else(|| bindings.first())
                    } else if same_body {
                        bindings
                            .iter()
                            .rev()
                            .find(|b| b.at <= position)
                            .or_else(|| bindings.last())
                    } else {
                        // Seen from a nested function: the value at call time is unknown, the last
                        // binding of a module is its usual value.
                        bindings.last()
                    };
                    if let Some(binding) = found {
                        return Some((id, binding));
                    }
                }
            }
            first = false;
            current = s.parent;
        }
        None
    }

    /// Every binding of `name` in the scope that holds it (for "is this ever rebound?").
    pub fn bindings_of(&self, name: &str, scope: ScopeId) -> &[Binding<'t>] {
        let mut current = Some(scope);
        while let Some(id) = current {
            if let Some(bindings) = self.scopes[id].bindings.get(name) {
                return bindings;
            }
            current = self.scopes[id].parent;
        }
        &[]
    }

    fn assign_roles(&mut self, options: &BuildOptions) {
        let source = self.source;
        // Classes first, in source order, so a class can inherit from an earlier local TestCase.
        for id in 0..self.scopes.len() {
            if self.scopes[id].kind != ScopeKind::Class {
                continue;
            }
            let unittest = self.scopes[id].bases.iter().any(|base| {
                let base_text = text(*base, source);
                let last = base_text.rsplit('.').next().unwrap_or(base_text);
                UNITTEST_BASES.contains(&last)
                    || last.ends_with("TestCase")
                    || self
                        .unittest_classes
                        .iter()
                        .any(|c| self.scopes[*c].name == last)
            });
            let disabled = self.scopes[id]
                .bindings
                .get("__test__")
                .and_then(|b| b.last())
                .is_some_and(
                    |b| matches!(b.value, BindingValue::Expr(v) if kind_of(v) == kind::FALSE),
                );
            let has_init = self.scopes[id]
                .bindings
                .get("__init__")
                .is_some_and(|b| b.iter().any(|b| matches!(b.value, BindingValue::Def(_))));
            let parent_ok = match self.scopes[id].parent {
                Some(MODULE_SCOPE) => true,
                Some(parent) => self.test_classes.contains(&parent),
                None => false,
            };
            if unittest {
                self.unittest_classes.push(id);
            }
            let collected = !disabled
                && parent_ok
                && ((unittest && !self.scopes[id].name.starts_with('_'))
                    || (options.pytest_module
                        && options.naming.is_test_class(self.scopes[id].name)
                        && !has_init));
            if collected {
                self.test_classes.push(id);
            }
        }
        for id in 0..self.scopes.len() {
            if self.scopes[id].kind != ScopeKind::Function {
                continue;
            }
            let name = self.scopes[id].name;
            let parent = self.scopes[id].parent.unwrap_or(MODULE_SCOPE);
            let in_class = self.scopes[parent].kind == ScopeKind::Class;
            let fixture = self.fixture_decorator(id);
            let role = if let Some(decorator) = fixture {
                self.record_fixture(id, decorator);
                Role::Fixture
            } else if self.is_context_manager(id) {
                Role::ContextManager
            } else if SETUP_NAMES.contains(&name) && (in_class || parent == MODULE_SCOPE) {
                Role::Setup
            } else if TEARDOWN_NAMES.contains(&name) && (in_class || parent == MODULE_SCOPE) {
                Role::Teardown
            } else if in_class && self.test_classes.contains(&parent) {
                let unittest = self.unittest_classes.contains(&parent);
                if (unittest && name.starts_with("test"))
                    || (!unittest && options.naming.is_test_function(name))
                {
                    Role::Test
                } else {
                    Role::Helper
                }
            } else if parent == MODULE_SCOPE && name.starts_with("pytest_") {
                Role::Hook
            } else if parent == MODULE_SCOPE
                && options.pytest_module
                && options.naming.is_test_function(name)
            {
                Role::Test
            } else {
                Role::Helper
            };
            self.scopes[id].role = role;
            let markers = self.decorator_markers(id);
            if !markers.is_empty() {
                self.markers.insert(id, markers);
            }
        }
        for id in 0..self.scopes.len() {
            if self.scopes[id].kind == ScopeKind::Class || id == MODULE_SCOPE {
                let mut markers = if id == MODULE_SCOPE {
                    Vec::new()
                } else {
                    self.decorator_markers(id)
                };
                markers.extend(self.pytestmark(id));
                if !markers.is_empty() {
                    self.markers.entry(id).or_default().extend(markers);
                }
            }
        }
    }

    fn fixture_decorator(&self, id: ScopeId) -> Option<Node<'t>> {
        self.scopes[id]
            .decorators
            .iter()
            .copied()
            .find(|decorator| {
                let Some(expr) = named_children(*decorator).next() else {
                    return false;
                };
                let callee = if kind_of(expr) == kind::CALL {
                    self.callee(expr).unwrap_or(expr)
                } else {
                    expr
                };
                self.is_fixture_decorator(callee) || self.fixture_alias(expr).is_some()
            })
    }

    fn is_fixture_decorator(&self, callee: Node<'t>) -> bool {
        self.resolves_to(
            callee,
            &[
                "pytest.fixture",
                "pytest_asyncio.fixture",
                "pytest.yield_fixture",
            ],
        )
    }

    /// `module_fixture = pytest.fixture(scope="module")` at module level, used as `@module_fixture`:
    /// the call that configures the fixture.
    fn fixture_alias(&self, expr: Node<'t>) -> Option<Node<'t>> {
        if kind_of(expr) != kind::IDENTIFIER {
            return None;
        }
        let bindings = self.scopes[MODULE_SCOPE]
            .bindings
            .get(text(expr, self.source))?;
        let BindingValue::Expr(value) = bindings.last()?.value else {
            return None;
        };
        let value = unparenthesize(value);
        let callee = self.callee(value)?;
        (kind_of(value) == kind::CALL && self.is_fixture_decorator(callee)).then_some(value)
    }

    fn is_context_manager(&self, id: ScopeId) -> bool {
        self.scopes[id].decorators.iter().any(|decorator| {
            named_children(*decorator).next().is_some_and(|expr| {
                self.resolves_to(
                    expr,
                    &[
                        "contextlib.contextmanager",
                        "contextlib.asynccontextmanager",
                    ],
                )
            })
        })
    }

    fn record_fixture(&mut self, id: ScopeId, decorator: Node<'t>) {
        let source = self.source;
        let mut fixture = FixtureDef {
            scope: id,
            name: self.scopes[id].name.to_string(),
            scope_name: "function".into(),
            autouse: false,
            params: None,
            decorator,
        };
        let configured = named_children(decorator).next().and_then(|expr| {
            if kind_of(expr) == kind::CALL {
                Some(expr)
            } else {
                self.fixture_alias(expr)
            }
        });
        if let Some(call) = configured {
            let args = self.call_args(call);
            if let Some(value) = args.keyword("scope").or(args.positional.first().copied()) {
                if let Some(s) = string_value(value, source) {
                    fixture.scope_name = s;
                }
            }
            if let Some(value) = args.keyword("name").and_then(|v| string_value(v, source)) {
                fixture.name = value;
            }
            fixture.autouse = args
                .keyword("autouse")
                .is_some_and(|v| kind_of(v) == kind::TRUE);
            fixture.params = args.keyword("params").and_then(sequence_len);
        }
        self.fixtures.push(fixture);
    }

    fn decorator_markers(&self, id: ScopeId) -> Vec<Marker<'t>> {
        self.scopes[id]
            .decorators
            .iter()
            .filter_map(|decorator| {
                let expr = named_children(*decorator).next()?;
                self.marker_of(expr)
            })
            .collect()
    }

    fn pytestmark(&self, id: ScopeId) -> Vec<Marker<'t>> {
        let Some(binding) = self.scopes[id]
            .bindings
            .get("pytestmark")
            .and_then(|b| b.last())
        else {
            return Vec::new();
        };
        let BindingValue::Expr(value) = binding.value else {
            return Vec::new();
        };
        let items: Vec<Node> = match kind_of(value) {
            kind::LIST | kind::TUPLE => named_children(value).collect(),
            _ => vec![value],
        };
        items
            .into_iter()
            .filter_map(|item| self.marker_of(item))
            .collect()
    }

    /// `pytest.mark.NAME` or `pytest.mark.NAME(...)` → the marker.
    fn marker_of(&self, expr: Node<'t>) -> Option<Marker<'t>> {
        let (callee, call) = if kind_of(expr) == kind::CALL {
            (self.callee(expr)?, Some(expr))
        } else {
            (expr, None)
        };
        if kind_of(callee) != kind::ATTRIBUTE {
            return None;
        }
        let (object, attribute) = self.attribute_parts(callee);
        let qualified = self.qualified_name(object?, MODULE_SCOPE)?;
        if qualified != "pytest.mark" && qualified != "_pytest.mark" {
            return None;
        }
        let name = text(attribute?, self.source);
        Some(Marker {
            name,
            call,
            span: Span::of(expr),
        })
    }

    /// Markers that apply to a function: its own, its classes', the module's.
    pub fn markers_of(&self, id: ScopeId) -> Vec<&Marker<'t>> {
        let mut result = Vec::new();
        let mut current = Some(id);
        while let Some(scope) = current {
            if let Some(markers) = self.markers.get(&scope) {
                result.extend(markers.iter());
            }
            current = self.scopes[scope].parent;
        }
        result
    }

    /// Names of the classes around a scope, outermost first, for node ids.
    pub fn class_path(&self, id: ScopeId) -> Vec<&'t str> {
        let mut names = Vec::new();
        let mut current = self.scopes[id].parent;
        while let Some(scope) = current {
            if self.scopes[scope].kind == ScopeKind::Class {
                names.push(self.scopes[scope].name);
            }
            current = self.scopes[scope].parent;
        }
        names.reverse();
        names
    }

    pub fn function_scopes_with(&self, role: Role) -> impl Iterator<Item = ScopeId> + use<'_, 't> {
        (0..self.scopes.len()).filter(move |id| {
            self.scopes[*id].kind == ScopeKind::Function && self.scopes[*id].role == role
        })
    }

    pub fn span_of_name(&self, id: ScopeId) -> Span {
        self.scopes[id]
            .node
            .child_by_field_id(field::NAME.id())
            .map(Span::of)
            .unwrap_or_else(|| Span::of(self.scopes[id].node))
    }
}

/// Whether the model records anything for nodes of this kind: most nodes (names, literals,
/// punctuation) are passed over without looking at their kind's name.
fn modelled_kind(id: u16) -> bool {
    static TABLE: std::sync::OnceLock<Vec<bool>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut table = vec![false; syntax::kind_count()];
        for name in [
            kind::FUNCTION_DEFINITION,
            kind::CLASS_DEFINITION,
            kind::ASSIGNMENT,
            kind::AUGMENTED_ASSIGNMENT,
            kind::FOR_STATEMENT,
            kind::WITH_ITEM,
            kind::IMPORT_STATEMENT,
            kind::IMPORT_FROM_STATEMENT,
            kind::GLOBAL_STATEMENT,
            kind::CALL,
            kind::DELETE_STATEMENT,
            kind::YIELD,
            kind::RETURN_STATEMENT,
        ] {
            table[syntax::kind_id(name) as usize] = true;
        }
        table
    });
    table.get(id as usize).copied().unwrap_or(false)
}

/// The identifiers a binding target introduces (`a`, `(a, b)`, `[a, *rest]`).
fn identifiers_in_target(target: Node) -> Vec<Node> {
    let mut found = Vec::new();
    let mut pending = vec![target];
    while let Some(node) = pending.pop() {
        match kind_of(node) {
            kind::IDENTIFIER => found.push(node),
            kind::PATTERN_LIST
            | kind::TUPLE
            | kind::LIST
            | "tuple_pattern"
            | "list_pattern"
            | kind::LIST_SPLAT_PATTERN
            | kind::PARENTHESIZED_EXPRESSION
            | kind::AS_PATTERN_TARGET => {
                pending.extend(named_children(node));
            }
            _ => {}
        }
    }
    found.reverse();
    found
}

/// A plain string literal's value (no interpolation).
pub fn string_value(node: Node, source: &str) -> Option<String> {
    let node = unparenthesize(node);
    match kind_of(node) {
        kind::STRING => {
            let mut out = String::new();
            for child in named_children(node) {
                match kind_of(child) {
                    kind::STRING_START | kind::STRING_END => {}
                    kind::STRING_CONTENT => out.push_str(text(child, source)),
                    kind::ESCAPE_SEQUENCE => out.push_str(&unescape(text(child, source))),
                    _ => return None,
                }
            }
            Some(out)
        }
        kind::CONCATENATED_STRING => {
            let mut out = String::new();
            for child in named_children(node) {
                out.push_str(&string_value(child, source)?);
            }
            Some(out)
        }
        _ => None,
    }
}

pub fn unescape(escape: &str) -> String {
    match escape {
        "\\n" => "\n".into(),
        "\\t" => "\t".into(),
        "\\\\" => "\\".into(),
        "\\'" => "'".into(),
        "\\\"" => "\"".into(),
        other => other.to_string(),
    }
}

/// The strings of a string, list or tuple literal.
pub fn string_items(node: Node, source: &str) -> Vec<String> {
    match kind_of(node) {
        kind::LIST | kind::TUPLE => named_children(node)
            .filter_map(|n| string_value(n, source))
            .collect(),
        _ => string_value(node, source).into_iter().collect(),
    }
}

/// The length of a list, tuple or set literal.
pub fn sequence_len(node: Node) -> Option<usize> {
    let node = unparenthesize(node);
    matches!(kind_of(node), kind::LIST | kind::TUPLE | kind::SET)
        .then(|| {
            named_children(node)
                .filter(|c| kind_of(c) != kind::LIST_SPLAT)
                .count()
        })
        .filter(|_| named_children(node).all(|c| kind_of(c) != kind::LIST_SPLAT))
}

/// A name Python binds before any module code runs (`print`, `open`, `len`).
pub fn is_builtin(name: &str) -> bool {
    matches!(
        name,
        "open"
            | "str"
            | "print"
            | "len"
            | "repr"
            | "format"
            | "bytes"
            | "list"
            | "dict"
            | "set"
            | "tuple"
            | "int"
            | "object"
            | "type"
            | "super"
            | "getattr"
            | "setattr"
            | "delattr"
            | "isinstance"
            | "sorted"
            | "frozenset"
            | "globals"
            | "vars"
            | "exec"
            | "eval"
    )
}

#[cfg(test)]
mod tests {
    use crate::syntax::text;
    use crate::testing::with_model;

    /// The walk keeps each string literal once, in source order: strings inside an f-string's
    /// interpolation belong to that f-string, the parts of an implicit concatenation are strings.
    #[test]
    fn strings_are_the_outermost_literals_in_order() {
        let source = "a = 'x'\nb = f\"{d['k']}/out\"\nc = ('p' 'q')\ndef f():\n    return \"r\"\n";
        let found = with_model(source, |model| {
            model
                .strings
                .iter()
                .map(|s| text(*s, source).to_string())
                .collect::<Vec<_>>()
        });
        assert_eq!(found, ["'x'", "f\"{d['k']}/out\"", "'p'", "'q'", "\"r\""]);
    }

    /// Each wanted node's kind id, kept from the walk, is the node's own.
    #[test]
    fn wanted_kind_ids_are_the_nodes_kinds() {
        let source = "import os\n# note\n@d(k=1)\nclass T:\n    def test_a(self, x):\n        os.environ['A'] = f'{x!r}'\n";
        let mut parser = crate::parse::python_parser();
        let Ok(tree) = crate::parse::parse(&mut parser, source) else {
            panic!("the source parses")
        };
        let every_kind = vec![true; crate::syntax::kind_count()];
        let model = super::build(
            &tree,
            source,
            &super::BuildOptions {
                naming: &crate::pytest_config::Naming::default(),
                wanted_kinds: &every_kind,
                pytest_module: true,
            },
        );
        let own: Vec<u16> = model
            .wanted_nodes
            .iter()
            .map(|(n, _)| n.kind_id())
            .collect();
        assert!(own.len() > 20);
        assert_eq!(model.wanted_kind_ids, own);
    }

    /// The arguments the walk took apart are the ones a walk of each call's argument list finds:
    /// keywords (nested calls in their values, comments between name and value), splats,
    /// comments, generator arguments, decorators, class bases and broken calls.
    #[test]
    fn call_and_attribute_parts_from_the_walk_match_field_lookups() {
        let source = "@dec(a, key=g(x, y=1), *rest)\ndef f(p=h(q=2).r):\n    a.b.c(d.e).f\n    (g).h\n    sum(i for i in r)\n    k(1, # note\n      z=  # c\n        3, **kw)\n    m(n=o(p=q(r=4)), s)(t)\n    u(=5, v=)\nclass C(Base, metaclass=M):\n    w(x)[0](y=[z(1)])\n";
        let described = |args: &crate::syntax::CallArgs| {
            let positional: Vec<&str> = args.positional.iter().map(|n| text(*n, source)).collect();
            let keywords: Vec<(&str, &str)> = args
                .keywords
                .iter()
                .map(|(k, v)| (*k, text(*v, source)))
                .collect();
            format!("{positional:?} {keywords:?} {}", args.has_splat)
        };
        // The arguments as tree-sitter's field lookups give them, child by child.
        let by_field_lookups = |call: tree_sitter::Node| {
            let mut args = crate::syntax::CallArgs::default();
            let list = call.child_by_field_id(super::field::ARGUMENTS.id());
            for child in list.into_iter().flat_map(crate::syntax::named_children) {
                match child.kind() {
                    "keyword_argument" => {
                        if let (Some(name), Some(value)) = (
                            child.child_by_field_id(super::field::NAME.id()),
                            child.child_by_field_id(super::field::VALUE.id()),
                        ) {
                            args.keywords.push((text(name, source), value));
                        }
                    }
                    "list_splat" | "dictionary_splat" => args.has_splat = true,
                    _ => args.positional.push(child),
                }
            }
            described(&args)
        };
        let compared = with_model(source, |model| {
            let mut compared = 0;
            for scope in &model.scopes {
                for call in &scope.calls {
                    let by_fields = by_field_lookups(*call);
                    let walked = crate::syntax::CallArgs::of(*call, source);
                    assert_eq!(described(&walked), by_fields, "{}", text(*call, source));
                    assert_eq!(
                        described(&model.call_args(*call)),
                        by_fields,
                        "{}",
                        text(*call, source)
                    );
                    assert_eq!(
                        model.callee(*call).map(|n| n.id()),
                        call.child_by_field_id(super::field::FUNCTION.id())
                            .map(|n| n.id())
                    );
                    compared += 1;
                }
            }
            let mut cursor = model.tree.walk();
            let mut every_node = Vec::new();
            'walk: loop {
                every_node.push(cursor.node());
                if cursor.goto_first_child() {
                    continue;
                }
                while !cursor.goto_next_sibling() {
                    if !cursor.goto_parent() {
                        break 'walk;
                    }
                }
            }
            for node in &every_node {
                if node.kind() == "attribute" {
                    let (object, attribute) = model.attribute_parts(*node);
                    assert_eq!(
                        (object.map(|n| n.id()), attribute.map(|n| n.id())),
                        (
                            node.child_by_field_id(super::field::OBJECT.id())
                                .map(|n| n.id()),
                            node.child_by_field_id(super::field::ATTRIBUTE.id())
                                .map(|n| n.id())
                        )
                    );
                    compared += 1;
                }
            }
            compared
        });
        assert!(compared >= 20, "{compared} calls and attributes compared");
    }
}
