//! What a rule sees while it checks one file, and the findings it leaves for the project stage.

use crate::analysis::path_effects::{PathEffect, SummaryEffect};
use crate::diagnostic::FixSite;
use crate::registry::RuleMeta;
use crate::settings::Settings;
use isolint_python::eval::Evaluator;
use isolint_python::model::{FileModel, Role, ScopeId, ScopeKind, MODULE_SCOPE};
use isolint_python::source::Span;
use tree_sitter::Node;

/// Facts about the file being linted.
#[derive(Debug, Clone)]
pub struct FileInfo {
    /// As shown to users: relative to the current folder, `/`-separated.
    pub display: String,
    /// Relative to pytest's rootdir, `/`-separated: the first part of node ids.
    pub node_path: String,
    pub is_conftest: bool,
    /// Named like a pytest test module (or given on the command line).
    pub pytest_module: bool,
    /// A module of the project's own package, read only for what its functions do (effect
    /// summaries): never linted, never reported in.
    pub first_party: bool,
    /// Code of the project's own package (first-party, or linted outside any test folder and not
    /// a test module or conftest): the state it changes is reported where tests call it.
    pub package_code: bool,
}

/// The code a finding sits in, as the project stage needs it to attribute the finding to tests.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Owner {
    pub role: Role,
    /// The function's name (empty at module level).
    pub function: String,
    /// Classes around the function, outermost first.
    pub classes: Vec<String>,
    /// Node id when the owner is a test.
    pub test: Option<String>,
    /// Fixture name when the owner is a fixture.
    pub fixture: Option<String>,
    /// The fixture's scope (`function`, `session`, ...), when the owner is a fixture.
    pub fixture_scope: Option<String>,
    pub fixture_autouse: bool,
    /// The owner is a method of a `unittest.TestCase` subclass.
    pub unittest: bool,
}

impl Owner {
    /// The owner of a finding the project stage reports in a test.
    pub fn of_test(test: &isolint_python::project::TestFacts) -> Owner {
        Owner {
            role: Role::Test,
            function: test.name.clone(),
            classes: test.classes.clone(),
            test: Some(test.node_id.clone()),
            fixture: None,
            fixture_scope: None,
            fixture_autouse: false,
            unittest: test.unittest,
        }
    }

    pub fn site(&self) -> FixSite {
        match self.role {
            Role::Test => FixSite::Test,
            Role::Fixture => FixSite::Fixture,
            Role::Setup | Role::Teardown if !self.classes.is_empty() => FixSite::Class,
            Role::Setup | Role::Teardown | Role::Module => FixSite::Module,
            Role::ClassBody => FixSite::Class,
            _ => FixSite::Helper,
        }
    }
}

/// A finding of one file before the project stage attributes it to tests.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    #[serde(with = "crate::registry::by_code")]
    pub rule: &'static RuleMeta,
    pub span: Span,
    pub message: String,
    pub fix: String,
    pub owner: Owner,
    /// Other places in the same file that explain the finding.
    pub related: Vec<(Span, String)>,
    /// Places in other files (the conftest defining a fixture).
    pub related_elsewhere: Vec<crate::diagnostic::Related>,
    pub resource: Option<String>,
    /// Where the fix lives, when it is not where the owner is (a module constant, a class attribute).
    pub site: FixSite,
    /// The tests the finding reaches, when the project stage knows them better than the owner does
    /// (a helper called from other modules).
    pub tests: Option<Vec<String>>,
}

