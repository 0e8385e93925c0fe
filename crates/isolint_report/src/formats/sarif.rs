//! `sarif`: SARIF 2.1.0, as GitHub code scanning and other static-analysis dashboards read it.

use super::fingerprint::fingerprints;
use super::{message_and_fix_sentences, RenderOptions};
use isolint_linter::registry::{all_rules, RuleMeta};
use isolint_linter::{Diagnostic, Severity};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/isolint/isolint";
const FINGERPRINT_KEY: &str = "isolint/v1";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    /// Our columns count characters, not SARIF's default UTF-16 code units.
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    information_uri: &'static str,
    rules: Vec<SarifRule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRule {
    id: &'static str,
    name: &'static str,
    short_description: Text,
    full_description: Text,
    help_uri: String,
    help: Help,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: &'static str,
    markdown: &'static str,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text,
    locations: [Location<'a>; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location<'a>>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    /// The machine-applicable fix, as SARIF's `fix` objects (one, when the finding has one).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix {
    description: Text,
    artifact_changes: [ArtifactChange; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange {
    artifact_location: ArtifactLocation,
    replacements: Vec<Replacement>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement {
    /// An empty region (end equal to start) is an insertion point.
    deleted_region: Region,
    inserted_content: Text,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<TextRef<'a>>,
}

#[derive(Serialize)]
struct TextRef<'a> {
    text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<usize>,
}

pub(crate) fn render(
    diagnostics: &[Diagnostic],
    sources: &HashMap<String, Arc<str>>,
    options: &RenderOptions,
) -> String {
    let rules: Vec<&'static RuleMeta> = all_rules().iter().map(|r| r.meta()).collect();
    render_with_rules(diagnostics, sources, options, &rules)
}

/// Renders with `rules` as the driver's rule list (every registered rule in `render`; tests pass a
/// fixed list so their snapshots do not change whenever a rule is added).
fn render_with_rules(
    diagnostics: &[Diagnostic],
    sources: &HashMap<String, Arc<str>>,
    options: &RenderOptions,
    rules: &[&'static RuleMeta],
) -> String {
    let rule_index: HashMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, rule)| (rule.code, i))
        .collect();
    let results = diagnostics
        .iter()
        .zip(fingerprints(diagnostics, sources))
        .map(|(d, fingerprint)| SarifResult {
            rule_id: d.rule.code,
            rule_index: rule_index.get(d.rule.code).copied(),
            level: level(d.rule.severity),
            message: Text {
                text: message_and_fix_sentences(d),
            },
            locations: [Location {
                id: None,
                physical_location: PhysicalLocation {
                    artifact_location: ArtifactLocation { uri: uri(&d.file) },
                    region: Region {
                        start_line: d.start.line,
                        start_column: d.start.column,
                        end_line: Some(d.end.line),
                        end_column: Some(d.end.column),
                    },
                },
                message: None,
            }],
            related_locations: d
                .related
                .iter()
                .enumerate()
                .map(|(id, r)| Location {
                    id: Some(id),
                    physical_location: PhysicalLocation {
                        artifact_location: ArtifactLocation { uri: uri(&r.file) },
                        region: Region {
                            start_line: r.line,
                            start_column: r.column,
                            end_line: None,
                            end_column: None,
                        },
                    },
                    message: Some(TextRef { text: &r.message }),
                })
                .collect(),
            partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, fingerprint)]),
            fixes: d
                .autofix
                .iter()
                .map(|fix| SarifFix {
                    description: Text {
                        text: format!("{} ({})", d.fix, fix.applicability.as_str()),
                    },
                    artifact_changes: [ArtifactChange {
                        artifact_location: ArtifactLocation { uri: uri(&d.file) },
                        replacements: fix
                            .edits
                            .iter()
                            .map(|e| Replacement {
                                deleted_region: Region {
                                    start_line: e.start.line,
                                    start_column: e.start.column,
                                    end_line: Some(e.end.line),
                                    end_column: Some(e.end.column),
                                },
                                inserted_content: Text {
                                    text: e.content.clone(),
                                },
                            })
                            .collect(),
                    }],
                })
                .collect(),
        })
        .collect();
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "isolint",
                    version: options.version,
                    information_uri: INFORMATION_URI,
                    rules: rules.iter().map(|rule| sarif_rule(rule)).collect(),
                },
            },
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    let mut out = serde_json::to_string_pretty(&log).expect("SARIF serialises to JSON");
    out.push('\n');
    out
}

