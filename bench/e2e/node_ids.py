"""Comparing pytest node ids that may come from different rootdirs (shared by xdist_groups.py and
compare.py): the plugin's own matcher, so the bench judges groups the way the plugin applies them."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))

from pytest_isolint.groups import same_file, split_node_id  # noqa: E402

__all__ = ["same_file", "split_node_id"]
