//! The project model: what pytest would see across files. Fixture resolution by name through the
//! conftest hierarchy (nearest wins, a fixture may request the one it overrides), `pytest_plugins`,
//! autouse fixtures, and which tests use which fixtures.

use crate::source::Position;
use crate::value::{Root, Value};
use std::collections::{BTreeSet, HashMap, HashSet};

/// The tree-free facts of one file that the project stage needs.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct FileFacts {
    /// Relative to pytest's rootdir, `/`-separated (`tests/unit/test_x.py`).
    pub node_path: String,
    /// As shown to users.
    pub display: String,
    pub is_conftest: bool,
    pub is_test_module: bool,
    pub tests: Vec<TestFacts>,
    pub fixtures: Vec<FixtureFacts>,
    pub pytest_plugins: Vec<String>,
    /// Fixtures applied to the whole module by `pytestmark = pytest.mark.usefixtures(...)`.
    #[serde(deserialize_with = "crate::intern::deserialize_many")]
    pub module_usefixtures: Vec<&'static str>,
    pub classes: Vec<ClassFacts>,
    /// Module-level imports, to follow a test's call into a helper module.
    pub imports: Vec<ImportFacts>,
    /// Every module imported anywhere in the file, function bodies included (fixtures often import
    /// their database client inside), sorted: what the suite uses at all.
    pub imported_modules: Vec<String>,
    /// Every `pytest.mark.NAME` written in the file (decorators and `pytestmark`), in source order.
    pub marker_uses: Vec<MarkerUse>,
    /// How the file talks to Neo4j: drivers, databases, labels and schema objects it names.
    pub neo4j: Vec<Neo4jFact>,
}

/// One way a file uses Neo4j, for the audit's inventory (findings say what is wrong; these say
/// what is there, the safe uses included).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Neo4jFact {
    pub kind: Neo4jFactKind,
    /// The database, label or schema object's name, or the driver's URI when it is literal.
    pub name: Option<String>,
    /// The environment variable the name or URI is read from.
    pub configured_by: Option<String>,
    /// Driver settings given (`max_connection_pool_size=50`), as written.
    pub settings: Vec<(String, String)>,
    /// Who does it: `fixture `driver` (session)`, `test `test_x``, `module level`.
    pub owner: String,
    /// Scope of the owning fixture, when a fixture owns it.
    pub fixture_scope: Option<String>,
    pub line: usize,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Neo4jFactKind {
    Driver,
    Database,
    Label,
    Schema,
    User,
    /// A loop or retry decorator that waits for the server; `settings` hold `how`, `probe`,
    /// `attempts`, `delay`, `total` (seconds) and `called by` when known.
    Wait,
}

/// One marker written in a file, for the configuration rules (grouping, registration).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MarkerUse {
    pub name: String,
    pub position: Position,
    pub end: Position,
    pub span: crate::source::Span,
    /// Set through a module-level `pytestmark` (in a `conftest.py` pytest-xdist ignores it).
    pub module_level: bool,
}

/// `import module as local` (`member` None) or `from module import member as local`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImportFacts {
    pub local: String,
    pub module: String,
    pub member: Option<String>,
}

/// What the project stage needs of a class: its bases (mixins often live in another module) and
/// what its setup does for every test.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ClassFacts {
    pub name: String,
    /// Last name components of the base classes.
    pub bases: Vec<String>,
    /// `setUp`/`setup_method` moves into a private working folder.
    pub setup_changes_cwd: bool,
    /// pytest collects it (a `Test*` class of a test module, a `unittest.TestCase`).
    pub collected: bool,
    pub module_level: bool,
    pub unittest: bool,
    /// Names of its methods (a subclass's own method overrides the inherited one).
    pub methods: Vec<String>,
    /// Its test-named methods that pytest does not collect in this file (the class is not
    /// collected here), as tests of this class: subclasses inherit them. Collected ones are in
    /// [`FileFacts::tests`].
    pub test_methods: Vec<TestFacts>,
}

