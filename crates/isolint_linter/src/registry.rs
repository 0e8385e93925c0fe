//! The rule registry: every rule's code, name, category, defaults and page, and rule selection by code,
//! prefix, name or category.

use crate::diagnostic::{Effort, Severity};
use crate::rules;
use serde::Serialize;
use std::collections::BTreeSet;

/// The eight categories of the catalogue (the JSON `category` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    HardcodedPath,
    SharedResourceName,
    ModuleState,
    OrderDependency,
    MissingCleanup,
    WideFixtureScope,
    Collection,
    Config,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::HardcodedPath,
        Category::SharedResourceName,
        Category::ModuleState,
        Category::OrderDependency,
        Category::MissingCleanup,
        Category::WideFixtureScope,
        Category::Collection,
        Category::Config,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::HardcodedPath => "hardcoded-path",
            Category::SharedResourceName => "shared-resource-name",
            Category::ModuleState => "module-state",
            Category::OrderDependency => "order-dependency",
            Category::MissingCleanup => "missing-cleanup",
            Category::WideFixtureScope => "wide-fixture-scope",
            Category::Collection => "collection",
            Category::Config => "config",
        }
    }

    /// The code prefix of the family (`ISO1` for hardcoded-path).
    pub fn code_prefix(self) -> &'static str {
        match self {
            Category::HardcodedPath => "ISO1",
            Category::SharedResourceName => "ISO2",
            Category::ModuleState => "ISO3",
            Category::OrderDependency => "ISO4",
            Category::MissingCleanup => "ISO5",
            Category::WideFixtureScope => "ISO6",
            Category::Collection => "ISO7",
            Category::Config => "ISO9",
        }
    }
}

/// What every rule declares about itself.
#[derive(Debug, Serialize)]
pub struct RuleMeta {
    pub code: &'static str,
    pub name: &'static str,
    pub category: Category,
    pub severity: Severity,
    /// The effort of the simplest fix; the effort model raises it from the project's facts.
    pub effort: Effort,
    /// The effort when the fix is in code several tests share (a fixture, class setup, constant).
    pub shared_effort: Effort,
    /// One line: what the rule finds.
    pub summary: &'static str,
    /// The rule's page from `rules/`, embedded in the binary.
    #[serde(skip)]
    pub doc: &'static str,
}

impl RuleMeta {
    /// The page's "What it does" section, for SARIF's fullDescription.
    pub fn what_it_does(&self) -> String {
        doc_section(self.doc, "What it does").unwrap_or_else(|| self.summary.to_string())
    }

    pub fn help_uri(&self) -> String {
        format!(
            "https://github.com/isolint/isolint/blob/main/rules/{}-{}.md",
            self.code, self.name
        )
    }
}

/// The text of a `## Heading` section of a rule page.
pub fn doc_section(doc: &str, heading: &str) -> Option<String> {
    let marker = format!("## {heading}");
    let start = doc.find(&marker)? + marker.len();
    let rest = &doc[start..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    Some(rest[..end].trim().to_string())
}

/// Every code of the v1 catalogue (`rules.md`), built in this version or not: what a run reports
/// as not checked.
pub const CATALOGUE: &[&str] = &[
    "ISO101", "ISO102", "ISO103", "ISO104", "ISO105", "ISO201", "ISO202", "ISO203", "ISO204",
    "ISO205", "ISO206", "ISO301", "ISO302", "ISO303", "ISO304", "ISO305", "ISO306", "ISO401",
    "ISO402", "ISO403", "ISO404", "ISO501", "ISO502", "ISO503", "ISO504", "ISO505", "ISO506",
    "ISO601", "ISO602", "ISO603", "ISO701", "ISO901", "ISO902", "ISO903", "ISO904", "ISO905",
];

/// What the catalogue says about a code or name no rule of this version implements.
pub fn planned_rule(code_or_name: &str) -> Option<&'static crate::catalogue::CatalogueEntry> {
    crate::catalogue::ENTRIES
        .iter()
        .find(|e| e.code.eq_ignore_ascii_case(code_or_name) || e.name == code_or_name)
        .filter(|e| find_rule(e.code).is_none())
}

/// Catalogue codes no rule of this version implements.
pub fn unbuilt_codes() -> Vec<&'static str> {
    CATALOGUE
        .iter()
        .copied()
        .filter(|code| find_rule(code).is_none())
        .collect()
}

