"""Record which test touches which filesystem path, to find the paths tests share.

Used to build the ground truth in docs/e2e.md: run a suite serially with

    PYTHONPATH=bench/e2e TRACE_PATHS_OUT=trace.jsonl pytest -p trace_paths -p no:randomly

and then `python bench/e2e/trace_paths.py report|summary|groups trace.jsonl ROOTDIR`. Every file
operation that Python's audit hooks announce (`open`, `os.remove`, `os.mkdir`, `shutil.rmtree`,
`os.rename`, `shutil.copyfile`, `sqlite3.connect`, `subprocess.Popen`, ...) and every `os.stat`
(existence checks) under ROOTDIR or HOME is written with the test that was running (from
`PYTEST_CURRENT_TEST`, so fixtures and setup/teardown count for their test), the chain of frames
inside ROOTDIR that led to it, and the frame that issued it. Writes made by child processes are
invisible; `report` lists the tests that start processes so those can be read by hand.
"""

from __future__ import annotations

import json
import os
import sys
import sysconfig
import threading

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_MUTATING_EVENTS = {
    "os.remove": ("remove", 0),
    "os.rmdir": ("remove", 0),
    "shutil.rmtree": ("remove-tree", 0),
    "os.mkdir": ("create-dir", 0),
    "os.truncate": ("write", 0),
    "os.chmod": ("chmod", 0),
    "os.utime": ("write", 0),
    "shutil.copyfile": ("write", 1),
    "shutil.copytree": ("create-dir", 1),
    "shutil.move": ("write", 1),
    "os.symlink": ("write", 1),
    "os.link": ("write", 1),
    "sqlite3.connect": ("write", 0),
}
_RENAMES = {"os.rename", "os.replace"}
_EXCLUDED: set[str] = set()


def short(where: str) -> str:
    """Library frames shortened to the path inside site-packages."""
    marker = "site-packages" + os.sep
    if marker in where:
        return where.split(marker, 1)[1]
    stdlib = sysconfig.get_paths()["stdlib"] + os.sep
    return "stdlib/" + where[len(stdlib) :] if where.startswith(stdlib) else where


