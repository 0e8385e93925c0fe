//! Node kinds and fields of tree-sitter-python used by isolint, and small helpers over nodes.
//!
//! Every name here is checked against the grammar's `node-types.json` by a test, so a typo cannot
//! silently match nothing.

use crate::walk::Walk;
use std::sync::OnceLock;
use tree_sitter::Node;

/// Named node kinds of tree-sitter-python.
pub mod kind {
    pub const MODULE: &str = "module";
    pub const FUNCTION_DEFINITION: &str = "function_definition";
    pub const CLASS_DEFINITION: &str = "class_definition";
    pub const DECORATED_DEFINITION: &str = "decorated_definition";
    pub const DECORATOR: &str = "decorator";
    pub const LAMBDA: &str = "lambda";
    pub const CALL: &str = "call";
    pub const ATTRIBUTE: &str = "attribute";
    pub const IDENTIFIER: &str = "identifier";
    pub const STRING: &str = "string";
    pub const STRING_START: &str = "string_start";
    pub const STRING_CONTENT: &str = "string_content";
    pub const STRING_END: &str = "string_end";
    pub const ESCAPE_SEQUENCE: &str = "escape_sequence";
    pub const INTERPOLATION: &str = "interpolation";
    pub const CONCATENATED_STRING: &str = "concatenated_string";
    pub const BINARY_OPERATOR: &str = "binary_operator";
    pub const ASSIGNMENT: &str = "assignment";
    pub const AUGMENTED_ASSIGNMENT: &str = "augmented_assignment";
    pub const EXPRESSION_STATEMENT: &str = "expression_statement";
    pub const IMPORT_STATEMENT: &str = "import_statement";
    pub const IMPORT_FROM_STATEMENT: &str = "import_from_statement";
    pub const ALIASED_IMPORT: &str = "aliased_import";
    pub const DOTTED_NAME: &str = "dotted_name";
    pub const RELATIVE_IMPORT: &str = "relative_import";
    pub const PARAMETERS: &str = "parameters";
    pub const DEFAULT_PARAMETER: &str = "default_parameter";
    pub const TYPED_PARAMETER: &str = "typed_parameter";
    pub const TYPED_DEFAULT_PARAMETER: &str = "typed_default_parameter";
    pub const LIST_SPLAT_PATTERN: &str = "list_splat_pattern";
    pub const DICTIONARY_SPLAT_PATTERN: &str = "dictionary_splat_pattern";
    pub const ARGUMENT_LIST: &str = "argument_list";
    pub const KEYWORD_ARGUMENT: &str = "keyword_argument";
    pub const WITH_STATEMENT: &str = "with_statement";
    pub const WITH_CLAUSE: &str = "with_clause";
    pub const WITH_ITEM: &str = "with_item";
    pub const AS_PATTERN: &str = "as_pattern";
    pub const AS_PATTERN_TARGET: &str = "as_pattern_target";
    pub const TRY_STATEMENT: &str = "try_statement";
    pub const FINALLY_CLAUSE: &str = "finally_clause";
    pub const SUBSCRIPT: &str = "subscript";
    pub const DELETE_STATEMENT: &str = "delete_statement";
    pub const GLOBAL_STATEMENT: &str = "global_statement";
    pub const RETURN_STATEMENT: &str = "return_statement";
    pub const YIELD: &str = "yield";
    pub const FOR_STATEMENT: &str = "for_statement";
    pub const WHILE_STATEMENT: &str = "while_statement";
    pub const IF_STATEMENT: &str = "if_statement";
    pub const COMPARISON_OPERATOR: &str = "comparison_operator";
    pub const FLOAT: &str = "float";
    pub const LIST: &str = "list";
    pub const TUPLE: &str = "tuple";
    pub const SET: &str = "set";
    pub const DICTIONARY: &str = "dictionary";
    pub const PAIR: &str = "pair";
    pub const INTEGER: &str = "integer";
    pub const TRUE: &str = "true";
    pub const FALSE: &str = "false";
    pub const NONE: &str = "none";
    pub const PARENTHESIZED_EXPRESSION: &str = "parenthesized_expression";
    pub const EXPRESSION_LIST: &str = "expression_list";
    pub const PATTERN_LIST: &str = "pattern_list";
    pub const COMMENT: &str = "comment";
    pub const BLOCK: &str = "block";
    pub const CONDITIONAL_EXPRESSION: &str = "conditional_expression";
    pub const BOOLEAN_OPERATOR: &str = "boolean_operator";
    pub const AWAIT: &str = "await";
    pub const LIST_SPLAT: &str = "list_splat";
    pub const ASSERT_STATEMENT: &str = "assert_statement";
    pub const SET_COMPREHENSION: &str = "set_comprehension";