/// Codes as ranges of consecutive numbers: `ISO101–ISO105, ISO501`.
pub fn code_ranges(codes: &[&str]) -> String {
    let mut numbers: Vec<u32> = codes
        .iter()
        .filter_map(|c| c.strip_prefix("ISO")?.parse().ok())
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    let mut parts = Vec::new();
    let mut index = 0;
    while index < numbers.len() {
        let start = numbers[index];
        let mut end = start;
        while index + 1 < numbers.len() && numbers[index + 1] == end + 1 {
            index += 1;
            end = numbers[index];
        }
        parts.push(if start == end {
            format!("ISO{start:03}")
        } else {
            format!("ISO{start:03}\u{2013}ISO{end:03}")
        });
        index += 1;
    }
    parts.join(", ")
}

/// All rules, in code order.
pub fn all_rules() -> &'static [&'static dyn rules::Rule] {
    rules::ALL
}

pub fn find_rule(code_or_name: &str) -> Option<&'static RuleMeta> {
    all_rules()
        .iter()
        .map(|r| r.meta())
        .find(|m| m.code.eq_ignore_ascii_case(code_or_name) || m.name == code_or_name)
}

/// One entry of `--select`/`--ignore`: `ALL`, a code or code prefix (`ISO1`, `ISO101`), a rule name
/// (`hardcoded-tmp-path`) or a category (`hardcoded-path`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector(String);

impl Selector {
    /// A selector must name a rule of this version or a code of the catalogue not built yet: the
    /// summary lists those as not checked, so naming them (`--ignore ISO201`) is not a mistake.
    pub fn parse(text: &str) -> Result<Selector, String> {
        let text = text.trim();
        let selector = Selector(text.to_string());
        if all_rules().iter().any(|r| selector.matches(r.meta())) || selector.names_planned_rule() {
            Ok(selector)
        } else {
            Err(format!(
                "`{text}` matches no rule: use a code (ISO101), a prefix (ISO1), a rule name (hardcoded-tmp-path), a category (hardcoded-path) or ALL"
            ))
        }
    }

    pub fn matches(&self, rule: &RuleMeta) -> bool {
        self.matches_parts(rule.code, rule.name, rule.category)
    }

    fn matches_parts(&self, code: &str, name: &str, category: Category) -> bool {
        let s = self.0.as_str();
        s.eq_ignore_ascii_case("ALL")
            || (s.len() >= 3 && code.len() >= s.len() && code[..s.len()].eq_ignore_ascii_case(s))
            || name == s
            || category.as_str() == s
    }

    /// Matches a catalogue code no rule of this version implements.
    fn names_planned_rule(&self) -> bool {
        crate::catalogue::ENTRIES.iter().any(|entry| {
            find_rule(entry.code).is_none()
                && self.matches_parts(entry.code, entry.name, entry.category)
        })
    }

    /// Selects nothing in this version, only rules of the catalogue not built yet.
    pub fn only_planned(&self) -> bool {
        !all_rules().iter().any(|r| self.matches(r.meta())) && self.names_planned_rule()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// More specific selectors win over less specific ones, as in Ruff.
    fn specificity(&self, rule: &RuleMeta) -> usize {
        let s = self.0.as_str();
        if rule.name == s || rule.code.eq_ignore_ascii_case(s) {
            100
        } else if rule.category.as_str() == s {
            3
        } else if s.eq_ignore_ascii_case("ALL") {
            0
        } else {
            s.len()
        }
    }
}

/// The enabled rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSet {
    codes: BTreeSet<&'static str>,
}

impl Default for RuleSet {
    fn default() -> Self {
        RuleSet::from_selection(&[], &[], &[])
    }
}

impl RuleSet {
    /// `select` (default ALL) plus `extend_select`, minus `ignore`; for each rule the most specific
    /// matching selector decides, ties going to `ignore`.
    pub fn from_selection(
        select: &[Selector],
        extend_select: &[Selector],
        ignore: &[Selector],
    ) -> Self {
        let default_select = [Selector("ALL".into())];
        let select = if select.is_empty() {
            &default_select[..]
        } else {
            select
        };
        let mut codes = BTreeSet::new();
        for rule in all_rules().iter().map(|r| r.meta()) {
            let best = |list: &[Selector]| {
                list.iter()
                    .filter(|s| s.matches(rule))
                    .map(|s| s.specificity(rule))
                    .max()
            };
            let on = best(select).max(best(extend_select));
            let off = best(ignore);
            let enabled = match (on, off) {
                (Some(on), Some(off)) => on > off,
                (Some(_), None) => true,
                _ => false,
            };
            if enabled {
                codes.insert(rule.code);
            }
        }
        RuleSet { codes }
    }

