//! The value evaluator: answers "what is this expression?" for rules, following assignments, module
//! constants, class and `self` attributes, f-strings, `%` and `.format`, `os.path`, `pathlib`, fixture
//! parameters and parameter defaults. Bounded in depth: a pathological file yields `Unknown`.

use crate::knowledge::{self, UNIQUE_CALL_PREFIXES, UNIQUE_ENV_VARS, UNIQUE_FIXTURES};
use crate::model::{string_value, BindingValue, FileModel, Role, ScopeId, ScopeKind};
use crate::source::Span;
use crate::syntax::{field, kind, kind_of, named_children, text, unparenthesize};
use crate::value::{
    takes_enumerated_part, Origin, OriginLevel, ParamOwner, ParamRoot, Root, Text, Value,
    ENUMERATED_PART,
};
use tree_sitter::Node;

const MAX_DEPTH: usize = 24;

pub struct Evaluator<'m, 't> {
    model: &'m FileModel<'t>,
    /// Extra names configured as unique per test or worker (`[tool.isolint.rules] unique-names`).
    extra_unique: &'m [String],
    /// While [`Evaluator::eval_each`] walks a loop's items: the iterable node and the item its loop
    /// variable stands for.
    loop_item: std::cell::RefCell<Option<(usize, Value)>>,
}

/// How many items of a literal loop are followed one by one.
const MAX_LOOP_ITEMS: usize = 16;

impl<'m, 't> Evaluator<'m, 't> {
    pub fn new(model: &'m FileModel<'t>, extra_unique: &'m [String]) -> Self {
        Evaluator {
            model,
            extra_unique,
            loop_item: std::cell::RefCell::new(None),
        }
    }

    pub fn eval(&self, node: Node<'t>, scope: ScopeId) -> Value {
        self.eval_at(node, scope, 0)
    }

    /// The environment variable an expression reads (`os.environ["NEO4J_URI"]`, `os.getenv(...)`,
    /// `os.environ.get("X", default)`), directly or through the names it is bound to: such a value
    /// is configuration, not a fixed name.
    pub fn env_source(&self, node: Node<'t>, scope: ScopeId) -> Option<String> {
        let mut node = unparenthesize(node);
        let mut scope = scope;
        for _ in 0..MAX_DEPTH {
            match kind_of(node) {
                kind::SUBSCRIPT => {
                    let value = node.child_by_field_id(field::VALUE.id())?;
                    if self.model.qualified_name(value, scope)? != "os.environ" {
                        return None;
                    }
                    let key = node.child_by_field_id(field::SUBSCRIPT.id())?;
                    return string_value(key, self.model.source);
                }
                kind::CALL => {
                    let callee = self.model.callee(node)?;
                    let qualified = self.model.qualified_name(callee, scope)?;
                    if qualified != "os.environ.get" && qualified != "os.getenv" {
                        return None;
                    }
                    let args = self.model.call_args(node);
                    return string_value(*args.positional.first()?, self.model.source);
                }
                kind::IDENTIFIER => {
                    let name = text(node, self.model.source);
                    let (binding_scope, binding) =
                        self.model.lookup(name, scope, node.start_byte())?;
                    let BindingValue::Expr(expr) = binding.value else {
                        return None;
                    };
                    node = unparenthesize(expr);
                    scope = binding_scope;
                }
                _ => return None,
            }
        }
        None
    }

    /// The file model the evaluator reads.
    pub fn model(&self) -> &'m FileModel<'t> {
        self.model
    }

    fn eval_at(&self, node: Node<'t>, scope: ScopeId, depth: usize) -> Value {
        if depth > MAX_DEPTH {
            return Value::Unknown;
        }
        let next = depth + 1;
        let source = self.model.source;
        let node = unparenthesize(node);
        match kind_of(node) {
            kind::STRING => self.eval_string(node, scope, next),
            kind::CONCATENATED_STRING => named_children(node)
                .map(|part| self.eval_at(part, scope, next))
                .reduce(Value::concat)
                .unwrap_or(Value::Unknown),
            kind::INTEGER => text(node, source)
                .parse()
                .map(Value::Int)
                .unwrap_or(Value::Unknown),
            kind::TRUE => Value::Bool(true),
            kind::FALSE => Value::Bool(false),
            kind::NONE => Value::None,
            kind::IDENTIFIER => self.eval_name(node, scope, next),
            kind::ATTRIBUTE => self.eval_attribute(node, scope, next),
            kind::CALL => self.eval_call(node, scope, next),
            kind::SUBSCRIPT => self
                .eval_env_subscript(node, scope)
                .unwrap_or(Value::Unknown),
            kind::AWAIT => named_children(node)
                .next()
                .map_or(Value::Unknown, |inner| self.eval_at(inner, scope, next)),
            kind::BINARY_OPERATOR => {
                let (Some(left), Some(right), Some(op)) = (
                    node.child_by_field_id(field::LEFT.id()),
                    node.child_by_field_id(field::RIGHT.id()),
                    node.child_by_field_id(field::OPERATOR.id()),
                ) else {
                    return Value::Unknown;
                };
                let l = self.eval_at(left, scope, next);
                match text(op, source) {
                    "/" => l
                        .join(self.eval_at(right, scope, next))
                        .as_path_object(true),
                    "+" => l.concat(self.eval_at(right, scope, next)),
                    "%" => {
                        let args: Vec<Node> = match kind_of(unparenthesize(right)) {
                            kind::TUPLE => named_children(unparenthesize(right)).collect(),
                            _ => vec![right],
                        };
                        let values = args.iter().map(|a| self.eval_at(*a, scope, next)).collect();
                        percent_format(l, values)
                    }
                    _ => Value::Unknown,
                }
            }
            kind::CONDITIONAL_EXPRESSION => {
                let branches: Vec<Node> = named_children(node).collect();
                match branches.as_slice() {
                    [then, _, otherwise] => {
                        let a = self.eval_at(*then, scope, next);
                        let b = self.eval_at(*otherwise, scope, next);
                        if a == b || b.is_unique() {
                            a
                        } else if a.is_unique() {
                            b
                        } else {
                            Value::Unknown
                        }
                    }
                    _ => Value::Unknown,
                }
            }
            _ => Value::Unknown,
        }
    }

