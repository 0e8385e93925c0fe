"""The pytest plugin (``-p isolint``, entry point ``pytest11``: loaded automatically once installed).

In a run that pytest-xdist distributes with ``--dist loadgroup`` it

1. gets the groups: runs the isolint binary installed with this package
   (``isolint audit --format json --output TMP [PATHS]``, from pytest's rootdir, with the files and
   folders named on pytest's command line), or reads ``--isolint-audit``;
2. schedules with ``IsolintScheduling`` (through ``pytest_xdist_make_scheduler``): each group on one
   worker, everything else spread; with ``--isolint-serial``, the tests that cannot run in parallel
   at all run alone on one worker after the parallel part;
3. on the workers, marks the grouped tests ``xdist_group(name=...)`` (visible to reports and
   hooks) and writes down the groups the suite declared with its own ``xdist_group`` markers, which
   the scheduler keeps too (so they work on pytest 9.2, where pytest-xdist's ``@group`` suffix is
   lost);
4. prints a summary line: how many tests were grouped, and why.

Any other run (serial, ``--dist load``/``loadscope``) is left alone; with ``-n`` and another
``--dist`` the summary says that the groups were not applied. It never changes a test file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile

import pytest

from isolint import find_isolint_bin

from .groups import AuditGroups, Plan, xdist_suffix

_AUDIT_KEY = "isolint_audit"
_EXCHANGE_KEY = "isolint_exchange"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("isolint", "isolint: keep tests that share a resource on one pytest-xdist worker")
    group.addoption(
        "--isolint-audit",
        metavar="FILE",
        help="read the groups from this JSON (`isolint audit --format json --output FILE`) "
        "instead of running isolint",
    )
    group.addoption(
        "--isolint-bin",
        metavar="PATH",
        help="the isolint binary to run (default: the one installed with this plugin, else "
        "`isolint` on PATH)",
    )
    group.addoption(
        "--isolint-serial",
        action="store_true",
        help="run the tests that cannot run in parallel at all (graph-wide Neo4j wipes, "
        "process state such as os.environ never reset) on one worker, alone, after the "
        "parallel part",
    )


def _distributed(config: pytest.Config) -> bool:
    """This process is pytest-xdist's controller, with workers to hand tests to."""
    if hasattr(config, "workerinput") or not config.pluginmanager.hasplugin("xdist"):
        return False
    numprocesses = config.getoption("numprocesses", default=None)
    return bool(numprocesses) and config.getoption("dist", default="no") != "no"


def audit_paths(config: pytest.Config) -> list[str]:
    """The files and folders named on pytest's command line (node ids cut to their file), as
    absolute paths; none when pytest took its testpaths or the current folder, where isolint
    finds the same from pytest's rootdir."""
    source = getattr(config, "args_source", None)
    if source is None or source != pytest.Config.ArgsSource.ARGS:
        return []
    base = str(config.invocation_params.dir)
    paths = []
    for arg in config.args:
        path = os.path.join(base, str(arg).split("::", 1)[0])
        if os.path.exists(path) and path not in paths:
            paths.append(path)
    return paths


def run_audit(binary: str, rootdir: str, paths: list[str], output: str) -> None:
    """``isolint audit --format json`` of the suite pytest runs; exit 0 (clean) and 1 (findings)
    both wrote the report."""
    try:
        done = subprocess.run(
            [binary, "audit", "--format", "json", "--output", output, *paths],
            cwd=rootdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    except OSError as error:
        raise pytest.UsageError(f"isolint: cannot run {binary}: {error}") from error
    if done.returncode not in (0, 1) or not os.path.isfile(output):
        raise pytest.UsageError(
            f"isolint: `{binary} audit` failed (exit {done.returncode}):\n{done.stderr.strip()}"
        )


class ControllerPlugin:
    """The controller's part: the audit, the scheduler, the summary."""

    def __init__(self, config: pytest.Config, audit_path: str, folder: str) -> None:
        self.config = config
        self.audit_path = audit_path
        # Ours: the audit when isolint ran, and what the workers write.
        self.folder = folder
        self.groups = AuditGroups.from_file(audit_path)
        self.serial = bool(config.getoption("isolint_serial"))
        self.plan: Plan | None = None
        self.collected = 0

    def planner(self, collection: list[str]) -> Plan:
        plan = self.groups.plan(collection, read_declared(self.folder))
        if not self.serial:
            plan.serial_units = set()
        self.plan = plan
        self.collected = len(collection)
        return plan

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log):
        from .scheduler import IsolintScheduling

        return IsolintScheduling(config, log, self.planner)

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node) -> None:
        node.workerinput[_AUDIT_KEY] = self.audit_path
        node.workerinput[_EXCHANGE_KEY] = self.folder

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.plan is None:
            return
        for line in self.plan.summary(self.collected, self.serial):
            terminalreporter.write_line(line)
        if self.plan.user_groups:
            n = self.plan.user_groups
            terminalreporter.write_line(
                f"isolint: {n} group{'s' if n != 1 else ''} declared by the suite's own "
                "xdist_group markers kept as well"
            )

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