pub struct FileContext<'a, 't> {
    pub model: &'a FileModel<'t>,
    pub eval: Evaluator<'a, 't>,
    pub file: &'a FileInfo,
    pub settings: &'a Settings,
    pub(crate) findings: Vec<Finding>,
    pub(crate) path_effects: Vec<PathEffect>,
    /// Effects stated in terms of a function's parameters (or, in first-party modules, any
    /// effect): the raw material of effect summaries.
    pub(crate) summary_effects: Vec<SummaryEffect>,
    /// Test code here hands a known path to a function of the project, which may remove it: library
    /// calls handed fixed paths are then worth evaluating (see `path_effects`).
    pub(crate) may_remove_through_calls: bool,
    /// The teardown functions of each class (and of the module), found once: rules ask per finding.
    teardowns: std::cell::OnceCell<foldhash::HashMap<ScopeId, Vec<ScopeId>>>,
    /// The function scopes of the file by name, found once.
    /// (Owned names: a borrowed key would make the context invariant in `'t`.)
    functions: std::cell::OnceCell<foldhash::HashMap<String, Vec<ScopeId>>>,
    /// The shared-service operations of each call (by its byte range), computed by the first
    /// shared-resource rule that asks and read by the others.
    /// The fixes rules offered, by the finding's span and code (kept beside the findings so that
    /// a rule that offers none writes nothing about fixes).
    pub(crate) fixes: std::collections::HashMap<(usize, usize, &'static str), crate::fix::Fix>,
    /// The fix of each path effect a rule may adopt, by the effect's span.
    pub(crate) path_fixes: std::collections::HashMap<(usize, usize), crate::fix::Fix>,
    /// The shared-service operations of each call that has some, by the call node's id.
    pub(crate) service_ops: foldhash::HashMap<usize, Vec<crate::rules::shared_resource::FoundOp>>,
    /// The call last found to have no shared-service operation (most calls), kept out of
    /// `service_ops`: the rules ask about one call one after another.
    pub(crate) no_service_ops: Option<usize>,
    /// The fix turning each module-level name into a fixture, computed once: every test changing
    /// the name offers the same one.
    pub(crate) module_mutable_fixes:
        std::cell::RefCell<std::collections::HashMap<String, Option<crate::fix::Fix>>>,
    /// The callee of each call asked about, by the call's node id (see
    /// [`FileContext::callee_name`]), and of the call last asked about, which the rules checking
    /// one node ask one after another.
    callees: std::cell::RefCell<foldhash::HashMap<usize, Option<CalleeName>>>,
    last_callee: std::cell::Cell<Option<(usize, Option<CalleeName>)>>,
    /// Whether the file's text names the environment at all (see
    /// [`FileContext::names_environment`]).
    names_environment: std::cell::OnceCell<bool>,
    /// The owner of each owning scope, built once and shared by everything the file keeps about
    /// that code (its callers' facts, its tests' state reads): an owner holds several names.
    owners: std::cell::RefCell<foldhash::HashMap<ScopeId, std::sync::Arc<Owner>>>,
}

/// What a call's callee says at a glance: its kind and the byte range of the last name written in
/// it (`fetch` of `app.api.fetch(...)`). Offsets, not a node: a node would make the context
/// invariant in `'t`.
#[derive(Debug, Clone, Copy)]
struct CalleeName {
    kind: &'static str,
    last: (usize, usize),
}

impl<'a, 't> FileContext<'a, 't> {
    pub fn new(model: &'a FileModel<'t>, file: &'a FileInfo, settings: &'a Settings) -> Self {
        FileContext {
            model,
            eval: Evaluator::new(model, &settings.unique_names),
            file,
            settings,
            findings: Vec::new(),
            path_effects: Vec::new(),
            summary_effects: Vec::new(),
            may_remove_through_calls: false,
            teardowns: std::cell::OnceCell::new(),
            functions: std::cell::OnceCell::new(),
            fixes: std::collections::HashMap::new(),
            path_fixes: std::collections::HashMap::new(),
            service_ops: foldhash::HashMap::default(),
            no_service_ops: None,
            module_mutable_fixes: std::cell::RefCell::new(std::collections::HashMap::new()),
            callees: std::cell::RefCell::new(foldhash::HashMap::default()),
            last_callee: std::cell::Cell::new(None),
            names_environment: std::cell::OnceCell::new(),
            owners: std::cell::RefCell::new(foldhash::HashMap::default()),
        }
    }

    /// Whether the file's text says `environ`, `putenv` or `unsetenv` anywhere, searched once:
    /// without one, no statement of the file can name `os.environ` or change the environment.
    pub fn names_environment(&self) -> bool {
        *self.names_environment.get_or_init(|| {
            ["environ", "putenv", "unsetenv"]
                .iter()
                .any(|name| self.model.source.contains(name))
        })
    }

    /// The kind of a call's callee and the last name written in it (`fetch` of
    /// `app.api.fetch(...)`, `open` of `open(...)`): what most rules decide a call by before
    /// anything else. The rules and the file's analyses ask it of every call, so it is found once
    /// per call.
    pub fn callee_name(&self, call: Node) -> Option<(&'static str, &'t str)> {
        let answer = match self.last_callee.get() {
            Some((id, answer)) if id == call.id() => answer,
            _ => {
                let answer = *self
                    .callees
                    .borrow_mut()
                    .entry(call.id())
                    .or_insert_with(|| self.find_callee_name(call));
                self.last_callee.set(Some((call.id(), answer)));
                answer
            }
        };
        answer.map(|c| {
            (
                c.kind,
                self.model.source.get(c.last.0..c.last.1).unwrap_or(""),
            )
        })
    }

