"""How much of the traced ground truth an isolint audit's xdist groups cover.

    python bench/e2e/compare.py AUDIT.json bench/e2e/ground-truth/SUITE.groups.json

A shared path is covered when every test that touches it sits in one group of the audit (after
joining groups that share a test, as the xdist_groups plugin does); a test is covered when all the
paths it shares are. Node ids are compared as the plugin does (path suffix, parameters ignored).
Prints the counts and the paths not covered, with the tests that are outside the group.
"""

from __future__ import annotations

import json
import sys

from node_ids import same_file, split_node_id


def _key(node_id: str) -> tuple[tuple[str, ...], str]:
    parts, rest, _params = split_node_id(node_id)
    return tuple(parts), rest


class _AuditGroups:
    def __init__(self, audit: dict) -> None:
        self.by_rest: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        parent = list(range(len(audit.get("xdist", {}).get("groups", []))))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        owner: dict[tuple[tuple[str, ...], str], int] = {}
        for index, group in enumerate(audit.get("xdist", {}).get("groups", [])):
            for node in group.get("tests", []):
                key = _key(node)
                if key in owner:
                    a, b = find(owner[key]), find(index)
                    parent[max(a, b)] = min(a, b)
                owner[key] = index
        for (parts, rest), index in owner.items():
            self.by_rest.setdefault(rest, []).append((parts, index))
        self.find = find

    def group_of(self, node_id: str) -> int | None:
        parts, rest = _key(node_id)
        for entry_parts, index in self.by_rest.get(rest, []):
            if same_file(list(parts), list(entry_parts)):
                return self.find(index)
        return None


def compare(audit_path: str, truth_path: str) -> dict:
    with open(audit_path, encoding="utf-8") as fh:
        audit = _AuditGroups(json.load(fh))
    with open(truth_path, encoding="utf-8") as fh:
        truth = json.load(fh)
    uncovered = []
    tests_all: set[str] = set()
    tests_bad: set[str] = set()
    for shared in truth["shared_paths"]:
        tests = shared["tests"]
        tests_all.update(tests)
        groups = {t: audit.group_of(t) for t in tests}
        counts: dict[int | None, int] = {}
        for g in groups.values():
            counts[g] = counts.get(g, 0) + 1
        best = max((g for g in counts if g is not None), key=lambda g: counts[g], default=None)
        outside = sorted(t for t, g in groups.items() if g is None or g != best)
        if outside:
            uncovered.append({"path": shared["path"], "tests": len(tests), "outside": outside})
            tests_bad.update(tests)
    return {
        "paths": len(truth["shared_paths"]),
        "paths_covered": len(truth["shared_paths"]) - len(uncovered),
        "tests": len(tests_all),
        "tests_covered": len(tests_all - tests_bad),
        "uncovered": uncovered,
    }


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: compare.py AUDIT.json TRUTH.groups.json")
    result = compare(sys.argv[1], sys.argv[2])
    print(
        f"shared paths covered: {result['paths_covered']}/{result['paths']}; "
        f"tests covered: {result['tests_covered']}/{result['tests']}"
    )
    for item in result["uncovered"]:
        outside = item["outside"]
        shown = ", ".join(outside[:4]) + (f" +{len(outside) - 4} more" if len(outside) > 4 else "")
        print(f"  not covered: {item['path']} ({item['tests']} tests; outside the group: {shown})")


if __name__ == "__main__":
    main()