impl FileFacts {
    /// The folder holding the file, `/`-separated, empty at the rootdir.
    pub fn folder(&self) -> &str {
        self.node_path.rsplit_once('/').map_or("", |(dir, _)| dir)
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TestFacts {
    pub node_id: String,
    pub name: String,
    /// Classes around the test, outermost first.
    pub classes: Vec<String>,
    pub position: Position,
    /// Fixture names from the signature (parametrized names and `self` excluded). Fixture names
    /// are interned: every test keeps them until the end of the run, and tests request the same
    /// few fixtures.
    #[serde(deserialize_with = "crate::intern::deserialize_many")]
    pub requested: Vec<&'static str>,
    /// Where each of [`TestFacts::requested`] is named in the signature, in the same order.
    pub requested_spans: Vec<crate::source::Span>,
    /// `usefixtures` markers on the test, its classes and module.
    #[serde(deserialize_with = "crate::intern::deserialize_many")]
    pub usefixtures: Vec<&'static str>,
    /// Product of the lengths of `parametrize` lists, when they are literals.
    pub parameter_count: Option<usize>,
    pub parametrized: bool,
    pub markers: Vec<String>,
    /// The group of the innermost `xdist_group` marker (`--dist loadgroup` keeps a group on one
    /// worker).
    pub xdist_group: Option<String>,
    pub unittest: bool,
    /// Names of functions the test calls directly (to attribute helpers' findings). Interned:
    /// every test keeps them until the project stage, and tests call the same few names.
    #[serde(deserialize_with = "crate::intern::deserialize_many")]
    pub calls: Vec<&'static str>,
    /// Changes the test makes to the objects its fixtures give it (ISO601/ISO602).
    pub fixture_writes: Vec<FixtureWrite>,
}

impl TestFacts {
    /// Where the signature names a requested fixture.
    pub fn parameter_span(&self, fixture: &str) -> Option<crate::source::Span> {
        let at = self.requested.iter().position(|r| *r == fixture)?;
        self.requested_spans.get(at).copied()
    }
}

/// A test changing, or writing through, the value of a fixture it requests.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FixtureWrite {
    /// The fixture (parameter) name.
    pub fixture: String,
    pub span: crate::source::Span,
    pub position: Position,
    /// What the statement does, for messages (`appends to it`, `writes through it`).
    pub what: String,
    /// A write through a connection or session (`execute("INSERT ...")`, `session.add`), as
    /// opposed to a change of the object itself.
    pub through_connection: bool,
}

/// What a fixture returns, as far as sharing it between tests matters.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SharedValue {
    /// A mutable object (`a list`, `a \`Layout\` instance`).
    Mutable(String),
    /// A connection, session, driver or Dagster context.
    Connection(String),
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FixtureFacts {
    pub name: String,
    pub function: String,
    pub scope: String,
    pub autouse: bool,
    pub params: Option<usize>,
    /// Classes the fixture is defined in (it is visible only inside them).
    pub classes: Vec<String>,
    pub position: Position,
    #[serde(deserialize_with = "crate::intern::deserialize_many")]
    pub requested: Vec<&'static str>,
    /// What it returns or yields, fixture-rooted values unresolved.
    pub value: Value,
    /// It moves the test into a private working folder (`monkeypatch.chdir(tmp_path)`).
    pub changes_cwd: bool,
    /// It points `HOME` at a private folder.
    pub isolates_home: bool,
    /// Environment variables it sets or deletes through `monkeypatch` before the test (`*`: it
    /// clears the whole environment), so a value leaked by an earlier test is reset.
    pub resets_env: Vec<String>,
    /// Names of functions it calls (to attribute helpers' findings to its users), interned as
    /// [`TestFacts::calls`].
    #[serde(deserialize_with = "crate::intern::deserialize_many")]
    pub calls: Vec<&'static str>,
    /// What it returns or yields, when that is a mutable object or a connection.
    pub shared_value: Option<SharedValue>,
    /// Fixtures it requests and resets (`clear()`, `rollback()`, `begin_nested()`): a function
    /// fixture doing so gives every test a clean copy of a wide one.
    pub resets: Vec<String>,
}

/// A fixture: file index and fixture index in that file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FixtureRef {
    pub file: usize,
    pub index: usize,
}

