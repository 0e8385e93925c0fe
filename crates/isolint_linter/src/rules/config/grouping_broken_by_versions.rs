//! ISO905: `xdist_group` grouping silently does nothing: the locked pytest and pytest-xdist are a
//! pair in which `--dist loadgroup` groups nothing (pytest-xdist #1386), or the group is set with
//! `pytestmark` in a `conftest.py`, which marks no test (pytest-xdist #1295).

use super::{marker_location, related, version_parts, ConfigFinding, ProjectInput};
use crate::diagnostic::{Effort, Severity};
use crate::registry::{Category, RuleMeta};
use crate::rules::Rule;

pub struct GroupingBrokenByVersions;

static META: RuleMeta = RuleMeta {
    code: "ISO905",
    name: "grouping-broken-by-versions",
    category: Category::Config,
    severity: Severity::Error,
    effort: Effort::Lines,
    shared_effort: Effort::Lines,
    summary: "`xdist_group` grouping silently does nothing: pytest ≥ 9.2 with pytest-xdist ≤ 3.8, or `pytestmark` groups in a conftest.py",
    doc: include_str!("../../../../../rules/ISO905-grouping-broken-by-versions.md"),
};

/// The first pytest version whose collection change pytest-xdist ≤ 3.8 does not follow (#1386).
const PYTEST_BREAKING: [u64; 2] = [9, 2];
/// The last pytest-xdist version known to lose the groups with it.
const XDIST_LAST_BROKEN: [u64; 2] = [3, 8];

impl Rule for GroupingBrokenByVersions {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, input: &ProjectInput) -> Vec<ConfigFinding> {
        let mut findings = Vec::new();
        let markers = input.group_markers();
        let uses_loadgroup = input
            .files
            .invocations
            .iter()
            .any(|i| input.dist_of(i) == "loadgroup" && i.uses_xdist());
        if !markers.is_empty() || uses_loadgroup {
            let pytest = input.files.version_of("pytest");
            let xdist = input.files.version_of("pytest-xdist");
            if let (Some(pytest), Some(xdist)) = (pytest, xdist) {
                let pytest_version = version_parts(&pytest.version);
                let xdist_version = version_parts(&xdist.version);
                let xdist_minor: Vec<u64> = xdist_version.iter().take(2).copied().collect();
                if pytest_version.as_slice() >= &PYTEST_BREAKING[..]
                    && !xdist_minor.is_empty()
                    && xdist_minor.as_slice() <= &XDIST_LAST_BROKEN[..]
                {
                    findings.push(ConfigFinding {
                        at: xdist.at.clone(),
                        message: format!(
                            "pytest-xdist {} with pytest {}: `--dist loadgroup` groups nothing (pytest-xdist #1386), so tests grouped with `xdist_group` spread over the workers",
                            xdist.version, pytest.version
                        ),
                        fix: "pin `pytest<9.2` (for example `pytest>=8,<9.2`) until a pytest-xdist release after 3.8 handles pytest 9.2, then lift the pin".into(),
                        related: vec![related(&pytest.at, format!("pytest {} is locked here", pytest.version))],
                    });
                }
            }
        }
        for (file, marker) in markers {
            if file.is_conftest && marker.module_level {
                findings.push(ConfigFinding {
                    at: marker_location(file, marker),
                    message: "`pytestmark` in a conftest.py marks no test (pytest applies it only to the module that defines it), so this `xdist_group` groups nothing (pytest-xdist #1295)".into(),
                    fix: "set `pytestmark = pytest.mark.xdist_group(...)` in each test module of the group, or add the marker to those items in a `pytest_collection_modifyitems` hook of this conftest.py".into(),
                    related: Vec::new(),
                });
            }
        }
        findings
    }
}