    fn eval_string(&self, node: Node<'t>, scope: ScopeId, depth: usize) -> Value {
        let source = self.model.source;
        // An f-string that starts with a value takes that value's root (`f"{tempfile.gettempdir()}/x"`);
        // the result is a `str` whatever the value was.
        let mut value: Option<Value> = None;
        for child in named_children(node) {
            let part = match kind_of(child) {
                kind::STRING_START | kind::STRING_END => continue,
                kind::STRING_CONTENT => Value::literal(text(child, source)),
                kind::ESCAPE_SEQUENCE => {
                    Value::literal(crate::model::unescape(text(child, source)))
                }
                kind::INTERPOLATION => match child.child_by_field_id(field::EXPRESSION.id()) {
                    Some(expr)
                        if child
                            .child_by_field_id(field::FORMAT_SPECIFIER.id())
                            .is_none() =>
                    {
                        self.eval_at(expr, scope, depth)
                    }
                    _ => Value::Unknown,
                },
                _ => Value::Unknown,
            };
            value = Some(match value {
                None => match part {
                    Value::Text(mut first) => {
                        first.path_object = false;
                        Value::Text(first)
                    }
                    Value::Int(number) => Value::literal(number.to_string()),
                    unique @ Value::Unique(_) => unique,
                    _ => Value::Unknown,
                },
                Some(before) => before.concat(part),
            });
        }
        value.unwrap_or_else(|| Value::literal(""))
    }

    fn eval_name(&self, node: Node<'t>, scope: ScopeId, depth: usize) -> Value {
        let name = text(node, self.model.source);
        if name == "__file__" {
            return Value::rooted(Root::SourceDir, "__file__");
        }
        if self.extra_unique.iter().any(|u| u == name) {
            return Value::Unique("configured unique name");
        }
        let Some((binding_scope, binding)) = self.model.lookup(name, scope, node.start_byte())
        else {
            return Value::Unknown;
        };
        let level = match self.model.scopes[binding_scope].kind {
            ScopeKind::Module => OriginLevel::Module,
            ScopeKind::Class => OriginLevel::Class,
            ScopeKind::Function => OriginLevel::Local,
        };
        let origin = |level| Origin {
            name: name.to_string(),
            span: binding.span,
            level,
        };
        match binding.value {
            BindingValue::Expr(expr) => self
                .eval_at(expr, binding_scope, depth)
                .with_origin(origin(level)),
            BindingValue::WithItem(expr) => self.eval_at(expr, binding_scope, depth),
            BindingValue::Element(expr) => match self.eval_at(expr, binding_scope, depth) {
                unique @ Value::Unique(_) => unique,
                _ => Value::Unknown,
            },
            BindingValue::Param(default) => {
                self.eval_parameter(name, binding_scope, default, depth, binding.span)
            }
            BindingValue::LoopItem(items)
                if self
                    .loop_item
                    .borrow()
                    .as_ref()
                    .is_some_and(|(id, _)| *id == items.id()) =>
            {
                self.loop_item
                    .borrow()
                    .as_ref()
                    .map_or(Value::Unknown, |(_, item)| item.clone())
            }
            BindingValue::LoopItem(items) => match self.eval_at(items, binding_scope, depth) {
                unique @ Value::Unique(_) => unique,
                Value::Text(Text {
                    root: Root::Param(param),
                    text,
                    ..
                }) if text.is_empty() && !param.each => Value::rooted(
                    Root::Param(Box::new(ParamRoot {
                        each: true,
                        ..*param
                    })),
                    "",
                ),
                Value::Unknown if self.steps_through(items, binding_scope) => Value::Enumerated,
                _ => Value::Unknown,
            },
            BindingValue::LoopPart(items) => match self.eval_at(items, binding_scope, depth) {
                Value::Unknown if self.steps_through(items, binding_scope) => Value::Enumerated,
                _ => Value::Unknown,
            },
            _ => Value::Unknown,
        }
    }