pub struct Project<'a> {
    pub files: &'a [FileFacts],
    /// Per file, the indices of its fixtures by name, and of its autouse fixtures: resolving a name
    /// must not scan every fixture of a file that defines thousands.
    fixtures_named: Vec<HashMap<&'a str, Vec<usize>>>,
    autouse_fixtures: Vec<Vec<usize>>,
    /// Per file, the files whose fixtures it sees ([`visible_files`]): every fixture name a test
    /// requests is resolved through them.
    visible: Vec<Vec<usize>>,
    /// The first definition of each class name, in file order (file, index among its classes):
    /// a base class defined in no linted file (`TestCase`) must not cost a scan of every file.
    first_class_named: HashMap<&'a str, (usize, usize)>,
}

const MAX_DEPTH: usize = 16;

/// The files whose fixtures a file sees, nearest first: itself, the conftests of its folder and
/// every folder above, then plugin modules.
fn visible_files(
    files: &[FileFacts],
    conftests: &HashMap<&str, usize>,
    plugins: &[usize],
    file: usize,
) -> Vec<usize> {
    let mut order = vec![file];
    let mut folder = files[file].folder();
    loop {
        if let Some(conftest) = conftests.get(folder) {
            if !order.contains(conftest) {
                order.push(*conftest);
            }
        }
        if folder.is_empty() {
            break;
        }
        folder = folder.rsplit_once('/').map_or("", |(parent, _)| parent);
    }
    for plugin in plugins {
        if !order.contains(plugin) {
            order.push(*plugin);
        }
    }
    order
}

impl<'a> Project<'a> {
    pub fn new(files: &'a [FileFacts]) -> Self {
        // Folder → conftest file index.
        let conftests: HashMap<&'a str, usize> = files
            .iter()
            .enumerate()
            .filter(|(_, f)| f.is_conftest)
            .map(|(i, f)| (f.folder(), i))
            .collect();
        // Files named by some `pytest_plugins`.
        let mut plugins: Vec<usize> = Vec::new();
        for file in files {
            for plugin in &file.pytest_plugins {
                let as_path = plugin.replace('.', "/");
                let candidates = [format!("{as_path}.py"), format!("{as_path}/__init__.py")];
                if let Some(index) = files.iter().position(|f| {
                    candidates
                        .iter()
                        .any(|c| f.node_path == *c || f.node_path.ends_with(&format!("/{c}")))
                }) {
                    if !plugins.contains(&index) {
                        plugins.push(index);
                    }
                }
            }
        }
        plugins.sort_unstable();
        let fixtures_named = files
            .iter()
            .map(|file| {
                let mut named: HashMap<&'a str, Vec<usize>> = HashMap::new();
                for (index, fixture) in file.fixtures.iter().enumerate() {
                    named.entry(fixture.name.as_str()).or_default().push(index);
                }
                named
            })
            .collect();
        let autouse_fixtures = files
            .iter()
            .map(|file| {
                (0..file.fixtures.len())
                    .filter(|i| file.fixtures[*i].autouse)
                    .collect()
            })
            .collect();
        let visible = (0..files.len())
            .map(|file| visible_files(files, &conftests, &plugins, file))
            .collect();
        let mut first_class_named: HashMap<&'a str, (usize, usize)> = HashMap::new();
        for (file, facts) in files.iter().enumerate() {
            for (index, class) in facts.classes.iter().enumerate() {
                first_class_named
                    .entry(class.name.as_str())
                    .or_insert((file, index));
            }
        }
        Project {
            files,
            fixtures_named,
            autouse_fixtures,
            visible,
            first_class_named,
        }
    }

    fn visible_files(&self, file: usize) -> &[usize] {
        self.visible.get(file).map_or(&[], Vec::as_slice)
    }

