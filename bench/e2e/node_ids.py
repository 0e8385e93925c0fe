"""Comparing pytest node ids that may come from different rootdirs (shared by xdist_groups.py and
compare.py)."""

from __future__ import annotations


def split_node_id(node_id: str) -> tuple[list[str], str, str | None]:
    """`a/tests/t.py::C::f[x]` -> (['a', 'tests', 't.py'], 'C::f', 'x')."""
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