    /// Every kind above, for the grammar check.
    pub const ALL: &[&str] = &[
        MODULE,
        FUNCTION_DEFINITION,
        CLASS_DEFINITION,
        DECORATED_DEFINITION,
        DECORATOR,
        LAMBDA,
        CALL,
        ATTRIBUTE,
        IDENTIFIER,
        STRING,
        STRING_START,
        STRING_CONTENT,
        STRING_END,
        ESCAPE_SEQUENCE,
        INTERPOLATION,
        CONCATENATED_STRING,
        BINARY_OPERATOR,
        ASSIGNMENT,
        AUGMENTED_ASSIGNMENT,
        EXPRESSION_STATEMENT,
        IMPORT_STATEMENT,
        IMPORT_FROM_STATEMENT,
        ALIASED_IMPORT,
        DOTTED_NAME,
        RELATIVE_IMPORT,
        PARAMETERS,
        DEFAULT_PARAMETER,
        TYPED_PARAMETER,
        TYPED_DEFAULT_PARAMETER,
        LIST_SPLAT_PATTERN,
        DICTIONARY_SPLAT_PATTERN,
        ARGUMENT_LIST,
        KEYWORD_ARGUMENT,
        WITH_STATEMENT,
        WITH_CLAUSE,
        WITH_ITEM,
        AS_PATTERN,
        AS_PATTERN_TARGET,
        TRY_STATEMENT,
        FINALLY_CLAUSE,
        SUBSCRIPT,
        DELETE_STATEMENT,
        GLOBAL_STATEMENT,
        RETURN_STATEMENT,
        YIELD,
        FOR_STATEMENT,
        WHILE_STATEMENT,
        IF_STATEMENT,
        COMPARISON_OPERATOR,
        FLOAT,
        LIST,
        TUPLE,
        SET,
        DICTIONARY,
        PAIR,
        INTEGER,
        TRUE,
        FALSE,
        NONE,
        PARENTHESIZED_EXPRESSION,
        EXPRESSION_LIST,
        PATTERN_LIST,
        COMMENT,
        BLOCK,
        CONDITIONAL_EXPRESSION,
        BOOLEAN_OPERATOR,
        AWAIT,
        LIST_SPLAT,
        ASSERT_STATEMENT,
        SET_COMPREHENSION,
    ];
}

/// Field names of tree-sitter-python, with their ids looked up once: `child_by_field_name` would
/// compare the name against every field of the grammar on each call.
pub mod field {
    use std::sync::OnceLock;

    #[derive(Debug, Clone, Copy)]
    pub struct Field {
        pub name: &'static str,
        index: usize,
    }

    impl Field {
        pub fn id(self) -> u16 {
            static IDS: OnceLock<Vec<u16>> = OnceLock::new();
            IDS.get_or_init(|| {
                let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
                ALL.iter()
                    .map(|f| language.field_id_for_name(f.name).map_or(0, |id| id.get()))
                    .collect()
            })[self.index]
        }
    }

    macro_rules! fields {
        ($($constant:ident = $name:literal),* $(,)?) => {
            fields!(@each 0usize; $($constant = $name,)*);
            pub const ALL: &[Field] = &[$($constant),*];
        };
        (@each $index:expr; $constant:ident = $name:literal, $($rest:tt)*) => {
            pub const $constant: Field = Field { name: $name, index: $index };
            fields!(@each $index + 1usize; $($rest)*);
        };
        (@each $index:expr;) => {};
    }