    fn find_callee_name(&self, call: Node) -> Option<CalleeName> {
        let callee = self.model.callee(call)?;
        let written = self.text(callee);
        let last = isolint_python::knowledge::last_component(written);
        // `last` is a suffix of `written`, which starts at the callee.
        let end = callee.start_byte() + written.len();
        Some(CalleeName {
            kind: isolint_python::syntax::kind_of(callee),
            last: (end - last.len(), end),
        })
    }

    /// The functions (and methods) of the file with this name, in source order.
    pub fn functions_named(&self, name: &str) -> &[ScopeId] {
        let by_name = self.functions.get_or_init(|| {
            let mut by_name: foldhash::HashMap<String, Vec<ScopeId>> = foldhash::HashMap::default();
            for (id, scope) in self.model.scopes.iter().enumerate() {
                if scope.kind == ScopeKind::Function {
                    by_name.entry(scope.name.to_string()).or_default().push(id);
                }
            }
            by_name
        });
        by_name.get(name).map_or(&[], Vec::as_slice)
    }

    /// The teardown functions defined directly in a class or the module (`teardown_method`,
    /// `tearDown`, `teardown_module`, ...).
    pub fn teardowns_in(&self, container: ScopeId) -> &[ScopeId] {
        let by_container = self.teardowns.get_or_init(|| {
            let mut by_container: foldhash::HashMap<ScopeId, Vec<ScopeId>> =
                foldhash::HashMap::default();
            for id in self.model.function_scopes_with(Role::Teardown) {
                if let Some(parent) = self.model.scopes[id].parent {
                    by_container.entry(parent).or_default().push(id);
                }
            }
            by_container
        });
        by_container.get(&container).map_or(&[], Vec::as_slice)
    }

    pub fn source(&self) -> &'t str {
        self.model.source
    }

    pub fn text(&self, node: Node) -> &'t str {
        isolint_python::syntax::text(node, self.model.source)
    }

    pub fn report(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    /// Attaches a machine-applicable fix to the finding `rule` reports at `span` (the first offered
    /// wins when a rule reports twice there).
    pub fn offer_fix(&mut self, rule: &'static RuleMeta, span: Span, fix: Option<crate::fix::Fix>) {
        if let Some(fix) = fix {
            self.fixes
                .entry((span.start, span.end, rule.code))
                .or_insert(fix);
        }
    }

    /// [`FileContext::owner_of`], one shared copy per owning scope.
    pub fn shared_owner(&self, scope: ScopeId) -> std::sync::Arc<Owner> {
        let id = self.model.owner(scope);
        if let Some(known) = self.owners.borrow().get(&id) {
            return known.clone();
        }
        let owner = std::sync::Arc::new(self.owner_of(scope).1);
        self.owners.borrow_mut().insert(id, owner.clone());
        owner
    }

    /// The owner of code in `scope`: nested helpers take their meaning from the enclosing test.
    pub fn owner_of(&self, scope: ScopeId) -> (ScopeId, Owner) {
        let model = self.model;
        let id = model.owner(scope);
        let s = &model.scopes[id];
        let classes: Vec<String> = model.class_path(id).into_iter().map(String::from).collect();
        let function = if s.kind == ScopeKind::Function {
            s.name.to_string()
        } else {
            String::new()
        };
        let mut owner = Owner {
            role: s.role,
            function: function.clone(),
            classes: if s.kind == ScopeKind::Class {
                let mut c = classes.clone();
                c.push(s.name.to_string());
                c
            } else {
                classes.clone()
            },
            test: None,
            fixture: None,
            fixture_scope: None,
            fixture_autouse: false,
            unittest: model
                .class_of_method(id)
                .is_some_and(|c| model.unittest_classes.contains(&c)),
        };
        match s.role {
            Role::Test => {
                let mut id_parts = vec![self.file.node_path.clone()];
                id_parts.extend(classes);
                id_parts.push(function);
                owner.test = Some(id_parts.join("::"));
            }
            Role::Fixture => {
                if let Some(fixture) = model.fixtures.iter().find(|f| f.scope == id) {
                    owner.fixture = Some(fixture.name.clone());
                    owner.fixture_scope = Some(fixture.scope_name.clone());
                    owner.fixture_autouse = fixture.autouse;
                }
            }
            _ => {}
        }
        if id == MODULE_SCOPE {
            owner.role = Role::Module;
        }
        (id, owner)
    }
}