class _Recorder:
    def __init__(self, out_path: str, root: str) -> None:
        self.root = os.path.realpath(root)
        self.out = open(out_path, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the run
        self.busy = threading.local()
        self.own_file = os.path.realpath(__file__)
        self.home = os.path.expanduser("~")
        self.seen: set[tuple] = set()

    def checked(self, path) -> None:
        """`os.stat` was asked about `path` (`exists`, `isfile`, `is_dir`...): a check."""
        if getattr(self.busy, "on", False) or isinstance(path, int):
            return
        self.busy.on = True
        try:
            self._write_row("os.stat", path, "check")
        except Exception:  # noqa: BLE001 - a tracer must never change the suite's outcome
            pass
        finally:
            self.busy.on = False

    def hook(self, event: str, args: tuple) -> None:
        if event not in _MUTATING_EVENTS and event not in _RENAMES and event not in (
            "open",
            "subprocess.Popen",
        ):
            return
        if getattr(self.busy, "on", False):
            return
        self.busy.on = True
        try:
            self._record(event, args)
        except Exception:  # noqa: BLE001 - a tracer must never change the suite's outcome
            pass
        finally:
            self.busy.on = False

    def _record(self, event: str, args: tuple) -> None:
        rows = []
        if event == "open":
            path, mode, flags = args[0], args[1], args[2]
            tmpfile = getattr(os, "O_TMPFILE", 0)
            if tmpfile and isinstance(flags, int) and flags & tmpfile == tmpfile:
                return  # an unnamed file in a folder (tempfile): nothing another test can see
            if not isinstance(path, int) and os.path.isdir(path):
                return  # `tempfile` opens the folder by name and the random file through an opener
            if isinstance(mode, str):
                writes = any(c in mode for c in "wax+")
            else:
                writes = bool((flags or 0) & _WRITE_FLAGS)
            rows.append((path, "write" if writes else "read"))
        elif event in _RENAMES:
            rows.append((args[0], "remove"))
            rows.append((args[1], "write"))
        elif event == "subprocess.Popen":
            cwd = args[2] if len(args) > 2 else None
            rows.append((cwd if cwd is not None else os.getcwd(), "spawn"))
        else:
            effect, index = _MUTATING_EVENTS[event]
            if event in ("os.remove", "os.rmdir", "os.mkdir") and args[-1] not in (None, -1, -100):
                # Relative to a folder descriptor: the steps of `shutil.rmtree`, whose own event
                # already names the whole tree.
                return
            if index < len(args):
                rows.append((args[index], effect))
        for path, effect in rows:
            self._write_row(event, path, effect)

    def _write_row(self, event: str, path, effect: str) -> None:
        if isinstance(path, int) or path is None:
            return
        path = os.fsdecode(os.fspath(path))
        absolute = os.path.normpath(os.path.join(os.getcwd(), path))
        if "__pycache__" in absolute or absolute.endswith(".pyc") or absolute.startswith(
            ("/dev/", "/proc/", "/sys/")
        ):
            return
        if effect in ("read", "check") and not absolute.startswith((self.root, self.home)):
            return
        test = os.environ.get("PYTEST_CURRENT_TEST", "<outside a test>")
        frames = []
        frame = sys._getframe(1)
        while frame is not None:
            raw = frame.f_code.co_filename
            filename = raw if raw.startswith("<") else os.path.realpath(raw)
            if filename != self.own_file:
                frames.append((filename, frame.f_lineno, frame.f_code.co_name))
            frame = frame.f_back
        issuer = f"{frames[0][0]}:{frames[0][1]} {frames[0][2]}" if frames else None
        key = (test, effect, absolute, issuer)
        if effect == "check":
            if key in self.seen:
                return
            self.seen.add(key)
        # Outermost first: the project's frames, and the first library frame each of them calls (the
        # library entry point, such as `pyexcel.save_as`).
        chain = []
        previous_was_project = False
        for filename, line, name in reversed(frames):
            is_project = filename.startswith(self.root + os.sep) and "site-packages" not in filename
            if is_project:
                chain.append(f"{os.path.relpath(filename, self.root)}:{line} {name}")
            elif previous_was_project:
                chain.append(f"[{short(filename)}:{line} {name}]")
            previous_was_project = is_project
        row = {
            "test": test,
            "event": event,
            "effect": effect,
            "path": absolute,
            "given": path,
            "cwd": os.getcwd(),
            "chain": chain,
            "issuer": issuer,
        }
        self.out.write(json.dumps(row) + "\n")
        self.out.flush()


def pytest_configure(config) -> None:
    out = os.environ.get("TRACE_PATHS_OUT")
    if not out:
        return
    recorder = _Recorder(out, str(config.rootpath))
    sys.addaudithook(recorder.hook)
    # No audit event announces `os.stat`, which every existence check ends in; wrap it (the import
    # system keeps its own reference to `posix.stat` and is not affected).
    for name in ("stat", "lstat"):
        real = getattr(os, name)

        def wrapper(path, *args, _real=real, **kwargs):
            recorder.checked(path)
            return _real(path, *args, **kwargs)

        setattr(os, name, wrapper)


def _test_id(current: str) -> tuple[str, str]:
    """`tests/a.py::T::t[x] (call)` -> (`tests/a.py::T::t[x]`, `call`)."""
    if current.endswith(")") and " (" in current:
        node, phase = current.rsplit(" (", 1)
        return node, phase[:-1]
    return current, ""


def _entry(chain: list[str], tests_dir: str = "tests/") -> str:
    """The test-side frames of a chain and the first frame they call outside the tests folder."""
    kept = []
    for frame in chain:
        if frame.startswith("<") or frame.startswith("[<"):
            continue
        kept.append(frame)
        if not frame.startswith(tests_dir):
            break
    return " -> ".join(kept) or "-"


def _scope(node: str) -> str:
    """`tests/a.py::T::t[x]` -> `tests/a.py::T`; `tests/a.py::t` -> `tests/a.py`."""
    parts = node.split("::")
    return "::".join(parts[:-1])


def summary(trace: str, root: str) -> None:
    """One block per shared path: the tests by module or class, and each distinct way it is changed
    (the test-side call chain up to the package or library it enters, and the frame that did it)."""
    root = os.path.realpath(root)
    for key, rows, nodes in _shared(trace, root):
        scopes: dict[str, int] = {}
        for node in nodes:
            scopes[_scope(node)] = scopes.get(_scope(node), 0) + 1
        effects = sorted({r["effect"] for r in rows})
        print(f"== {_rel(key, root)}  ({len(nodes)} tests; {', '.join(effects)})")
        print("  tests: " + ", ".join(f"{s} ({n})" for s, n in sorted(scopes.items())))
        sites: dict[tuple, set] = {}
        for r in rows:
            if r["effect"] in ("read", "check", "chmod"):
                continue
            effect = "remove" if r["effect"] == "remove-tree" else r["effect"]
            issuer = _rel(short(r["issuer"] or "-"), root)
            sites.setdefault((effect, _entry(r["chain"]), issuer), set()).add(r["node"])
        for (effect, entry, issuer), site_nodes in sorted(sites.items()):
            print(f"  {effect} ({len(site_nodes)}): {entry}  [at {issuer}]")


def _rel(path: str, root: str) -> str:
    return os.path.relpath(path, root) if path.startswith(root + os.sep) else path


def _shared(trace: str, root: str):
    """(bucket, rows, tests) for every path two or more tests touch and at least one changes."""
    root = os.path.realpath(root)
    events = [e for e in _load(trace) if e["effect"] != "spawn"]
    trees = sorted(
        {e["path"] for e in events if e["effect"] in ("remove-tree", "create-dir", "remove")}
    )

    def bucket(path: str) -> str:
        # The outermost folder some test creates or removes that holds this path: tests racing on a
        # folder race on everything in it.
        for tree in trees:
            if path == tree or path.startswith(tree + os.sep):
                return tree
        return path

    buckets: dict[str, list[dict]] = {}
    for e in events:
        buckets.setdefault(bucket(e["path"]), []).append(e)
    for key in sorted(buckets):
        if _rel(key, root) in _EXCLUDED:
            continue
        rows = buckets[key]
        nodes = sorted({r["node"] for r in rows})
        if len(nodes) >= 2 and any(r["effect"] not in ("read", "check") for r in rows):
            yield key, rows, nodes


def groups(trace: str, root: str) -> None:
    """Print, in the layout of `isolint audit --format json` (`xdist.groups`), the groups that the
    traced sharing implies: tests that touch a shared path join one group, transitively. Applied with
    the xdist_groups plugin they show whether the traced ground truth is complete. `shared_paths`
    lists each shared path with its tests (for compare.py)."""
    root = os.path.realpath(root)
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    paths: dict[str, list[str]] = {}
    shared_paths = []
    for key, _rows, nodes in _shared(trace, root):
        nodes = [n for n in nodes if "::" in n]
        shared_paths.append({"path": _rel(key, root), "tests": nodes})
        for node in nodes[1:]:
            a, b = find(nodes[0]), find(node)
            if a != b:
                parent[max(a, b)] = min(a, b)
        if nodes:
            paths.setdefault(nodes[0], []).append(_rel(key, root))
    members: dict[str, list[str]] = {}
    for node in parent:
        members.setdefault(find(node), []).append(node)
    resources: dict[str, list[str]] = {}
    for first, shared in paths.items():
        resources.setdefault(find(first), []).extend(shared)
    out = []
    for index, (head, nodes) in enumerate(sorted(members.items()), start=1):
        out.append(
            {
                "name": f"traced-{index}",
                "resources": sorted(set(resources.get(head, []))),
                "tests": sorted(nodes),
            }
        )
    print(json.dumps({"xdist": {"groups": out}, "shared_paths": shared_paths}, indent=1))


def _load(trace: str) -> list[dict]:
    events = []
    with open(trace, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row["path"].startswith("/tmp/pytest-of-"):
                continue  # pytest's tmp_path: private to the test
            row["node"], row["phase"] = _test_id(row["test"])
            events.append(row)
    return events


def report(trace: str, root: str) -> None:
    """Every shared path with every test and full chain, then the tests that start processes."""
    root = os.path.realpath(root)
    for key, rows, nodes in _shared(trace, root):
        effects = sorted({r["effect"] for r in rows})
        print(f"== {_rel(key, root)}  ({len(nodes)} tests; {', '.join(effects)})")
        sites: dict[tuple, set] = {}
        for r in rows:
            if r["effect"] in ("read", "check"):
                continue
            issuer = _rel(short(r["issuer"] or "-"), root)
            chain = " -> ".join(r["chain"]) or "-"
            sites.setdefault((r["effect"], _rel(r["path"], root), chain, issuer), set()).add(
                r["node"]
            )
        for (effect, path, chain, issuer), site_nodes in sorted(sites.items()):
            names = sorted(site_nodes)
            more = f" +{len(names) - 3} more" if len(names) > 3 else ""
            print(f"  {effect} {path}: {chain} [{issuer}]")
            print(f"      by {len(names)}: {', '.join(names[:3])}{more}")
        for kind in ("read", "check"):
            others = sorted({r["node"] for r in rows if r["effect"] == kind})
            if others:
                print(f"  {kind} by {len(others)} tests: {' '.join(others)}")
        print("  tests: " + " ".join(nodes))
    spawns = sorted({(e["node"], e["cwd"]) for e in _load(trace) if e["effect"] == "spawn"})
    if spawns:
        print("== tests that start processes (their writes are not traced)")
        for node, cwd in spawns:
            print(f"  {node} in {_rel(cwd, root)}")


if __name__ == "__main__":
    commands = {"report": report, "summary": summary, "groups": groups}
    if len(sys.argv) in (4, 5) and sys.argv[1] in commands:
        # Optional: paths (relative to ROOTDIR, comma-separated) that reading the code showed are not
        # changed although traced (an `open(..., "r+b")` for a read-only mmap, a `mkdir(exist_ok=True)`
        # of a checked-in folder).
        if len(sys.argv) == 5:
            _EXCLUDED.update(p for p in sys.argv[4].split(",") if p)
        commands[sys.argv[1]](sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: trace_paths.py report|summary|groups TRACE.jsonl ROOTDIR [EXCLUDED,...]")
