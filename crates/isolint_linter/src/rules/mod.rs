//! The rules, one file each, grouped by family. A rule declares the node kinds it wants and is called
//! for each such node in the one walk's order; filesystem rules read the shared path-effect analysis.

use crate::analysis::path_effects::ResolvedEffect;
use crate::analysis::state::StateWrite;
use crate::context::{FileContext, FileInfo, Finding};
use crate::registry::RuleMeta;
use isolint_python::model::ScopeId;
use tree_sitter::Node;

pub mod collection;
pub mod config;
pub mod file_errors;
pub mod hardcoded_path;
pub mod missing_cleanup;
pub mod module_state;
pub mod order_dependency;
pub mod shared_resource;
pub mod wide_fixture_scope;

pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;

    /// Node kinds (tree-sitter-python names) this rule wants to see.
    fn node_kinds(&self) -> &'static [&'static str] {
        &[]
    }

    /// Called for every node of a wanted kind, with its innermost scope.
    fn check_node(&self, _node: Node, _scope: ScopeId, _ctx: &mut FileContext) {}

    /// Whether the rule reads the path-effect analysis (writes, deletes, database files).
    fn uses_path_effects(&self) -> bool {
        false
    }

    /// Called for every write, creation, deletion or database open of a known path, once the project
    /// stage has resolved fixture values.
    fn check_path_effect(&self, _effect: &ResolvedEffect) -> Option<Finding> {
        None
    }

    /// Whether the finding this rule made of `effect` takes the effect's own fix (a private path
    /// under `tmp_path`): only when the path is written by the owner itself, not a shared
    /// definition, a fixture or a helper.
    fn fixes_path_effect(&self, _effect: &ResolvedEffect) -> bool {
        false
    }

    /// Whether the rule reads the state-effect analysis (module and class state test code changes).
    fn uses_state(&self) -> bool {
        false
    }

    /// Called for every change to module or class state found in a linted file (`module` is its
    /// dotted name).
    fn check_state_write(
        &self,
        _write: &StateWrite,
        _file: &FileInfo,
        _module: &str,
    ) -> Option<Finding> {
        None
    }

    /// The machine-applicable fix of the finding `check_state_write` made of `write`, computed
    /// while the file's tree is alive (`module` is the file's dotted name).
    fn fix_state_write(
        &self,
        _write: &StateWrite,
        _ctx: &FileContext,
        _module: &str,
    ) -> Option<crate::fix::Fix> {
        None
    }

    /// Whether a finding of this rule still holds once the whole project is known (a fixture every
    /// test uses may undo what the finding reports).
    fn holds_in_project(&self, _finding: &Finding, _project: &ProjectView) -> bool {
        true
    }

    /// Called once per run with the project's files and the suite's facts (configuration rules).
    fn check_project(&self, _input: &config::ProjectInput) -> Vec<config::ConfigFinding> {
        Vec::new()
    }
}

/// Project facts that per-file findings are confirmed against.
#[derive(Debug, Default)]
pub struct ProjectView {
    /// Environment variables a fixture resets before every test of the project (`*`: all of them).
    pub env_reset_before_every_test: std::collections::BTreeSet<String>,
    /// Every module some file of the suite imports (an in-process fake of a service, imported by
    /// a conftest, stands in for it everywhere).
    pub imported_modules: std::collections::BTreeSet<String>,
    /// Module and class state an autouse fixture writes before or after every test (a reset).
    pub state_reset_by_autouse: Vec<String>,
}

/// Every rule, in code order.
pub static ALL: &[&dyn Rule] = &[
    &file_errors::UnreadableFile,
    &file_errors::SyntaxError,
    &file_errors::UnusedSuppression,
    &hardcoded_path::HardcodedTmpPath,
    &hardcoded_path::CwdRelativeOutput,
    &hardcoded_path::SharedPathRemoval,
    &hardcoded_path::FixedSqliteFile,
    &hardcoded_path::HomeDirPath,
    &shared_resource::Neo4jFixedDatabase,
    &shared_resource::Neo4jGlobalWipe,
    &shared_resource::Neo4jFixedSchema,
    &shared_resource::FixedPort,
    &shared_resource::FixedDatabaseName,
    &shared_resource::FixedContainerName,
    &module_state::MutableModuleGlobal,
    &module_state::GlobalRebinding,
    &module_state::MutableClassState,
    &module_state::ImportTimeConnection,
    &module_state::CachedSharedObject,
    &module_state::ImportedStateMutation,
    &order_dependency::ExplicitOrder,
    &order_dependency::CrossTestStateFlow,
    &order_dependency::TestCallsTest,
    &order_dependency::NumberedTestsSharingState,
    &missing_cleanup::EnvironLeak,
    &missing_cleanup::ChdirLeak,
    &missing_cleanup::ImportStateLeak,
    &missing_cleanup::PatchNotStopped,
    &missing_cleanup::GlobalConfigLeak,
    &missing_cleanup::ResourceWithoutTeardown,
    &wide_fixture_scope::SharedMutableFixture,
    &wide_fixture_scope::SharedConnectionWithoutReset,
    &wide_fixture_scope::SessionFixturePerWorker,
    &collection::UnorderedParametrize,
    &config::CoverageNotParallel,
    &config::XdistNotDeclared,
    &config::AddoptsOrderPlugins,
    &config::XdistGroupIgnored,
    &config::GroupingBrokenByVersions,
];