    fields! {
        NAME = "name", VALUE = "value", BODY = "body", PARAMETERS = "parameters", FUNCTION = "function",
        ARGUMENTS = "arguments", OBJECT = "object", ATTRIBUTE = "attribute", LEFT = "left", RIGHT = "right",
        OPERATOR = "operator", ALIAS = "alias", MODULE_NAME = "module_name", SUPERCLASSES = "superclasses",
        DEFINITION = "definition", SUBSCRIPT = "subscript", CONSEQUENCE = "consequence",
        ALTERNATIVE = "alternative", CONDITION = "condition", EXPRESSION = "expression",
        FORMAT_SPECIFIER = "format_specifier", KEY = "key",
    }
}

/// The numeric id of a named node kind in tree-sitter-python; 0 when the grammar has no such kind.
/// Answered from a table built once: tree-sitter compares the name with every symbol's. Names
/// outside the table (`ERROR`, unknown ones) still ask tree-sitter.
pub fn kind_id(name: &str) -> u16 {
    static IDS: std::sync::OnceLock<foldhash::HashMap<&'static str, u16>> =
        std::sync::OnceLock::new();
    let ids = IDS.get_or_init(|| {
        let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
        (0..language.node_kind_count())
            .filter_map(|id| language.node_kind_for_id(u16::try_from(id).ok()?))
            .map(|name| (name, language.id_for_node_kind(name, true)))
            .filter(|(_, id)| *id != 0)
            .collect()
    });
    ids.get(name).copied().unwrap_or_else(|| {
        let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
        language.id_for_node_kind(name, true)
    })
}

/// Number of node kinds in the grammar, for tables indexed by kind id.
pub fn kind_count() -> usize {
    let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
    language.node_kind_count()
}

/// A node's kind name, the same as [`Node::kind`], read from a table indexed by kind id built once:
/// `Node::kind` measures the grammar's C string and checks it is UTF-8 on every call, and the
/// analyses ask for kinds on nearly every node they look at.
pub fn kind_of<'t>(node: impl std::borrow::Borrow<Node<'t>>) -> &'static str {
    let node = node.borrow();
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
        (0..language.node_kind_count())
            .map(|id| {
                u16::try_from(id)
                    .ok()
                    .and_then(|id| language.node_kind_for_id(id))
                    .unwrap_or("")
            })
            .collect()
    });
    // `ERROR` and the other built-in kinds sit past the table.
    match names.get(node.kind_id() as usize) {
        Some(name) if !name.is_empty() => name,
        _ => node.kind(),
    }
}

/// The source text of a node.
pub fn text<'s>(node: Node, source: &'s str) -> &'s str {
    source.get(node.byte_range()).unwrap_or("")
}

/// The named children of a node, skipping comments. Walks with [`Walk`]: `named_child(i)` is linear
/// in `i`, which would make wide nodes quadratic, and a `TreeCursor`'s sibling step rebuilds its
/// state each time; the iterator owns its walk, so no list of the children is built (the analyses
/// ask for the children of most calls and statements).
pub fn named_children(node: Node<'_>) -> NamedChildren<'_> {
    NamedChildren {
        cursor: Walk::new(node),
        started: false,
        finished: false,
    }
}

/// The iterator of [`named_children`].
pub struct NamedChildren<'t> {
    cursor: Walk<'t>,
    started: bool,
    finished: bool,
}

impl<'t> Iterator for NamedChildren<'t> {
    type Item = Node<'t>;

    fn next(&mut self) -> Option<Node<'t>> {
        while !self.finished {
            let moved = if self.started {
                self.cursor.goto_next_sibling()
            } else {
                self.started = true;
                self.cursor.goto_first_child()
            };
            if !moved {
                self.finished = true;
                break;
            }
            let child = self.cursor.node();
            if child.is_named() && !child.is_extra() {
                return Some(child);
            }
        }
        None
    }
}

/// Strips parentheses around an expression.
pub fn unparenthesize(mut node: Node) -> Node {
    while kind_of(node) == kind::PARENTHESIZED_EXPRESSION {
        match named_children(node).next() {
            Some(inner) => node = inner,
            None => break,
        }
    }
    node
}