fn sarif_rule(rule: &'static RuleMeta) -> SarifRule {
    SarifRule {
        id: rule.code,
        name: rule.name,
        short_description: Text {
            text: rule.summary.to_string(),
        },
        full_description: Text {
            text: rule.what_it_does(),
        },
        help_uri: rule.help_uri(),
        help: Help {
            text: rule.doc,
            markdown: rule.doc,
        },
        default_configuration: Configuration {
            level: level(rule.severity),
        },
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// A relative URI reference for a path: `/` separators, no leading `./`, and every byte outside
/// RFC 3986's unreserved characters (and `/`) percent-encoded.
fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let path = path.trim_start_matches("./");
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::samples;
    use isolint_linter::registry::find_rule;

    fn options() -> RenderOptions {
        RenderOptions {
            color: false,
            version: "1.2.3",
        }
    }

    /// The sample rules only, with their pages (which other people edit) replaced by placeholders.
    #[test]
    fn sarif() {
        let (diagnostics, sources) = samples();
        let rules: Vec<&'static RuleMeta> = ["ISO002", "ISO101", "ISO501"]
            .iter()
            .map(|c| find_rule(c).unwrap())
            .collect();
        let mut out = render_with_rules(&diagnostics, &sources, &options(), &rules);
        for rule in &rules {
            for (text, placeholder) in [
                (rule.doc.to_string(), "[rule page]"),
                (rule.what_it_does(), "[What it does]"),
            ] {
                let quoted = serde_json::to_string(&text).unwrap();
                out = out.replace(&quoted, &format!("\"{placeholder} of {}\"", rule.code));
            }
        }
        insta::assert_snapshot!(out);
    }

    #[test]
    fn driver_lists_every_rule_and_results_point_at_them() {
        let (diagnostics, sources) = samples();
        let log: serde_json::Value =
            serde_json::from_str(&render(&diagnostics, &sources, &options())).unwrap();
        let run = &log["runs"][0];
        let driver = &run["tool"]["driver"];
        assert_eq!(driver["name"], "isolint");
        assert_eq!(driver["version"], "1.2.3");
        let rules = driver["rules"].as_array().unwrap();
        assert_eq!(rules.len(), all_rules().len());
        for (rule, meta) in rules.iter().zip(all_rules().iter().map(|r| r.meta())) {
            assert_eq!(rule["id"], meta.code);
            assert_eq!(rule["name"], meta.name);
            assert_eq!(rule["shortDescription"]["text"], meta.summary);
            assert_eq!(
                rule["fullDescription"]["text"],
                meta.what_it_does().as_str()
            );
            assert_eq!(rule["helpUri"], meta.help_uri().as_str());
            assert_eq!(rule["help"]["markdown"], meta.doc);
            assert!(!meta.doc.is_empty(), "{} has no page", meta.code);
        }
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 3);
        for result in results {
            let index = result["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[index]["id"], result["ruleId"]);
            assert_eq!(
                rules[index]["defaultConfiguration"]["level"],
                result["level"]
            );
        }
    }

    #[test]
    fn uris_are_relative_and_percent_encoded() {
        assert_eq!(uri("tests/test_x.py"), "tests/test_x.py");
        assert_eq!(
            uri("./tests\\unit\\test x#1.py"),
            "tests/unit/test%20x%231.py"
        );
        assert_eq!(uri("tests/tést.py"), "tests/t%C3%A9st.py");
    }
}