    /// Resolves a fixture name as pytest does from a test or fixture in `file` inside `classes`.
    /// `skip` is the fixture doing the requesting when it requests its own name (it then gets the one
    /// it overrides).
    pub fn resolve(
        &self,
        file: usize,
        classes: &[String],
        name: &str,
        skip: Option<FixtureRef>,
    ) -> Option<FixtureRef> {
        let mut passed_skip = skip.is_none();
        for &candidate_file in self.visible_files(file) {
            let facts = &self.files[candidate_file];
            // Innermost class first, then module level.
            let named = self.fixtures_named[candidate_file]
                .get(name)
                .map_or(&[][..], Vec::as_slice);
            let mut candidates: Vec<(usize, &FixtureFacts)> = named
                .iter()
                .map(|index| (*index, &facts.fixtures[*index]))
                .filter(|(_, f)| {
                    candidate_file != file && f.classes.is_empty()
                        || candidate_file == file && classes.starts_with(&f.classes)
                })
                .collect();
            candidates.sort_by_key(|(_, f)| std::cmp::Reverse(f.classes.len()));
            for (index, _) in candidates {
                let reference = FixtureRef {
                    file: candidate_file,
                    index,
                };
                if !passed_skip {
                    if Some(reference) == skip {
                        passed_skip = true;
                    }
                    continue;
                }
                return Some(reference);
            }
        }
        None
    }

    pub fn fixture(&self, reference: FixtureRef) -> &FixtureFacts {
        &self.files[reference.file].fixtures[reference.index]
    }

    /// Autouse fixtures that apply to a test in `file` inside `classes`.
    fn autouse(&self, file: usize, classes: &[String]) -> Vec<FixtureRef> {
        let mut found = Vec::new();
        for &candidate_file in self.visible_files(file) {
            for &index in &self.autouse_fixtures[candidate_file] {
                let fixture = &self.files[candidate_file].fixtures[index];
                let visible = if candidate_file == file {
                    classes.starts_with(&fixture.classes)
                } else {
                    fixture.classes.is_empty()
                };
                if fixture.autouse && visible {
                    found.push(FixtureRef {
                        file: candidate_file,
                        index,
                    });
                }
            }
        }
        found
    }

    /// Every fixture a test uses, directly or through other fixtures, autouse included.
    pub fn closure(&self, file: usize, test: &TestFacts) -> BTreeSet<FixtureRef> {
        let mut seen = BTreeSet::new();
        let mut pending: Vec<(FixtureRef, usize)> = Vec::new();
        let names = test
            .requested
            .iter()
            .chain(test.usefixtures.iter())
            .chain(self.files[file].module_usefixtures.iter());
        for name in names {
            if let Some(reference) = self.resolve(file, &test.classes, name, None) {
                pending.push((reference, 0));
            }
        }
        pending.extend(
            self.autouse(file, &test.classes)
                .into_iter()
                .map(|r| (r, 0)),
        );
        while let Some((reference, depth)) = pending.pop() {
            if depth > MAX_DEPTH || !seen.insert(reference) {
                continue;
            }
            let fixture = self.fixture(reference);
            for name in &fixture.requested {
                let skip = (*name == fixture.name).then_some(reference);
                if let Some(next) = self.resolve(reference.file, &fixture.classes, name, skip) {
                    pending.push((next, depth + 1));
                }
            }
        }
        seen
    }

    /// The value of a fixture with the fixtures it is built from resolved in turn.
    pub fn fixture_value(&self, reference: FixtureRef) -> Value {
        let mut current = reference;
        let mut suffix: Vec<Value> = Vec::new();
        for _ in 0..MAX_DEPTH {
            let fixture = self.fixture(current);
            match &fixture.value {
                Value::Text(text) => {
                    if let Root::Fixture(name) = &text.root {
                        let skip = (*name == fixture.name).then_some(current);
                        let Some(next) = self.resolve(current.file, &fixture.classes, name, skip)
                        else {
                            return Value::Unknown;
                        };
                        suffix.push(Value::literal(text.text.clone()));
                        current = next;
                        continue;
                    }
                    let mut value = Value::Text(text.clone());
                    for part in suffix.into_iter().rev() {
                        value = value.join(part);
                    }
                    return value;
                }
                other => return other.clone(),
            }
        }
        Value::Unknown
    }