    fn eval_parameter(
        &self,
        name: &str,
        function: ScopeId,
        default: Option<Node<'t>>,
        depth: usize,
        span: Span,
    ) -> Value {
        if let Some(unique) = UNIQUE_FIXTURES.iter().find(|u| **u == name) {
            return Value::Unique(unique);
        }
        let role = self.model.scopes[function].role;
        let takes_fixtures = matches!(role, Role::Test | Role::Fixture)
            && self.model.scopes[function]
                .parent
                .is_some_and(|p| self.model.scopes[p].kind != ScopeKind::Function);
        if takes_fixtures && default.is_none() {
            if matches!(name, "self" | "cls" | "request")
                || self.parametrized_names(function).iter().any(|p| p == name)
            {
                return Value::Unknown;
            }
            return Value::Text(crate::value::Text {
                root: Root::Fixture(name.to_string()),
                text: String::new(),
                origin: Some(Box::new(Origin {
                    name: name.to_string(),
                    span,
                    level: OriginLevel::Fixture,
                })),
                // Known once the fixture is resolved.
                path_object: false,
            });
        }
        if self.states_effects_by_parameter(function) && !matches!(name, "self" | "cls") {
            // Bound at each call site (the default where a call passes nothing).
            return Value::Text(Text {
                root: Root::Param(Box::new(ParamRoot {
                    owner: ParamOwner::Scope(function),
                    name: name.to_string(),
                    each: false,
                })),
                text: String::new(),
                origin: None,
                path_object: false,
            });
        }
        match default {
            Some(default) => self.eval_at(default, function, depth).with_origin(Origin {
                name: name.to_string(),
                span,
                level: OriginLevel::Default,
            }),
            None => Value::Unknown,
        }
    }

    /// Whether a loop over `items` steps through values fixed by the code: a collection held in a
    /// name or attribute, its `.items()`/`.keys()`/`.values()`, or `range`/`enumerate`/`zip`/
    /// `sorted`/`reversed` of one. What any other call returns may be unique per run (a helper
    /// returning fresh names), and literal lists are expanded item by item instead (`eval_each`).
    fn steps_through(&self, items: Node<'t>, scope: ScopeId) -> bool {
        const STEPPERS: &[&str] = &["range", "enumerate", "zip", "sorted", "reversed"];
        const VIEWS: &[&str] = &["items", "keys", "values"];
        if self.literal_collection(items, scope).is_some() {
            return false;
        }
        let source = self.model.source;
        let mut node = unparenthesize(items);
        for _ in 0..4 {
            match kind_of(node) {
                kind::IDENTIFIER | kind::ATTRIBUTE => return true,
                kind::CALL => {
                    let Some(function) = self.model.callee(node) else {
                        return false;
                    };
                    match kind_of(function) {
                        kind::IDENTIFIER if STEPPERS.contains(&text(function, source)) => {
                            if text(function, source) == "range" {
                                return true;
                            }
                        }
                        kind::ATTRIBUTE => {
                            let method = function
                                .child_by_field_id(field::ATTRIBUTE.id())
                                .map(|m| text(m, source));
                            if !method.is_some_and(|m| VIEWS.contains(&m)) {
                                return false;
                            }
                            match function.child_by_field_id(field::OBJECT.id()) {
                                Some(object) => {
                                    node = object;
                                    continue;
                                }
                                None => return false,
                            }
                        }
                        _ => return false,
                    }
                    // `enumerate(x)`, `zip(x, y)`, `sorted(x)`: what the first argument holds.
                    match self
                        .model
                        .arguments(node)
                        .and_then(|args| named_children(args).next())
                    {
                        Some(first) => node = unparenthesize(first),
                        None => return false,
                    }
                }
                kind::LIST | kind::TUPLE | kind::SET | kind::DICTIONARY => return true,
                _ => return false,
            }
        }
        false
    }

    /// The values of an expression, one per item when it uses the variable of a `for` loop over a
    /// literal list, tuple or set (`for prefix in ("", "input"): rmtree(f"{prefix}project")`);
    /// otherwise its one value.
    pub fn eval_each(&self, node: Node<'t>, scope: ScopeId) -> Vec<Value> {
        let value = self.eval(node, scope);
        if value != Value::Unknown || !self.loops_in_reach(scope) {
            return vec![value];
        }
        let Some((iterable, iterable_scope)) = self.literal_loop_in(node, scope) else {
            return vec![value];
        };
        let items: Vec<Value> = self
            .literal_items(iterable, iterable_scope)
            .unwrap_or_default();
        let mut values = Vec::new();
        for item in items.into_iter().take(MAX_LOOP_ITEMS) {
            *self.loop_item.borrow_mut() = Some((iterable.id(), item));
            values.push(self.eval(node, scope));
        }
        *self.loop_item.borrow_mut() = None;
        values
    }

