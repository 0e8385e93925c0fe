"""A pytest-xdist scheduler that keeps each isolint group on one worker and, when asked, runs the
tests that cannot run in parallel at all on one worker after every other worker has finished.

It gets the groups from the collected node ids and the audit, so it does not depend on the
``@group`` suffix pytest-xdist's own loadgroup writes into node ids (lost with pytest 9.2,
pytest-xdist issue #1386). The protocol is pytest-xdist's ``Scheduling``: the controller calls
``add_node``/``add_node_collection`` as workers start and collect, ``schedule`` once all have
collected, ``mark_test_complete`` after each test and ``remove_node`` when a worker ends.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence

import pytest
from xdist.report import report_collection_diff
from xdist.workermanage import parse_tx_spec_config

from .groups import Plan

# A worker holds its last test until it knows the next one (for fixture teardown), so a worker
# is topped up while it has at most this many tests pending.
_LOW_WATERMARK = 2


class IsolintScheduling:
    def __init__(self, config: pytest.Config, log, planner: Callable[[list[str]], Plan]) -> None:
        self.numnodes = len(parse_tx_spec_config(config))
        self.config = config
        self.log = log.isolintsched
        self.planner = planner
        self.plan: Plan | None = None
        self.collection: list[str] | None = None
        self.index: dict[str, int] = {}
        self.registered: dict[object, list[str]] = {}
        # Work units (a group, or one test) waiting, and those assigned to each worker; a unit maps
        # its node ids to whether they are done.
        self.queue: OrderedDict[str, dict[str, bool]] = OrderedDict()
        self.serial_queue: OrderedDict[str, dict[str, bool]] = OrderedDict()
        self.assigned: dict[object, dict[str, dict[str, bool]]] = {}
        self.serial_node = None

    # --- what pytest-xdist's controller asks ---------------------------------------------------

    @property
    def nodes(self) -> list:
        return list(self.assigned)

    @property
    def collection_is_completed(self) -> bool:
        return len(self.registered) >= self.numnodes

    @property
    def tests_finished(self) -> bool:
        if not self.collection_is_completed or self.queue or self.serial_queue:
            return False
        return all(self._pending(work) < 2 for work in self.assigned.values())

    @property
    def has_pending(self) -> bool:
        if self.queue or self.serial_queue:
            return True
        return any(self._pending(work) > 0 for work in self.assigned.values())

    def add_node(self, node) -> None:
        self.assigned[node] = {}

    def add_node_collection(self, node, collection: Sequence[str]) -> None:
        if self.collection is not None and list(collection) != self.collection:
            # A replacement worker that collected something else cannot take part.
            first = next(iter(self.registered))
            self.log(report_collection_diff(self.collection, collection, first.gateway.id, node.gateway.id))
            return
        self.registered[node] = list(collection)

    def mark_test_complete(self, node, item_index: int, duration: float = 0) -> None:
        assert self.plan is not None
        nodeid = self.registered[node][item_index]
        self.assigned[node][self.plan.unit_of(nodeid)][nodeid] = True
        self._reschedule(node)

    def mark_test_pending(self, item: str) -> None:
        raise NotImplementedError("isolint's scheduler does not steal work")

    def remove_pending_tests_from_node(self, node, indices: Sequence[int]) -> None:
        raise NotImplementedError("isolint's scheduler does not steal work")

    def remove_node(self, node) -> str | None:
        """A worker ended: normally with nothing pending; if it crashed, its unfinished units go back
        to their queue and the test it was running is returned (the controller reports it)."""
        work = self.assigned.pop(node)
        crashitem = None
        for unit, tests in work.items():
            pending = [t for t, done in tests.items() if not done]
            if not pending:
                continue
            if crashitem is None:
                crashitem = pending[0]
                # Not run again: the controller reports it as failed.
                tests[crashitem] = True
            if any(not done for done in tests.values()):
                assert self.plan is not None
                target = self.serial_queue if unit in self.plan.serial_units else self.queue
                target[unit] = tests
                target.move_to_end(unit, last=False)
        for other in list(self.assigned):
            self._reschedule(other)
        return crashitem

    def schedule(self) -> None:
        assert self.collection_is_completed
        if self.collection is not None:
            for node in list(self.assigned):
                self._reschedule(node)
            return
        if not self._same_collections():
            self.log("**Different tests collected, aborting run**")
            return
        self.collection = list(next(iter(self.registered.values())))
        self.index = {nodeid: i for i, nodeid in enumerate(self.collection)}
        self.plan = self.planner(self.collection)
        groups: OrderedDict[str, dict[str, bool]] = OrderedDict()
        singles: OrderedDict[str, dict[str, bool]] = OrderedDict()
        group_names = set(self.plan.group_of.values())
        for nodeid in self.collection:
            unit = self.plan.unit_of(nodeid)
            target = groups if unit in group_names else singles
            target.setdefault(unit, {})[nodeid] = False
        # Groups first, largest first, so that a long group does not start last and finish alone;
        # then the other tests in collection order.
        ordered = sorted(groups.items(), key=lambda item: -len(item[1])) + list(singles.items())
        for unit, tests in ordered:
            target = self.serial_queue if unit in self.plan.serial_units else self.queue
            target[unit] = tests
        if not self.collection:
            return
        for node in list(self.assigned):
            if self.queue:
                self._assign(node, self.queue)
        for node in list(self.assigned):
            self._reschedule(node)

    # --- the work ------------------------------------------------------------------------------

    @staticmethod
    def _pending(work: dict[str, dict[str, bool]]) -> int:
        return sum(1 for tests in work.values() for done in tests.values() if not done)

    def _assign(self, node, queue: OrderedDict[str, dict[str, bool]]) -> None:
        unit, tests = queue.popitem(last=False)
        self.assigned[node][unit] = tests
        node.send_runtest_some([self.index[t] for t, done in tests.items() if not done])

    def _reschedule(self, node) -> None:
        if node.shutting_down:
            return
        if self.queue:
            if self._pending(self.assigned[node]) <= _LOW_WATERMARK:
                self._assign(node, self.queue)
            return
        if self.serial_queue:
            self._start_serial()
            return
        node.shutdown()

    def _start_serial(self) -> None:
        """Once nothing parallel is left to hand out: every worker but one finishes what it has and
        stops; when it is the last one running, the serial tests go to it, one after another."""
        if self.serial_node not in self.assigned or self.serial_node.shutting_down:
            running = [n for n in self.assigned if not n.shutting_down]
            if not running:
                return  # a replacement worker will pick the serial part up
            self.serial_node = running[0]
        for other in list(self.assigned):
            if other is not self.serial_node and not other.shutting_down:
                other.shutdown()
        if len(self.assigned) == 1:
            while self.serial_queue:
                self._assign(self.serial_node, self.serial_queue)
            self.serial_node.shutdown()

    def _same_collections(self) -> bool:
        (first_node, first), *others = list(self.registered.items())
        same = True
        for node, collection in others:
            message = report_collection_diff(first, collection, first_node.gateway.id, node.gateway.id)
            if not message:
                continue
            same = False
            self.log(message)
            self.config.hook.pytest_collectreport(
                report=pytest.CollectReport(
                    nodeid=node.gateway.id, outcome="failed", longrepr=message, result=[]
                )
            )
        return same