    /// Whether a class, or a base class in any linted file, moves its tests into a private working
    /// folder in its setup (Django's `RunInTmpDirMixin`, a suite's own `ChdirMixin`).
    pub fn class_changes_cwd(&self, file: usize, class: &str) -> bool {
        let mut pending = vec![(file, class.to_string(), 0)];
        let mut seen = BTreeSet::new();
        while let Some((file, name, depth)) = pending.pop() {
            if depth > MAX_DEPTH || !seen.insert(name.clone()) {
                continue;
            }
            let found = self.files[file]
                .classes
                .iter()
                .find(|c| c.name == name)
                .map(|c| (file, c))
                .or_else(|| {
                    let &(i, index) = self.first_class_named.get(name.as_str())?;
                    Some((i, &self.files[i].classes[index]))
                });
            let Some((defined_in, facts)) = found else {
                continue;
            };
            if facts.setup_changes_cwd {
                return true;
            }
            pending.extend(
                facts
                    .bases
                    .iter()
                    .map(|base| (defined_in, base.clone(), depth + 1)),
            );
        }
        false
    }

    /// The dotted module name of a file (`helpers/files.py` → `helpers.files`).
    pub fn module_name(&self, file: usize) -> String {
        module_of_path(&self.files[file].node_path)
    }

    /// Whether `file` imports `function` of module `helper` (directly, or the module and calls its
    /// attribute). Module names match on whole trailing components, as import roots vary
    /// (`tests.helpers.files`, `helpers.files`, `.files`).
    pub fn imports_function(&self, file: usize, helper: usize, function: &str) -> bool {
        let helper_module = self.module_name(helper);
        let matches = |imported: &str| {
            let imported = imported.trim_start_matches('.');
            !imported.is_empty()
                && (helper_module == imported
                    || helper_module.ends_with(&format!(".{imported}"))
                    || imported.ends_with(&format!(".{helper_module}")))
        };
        self.files[file]
            .imports
            .iter()
            .any(|import| match &import.member {
                Some(member) if member == function => matches(&import.module),
                Some(member) => matches(&format!("{}.{member}", import.module)),
                None => matches(&import.module),
            })
    }

    /// For each fixture, the node ids of the tests that use it.
    pub fn fixture_users(&self) -> HashMap<FixtureRef, Vec<String>> {
        let mut users: HashMap<FixtureRef, Vec<String>> = HashMap::new();
        for (file_index, file) in self.files.iter().enumerate() {
            for test in &file.tests {
                for fixture in self.closure(file_index, test) {
                    users.entry(fixture).or_default().push(test.node_id.clone());
                }
            }
        }
        for list in users.values_mut() {
            list.sort();
            list.dedup();
        }
        users
    }
}

/// The dotted module name of a `/`-separated path (`helpers/files.py` → `helpers.files`,
/// `pkg/__init__.py` → `pkg`).
pub fn module_of_path(path: &str) -> String {
    let module = path.trim_end_matches(".py");
    module
        .strip_suffix("/__init__")
        .unwrap_or(module)
        .replace('/', ".")
}

/// Which tests a class's code runs for: its own tests and those of every collected subclass (the
/// test methods of a base class in a helper module run as tests of each subclass). Tests are
/// (file, test) indexes into the files as [`inherit_tests`] leaves them, in node id order: a large
/// suite has tens of thousands, and their node ids are in the files already.
#[derive(Debug, Default)]
pub struct Inheritance {
    /// (file, class) → the tests that run its methods, own and inherited.
    by_class: HashMap<(usize, String), Vec<(u32, u32)>>,
    /// (file, class, method) → the tests that method is.
    by_method: HashMap<(usize, String, String), Vec<(u32, u32)>>,
}

impl Inheritance {
    /// The tests code in `method` of `class` (in `file`) runs for, as (file, test): the method's
    /// tests when it is a test, else every test of the class and its subclasses.
    pub fn tests_of(&self, file: usize, class: &str, method: &str) -> Vec<(usize, usize)> {
        self.by_method
            .get(&(file, class.to_string(), method.to_string()))
            .or_else(|| self.by_class.get(&(file, class.to_string())))
            .map_or(Vec::new(), |tests| {
                tests
                    .iter()
                    .map(|&(f, t)| (f as usize, t as usize))
                    .collect()
            })
    }
}