    /// Whether a `for` loop binds a name in the scope or the scopes around it.
    fn loops_in_reach(&self, scope: ScopeId) -> bool {
        let mut current = Some(scope);
        while let Some(id) = current {
            if self.model.scopes[id].has_loop_items {
                return true;
            }
            current = self.model.scopes[id].parent;
        }
        false
    }

    /// The iterable of the first loop variable the expression uses, if the loop is over literal
    /// items (directly or through a local name).
    fn literal_loop_in(&self, node: Node<'t>, scope: ScopeId) -> Option<(Node<'t>, ScopeId)> {
        self.literal_loop_within(node, scope, 0)
    }

    fn literal_loop_within(
        &self,
        node: Node<'t>,
        scope: ScopeId,
        depth: usize,
    ) -> Option<(Node<'t>, ScopeId)> {
        let mut cursor = node.walk();
        let mut visited = 0;
        loop {
            let current = cursor.node();
            visited += 1;
            if kind_of(current) == kind::IDENTIFIER {
                let name = text(current, self.model.source);
                if let Some((binding_scope, binding)) =
                    self.model.lookup(name, scope, current.start_byte())
                {
                    match binding.value {
                        BindingValue::LoopItem(iterable)
                            if self.literal_items(iterable, binding_scope).is_some() =>
                        {
                            return Some((iterable, binding_scope));
                        }
                        // `name = f"{prefix}project"` inside the loop.
                        BindingValue::Expr(expr) if binding_scope == scope && depth < 3 => {
                            if let Some(found) =
                                self.literal_loop_within(expr, binding_scope, depth + 1)
                            {
                                return Some(found);
                            }
                        }
                        _ => {}
                    }
                }
            }
            if visited > 64 {
                return None;
            }
            if cursor.goto_first_child() {
                continue;
            }
            loop {
                if cursor.node().id() == node.id() {
                    return None;
                }
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    return None;
                }
            }
        }
    }

    /// The values of a list, tuple or set literal, directly or through a name bound to one.
    pub fn literal_items(&self, node: Node<'t>, scope: ScopeId) -> Option<Vec<Value>> {
        let (node, scope) = self.literal_collection(node, scope)?;
        Some(
            named_children(node)
                .map(|item| self.eval(item, scope))
                .collect(),
        )
    }

    /// The list, tuple or set literal an expression is, directly or through a name bound to one,
    /// with the scope its items are read in. Evaluates nothing, so callers inside an evaluation
    /// cannot recurse through it.
    fn literal_collection(&self, node: Node<'t>, scope: ScopeId) -> Option<(Node<'t>, ScopeId)> {
        let mut node = unparenthesize(node);
        let mut scope = scope;
        if kind_of(node) == kind::IDENTIFIER {
            let (binding_scope, binding) =
                self.model
                    .lookup(text(node, self.model.source), scope, node.start_byte())?;
            let BindingValue::Expr(expr) = binding.value else {
                return None;
            };
            node = unparenthesize(expr);
            scope = binding_scope;
        }
        matches!(kind_of(node), kind::LIST | kind::TUPLE | kind::SET).then_some((node, scope))
    }

    /// Whether a function's parameters stay symbolic: helpers, methods and first-party functions
    /// defined at module or class level, whose effects are bound to the arguments of each call.
    /// Tests and fixtures take fixtures instead; nested functions close over their caller.
    pub fn states_effects_by_parameter(&self, function: ScopeId) -> bool {
        let scope = &self.model.scopes[function];
        matches!(scope.role, Role::Helper | Role::ContextManager)
            && scope.kind == ScopeKind::Function
            && scope
                .parent
                .is_some_and(|p| self.model.scopes[p].kind != ScopeKind::Function)
    }

    /// Argument names of `parametrize` markers on a function (they are not fixtures).
    pub fn parametrized_names(&self, function: ScopeId) -> Vec<String> {
        self.model
            .markers_of(function)
            .into_iter()
            .filter(|m| m.name == "parametrize")
            .filter_map(|m| m.call)
            .filter_map(|call| {
                let args = self.model.call_args(call);
                args.get(0, "argnames")
            })
            .flat_map(|names| match kind_of(unparenthesize(names)) {
                kind::LIST | kind::TUPLE => named_children(unparenthesize(names))
                    .filter_map(|n| string_value(n, self.model.source))
                    .collect::<Vec<_>>(),
                _ => string_value(names, self.model.source)
                    .map(|s| s.split(',').map(|p| p.trim().to_string()).collect())
                    .unwrap_or_default(),
            })
            .collect()
    }

    fn eval_attribute(&self, node: Node<'t>, scope: ScopeId, depth: usize) -> Value {
        let source = self.model.source;
        let (Some(object), Some(attribute)) = self.model.attribute_parts(node) else {
            return Value::Unknown;
        };
        let attr = text(attribute, source);
        let object_text = text(object, source);
        if (object_text == "self" || object_text == "cls") && kind_of(object) == kind::IDENTIFIER {
            return self.eval_class_attribute(scope, attr, depth);
        }
        if object_text.ends_with("node") && matches!(attr, "name" | "nodeid") {
            return Value::Unique("request.node");
        }
        if let Some(qualified) = self.model.qualified_name(node, scope) {
            match qualified.as_str() {
                "tempfile.tempdir" => return Value::rooted(Root::TempDir, ""),
                "os.sep" => return Value::literal("/"),
                "os.curdir" => return Value::literal("."),
                _ => {}
            }
        }
        let receiver = self.eval_at(object, scope, depth);
        match (attr, receiver) {
            (_, Value::Unique(source)) => Value::Unique(source),
            ("parent", value @ Value::Text(_)) => value.parent(),
            ("name", Value::Text(t)) => {
                let last = t.text.rsplit('/').next().unwrap_or("").to_string();
                if last.is_empty() {
                    Value::Unknown
                } else {
                    Value::literal(last)
                }
            }
            ("strpath", value @ Value::Text(_)) => value,
            _ => self.eval_local_class_attribute(object, attr, scope, depth),
        }
    }

    /// `ClassName.ATTR` for a class defined in this file.
    fn eval_local_class_attribute(
        &self,
        object: Node<'t>,
        attr: &str,
        scope: ScopeId,
        depth: usize,
    ) -> Value {
        match self.local_definition(object, scope, ScopeKind::Class) {
            Some(class) => self.eval_class_member(class, attr, depth),
            None => Value::Unknown,
        }
    }

    /// The class or function of this file a name refers to.
    fn local_definition(&self, name: Node<'t>, scope: ScopeId, kind: ScopeKind) -> Option<ScopeId> {
        if kind_of(name) != kind::IDENTIFIER {
            return None;
        }
        let (_, binding) =
            self.model
                .lookup(text(name, self.model.source), scope, name.start_byte())?;
        let BindingValue::Def(def) = binding.value else {
            return None;
        };
        self.model
            .scope_defined_by(def)
            .filter(|s| self.model.scopes[*s].kind == kind)
    }

    fn eval_class_attribute(&self, scope: ScopeId, attr: &str, depth: usize) -> Value {
        match self.model.class_of_method(scope) {
            Some(class) => self.eval_class_member(class, attr, depth),
            None => Value::Unknown,
        }
    }

    /// A class attribute or an attribute set on `self`/`cls` in the class's methods: known when every
    /// assignment agrees.
    fn eval_class_member(&self, class: ScopeId, attr: &str, depth: usize) -> Value {
        let class_scope = &self.model.scopes[class];
        let mut values = class_scope
            .attributes
            .get(attr)
            .into_iter()
            .flatten()
            .chain(class_scope.bindings.get(attr).into_iter().flatten())
            .map(|binding| {
                let owner_scope = self.model.scope_at(binding.span.start, class);
                let origin = Origin {
                    name: attr.to_string(),
                    span: binding.span,
                    level: OriginLevel::Class,
                };
                match binding.value {
                    BindingValue::Expr(expr) => {
                        self.eval_at(expr, owner_scope, depth).with_origin(origin)
                    }
                    _ => Value::Unknown,
                }
            });
        let Some(first) = values.next() else {
            return Value::Unknown;
        };
        if values.all(|v| same_value(&v, &first)) {
            first
        } else {
            Value::Unknown
        }
    }

    fn eval_call(&self, node: Node<'t>, scope: ScopeId, depth: usize) -> Value {
        let source = self.model.source;
        let Some(callee) = self.model.callee(node) else {
            return Value::Unknown;
        };
        let args = self.model.call_args(node);
        let arg_values = |from: usize| -> Vec<Value> {
            args.positional
                .iter()
                .skip(from)
                .map(|a| self.eval_at(*a, scope, depth))
                .collect()
        };
        if let Some(env) = self.eval_env_call(node, scope) {
            return env;
        }
        let qualified = self.model.qualified_name(callee, scope);
        if let Some(q) = qualified.as_deref() {
            if UNIQUE_CALL_PREFIXES
                .iter()
                .any(|prefix| q.starts_with(prefix))
            {
                return Value::Unique("tempfile/uuid");
            }
            if let Some(root) = knowledge::root_of_call(q) {
                if q == "os.path.expanduser" {
                    return args.positional.first().map_or(Value::Unknown, |a| {
                        expand_user(self.eval_at(*a, scope, depth))
                    });
                }
                return Value::rooted(root, "").as_path_object(q.starts_with("pathlib."));
            }
            match q {
                "os.path.join"
                | "posixpath.join"
                | "ntpath.join"
                | "pathlib.Path"
                | "pathlib.PurePath"
                | "pathlib.PosixPath"
                | "pathlib.PurePosixPath"
                | "py.path.local" => {
                    if args.has_splat {
                        return Value::Unknown;
                    }
                    let joined = arg_values(0)
                        .into_iter()
                        .reduce(Value::join)
                        .unwrap_or_else(|| Value::literal("."));
                    return joined.as_path_object(!q.contains(".path.join"));
                }
                "builtins.str" | "os.fspath" | "os.path.abspath" | "os.path.realpath"
                | "os.path.normpath" | "os.fsdecode" | "os.fsencode" => {
                    return arg_values(0)
                        .into_iter()
                        .next()
                        .unwrap_or(Value::Unknown)
                        .as_path_object(false);
                }
                "os.path.dirname" => {
                    return arg_values(0)
                        .into_iter()
                        .next()
                        .map_or(Value::Unknown, Value::parent)
                }
                "os.path.basename" => {
                    return match arg_values(0).into_iter().next() {
                        Some(Value::Text(t)) => {
                            Value::literal(t.text.rsplit('/').next().unwrap_or(""))
                        }
                        _ => Value::Unknown,
                    }
                }
                _ => {}
            }
        }
        if kind_of(callee) == kind::ATTRIBUTE {
            let (Some(object), Some(method)) = self.model.attribute_parts(callee) else {
                return Value::Unknown;
            };
            let receiver = self.eval_at(object, scope, depth);
            if let Value::Unique(source) = receiver {
                return Value::Unique(source);
            }
            return match text(method, source) {
                "joinpath" | "join"
                    if receiver
                        .as_text()
                        .is_some_and(|t| t.root != Root::Literal || !object_is_string(object)) =>
                {
                    arg_values(0).into_iter().fold(receiver, Value::join)
                }
                "with_name" => match arg_values(0).into_iter().next() {
                    Some(Value::Text(name)) => receiver.map_last_component(|_| name.text),
                    _ => Value::Unknown,
                },
                "with_suffix" => match arg_values(0).into_iter().next() {
                    Some(Value::Text(suffix)) => receiver.map_last_component(|last| {
                        let stem = match last.rfind('.') {
                            Some(dot) if dot > 0 => &last[..dot],
                            _ => last,
                        };
                        format!("{stem}{}", suffix.text)
                    }),
                    _ => Value::Unknown,
                },
                "resolve" | "absolute" | "as_posix" | "__fspath__" | "strip" | "rstrip" => receiver,
                "expanduser" => expand_user(receiver),
                "format" if object_is_string(object) => {
                    let values = arg_values(0);
                    let keywords: Vec<(&str, Value)> = args
                        .keywords
                        .iter()
                        .map(|(k, v)| (*k, self.eval_at(*v, scope, depth)))
                        .collect();
                    brace_format(receiver, values, keywords)
                }
                _ => Value::Unknown,
            };
        }
        self.eval_local_function(callee, scope, depth)
    }

    /// A call of a parameterless helper defined in this file returns what its body returns.
    fn eval_local_function(&self, callee: Node<'t>, scope: ScopeId, depth: usize) -> Value {
        let Some(function) = self.local_definition(callee, scope, ScopeKind::Function) else {
            return Value::Unknown;
        };
        let target = &self.model.scopes[function];
        if !target.parameters().is_empty() || target.yields || target.role == Role::Fixture {
            return Value::Unknown;
        }
        target
            .returned
            .map_or(Value::Unknown, |r| self.eval_at(r, function, depth))
    }

    /// `os.environ["NAME"]` as a value.
    fn eval_env_subscript(&self, node: Node<'t>, scope: ScopeId) -> Option<Value> {
        let value = node.child_by_field_id(field::VALUE.id())?;
        if self.model.qualified_name(value, scope)? != "os.environ" {
            return None;
        }
        let key = node.child_by_field_id(field::SUBSCRIPT.id())?;
        Some(env_value(&string_value(key, self.model.source)?))
    }

    /// `os.environ.get("NAME")`, `os.getenv("NAME")` as a value.
    fn eval_env_call(&self, node: Node<'t>, scope: ScopeId) -> Option<Value> {
        let callee = self.model.callee(node)?;
        let qualified = self.model.qualified_name(callee, scope)?;
        if qualified != "os.environ.get" && qualified != "os.getenv" {
            return None;
        }
        let args = self.model.call_args(node);
        let key = string_value(*args.positional.first()?, self.model.source)?;
        Some(env_value(&key))
    }
}

