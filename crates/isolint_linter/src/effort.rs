//! The effort model, in one place. A finding's effort starts from its rule's default and rises with
//! where the fix lives and how many tests share the root cause:
//!
//! - a fix inside one test, or a fixture/constant used by one test: the rule's default;
//! - a fixture, class setup or module constant shared by two or more tests, a wide-scope fixture, or a
//!   helper function the tests call: at least the rule's *shared* effort. For a path that is
//!   `moderate refactor` (the shared value becomes a fixture and every user is re-checked); for an
//!   environment change it stays `1-2 lines` (one restore in the shared place fixes every test);
//! - a helper outside the test suite, or a resource the whole suite assumes is single: `major redesign`.

use crate::diagnostic::{Effort, FixSite};

pub struct EffortFacts<'a> {
    pub base: Effort,
    /// The rule's effort when the fix is in code several tests share.
    pub shared: Effort,
    pub site: FixSite,
    /// Distinct tests that share the root cause.
    pub tests_sharing: usize,
    pub fixture_scope: Option<&'a str>,
    /// The fix is in code outside the test suite.
    pub outside_tests: bool,
}

pub fn estimate(facts: &EffortFacts) -> Effort {
    let raised = if facts.outside_tests {
        Effort::Major
    } else {
        let wide_fixture = matches!(
            facts.fixture_scope,
            Some("session" | "package" | "module" | "class")
        );
        match facts.site {
            FixSite::Helper => facts.shared,
            FixSite::Fixture | FixSite::Class | FixSite::Module if facts.tests_sharing >= 2 => {
                facts.shared
            }
            FixSite::Fixture if wide_fixture => Effort::Moderate,
            _ => facts.base,
        }
    };
    raised.max(facts.base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(site: FixSite, tests_sharing: usize) -> EffortFacts<'static> {
        EffortFacts {
            base: Effort::Lines,
            shared: Effort::Moderate,
            site,
            tests_sharing,
            fixture_scope: None,
            outside_tests: false,
        }
    }

    #[test]
    fn effort_rises_with_sharing_and_site() {
        assert_eq!(estimate(&facts(FixSite::Test, 1)), Effort::Lines);
        assert_eq!(estimate(&facts(FixSite::Module, 1)), Effort::Lines);
        assert_eq!(estimate(&facts(FixSite::Module, 3)), Effort::Moderate);
        assert_eq!(estimate(&facts(FixSite::Fixture, 2)), Effort::Moderate);
        assert_eq!(estimate(&facts(FixSite::Helper, 1)), Effort::Moderate);
        let wide = EffortFacts {
            fixture_scope: Some("session"),
            ..facts(FixSite::Fixture, 1)
        };
        assert_eq!(estimate(&wide), Effort::Moderate);
        let outside = EffortFacts {
            outside_tests: true,
            ..facts(FixSite::Test, 1)
        };
        assert_eq!(estimate(&outside), Effort::Major);
        // One restore in a shared helper fixes every caller.
        let restore_once = EffortFacts {
            shared: Effort::Lines,
            ..facts(FixSite::Helper, 7)
        };
        assert_eq!(estimate(&restore_once), Effort::Lines);
    }
}