/// Adds the tests collected subclasses inherit from base classes (in the module or another linted
/// file) to the subclasses' files, as pytest collects them, and says which tests each base class's
/// methods run for.
pub fn inherit_tests(files: &mut [FileFacts]) -> Inheritance {
    // Node ids while classes are walked (each in the file of the subclass collecting it),
    // indexes once every inherited test is in its file.
    let mut class_ids: HashMap<(usize, String), Vec<(usize, String)>> = HashMap::new();
    let mut method_ids: HashMap<(usize, String, String), Vec<(usize, String)>> = HashMap::new();
    let mut added: Vec<(usize, TestFacts)> = Vec::new();
    // Class name → the files defining one, so a base is found without scanning every file.
    let mut defined: HashMap<&str, Vec<usize>> = HashMap::new();
    for (file, facts) in files.iter().enumerate() {
        for class in &facts.classes {
            let list = defined.entry(class.name.as_str()).or_default();
            if list.last() != Some(&file) {
                list.push(file);
            }
        }
    }
    for (file, facts) in files.iter().enumerate() {
        if !facts.is_test_module {
            continue;
        }
        // pytest also collects the test classes a module imports (`from base import ReaderTests`):
        // seen as a subclass of the imported class with no methods of its own.
        let imported: Vec<ClassFacts> = facts
            .imports
            .iter()
            .filter(|i| i.member.is_some() && !facts.classes.iter().any(|c| c.name == i.local))
            .filter_map(|import| {
                let name = import.member.as_deref()?;
                let defined_in = find_class(files, &defined, file, name).filter(|f| *f != file)?;
                let class = files[defined_in].classes.iter().find(|c| c.name == name)?;
                (class.unittest || name.starts_with("Test")).then(|| ClassFacts {
                    name: import.local.clone(),
                    bases: vec![name.to_string()],
                    collected: true,
                    module_level: true,
                    unittest: class.unittest,
                    ..Default::default()
                })
            })
            .collect();
        let tests_by_class = tests_by_class(&facts.tests);
        for class in facts
            .classes
            .iter()
            .filter(|c| c.collected && c.module_level)
            .chain(imported.iter())
        {
            let mut seen_methods: BTreeSet<String> = class.methods.iter().cloned().collect();
            let own: Vec<String> = tests_by_class
                .get(class.name.as_str())
                .into_iter()
                .flatten()
                .map(|t| t.node_id.clone())
                .collect();
            let mut record_class = |key: (usize, String), ids: &[String]| {
                class_ids
                    .entry(key)
                    .or_default()
                    .extend(ids.iter().map(|id| (file, id.clone())));
            };
            record_class((file, class.name.clone()), &own);
            let mut pending: Vec<(usize, String, usize)> = class
                .bases
                .iter()
                .filter_map(|b| find_class(files, &defined, file, b).map(|f| (f, b.clone(), 1)))
                .collect();
            let mut visited = BTreeSet::new();
            while let Some((base_file, base, depth)) = pending.pop() {
                if depth > MAX_DEPTH || !visited.insert((base_file, base.clone())) {
                    continue;
                }
                let Some(base_facts) = files[base_file].classes.iter().find(|c| c.name == base)
                else {
                    continue;
                };
                let mut ids = Vec::new();
                // Test-named methods of the base: those its own module collects, and the others.
                let collected_there = files[base_file]
                    .tests
                    .iter()
                    .filter(|t| t.classes.len() == 1 && t.classes[0] == base);
                for template in base_facts.test_methods.iter().chain(collected_there) {
                    if !seen_methods.insert(template.name.clone()) {
                        continue;
                    }
                    let node_id = format!("{}::{}::{}", facts.node_path, class.name, template.name);
                    method_ids
                        .entry((base_file, base.clone(), template.name.clone()))
                        .or_default()
                        .push((file, node_id.clone()));
                    ids.push(node_id.clone());
                    added.push((
                        file,
                        TestFacts {
                            node_id,
                            classes: vec![class.name.clone()],
                            unittest: class.unittest || template.unittest,
                            // Their spans are in the base class's file.
                            fixture_writes: Vec::new(),
                            ..template.clone()
                        },
                    ));
                }
                // The subclass's own methods (`setup_method`, helpers) run for what it inherits.
                record_class((file, class.name.clone()), &ids);
                ids.extend(own.iter().cloned());
                record_class((base_file, base.clone()), &ids);
                pending.extend(base_facts.bases.iter().filter_map(|b| {
                    find_class(files, &defined, base_file, b).map(|f| (f, b.clone(), depth + 1))
                }));
            }
        }
    }
    // A file's own tests and those it inherits through several bases, each once.
    let mut known: HashMap<usize, HashSet<String>> = HashMap::new();
    for (file, test) in added {
        let ids = known.entry(file).or_insert_with(|| {
            files[file]
                .tests
                .iter()
                .map(|t| t.node_id.clone())
                .collect()
        });
        if ids.insert(test.node_id.clone()) {
            files[file].tests.push(test);
        }
    }
    // Each file's tests by node id, for the files some class's tests are in.
    let mut positions: HashMap<usize, HashMap<&str, u32>> = HashMap::new();
    for (file, _) in class_ids.values().chain(method_ids.values()).flatten() {
        positions.entry(*file).or_insert_with(|| {
            files[*file]
                .tests
                .iter()
                .enumerate()
                .map(|(t, test)| (test.node_id.as_str(), t as u32))
                .collect()
        });
    }
    let indexes = |mut ids: Vec<(usize, String)>| -> Vec<(u32, u32)> {
        ids.sort_by(|a, b| a.1.cmp(&b.1));
        ids.dedup_by(|a, b| a.1 == b.1);
        ids.iter()
            .filter_map(|(file, id)| {
                let t = positions.get(file)?.get(id.as_str())?;
                Some((*file as u32, *t))
            })
            .collect()
    };
    Inheritance {
        by_class: class_ids
            .into_iter()
            .map(|(key, ids)| (key, indexes(ids)))
            .collect(),
        by_method: method_ids
            .into_iter()
            .map(|(key, ids)| (key, indexes(ids)))
            .collect(),
    }
}