class WorkerPlugin:
    """A worker's part: tell the controller which groups the suite declared itself, then mark the
    grouped tests."""

    def __init__(self, audit_path: str, exchange: str, worker_id: str) -> None:
        self.groups = AuditGroups.from_file(audit_path)
        self.exchange = exchange
        self.worker_id = worker_id

    @pytest.hookimpl(hookwrapper=True)
    def pytest_collection_modifyitems(self, session, config, items):
        yield
        # After pytest-xdist's own hook, so the ids are those the controller receives (with its
        # `@group` suffix where pytest still lets it write one).
        declared = {}
        for item in items:
            names = sorted(
                {
                    str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                    for mark in item.iter_markers("xdist_group")
                }
            )
            if names:
                declared[item.nodeid] = names
        write_declared(self.exchange, self.worker_id, declared)
        plan = self.groups.plan([xdist_suffix(item.nodeid)[0] for item in items])
        for item in items:
            name = plan.group_of.get(xdist_suffix(item.nodeid)[0])
            if name is not None:
                item.add_marker(pytest.mark.xdist_group(name=name))


def write_declared(folder: str, worker_id: str, declared: dict[str, list[str]]) -> None:
    """The suite's own groups, for the controller (written whole, then renamed into place)."""
    path = os.path.join(folder, f"declared-{worker_id}.json")
    with open(path + ".tmp", "w", encoding="utf-8") as fh:
        json.dump(declared, fh)
    os.replace(path + ".tmp", path)


def read_declared(folder: str) -> dict[str, list[str]] | None:
    """What one worker wrote (all collect the same tests); None when no worker could write here
    (workers on another machine): the `@group` suffix is then all there is."""
    for name in sorted(os.listdir(folder)):
        if name.startswith("declared-") and name.endswith(".json"):
            with open(os.path.join(folder, name), encoding="utf-8") as fh:
                return json.load(fh)
    return None


class NotAppliedPlugin:
    """``-n`` without ``--dist loadgroup``: say that the groups were not used."""

    def pytest_terminal_summary(self, terminalreporter) -> None:
        terminalreporter.write_line(
            "isolint: groups not applied: run with `--dist loadgroup` to keep the tests that "
            "share a resource on one worker (-p no:isolint silences this)"
        )


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        if workerinput.get(_AUDIT_KEY):
            worker = WorkerPlugin(
                workerinput[_AUDIT_KEY], workerinput[_EXCHANGE_KEY], workerinput["workerid"]
            )
            config.pluginmanager.register(worker, "isolint-worker")
        return
    if not _distributed(config):
        return
    if config.getoption("dist") != "loadgroup":
        config.pluginmanager.register(NotAppliedPlugin(), "isolint-not-applied")
        return
    audit = config.getoption("isolint_audit")
    folder = tempfile.mkdtemp(prefix="isolint-")
    if audit:
        audit = os.path.abspath(audit)
        if not os.path.isfile(audit):
            raise pytest.UsageError(f"isolint: --isolint-audit {audit}: no such file")
    else:
        binary = config.getoption("isolint_bin") or find_isolint_bin()
        if not binary:
            raise pytest.UsageError(
                "isolint: no isolint binary found (install the isolint wheel, or pass "
                "--isolint-bin or --isolint-audit)"
            )
        audit = os.path.join(folder, "audit.json")
        run_audit(binary, str(config.rootpath), audit_paths(config), audit)
    config.pluginmanager.register(ControllerPlugin(config, audit, folder), "isolint-controller")
