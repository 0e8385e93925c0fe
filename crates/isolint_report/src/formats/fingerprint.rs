//! Stable fingerprints of findings for GitLab Code Quality and SARIF `partialFingerprints`: a hash of
//! the rule code, the path and the finding's source text (whitespace-normalised), not the line number,
//! so a finding keeps its identity when lines are added above it or the code is re-indented.
//!
//! The hash is FNV-1a 128, implemented here so that it never changes with the Rust version (unlike
//! `DefaultHasher`).

use isolint_linter::Diagnostic;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

const FNV_OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
const FNV_PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;

/// FNV-1a 128 of some bytes, continuing from `hash`.
fn fnv1a_128_update(mut hash: u128, bytes: &[u8]) -> u128 {
    for &byte in bytes {
        hash ^= u128::from(byte);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

/// FNV-1a 128 over the parts, each followed by a 0xFF byte (never part of UTF-8 text), so that
/// `["ab", "c"]` and `["a", "bc"]` differ.
pub(crate) fn fnv1a_128(parts: &[&[u8]]) -> u128 {
    parts.iter().fold(FNV_OFFSET, |hash, part| {
        fnv1a_128_update(fnv1a_128_update(hash, part), &[0xFF])
    })
}

/// The finding's source text with runs of whitespace collapsed to one space; the message when the
/// source is not available or the span is empty.
pub(crate) fn identity_text(d: &Diagnostic, sources: &HashMap<String, Arc<str>>) -> String {
    let text = sources
        .get(&d.file)
        .and_then(|source| source.get(d.span.start..d.span.end))
        .map(|text| text.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    if text.is_empty() {
        d.message.clone()
    } else {
        text
    }
}

/// One fingerprint per diagnostic (32 hex digits), unique within the list: when two findings share
/// rule, path and text (or their hashes collide), the later ones also hash an occurrence counter.
pub(crate) fn fingerprints(
    diagnostics: &[Diagnostic],
    sources: &HashMap<String, Arc<str>>,
) -> Vec<String> {
    let mut seen: HashSet<u128> = HashSet::with_capacity(diagnostics.len());
    diagnostics
        .iter()
        .map(|d| {
            let text = identity_text(d, sources);
            let mut occurrence: u64 = 0;
            loop {
                let counter = occurrence.to_string();
                let mut parts: Vec<&[u8]> =
                    vec![d.rule.code.as_bytes(), d.file.as_bytes(), text.as_bytes()];
                if occurrence > 0 {
                    parts.push(counter.as_bytes());
                }
                let hash = fnv1a_128(&parts);
                if seen.insert(hash) {
                    return format!("{hash:032x}");
                }
                occurrence += 1;
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::{diagnostic, samples, TEST_REPORT};

    #[test]
    fn fnv_matches_the_reference_values() {
        // Test vectors of the FNV reference implementation.
        assert_eq!(fnv1a_128_update(FNV_OFFSET, b""), FNV_OFFSET);
        assert_eq!(
            fnv1a_128_update(FNV_OFFSET, b"a"),
            0xd228cb696f1a8caf78912b704e4a8964
        );
        assert_eq!(
            fnv1a_128_update(FNV_OFFSET, b"foobar"),
            0x343e1662793c64bf6f0d3597ba446f18
        );
        // Parts are separated.
        assert_ne!(fnv1a_128(&[b"ab", b"c"]), fnv1a_128(&[b"a", b"bc"]));
        // Pinned: fingerprints must never change between isolint versions.
        assert_eq!(
            format!(
                "{:032x}",
                fnv1a_128(&[b"ISO101", b"tests/test_x.py", b"open(PATH, \"w\")"])
            ),
            "269025b198bde7abba83fb4c6d0a2d5a"
        );
    }

    #[test]
    fn fingerprints_are_unique_even_for_identical_findings() {
        let (mut diagnostics, sources) = samples();
        let copy = diagnostics[2].clone();
        diagnostics.push(copy.clone());
        diagnostics.push(copy);
        let prints = fingerprints(&diagnostics, &sources);
        let unique: HashSet<&String> = prints.iter().collect();
        assert_eq!(unique.len(), prints.len());
        assert!(prints
            .iter()
            .all(|p| p.len() == 32 && p.chars().all(|c| c.is_ascii_hexdigit())));
        // The first occurrence keeps the fingerprint it has alone.
        assert_eq!(prints[2], fingerprints(&diagnostics[..3], &sources)[2]);
    }

    #[test]
    fn fingerprints_ignore_line_numbers_and_indentation() {
        let (diagnostics, sources) = samples();
        let before = fingerprints(&diagnostics, &sources);

        // The same code two lines lower and indented differently.
        let moved = format!(
            "# a comment\n\n{}",
            TEST_REPORT.replace("        target, \"w\"", "            target, \"w\"")
        );
        let mut shifted = diagnostic(
            "ISO101",
            "tests/test_report.py",
            &moved,
            "open(\n            target, \"w\"\n    )",
        );
        assert_eq!(shifted.start.line, 9);
        shifted.message = diagnostics[2].message.clone();
        let mut moved_sources = sources.clone();
        moved_sources.insert(
            "tests/test_report.py".to_string(),
            Arc::from(moved.as_str()),
        );
        let after = fingerprints(std::slice::from_ref(&shifted), &moved_sources);
        assert_eq!(after[0], before[2]);

        // Another rule, path or text changes it.
        let mut other = diagnostics[2].clone();
        other.file = "tests/test_other.py".to_string();
        let mut other_sources = sources.clone();
        other_sources.insert("tests/test_other.py".to_string(), Arc::from(TEST_REPORT));
        assert_ne!(
            fingerprints(std::slice::from_ref(&other), &other_sources)[0],
            before[2]
        );
    }

    #[test]
    fn missing_source_falls_back_to_the_message() {
        let (diagnostics, _) = samples();
        let empty = HashMap::new();
        assert_eq!(
            identity_text(&diagnostics[0], &empty),
            diagnostics[0].message
        );
        let prints = fingerprints(&diagnostics, &empty);
        assert_eq!(prints.iter().collect::<HashSet<_>>().len(), 3);
    }
}
