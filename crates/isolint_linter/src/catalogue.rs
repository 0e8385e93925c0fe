//! What the rule catalogue (`rules.md`) says about each code, built in this version or not, so a
//! selection or `isolint rule` naming a planned rule is understood rather than refused.

use crate::registry::Category;

/// One code of the catalogue.
pub struct CatalogueEntry {
    pub code: &'static str,
    pub name: &'static str,
    pub category: Category,
    /// The catalogue's description of what the rule will find.
    pub description: &'static str,
}

pub const ENTRIES: &[CatalogueEntry] = &[
    CatalogueEntry {
        code: "ISO101",
        name: "hardcoded-tmp-path",
        category: Category::HardcodedPath,
        description: "a fixed path inside a shared temp location (`/tmp/...`, `/var/tmp/...`, `tempfile.gettempdir()` + a fixed name, `$TMPDIR`) that test code creates, writes, opens for writing, deletes, or passes as an output path. Effort default `1-2 lines` (use `tmp_path`).",
    },
    CatalogueEntry {
        code: "ISO102",
        name: "cwd-relative-output",
        category: Category::HardcodedPath,
        description: "test code writes into a relative path or a path under the repository (`reports/`, `logs/`, `out.json`, `Path(__file__).parent / \"out\"`), shared by every worker. Reading checked-in data files is safe. Effort `1-2 lines` inside one test, `moderate refactor` when several tests or a module constant share it.",
    },
    CatalogueEntry {
        code: "ISO103",
        name: "shared-path-removal",
        category: Category::HardcodedPath,
        description: "`shutil.rmtree`, `os.remove`, `unlink`, `os.rmdir` on a fixed shared path: one worker deletes what another is using.",
    },
    CatalogueEntry {
        code: "ISO104",
        name: "fixed-sqlite-file",
        category: Category::HardcodedPath,
        description: "`sqlite3.connect(\"x.db\")`, `sqlite:///x.db` URLs, `dbm`/`shelve` with a fixed file. (`:memory:` is safe.)",
    },
    CatalogueEntry {
        code: "ISO105",
        name: "home-dir-path",
        category: Category::HardcodedPath,
        description: "test code writes under the user's home (`~`, `Path.home()`, `os.path.expanduser`) or another per-user location (`~/.cache/...`, `~/.config/...`).",
    },
    CatalogueEntry {
        code: "ISO201",
        name: "neo4j-fixed-database",
        category: Category::SharedResourceName,
        description: "a fixed Neo4j database name: `session(database=\"...\")`, `driver.execute_query(..., database_=\"...\")`, `CREATE|DROP DATABASE name` in Cypher, a URI or env value naming one. Fix: one database per worker (`f\"test_{worker_id}\"`, Enterprise) or one Neo4j per worker. Effort `moderate refactor` (`major redesign` when the suite assumes a single database everywhere).",
    },
    CatalogueEntry {
        code: "ISO202",
        name: "neo4j-global-wipe",
        category: Category::SharedResourceName,
        description: "Cypher that wipes or mutates the whole shared graph: `MATCH (n) DETACH DELETE n`, unscoped `MATCH (n) DELETE`, `apoc.schema.assert({}, {})`, `CALL apoc.periodic.iterate` over all nodes, `neomodel` `clear_neo4j_database(...)`, `drop_constraints/drop_indexes`, `gds.graph.drop` of a fixed name. Parse the Cypher string; a query scoped to a label/property unique per test is safe.",
    },
    CatalogueEntry {
        code: "ISO203",
        name: "neo4j-fixed-schema",
        category: Category::SharedResourceName,
        description: "constraints, indexes, or GDS projections created with fixed names in a shared database (`CREATE CONSTRAINT name`, `gds.graph.project('g', ...)`).",
    },
    CatalogueEntry {
        code: "ISO204",
        name: "fixed-port",
        category: Category::SharedResourceName,
        description: "a server or socket bound to a literal port: `socket.bind((host, 8080))`, `HTTPServer((\"\", 8000), ...)`, `app.run(port=5000)`, `uvicorn.run(port=...)`, `aiohttp`/`werkzeug` servers, `subprocess` launching a server with `--port 1234`. Port `0` is safe. Clients connecting to a configured service are not this rule.",
    },
    CatalogueEntry {
        code: "ISO205",
        name: "fixed-database-name",
        category: Category::SharedResourceName,
        description: "SQL/NoSQL databases or schemas created/dropped with a fixed name: `CREATE DATABASE test_db`, SQLAlchemy/psycopg/pymongo URLs or calls with a fixed db, Redis `flushall`/ `flushdb` on a shared server, fixed Redis key prefixes written by tests.",
    },
    CatalogueEntry {
        code: "ISO206",
        name: "fixed-container-name",
        category: Category::SharedResourceName,
        description: "Docker/testcontainers/compose resources with fixed container, network, volume or project names.",
    },
    CatalogueEntry {
        code: "ISO301",
        name: "mutable-module-global",
        category: Category::ModuleState,
        description: "a module-level mutable object (list/dict/set literal or comprehension, `defaultdict`, `Counter`, instance of a non-frozen class) in a test module or conftest that test code mutates (method call like `append/update/pop/clear`, item/attr assignment, `+=`, `del`). Report at the mutation with the definition as related location. Never flag constants that nothing mutates.",
    },
    CatalogueEntry {
        code: "ISO302",
        name: "global-rebinding",
        category: Category::ModuleState,
        description: "`global X` followed by an assignment in test code.",
    },
    CatalogueEntry {
        code: "ISO303",
        name: "mutable-class-state",
        category: Category::ModuleState,
        description: "a `Test*`/`unittest.TestCase` class attribute mutated by test methods (`self.items.append`, `type(self).x = `, `cls.x =` outside `setup_class`/`setUpClass`).",
    },
    CatalogueEntry {
        code: "ISO304",
        name: "import-time-connection",
        category: Category::ModuleState,
        description: "a connection, driver, client, engine, server or container created at module import time (`GraphDatabase.driver(...)`, `create_engine(...)`, `redis.Redis(...)`, `MongoClient(...)`, `boto3.client(...)`, `requests.Session()`) in test code: shared by every test in the worker, opened during collection, never closed.",
    },
    CatalogueEntry {
        code: "ISO305",
        name: "cached-shared-object",
        category: Category::ModuleState,
        description: "`functools.lru_cache`/`cache`/`cached_property` or a hand-rolled singleton (`_instance = None` + `global`) returning a mutable object or connection used by tests.",
    },
    CatalogueEntry {
        code: "ISO306",
        name: "imported-state-mutation",
        category: Category::ModuleState,
        description: "test code assigns to an attribute of an imported module or class (`config.DEBUG = True`, `Registry.items[k] = v`, `MagicMock.x = ...`) or mutates a container it exposes (`plugins.REGISTRY.append(...)`), without restore. `monkeypatch.setattr`, `mock.patch.object` and an explicit restore in `finally`/teardown are safe. In real order-dependent Python tests this is the most common root cause.",
    },
    CatalogueEntry {
        code: "ISO401",
        name: "explicit-order",
        category: Category::OrderDependency,
        description: "`pytest.mark.order`, `pytest.mark.run(order=...)`, `pytest.mark.dependency (depends=...)`, `pytest.mark.incremental`-style classes, `pytest_collection_modifyitems` that sorts. Under xdist the order across workers is not kept. Fix: remove the dependency, or keep the group on one worker with `@pytest.mark.xdist_group` + `--dist loadgroup`.",
    },
    CatalogueEntry {
        code: "ISO402",
        name: "cross-test-state-flow",
        category: Category::OrderDependency,
        description: "test A writes shared state (module/class state, a fixed file, a fixed DB record, an env var) that test B reads, with no reset between: report at B's read (the *victim*) with A's write (the *polluter*) as related location. Works across files when the state lives in an imported module or a fixed path.",
    },
    CatalogueEntry {
        code: "ISO403",
        name: "test-calls-test",
        category: Category::OrderDependency,
        description: "a test function calls another test function, or uses another test's return value.",
    },
    CatalogueEntry {
        code: "ISO404",
        name: "numbered-tests-sharing-state",
        category: Category::OrderDependency,
        description: "tests named in sequence (`test_01_create`, `test_02_update`; `part1`/`part2`) in one module or class that touch the same state: the names say an order is intended.",
    },
    CatalogueEntry {
        code: "ISO501",
        name: "environ-leak",
        category: Category::MissingCleanup,
        description: "`os.environ[...] = `, `os.environ.update/pop/setdefault/clear`, `del os.environ[...]`, `os.putenv/unsetenv` in test code without restore (`monkeypatch.setenv`, `mock.patch.dict(os.environ, ...)` and try/finally restore are safe).",
    },
    CatalogueEntry {
        code: "ISO502",
        name: "chdir-leak",
        category: Category::MissingCleanup,
        description: "`os.chdir` without restore (`monkeypatch.chdir`, `contextlib.chdir`, try/finally are safe).",
    },
    CatalogueEntry {
        code: "ISO503",
        name: "import-state-leak",
        category: Category::MissingCleanup,
        description: "`sys.path.insert/append`, `sys.modules[...] =`, `sys.argv` mutation, `importlib.reload` of shared modules without restore.",
    },
    CatalogueEntry {
        code: "ISO504",
        name: "patch-not-stopped",
        category: Category::MissingCleanup,
        description: "a process-wide mock switched on and never off: `patch(...).start()` / `patch.object(...).start()` with no `.stop()`, `addCleanup(p.stop)` or `patch.stopall()`; `responses.start()`, `httpretty.enable()`, `freezegun.freeze_time(...).start()`, `pook.on()`, `requests_mock.Mocker().start()` without their off switch. Also `importlib.reload` of a shared module.",
    },
    CatalogueEntry {
        code: "ISO505",
        name: "global-config-leak",
        category: Category::MissingCleanup,
        description: "process-wide settings changed without restore: `logging.basicConfig`, root logger `setLevel/addHandler`, `socket.setdefaulttimeout`, `warnings.simplefilter` outside `catch_warnings`, `locale.setlocale`, `time.tzset`, `signal.signal`, `sys.setrecursionlimit`, `gettext`/`LANG`, Django `settings.X = ...` (use `override_settings`/`settings` fixture), global RNG seeding (`random.seed`, `np.random.seed`) that later tests rely on.",
    },
    CatalogueEntry {
        code: "ISO506",
        name: "resource-without-teardown",
        category: Category::MissingCleanup,
        description: "a fixture that creates an external resource (file, directory, database, node, server, container, thread, subprocess) and `return`s it instead of `yield` + teardown or `request.addfinalizer`; a cleanup that only runs when the test passes (after the assertions, not in `finally`); `setUpClass` state with no `tearDownClass`.",
    },
    CatalogueEntry {
        code: "ISO601",
        name: "shared-mutable-fixture",
        category: Category::WideFixtureScope,
        description: "a fixture with `scope` `class`/`module`/`package`/`session` that returns or yields a mutable object which a test mutates (resolve fixtures by name through the `conftest.py` hierarchy and `pytest_plugins`, as pytest does, including overriding).",
    },
    CatalogueEntry {
        code: "ISO602",
        name: "shared-connection-without-reset",
        category: Category::WideFixtureScope,
        description: "a wide-scope fixture yields a DB connection/session/driver that tests write through, with no per-test rollback, transaction, or cleanup fixture.",
    },
    CatalogueEntry {
        code: "ISO603",
        name: "session-fixture-per-worker",
        category: Category::WideFixtureScope,
        description: "a `session` fixture that assumes it runs once per run: creates a fixed-name resource, starts a server on a fixed port, writes a fixed file, or seeds a shared database. Under xdist it runs once *per worker*. Fix: per-worker names (`worker_id`), or the `tmp_path_factory.getbasetemp().parent` + file-lock pattern from the pytest-xdist docs.",
    },
    CatalogueEntry {
        code: "ISO701",
        name: "unordered-parametrize",
        category: Category::Collection,
        description: "`parametrize` (or `pytest_generate_tests`, `params=` of a fixture) over a `set`, `frozenset`, dict built from a set, `os.listdir`/`glob` results without `sorted`, or values from `random`/`uuid`/`time` in ids: workers see different collections (\"Different tests were collected between gw0 and gw1\") because hash seeds differ per process.",
    },
    CatalogueEntry {
        code: "ISO901",
        name: "coverage-not-parallel",
        category: Category::Config,
        description: "pytest-cov/coverage used with xdist but `[tool.coverage.run]` (or `.coveragerc`, `setup.cfg`) lacks `parallel = true`.",
    },
    CatalogueEntry {
        code: "ISO902",
        name: "xdist-not-declared",
        category: Category::Config,
        description: "`-n`/`--dist` in pytest `addopts` while `pytest-xdist` is not in the project's dev dependencies (pyproject, requirements files).",
    },
    CatalogueEntry {
        code: "ISO903",
        name: "addopts-order-plugins",
        category: Category::Config,
        description: "`-p no:randomly` or ordering plugins forced in `addopts` that hide order dependencies.",
    },
    CatalogueEntry {
        code: "ISO904",
        name: "xdist-group-ignored",
        category: Category::Config,
        description: "`xdist_group` markers in the suite while no configured pytest run passes `--dist loadgroup` (the markers are silently ignored), or used but not registered under `--strict-markers`.",
    },
    CatalogueEntry {
        code: "ISO905",
        name: "grouping-broken-by-versions",
        category: Category::Config,
        description: "Locked pytest and pytest-xdist versions in which `loadgroup` silently groups nothing, or `xdist_group` set through `pytestmark` in a `conftest.py` (ignored).",
    },
];