/// The context expressions of the `with` statements among a node's ancestors (`with A() as a,
/// B():` gives `A()` and `B()`), innermost first, up to the first function or lambda.
pub fn with_contexts_among<'t>(ancestors: impl Iterator<Item = Node<'t>>) -> Vec<Node<'t>> {
    let mut contexts = Vec::new();
    for ancestor in ancestors {
        match kind_of(ancestor) {
            kind::FUNCTION_DEFINITION | kind::LAMBDA => break,
            kind::WITH_STATEMENT => {
                let items = named_children(ancestor)
                    .filter(|c| kind_of(c) == kind::WITH_CLAUSE)
                    .flat_map(named_children);
                contexts.extend(
                    items
                        .filter_map(|item| item.child_by_field_id(field::VALUE.id()))
                        .map(|value| {
                            if kind_of(value) == kind::AS_PATTERN {
                                named_children(value).next().unwrap_or(value)
                            } else {
                                value
                            }
                        }),
                );
            }
            _ => {}
        }
    }
    contexts
}

/// The positional arguments and keyword arguments of a call.
#[derive(Debug, Clone, Default)]
pub struct CallArgs<'t> {
    pub positional: Vec<Node<'t>>,
    pub keywords: Vec<(&'t str, Node<'t>)>,
    /// `*args` or `**kwargs` present: positions past them are unknown.
    pub has_splat: bool,
    /// Keyword arguments while their name and value are being found; a keyword argument missing
    /// either (in broken code) is not kept.
    partial_keywords: Vec<(Option<&'t str>, Option<Node<'t>>)>,
}

