"""Which collected tests share a resource, read from the JSON of ``isolint audit --format json``.

The audit names tests by pytest node id relative to the folder isolint took for pytest's rootdir;
pytest may have another rootdir, so ids are matched by the part after the file (``Class::test``)
and by path suffix. An id without parameters covers every case of it (``test_x[a]``, ``test_x[b]``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

# Resources whose tests cannot share a run with anything else: a graph-wide Neo4j wipe or schema
# reset destroys every worker's data, not only its group's.
WIPES = ("neo4j:graph", "neo4j:schema")

_KIND_LABELS = {
    "path": "fixed paths",
    "neo4j": "Neo4j",
    "port": "ports",
    "container": "containers",
    "database": "SQL databases",
    "sql": "SQL databases",
    "redis": "Redis",
    "dagster": "Dagster instances",
}


def split_node_id(node_id: str) -> tuple[list[str], str, str | None]:
    """``a/tests/t.py::C::f[x]`` -> (['a', 'tests', 't.py'], 'C::f', 'x')."""
    path, _, rest = node_id.partition("::")
    params = None
    if rest.endswith("]") and "[" in rest:
        rest, _, params = rest[:-1].partition("[")
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    return parts, rest, params


def same_file(a: list[str], b: list[str]) -> bool:
    """One path is a suffix of the other, component by component."""
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    return bool(shorter) and longer[len(longer) - len(shorter) :] == shorter


def xdist_suffix(node_id: str) -> tuple[str, str | None]:
    """Splits the ``@group`` that pytest-xdist's loadgroup appends to a marked test's id (pytest
    before 9.2): ``t.py::f[x]@g`` -> (``t.py::f[x]``, ``g``). An ``@`` inside the path or the
    parameters is not a suffix."""
    at = node_id.rfind("@")
    if at > node_id.rfind("]") and at > node_id.rfind("::") and "::" in node_id:
        return node_id[:at], node_id[at + 1 :]
    return node_id, None


def kind_label(resource: str) -> str:
    kind = resource.split(":", 1)[0]
    return _KIND_LABELS.get(kind, kind)


@dataclass
class Plan:
    """How the collected tests are scheduled."""

    #: Collected node id -> the name of its group (tests not listed spread freely).
    group_of: dict[str, str] = field(default_factory=dict)
    #: Group name -> why: the resources its tests share.
    resources: dict[str, list[str]] = field(default_factory=dict)
    #: Group names (and ``test:<node id>`` for ungrouped tests) that run after the parallel part.
    serial_units: set[str] = field(default_factory=set)
    #: Collected tests that cannot run in parallel at all (whether or not they run serially).
    serial_tests: set[str] = field(default_factory=set)
    #: Groups the user declared with their own ``xdist_group`` markers (seen through the suffix).
    user_groups: int = 0

    def unit_of(self, node_id: str) -> str:
        return self.group_of.get(node_id, "test:" + node_id)

    def isolint_grouped(self) -> int:
        return sum(1 for name in self.group_of.values() if not name.startswith("user:"))

    def summary(self, collected: int, serial_enabled: bool) -> list[str]:
        """The terminal summary: how many tests were grouped, and why."""
        names = sorted({g for g in self.group_of.values() if self.resources.get(g)})
        by_kind: dict[str, int] = {}
        for name in names:
            label = kind_label(self.resources[name][0])
            by_kind[label] = by_kind.get(label, 0) + 1
        why = ", ".join(f"{label}: {n}" for label, n in sorted(by_kind.items()))
        grouped = self.isolint_grouped()
        lines = [
            f"isolint: {grouped} of {collected} tests kept on one worker per group, "
            f"{len(names)} group{'s' if len(names) != 1 else ''}" + (f" (shared {why})" if why else "")
        ]
        if self.serial_tests:
            if serial_enabled:
                lines.append(
                    f"isolint: {len(self.serial_tests)} tests that cannot run in parallel "
                    "(graph-wide wipes, process state never reset) ran alone after the parallel part"
                )
            else:
                lines.append(
                    f"isolint: {len(self.serial_tests)} tests cannot run in parallel at all "
                    "(graph-wide wipes, process state never reset); "
                    "--isolint-serial runs them alone after the parallel part"
                )
        return lines


class AuditGroups:
    """The groups of one audit, ready to match collected node ids."""

    def __init__(self, audit: dict) -> None:
        xdist = audit.get("xdist") or {}
        self.groups = xdist.get("groups") or []
        self._entries: dict[str, list[tuple[list[str], str | None, str]]] = {}
        self.resources: dict[str, list[str]] = {}
        for group in self.groups:
            name = str(group["name"])
            self.resources[name] = [str(r) for r in group.get("resources", [])]
            for node_id in group.get("tests", []):
                self._add(node_id, name)
        self.serial_groups = {
            str(g["name"]) for g in self.groups if any(r in WIPES for r in g.get("resources", []))
        }
        self._leaks: dict[str, list[tuple[list[str], str | None, str]]] = {}
        for node_id in xdist.get("state_leaks") or []:
            parts, rest, params = split_node_id(node_id)
            self._leaks.setdefault(rest, []).append((parts, params, node_id))

    @classmethod
    def from_file(cls, path: str) -> AuditGroups:
        with open(path, encoding="utf-8") as fh:
            return cls(json.load(fh))

    def _add(self, node_id: str, name: str) -> None:
        parts, rest, params = split_node_id(node_id)
        self._entries.setdefault(rest, []).append((parts, params, name))

    @staticmethod
    def _matches(index, node_id: str) -> list[str]:
        parts, rest, params = split_node_id(node_id)
        return [
            value
            for entry_parts, entry_params, value in index.get(rest, [])
            if (entry_params is None or entry_params == params) and same_file(parts, entry_parts)
        ]

    def groups_of(self, node_id: str) -> list[str]:
        return self._matches(self._entries, node_id)

    def leaks(self, node_id: str) -> bool:
        return bool(self._matches(self._leaks, node_id))

    def plan(self, collection: Iterable[str], declared: dict[str, list[str]] | None = None) -> Plan:
        """Groups for the collected ids. ``declared`` holds the groups the suite's own
        ``xdist_group`` markers give (by collected id); without it, xdist's ``@group`` suffix on an
        id says the same. Groups that share a test become one, as a test runs on one worker only."""
        collection = list(collection)
        parent: dict[str, str] = {}

        def find(name: str) -> str:
            parent.setdefault(name, name)
            while parent[name] != name:
                parent[name] = parent[parent[name]]
                name = parent[name]
            return name

        def union(a: str, b: str) -> None:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)

        matched: list[tuple[str, list[str]]] = []
        leaking: set[str] = set()
        for node_id in collection:
            plain, suffix = xdist_suffix(node_id)
            names = self.groups_of(plain)
            if declared is not None:
                names.extend("user:" + name for name in declared.get(node_id, []))
            elif suffix is not None:
                names.append("user:" + suffix)
            if names:
                for other in names[1:]:
                    union(names[0], other)
                find(names[0])
                matched.append((node_id, names))
            if self.leaks(plain):
                leaking.add(node_id)
        plan = Plan()
        for node_id, names in matched:
            plan.group_of[node_id] = find(names[0])
        for node_id, names in matched:
            root = plan.group_of[node_id]
            for name in names:
                for resource in self.resources.get(name, []):
                    if resource not in plan.resources.setdefault(root, []):
                        plan.resources[root].append(resource)
                if name in self.serial_groups:
                    plan.serial_units.add(root)
        plan.user_groups = len({find(n) for _, names in matched for n in names if n.startswith("user:")})
        for node_id in leaking:
            plan.serial_units.add(plan.unit_of(node_id))
        plan.serial_tests = {node_id for node_id in collection if plan.unit_of(node_id) in plan.serial_units}
        return plan
