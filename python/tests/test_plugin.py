"""The plugin end to end: pytest with pytest-xdist in a subprocess (pytester) on small suites.

Each sample test appends `<worker> <phase> <node id> <start> <end>` to a log file, so the tests
here check where and when tests ran, not only that they passed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_isolint.groups import AuditGroups, xdist_suffix
from isolint import find_isolint_bin

RECORDER = """
import os, time

def record(request, seconds=0.05):
    start = time.time()
    time.sleep(seconds)
    with open(os.environ["ISOLINT_TEST_LOG"], "a") as fh:
        fh.write("{} {} {:.6f} {:.6f}\\n".format(
            os.environ.get("PYTEST_XDIST_WORKER", "main"), request.node.nodeid, start, time.time()))
"""

SUITE = {
    "helpers.py": RECORDER,
    # Ten tests of one group, spread over two modules, between tests that belong to none.
    "test_one.py": """
import pytest
from helpers import record

@pytest.mark.parametrize("i", range(5))
def test_shared(request, i):
    record(request)

@pytest.mark.parametrize("i", range(5))
def test_free(request, i):
    record(request)
""",
    "test_two.py": """
import pytest
from helpers import record

class TestWrites:
    @pytest.mark.parametrize("i", range(5))
    def test_shared(self, request, i):
        record(request)

@pytest.mark.parametrize("i", range(5))
def test_free(request, i):
    record(request)

def test_leaks(request):
    record(request)

def test_wipes(request):
    record(request)
""",
}

AUDIT = {
    "xdist": {
        "groups": [
            {
                "name": "path-tmp-shared-txt",
                "resources": ["path:/tmp/shared.txt"],
                # The audit ran from the folder above: ids with a prefix still match.
                "tests": ["suite/test_one.py::test_shared", "suite/test_two.py::TestWrites::test_shared"],
            },
            {"name": "neo4j-graph", "resources": ["neo4j:graph"], "tests": ["suite/test_two.py::test_wipes"]},
        ],
        "state_leaks": ["suite/test_two.py::test_leaks"],
    }
}


def runs(log: Path) -> list[tuple[str, str, float, float]]:
    rows = []
    for line in log.read_text().splitlines():
        worker, node_id, start, end = line.split(" ")
        rows.append((worker, node_id, float(start), float(end)))
    return rows


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    pytester.makepyfile(**{name[:-3]: text for name, text in SUITE.items()})
    audit = pytester.path / "audit.json"
    audit.write_text(json.dumps(AUDIT))
    monkeypatch.setenv("ISOLINT_TEST_LOG", str(pytester.path / "runs.log"))
    return audit


def test_a_group_runs_on_one_worker_and_the_rest_spreads(pytester, suite):
    result = pytester.runpytest_subprocess(
        "-n", "2", "--dist", "loadgroup", "-p", "isolint", "--isolint-audit", str(suite), "-p", "no:randomly"
    )
    result.assert_outcomes(passed=22)
    rows = runs(pytester.path / "runs.log")
    shared_workers = {w for w, node_id, _, _ in rows if "test_shared" in node_id}
    assert len(shared_workers) == 1, rows
    assert {w for w, _, _, _ in rows} == {"gw0", "gw1"}, rows
    result.stdout.fnmatch_lines(
        [
            "isolint: 11 of 22 tests kept on one worker per group, 2 groups (shared Neo4j: 1, fixed paths: 1)",
            "isolint: 2 tests cannot run in parallel at all*--isolint-serial*",
        ]
    )


def test_without_the_plugin_the_same_tests_spread(pytester, suite):
    """The control for the test above: plain loadgroup splits the group's tests."""
    result = pytester.runpytest_subprocess("-n", "2", "--dist", "loadgroup", "-p", "no:isolint")
    result.assert_outcomes(passed=22)
    rows = runs(pytester.path / "runs.log")
    assert len({w for w, node_id, _, _ in rows if "test_shared" in node_id}) == 2, rows


def test_serial_tests_run_alone_after_the_parallel_part(pytester, suite):
    result = pytester.runpytest_subprocess(
        "-n", "2", "--dist", "loadgroup", "--isolint-audit", str(suite), "--isolint-serial"
    )
    result.assert_outcomes(passed=22)
    rows = runs(pytester.path / "runs.log")
    serial = [r for r in rows if r[1].endswith(("test_leaks", "test_wipes"))]
    parallel = [r for r in rows if r not in serial]
    assert len(serial) == 2 and len({r[0] for r in serial}) == 1, rows
    assert min(r[2] for r in serial) >= max(r[3] for r in parallel), rows
    result.stdout.fnmatch_lines(
        ["isolint: 2 tests that cannot run in parallel*ran alone after the parallel part"]
    )


def test_other_dist_modes_are_left_alone_and_told(pytester, suite):
    result = pytester.runpytest_subprocess("-n", "2", "--isolint-audit", str(suite))
    result.assert_outcomes(passed=22)
    result.stdout.fnmatch_lines(["isolint: groups not applied: run with `--dist loadgroup`*"])