    pub fn contains(&self, code: &str) -> bool {
        self.codes.contains(code)
    }

    pub fn only(codes: &[&'static str]) -> Self {
        RuleSet {
            codes: codes.iter().copied().collect(),
        }
    }

    pub fn enabled(&self) -> impl Iterator<Item = &'static dyn rules::Rule> + '_ {
        all_rules()
            .iter()
            .copied()
            .filter(|r| self.codes.contains(r.meta().code))
    }

    /// The rule families with at least one enabled rule: what the run actually checked. The ISO0xx
    /// rules (unreadable files, syntax errors, unused suppressions) check files, not a family.
    pub fn categories(&self) -> BTreeSet<Category> {
        self.enabled()
            .map(|r| r.meta())
            .filter(|m| !m.code.starts_with("ISO0"))
            .map(|m| m.category)
            .collect()
    }

    /// The families some rule of this version checks, selected or not.
    pub fn built_categories() -> BTreeSet<Category> {
        all_rules()
            .iter()
            .map(|r| r.meta())
            .filter(|m| !m.code.starts_with("ISO0"))
            .map(|m| m.category)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(list: &[&str]) -> Vec<Selector> {
        list.iter().map(|s| Selector::parse(s).unwrap()).collect()
    }

    #[test]
    fn selection_by_code_prefix_name_and_category() {
        let set = RuleSet::from_selection(&sel(&["ISO1"]), &[], &sel(&["ISO103"]));
        assert!(set.contains("ISO101"));
        assert!(!set.contains("ISO103"));
        assert!(!set.contains("ISO501"));
        let set = RuleSet::from_selection(&sel(&["environ-leak"]), &sel(&["hardcoded-path"]), &[]);
        assert!(set.contains("ISO501"));
        assert!(set.contains("ISO102"));
        let set = RuleSet::from_selection(&[], &[], &sel(&["ISO1"]));
        assert!(!set.contains("ISO101"));
        assert!(set.contains("ISO501"));
        // A specific select beats a broad ignore.
        let set = RuleSet::from_selection(&sel(&["ISO101"]), &[], &sel(&["ISO1"]));
        assert!(set.contains("ISO101"));
    }

    #[test]
    fn code_ranges_and_unbuilt_codes() {
        assert_eq!(
            code_ranges(&["ISO103", "ISO101", "ISO102", "ISO501", "ISO105"]),
            "ISO101\u{2013}ISO103, ISO105, ISO501"
        );
        for rule in all_rules() {
            let code = rule.meta().code;
            assert!(
                code.starts_with("ISO0") || CATALOGUE.contains(&code),
                "{code} is not in the catalogue"
            );
        }
    }

    #[test]
    fn every_catalogue_code_is_built() {
        assert!(unbuilt_codes().is_empty(), "{:?}", unbuilt_codes());
        for code in CATALOGUE {
            assert!(find_rule(code).is_some(), "{code}");
            assert!(planned_rule(code).is_none(), "{code}");
            assert!(!Selector::parse(code).unwrap().only_planned(), "{code}");
        }
        for family in ["ISO3", "module-state", "ISO7", "unordered-parametrize"] {
            assert!(!Selector::parse(family).unwrap().only_planned(), "{family}");
        }
    }

    #[test]
    fn the_catalogue_describes_every_code() {
        let described: Vec<&str> = crate::catalogue::ENTRIES.iter().map(|e| e.code).collect();
        assert_eq!(described, CATALOGUE);
        for rule in all_rules() {
            let meta = rule.meta();
            if let Some(entry) = crate::catalogue::ENTRIES
                .iter()
                .find(|e| e.code == meta.code)
            {
                assert_eq!((entry.name, entry.category), (meta.name, meta.category));
            }
        }
    }

    #[test]
    fn unknown_selectors_are_errors() {
        assert!(Selector::parse("ISO999").is_err());
        assert!(Selector::parse("no-such-rule").is_err());
        assert!(Selector::parse("I").is_err());
    }
}

/// Serde for a `&'static RuleMeta` as its code (isolint's cache stores findings): a code this build
/// does not know makes the whole entry unreadable, and so ignored, never a finding of another rule.
pub mod by_code {
    use super::RuleMeta;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(rule: &&'static RuleMeta, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(rule.code)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'static RuleMeta, D::Error> {
        let code = String::deserialize(d)?;
        super::all_rules()
            .iter()
            .map(|r| r.meta())
            .find(|m| m.code == code)
            .ok_or_else(|| serde::de::Error::custom(format!("no rule {code} in this build")))
    }
}