impl<'t> CallArgs<'t> {
    /// The arguments of `call`, found by walking its argument list; `FileModel::call_args` has
    /// them from the model's walk, without walking again.
    pub fn of(call: Node<'t>, source: &'t str) -> CallArgs<'t> {
        let mut args = CallArgs::default();
        let Some(list) = call.child_by_field_id(field::ARGUMENTS.id()) else {
            return args;
        };
        let mut cursor = list.walk();
        let mut more = cursor.goto_first_child();
        while more {
            let child = cursor.node();
            args.push_child(child);
            if kind_of(child) == kind::KEYWORD_ARGUMENT && cursor.goto_first_child() {
                loop {
                    args.fill_keyword(cursor.field_id().map(|f| f.get()), cursor.node(), source);
                    if !cursor.goto_next_sibling() {
                        break;
                    }
                }
                cursor.goto_parent();
            }
            more = cursor.goto_next_sibling();
        }
        args.finish();
        args
    }

    /// Takes the next child of the argument list: a keyword argument (its name and value come
    /// next, through `fill_keyword`), a splat, or a positional argument. Unnamed and extra
    /// children (punctuation, comments) are no arguments.
    pub(crate) fn push_child(&mut self, child: Node<'t>) {
        if !child.is_named() || child.is_extra() {
            return;
        }
        match kind_of(child) {
            kind::KEYWORD_ARGUMENT => self.partial_keywords.push((None, None)),
            "list_splat" | "dictionary_splat" => self.has_splat = true,
            _ => self.positional.push(child),
        }
    }

    /// Gives the last keyword argument its name or its value.
    pub(crate) fn fill_keyword(&mut self, field_id: Option<u16>, part: Node<'t>, source: &'t str) {
        let Some(last) = self.partial_keywords.last_mut() else {
            return;
        };
        if field_id == Some(field::NAME.id()) && last.0.is_none() {
            last.0 = Some(text(part, source));
        } else if field_id == Some(field::VALUE.id()) && last.1.is_none() {
            last.1 = Some(part);
        }
    }

    /// Ends the filling: the keyword arguments with a name and a value are the keywords.
    pub(crate) fn finish(&mut self) {
        if self.partial_keywords.is_empty() {
            return;
        }
        self.keywords = std::mem::take(&mut self.partial_keywords)
            .into_iter()
            .filter_map(|(name, value)| Some((name?, value?)))
            .collect();
    }

    pub fn keyword(&self, name: &str) -> Option<Node<'t>> {
        self.keywords
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
    }

    /// The argument bound to a parameter given by position or by keyword.
    pub fn get(&self, position: usize, name: &str) -> Option<Node<'t>> {
        self.keyword(name)
            .or_else(|| self.positional.get(position).copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every node of the tree, in document order.
    fn every_node(tree: &tree_sitter::Tree) -> Vec<Node<'_>> {
        let mut out = Vec::new();
        let mut cursor = tree.walk();
        'walk: loop {
            out.push(cursor.node());
            if cursor.goto_first_child() || cursor.goto_next_sibling() {
                continue;
            }
            while cursor.goto_parent() {
                if cursor.goto_next_sibling() {
                    continue 'walk;
                }
            }
            break;
        }
        out
    }

    #[test]
    fn kind_of_names_every_node_as_the_parser_does() {
        // Keywords that are also named kinds (`yield`, `await`, `lambda`), aliases (`as_pattern_target`)
        // and error nodes all included.
        let source = "async def f(x, *a, **k):\n    y = yield x\n    await g(lambda: 1)\n    with h() as (p, q):\n        pass\n    del [\ndef (:\n";
        let mut parser = crate::parse::python_parser();
        let tree = parser.parse(source, None).expect("a tree");
        let mut seen = 0;
        let mut errors = 0;
        for node in every_node(&tree) {
            assert_eq!(kind_of(node), node.kind());
            seen += 1;
            errors += usize::from(node.is_error());
        }
        assert!(seen > 50 && errors > 0, "{seen} nodes, {errors} errors");
    }

    #[test]
    fn named_children_are_the_parser_named_children_without_comments() {
        let source = "f(a, # note\n  *b, k=1, **c)\nclass C(B, metaclass=M):\n    x: int = 1  # c\n    def g(self, /, p, *, q=2): ...\nimport a.b as c, d\n";
        let mut parser = crate::parse::python_parser();
        let tree = parser.parse(source, None).expect("a tree");
        let mut with_comment_children = 0;
        for node in every_node(&tree) {
            let mut reference_cursor = node.walk();
            let expected: Vec<Node> = node
                .named_children(&mut reference_cursor)
                .filter(|child| !child.is_extra())
                .collect();
            assert_eq!(named_children(node).collect::<Vec<_>>(), expected);
            let mut child_cursor = node.walk();
            with_comment_children += usize::from(
                node.children(&mut child_cursor)
                    .any(|c| c.kind() == kind::COMMENT),
            );
        }
        assert!(with_comment_children >= 2);
    }

    /// The table answers what tree-sitter's search by name answers, for every symbol name of the
    /// grammar (named or not) and for names it does not have.
    #[test]
    fn kind_id_answers_as_the_grammar_does() {
        let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
        let mut names: Vec<&str> = (0..language.node_kind_count())
            .filter_map(|id| language.node_kind_for_id(u16::try_from(id).ok()?))
            .collect();
        names.extend(["no_such_kind", "", "Call", "ERROR"]);
        let mut named = 0;
        for name in names {
            assert_eq!(
                kind_id(name),
                language.id_for_node_kind(name, true),
                "{name:?}"
            );
            named += usize::from(kind_id(name) != 0);
        }
        assert!(named > 100, "{named} named kinds");
    }

    #[test]
    fn every_kind_and_field_exists_in_the_grammar() {
        let node_types = tree_sitter_python::NODE_TYPES;
        for name in kind::ALL {
            assert_ne!(kind_id(name), 0, "unknown node kind {name}");
            assert!(
                node_types.contains(&format!("\"type\": \"{name}\"")),
                "{name} missing from node-types.json"
            );
        }
        let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
        for field in field::ALL {
            assert!(
                language.field_id_for_name(field.name).is_some(),
                "unknown field {}",
                field.name
            );
            assert_eq!(
                Some(field.id()),
                language.field_id_for_name(field.name).map(|id| id.get())
            );
        }
    }
}