def test_workers_mark_the_grouped_tests(pytester, suite):
    pytester.makeconftest(
        """
import os
def pytest_collection_finish(session):
    if hasattr(session.config, "workerinput"):
        with open(os.environ["ISOLINT_TEST_LOG"] + ".marks", "a") as fh:
            for item in session.items:
                marker = item.get_closest_marker("xdist_group")
                if marker is not None:
                    fh.write("{} {}\\n".format(item.nodeid, marker.kwargs["name"]))
"""
    )
    result = pytester.runpytest_subprocess("-n", "2", "--dist", "loadgroup", "--isolint-audit", str(suite))
    result.assert_outcomes(passed=22)
    marks = (pytester.path / "runs.log.marks").read_text().splitlines()
    # Two workers, eleven grouped tests each.
    assert len(marks) == 22
    assert {line.split(" ")[1] for line in marks} == {"path-tmp-shared-txt", "neo4j-graph"}


def test_the_suites_own_groups_are_kept(pytester, suite):
    pytester.makepyfile(
        test_three="""
import pytest
from helpers import record

@pytest.mark.xdist_group(name="mine")
@pytest.mark.parametrize("i", range(6))
def test_own(request, i):
    record(request)
"""
    )
    result = pytester.runpytest_subprocess("-n", "2", "--dist", "loadgroup", "--isolint-audit", str(suite))
    # On pytest 9.2 pytest-xdist's own loadgroup loses these (its `@group` suffix is not written);
    # the workers tell the plugin's scheduler instead.
    result.assert_outcomes(passed=28)
    rows = runs(pytester.path / "runs.log")
    assert len({w for w, node_id, _, _ in rows if "test_own" in node_id}) == 1, rows
    result.stdout.fnmatch_lines(
        ["isolint: 1 group declared by the suite's own xdist_group markers kept as well"]
    )


@pytest.mark.skipif(find_isolint_bin() is None, reason="no isolint binary installed")
def test_the_bundled_binary_writes_the_groups(pytester, monkeypatch):
    """No --isolint-audit: the plugin runs `isolint audit` on the suite itself."""
    pytester.makepyfile(
        helpers=RECORDER,
        test_paths="""
import pytest
from helpers import record

@pytest.mark.parametrize("i", range(5))
def test_writes(request, i):
    record(request)
    open("/tmp/isolint-plugin-shared.txt", "w").write(str(i))

@pytest.mark.parametrize("i", range(5))
def test_reads_back(request, i):
    record(request)
    with open("/tmp/isolint-plugin-shared.txt", "w") as fh:
        fh.write("x")

@pytest.mark.parametrize("i", range(6))
def test_free(request, i):
    record(request)
""",
    )
    monkeypatch.setenv("ISOLINT_TEST_LOG", str(pytester.path / "runs.log"))
    result = pytester.runpytest_subprocess("-n", "2", "--dist", "loadgroup")
    result.assert_outcomes(passed=16)
    result.stdout.fnmatch_lines(
        ["isolint: 10 of 16 tests kept on one worker per group, 1 group (shared fixed paths: 1)"]
    )
    rows = runs(pytester.path / "runs.log")
    assert len({w for w, node_id, _, _ in rows if "test_free" not in node_id}) == 1, rows


def test_a_failing_binary_stops_the_run(pytester, suite, tmp_path):
    broken = tmp_path / "isolint"
    broken.write_text("#!/bin/sh\necho 'bad config' >&2\nexit 2\n")
    broken.chmod(0o755)
    result = pytester.runpytest_subprocess("-n", "2", "--dist", "loadgroup", "--isolint-bin", str(broken))
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*isolint*audit* failed (exit 2)*", "bad config"])


def test_node_ids_match_across_rootdirs_and_suffixes():
    groups = AuditGroups(AUDIT)
    plan = groups.plan(
        [
            "test_one.py::test_shared[0]",
            "suite/test_two.py::TestWrites::test_shared[1]@mine",
            "other/test_one.py::test_free[0]",
            "test_two.py::test_leaks",
        ]
    )
    assert plan.group_of["test_one.py::test_shared[0]"] == "path-tmp-shared-txt"
    # A test in the suite's own group and an isolint group joins both.
    assert plan.group_of["suite/test_two.py::TestWrites::test_shared[1]@mine"] == "path-tmp-shared-txt"
    assert "other/test_one.py::test_free[0]" not in plan.group_of
    assert plan.serial_tests == {"test_two.py::test_leaks"}
    assert xdist_suffix("t.py::f[a@b]") == ("t.py::f[a@b]", None)
    assert xdist_suffix("dir@x/t.py::f") == ("dir@x/t.py::f", None)
    assert xdist_suffix("t.py::f[a]@g") == ("t.py::f[a]", "g")


@pytest.mark.skipif(find_isolint_bin() is None, reason="no isolint binary installed")
def test_python_m_isolint_runs_the_binary():
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "isolint", "rule", "ISO101"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "hardcoded-tmp-path" in done.stdout
