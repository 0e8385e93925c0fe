"""Apply the xdist groups of an isolint audit as `xdist_group` markers.

    ISOLINT_AUDIT_JSON=audit.json PYTHONPATH=bench/e2e pytest -p xdist_groups -n 2 --dist loadgroup

reads the report written by `isolint audit --format json -o audit.json` and marks every collected test
listed in one of its `xdist.groups` with `pytest.mark.xdist_group(name=<group name>)`, so that
`--dist loadgroup` runs the tests of a group on one worker. Node ids are matched by their test part
(`TestA::test_b`) and by file path suffix, so the audit may have been run from another folder than
pytest's rootdir; an id without parameters (`test_x`) covers every case of it (`test_x[a]`). A test
that two groups list joins both groups into one, since a test runs on one worker only.

With ISOLINT_GROUPS_SUMMARY=FILE the plugin also writes what it matched (JSON) there.
"""

from __future__ import annotations

import json
import os

import pytest
from node_ids import same_file, split_node_id


class _Groups:
    def __init__(self, audit: dict) -> None:
        groups = (audit.get("xdist") or {}).get("groups") or []
        # Union-find over group names: groups that share a test become one.
        self.parent: dict[str, str] = {}
        self.entries: dict[str, list[tuple[list[str], str | None, str, str]]] = {}
        for group in groups:
            name = group["name"]
            self.parent.setdefault(name, name)
            for node_id in group.get("tests", []):
                parts, rest, params = split_node_id(node_id)
                self.entries.setdefault(rest, []).append((parts, params, name, node_id))
        self.group_count = len(groups)
        self.listed = {entry[3] for entries in self.entries.values() for entry in entries}
        self.used: set[str] = set()

    def find(self, name: str) -> str:
        while self.parent[name] != name:
            self.parent[name] = self.parent[self.parent[name]]
            name = self.parent[name]
        return name

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups_of(self, node_id: str) -> list[str]:
        parts, rest, params = split_node_id(node_id)
        found = []
        for entry_parts, entry_params, name, listed in self.entries.get(rest, []):
            if entry_params is not None and entry_params != params:
                continue
            if same_file(parts, entry_parts):
                found.append(name)
                self.used.add(listed)
        return found


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session, config, items) -> None:
    # tryfirst: pytest-xdist reads the marker in its own hook to put the group into the node id.
    path = os.environ.get("ISOLINT_AUDIT_JSON")
    if not path:
        return
    with open(path, encoding="utf-8") as fh:
        groups = _Groups(json.load(fh))
    matched: list[tuple[pytest.Item, list[str]]] = []
    for item in items:
        names = groups.groups_of(item.nodeid)
        if names:
            for other in names[1:]:
                groups.union(names[0], other)
            matched.append((item, names))
    per_group: dict[str, int] = {}
    for item, names in matched:
        name = groups.find(names[0])
        item.add_marker(pytest.mark.xdist_group(name=name))
        per_group[name] = per_group.get(name, 0) + 1
    summary_path = os.environ.get("ISOLINT_GROUPS_SUMMARY")
    if summary_path:
        summary = {
            "audit_groups": groups.group_count,
            "groups_applied": len(per_group),
            "items_marked": len(matched),
            "items_collected": len(items),
            "per_group": dict(sorted(per_group.items())),
            "audit_ids_unmatched": sorted(groups.listed - groups.used),
        }
        with open(summary_path, "w", encoding="utf-8") as fh:
            json.dump(summary, fh, indent=1)