/// A module's tests defined directly in each class, by class name.
fn tests_by_class(tests: &[TestFacts]) -> HashMap<&str, Vec<&TestFacts>> {
    let mut by_class: HashMap<&str, Vec<&TestFacts>> = HashMap::new();
    for test in tests {
        if let [class] = test.classes.as_slice() {
            by_class.entry(class.as_str()).or_default().push(test);
        }
    }
    by_class
}

/// The file defining the class a module names as a base: the module itself, the module it imports
/// the name from, else the only linted file defining a class of that name.
fn find_class(
    files: &[FileFacts],
    defined: &HashMap<&str, Vec<usize>>,
    file: usize,
    name: &str,
) -> Option<usize> {
    let candidates: &[usize] = defined.get(name).map_or(&[], Vec::as_slice);
    if candidates.contains(&file) {
        return Some(file);
    }
    let imported_from: Vec<&str> = files[file]
        .imports
        .iter()
        .filter(|i| i.local == name)
        .map(|i| i.module.trim_start_matches('.'))
        .collect();
    let from_import = candidates.iter().copied().find(|i| {
        let module = module_of_path(&files[*i].node_path);
        imported_from
            .iter()
            .any(|m| !m.is_empty() && (module == *m || module.ends_with(&format!(".{m}"))))
    });
    from_import.or(match candidates {
        [only] => Some(*only),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str, requested: &[&str], value: Value) -> FixtureFacts {
        FixtureFacts {
            name: name.into(),
            function: name.into(),
            scope: "function".into(),
            autouse: false,
            params: None,
            classes: Vec::new(),
            position: Position::default(),
            requested: requested.iter().map(|s| crate::intern::intern(s)).collect(),
            value,
            changes_cwd: false,
            isolates_home: false,
            resets_env: Vec::new(),
            calls: Vec::new(),
            shared_value: None,
            resets: Vec::new(),
        }
    }

    fn test(name: &str, requested: &[&str]) -> TestFacts {
        TestFacts {
            node_id: name.into(),
            name: name.into(),
            classes: Vec::new(),
            position: Position::default(),
            requested: requested.iter().map(|s| crate::intern::intern(s)).collect(),
            requested_spans: Vec::new(),
            usefixtures: Vec::new(),
            parameter_count: None,
            parametrized: false,
            markers: Vec::new(),
            xdist_group: None,
            unittest: false,
            calls: Vec::new(),
            fixture_writes: Vec::new(),
        }
    }

    #[test]
    fn nearest_conftest_wins_and_overrides_chain() {
        let root = FileFacts {
            node_path: "conftest.py".into(),
            is_conftest: true,
            fixtures: vec![fixture("out", &[], Value::literal("/tmp/base"))],
            ..Default::default()
        };
        let sub = FileFacts {
            node_path: "sub/conftest.py".into(),
            is_conftest: true,
            fixtures: vec![fixture(
                "out",
                &["out"],
                Value::rooted(Root::Fixture("out".into()), "nested"),
            )],
            ..Default::default()
        };
        let module = FileFacts {
            node_path: "sub/test_a.py".into(),
            is_test_module: true,
            tests: vec![test("sub/test_a.py::test_x", &["out"])],
            ..Default::default()
        };
        let other = FileFacts {
            node_path: "test_b.py".into(),
            is_test_module: true,
            tests: vec![test("test_b.py::test_y", &["out"])],
            ..Default::default()
        };
        let files = vec![root, sub, module, other];
        let project = Project::new(&files);
        let resolved = project.resolve(2, &[], "out", None).unwrap();
        assert_eq!(resolved, FixtureRef { file: 1, index: 0 });
        assert_eq!(
            project.fixture_value(resolved).as_str(),
            Some("/tmp/base/nested")
        );
        assert_eq!(
            project.resolve(3, &[], "out", None),
            Some(FixtureRef { file: 0, index: 0 })
        );
        let users = project.fixture_users();
        assert_eq!(
            users[&FixtureRef { file: 0, index: 0 }],
            vec!["sub/test_a.py::test_x", "test_b.py::test_y"]
        );
    }

    #[test]
    fn a_subclass_collects_its_bases_test_methods_once_each() {
        let in_class = |class: &str, name: &str, node_id: &str| TestFacts {
            node_id: node_id.into(),
            classes: vec![class.into()],
            ..test(name, &[])
        };
        let base = FileFacts {
            node_path: "helpers/base.py".into(),
            classes: vec![ClassFacts {
                name: "ReaderBase".into(),
                test_methods: vec![
                    in_class("ReaderBase", "test_read", "base::test_read"),
                    in_class("ReaderBase", "test_own", "base::test_own"),
                ],
                ..Default::default()
            }],
            ..Default::default()
        };
        let subclass = |name: &str, bases: &[&str]| ClassFacts {
            name: name.into(),
            bases: bases.iter().map(|b| b.to_string()).collect(),
            collected: true,
            module_level: true,
            methods: vec!["test_own".into()],
            ..Default::default()
        };
        let tests = FileFacts {
            node_path: "test_x.py".into(),
            is_test_module: true,
            classes: vec![
                subclass("TestA", &["ReaderBase"]),
                subclass("TestB", &["ReaderBase", "ReaderBase"]),
            ],
            tests: vec![
                in_class("TestA", "test_own", "test_x.py::TestA::test_own"),
                in_class("TestB", "test_own", "test_x.py::TestB::test_own"),
            ],
            ..Default::default()
        };
        let mut files = vec![base, tests];
        let inheritance = inherit_tests(&mut files);
        let ids: Vec<&str> = files[1].tests.iter().map(|t| t.node_id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "test_x.py::TestA::test_own",
                "test_x.py::TestB::test_own",
                "test_x.py::TestA::test_read",
                "test_x.py::TestB::test_read",
            ]
        );
        let node_ids = |tests: Vec<(usize, usize)>| -> Vec<&str> {
            tests
                .into_iter()
                .map(|(f, t)| files[f].tests[t].node_id.as_str())
                .collect()
        };
        assert_eq!(
            node_ids(inheritance.tests_of(0, "ReaderBase", "test_read")),
            ["test_x.py::TestA::test_read", "test_x.py::TestB::test_read"]
        );
        assert_eq!(
            node_ids(inheritance.tests_of(1, "TestA", "setup_method")),
            ["test_x.py::TestA::test_own", "test_x.py::TestA::test_read"]
        );
    }
}