fn env_value(name: &str) -> Value {
    if UNIQUE_ENV_VARS.contains(&name) {
        return Value::Unique("PYTEST_XDIST_WORKER");
    }
    match knowledge::root_of_env(name) {
        Some(root) => Value::rooted(root, ""),
        None => Value::Unknown,
    }
}

fn object_is_string(node: Node) -> bool {
    matches!(
        kind_of(unparenthesize(node)),
        kind::STRING | kind::CONCATENATED_STRING
    )
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Text(x), Value::Text(y)) => x.root == y.root && x.text == y.text,
        _ => a == b,
    }
}

/// `~` at the start of a path becomes the home root.
fn expand_user(value: Value) -> Value {
    match value {
        Value::Text(mut t) if t.root == Root::Literal && t.text.starts_with('~') => {
            t.text = t
                .text
                .trim_start_matches('~')
                .trim_start_matches('/')
                .to_string();
            t.root = Root::Home;
            Value::Text(t)
        }
        other => other,
    }
}

/// `"...%s..." % args`
fn percent_format(template: Value, args: Vec<Value>) -> Value {
    if let Some(unique) = args.iter().find(|a| a.is_unique()) {
        return unique.clone();
    }
    let Value::Text(mut t) = template else {
        return Value::Unknown;
    };
    let mut out = String::new();
    let mut args = args.into_iter();
    let mut chars = t.text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('s' | 'd' | 'r' | 'i') => match args.next() {
                Some(Value::Text(a)) if a.root == Root::Literal => out.push_str(&a.text),
                Some(Value::Int(n)) => out.push_str(&n.to_string()),
                Some(Value::Enumerated) if takes_enumerated_part(&out) => out.push(ENUMERATED_PART),
                _ => return Value::Unknown,
            },
            _ => return Value::Unknown,
        }
    }
    t.text = out;
    Value::Text(t)
}

/// `"...{}...{name}...".format(...)`
fn brace_format(template: Value, positional: Vec<Value>, keywords: Vec<(&str, Value)>) -> Value {
    if let Some(unique) = positional
        .iter()
        .chain(keywords.iter().map(|(_, v)| v))
        .find(|a| a.is_unique())
    {
        return unique.clone();
    }
    let Value::Text(mut t) = template else {
        return Value::Unknown;
    };
    let render = |v: &Value| match v {
        Value::Text(a) if a.root == Root::Literal => Some(a.text.clone()),
        Value::Int(n) => Some(n.to_string()),
        _ => None,
    };
    let mut out = String::new();
    let mut next_index = 0;
    let mut rest = t.text.as_str();
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        if rest[open..].starts_with("{{") {
            out.push('{');
            rest = &rest[open + 2..];
            continue;
        }
        let Some(close) = rest[open..].find('}') else {
            return Value::Unknown;
        };
        let field_name = &rest[open + 1..open + close];
        let value = if field_name.is_empty() {
            next_index += 1;
            positional.get(next_index - 1)
        } else if let Ok(index) = field_name.parse::<usize>() {
            positional.get(index)
        } else {
            keywords
                .iter()
                .find(|(k, _)| *k == field_name)
                .map(|(_, v)| v)
        };
        match value {
            Some(Value::Enumerated) if takes_enumerated_part(&out) => out.push(ENUMERATED_PART),
            _ => match value.and_then(render) {
                Some(s) => out.push_str(&s),
                None => return Value::Unknown,
            },
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(&rest.replace("}}", "}"));
    t.text = out;
    Value::Text(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assigned, with_model};

    /// Evaluates the right side of the last assignment `probe = ...` in `source`.
    fn probe(source: &str) -> Value {
        with_model(source, |model| {
            let (scope, expr) = assigned(model, "probe");
            Evaluator::new(model, &[]).eval(expr, scope)
        })
    }

    fn text_of(value: &Value) -> Option<(Root, String)> {
        value.as_text().map(|t| (t.root.clone(), t.text.clone()))
    }

    #[test]
    fn follows_constants_fstrings_and_joins() {
        let v = probe("import os\nBASE = '/tmp'\nNAME = 'out'\ndef f():\n    probe = os.path.join(BASE, f'{NAME}.json')\n");
        assert_eq!(v.as_str(), Some("/tmp/out.json"));
        assert_eq!(
            v.as_text().unwrap().origin.as_ref().unwrap().level,
            OriginLevel::Module
        );
        let v = probe("from pathlib import Path\ndef f():\n    d = Path('/tmp') / 'x'\n    probe = d.joinpath('y.txt').with_suffix('.csv')\n");
        assert_eq!(v.as_str(), Some("/tmp/x/y.csv"));
        let v = probe("def f():\n    probe = '/tmp/%s-%d.log' % ('run', 3)\n");
        assert_eq!(v.as_str(), Some("/tmp/run-3.log"));
        let v = probe("def f():\n    probe = '/tmp/{}/{name}'.format('a', name='b')\n");
        assert_eq!(v.as_str(), Some("/tmp/a/b"));
    }

    #[test]
    fn loop_values_after_a_fixed_stem_make_a_shared_name() {
        let v = probe("def f(sheets):\n    for key, rows in sheets.items():\n        probe = 'book__%s__%s.csv' % (key, 0)\n");
        assert_eq!(v.as_str(), Some("book__…__0.csv"));
        let v = probe("def test_x():\n    for n in range(3):\n        probe = f'chunk-{n}.bin'\n");
        assert_eq!(v.as_str(), Some("chunk-….bin"));
        let v = probe("SHEETS = {'a': 1}\ndef test_x():\n    for i, k in enumerate(sorted(SHEETS)):\n        probe = 'out_{}_{}.txt'.format(k, i)\n");
        assert_eq!(v.as_str(), Some("out_…_….txt"));
        // A loop over a literal list is expanded item by item instead (`eval_each`).
        assert_eq!(
            probe("def test_x():\n    for n in ['a', 'b']:\n        probe = f'x-{n}'\n"),
            Value::Unknown
        );
        // What a call returns may be fresh per run; a whole component may be a unique folder.
        assert_eq!(
            probe("def test_x():\n    for n in fresh_names():\n        probe = f'x-{n}'\n"),
            Value::Unknown
        );
        assert_eq!(
            probe("def test_x(d):\n    for k in d:\n        probe = f'{k}/out.txt'\n"),
            Value::Unknown
        );
        assert_eq!(
            probe("def test_x(d):\n    for k in d:\n        probe = f'a/{k}.txt'\n"),
            Value::Unknown
        );
        // A loop that reads its own later binding terminates.
        assert_eq!(probe("def test_x():\n    for x in xs:\n        xs = [x]\n    for y in xs:\n        probe = f'yy{y}'\n"), Value::Unknown);
    }

    #[test]
    fn unique_sources_win() {
        assert!(probe("import uuid\ndef f():\n    probe = f'/tmp/{uuid.uuid4()}'\n").is_unique());
        assert!(probe("def test_x(tmp_path):\n    probe = tmp_path / 'x'\n").is_unique());
        assert!(probe(
            "import os\ndef f():\n    probe = '/tmp/' + os.environ['PYTEST_XDIST_WORKER']\n"
        )
        .is_unique());
        assert!(probe(
            "import tempfile, os\ndef f():\n    fd, path = tempfile.mkstemp()\n    probe = path\n"
        )
        .is_unique());
        assert_eq!(
            probe("def f(x):\n    probe = f'/tmp/{x}'\n"),
            Value::Unknown
        );
    }

    #[test]
    fn roots() {
        let v = probe("import tempfile, os\ndef f():\n    probe = os.path.join(tempfile.gettempdir(), 'a.txt')\n");
        assert_eq!(text_of(&v), Some((Root::TempDir, "a.txt".into())));
        // An f-string starting with the folder: rooted there, and a `str` even from a path.
        let v = probe("import tempfile\ndef f():\n    probe = f'{tempfile.gettempdir()}/a.txt'\n");
        assert_eq!(text_of(&v), Some((Root::TempDir, "/a.txt".into())));
        let v = probe("from pathlib import Path\ndef f():\n    probe = f'{Path.home()}/x'\n");
        assert!(!v.as_text().unwrap().path_object);
        assert!(matches!(
            text_of(&probe("def f(x):\n    probe = f'{x}/a'\n")),
            Some((Root::Param(_), _))
        ));
        // A suffix on the value's own name is not a path under it.
        assert_eq!(
            probe("def f(x):\n    probe = f'{x}.json'\n"),
            Value::Unknown
        );
        assert_eq!(
            probe("def test_x(template_name):\n    probe = f'{template_name}.json'\n"),
            Value::Unknown
        );
        let v = probe("import os\ndef f():\n    probe = os.path.expanduser('~/.cache/app')\n");
        assert_eq!(text_of(&v), Some((Root::Home, ".cache/app".into())));
        let v = probe(
            "from pathlib import Path\ndef f():\n    probe = Path(__file__).parent / 'out'\n",
        );
        assert_eq!(text_of(&v), Some((Root::SourceDir, "out".into())));
        let v = probe("def test_x(shared_dir):\n    probe = shared_dir / 'x.txt'\n");
        assert_eq!(
            text_of(&v),
            Some((Root::Fixture("shared_dir".into()), "x.txt".into()))
        );
    }

    #[test]
    fn self_attributes_from_setup() {
        let src = "import unittest\nclass T(unittest.TestCase):\n    def setUp(self):\n        self.path = '/tmp/t.txt'\n    def test_a(self):\n        probe = self.path\n";
        assert_eq!(probe(src).as_str(), Some("/tmp/t.txt"));
        let src = "import unittest, tempfile\nclass T(unittest.TestCase):\n    def setUp(self):\n        self.dir = tempfile.mkdtemp()\n    def test_a(self):\n        probe = self.dir + '/x'\n";
        assert!(probe(src).is_unique());
    }

    #[test]
    fn environment_sources() {
        let source = "import os\nURI = os.environ.get('NEO4J_URI', 'bolt://x')\ndef f():\n    probe = URI\n    other = os.environ['DB']\n";
        let sources: Vec<Option<String>> = with_model(source, |model| {
            let eval = Evaluator::new(model, &[]);
            ["probe", "other"]
                .iter()
                .map(|name| {
                    let (scope, expr) = assigned(model, name);
                    eval.env_source(expr, scope)
                })
                .collect()
        });
        assert_eq!(sources, vec![Some("NEO4J_URI".into()), Some("DB".into())]);
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut expr = String::from("'a'");
        for _ in 0..200 {
            expr = format!("({expr} + 'a')");
        }
        let v = probe(&format!("def f():\n    probe = {expr}\n"));
        assert_eq!(v, Value::Unknown);
    }
}
