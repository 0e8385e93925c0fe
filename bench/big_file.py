#!/usr/bin/env python3
"""Writes a suite of N tests, as one module or spread over many, for bench/big_file.sh.

Every test has a finding or a near miss of the rules that walk a function or the whole file: an
environment change (restored or not), a fixed temp path, a working-folder write, a removal, a
database file, class setup/teardown, fixtures, cleanups registered with addfinalizer. One big file
must cost about what the same tests spread over files cost (issue 18).

usage: big_file.py N OUT_DIR [--files K]     (K > 1 spreads the N tests over K modules)
"""

import os
import sys

HEADER = """import os
import shutil
import sqlite3

import pytest


@pytest.fixture
def env_var(request):
    os.environ["FIXTURE_VAR"] = "1"
    request.addfinalizer(lambda: os.environ.pop("FIXTURE_VAR", None))
    yield


"""

PATTERNS = [
    "def test_{i}():\n    os.environ['V{i}'] = '1'\n",
    "def test_{i}():\n    with open('/tmp/out_{i}.txt', 'w') as f:\n        f.write('x')\n",
    "def test_{i}(env_var):\n    old = os.environ.get('K{i}')\n    os.environ['K{i}'] = 'x'\n"
    "    try:\n        pass\n    finally:\n        os.environ['K{i}'] = old\n",
    "def test_{i}():\n    open('report_{i}.json', 'w').write('{{}}')\n",
    "def test_{i}():\n    shutil.rmtree('/tmp/work_{i}')\n",
    "def test_{i}():\n    sqlite3.connect('db_{i}.sqlite')\n",
    "class TestC{i}:\n    def setup_method(self):\n        os.environ['C{i}'] = '1'\n\n"
    "    def teardown_method(self):\n        os.environ.pop('C{i}', None)\n\n"
    "    def test_a(self):\n        os.environ.update({{'D{i}': '2'}})\n",
    "def test_{i}(tmp_path):\n    (tmp_path / 'x').write_text('ok')\n    del os.environ['E{i}']\n",
    "@pytest.fixture\ndef fx{i}(request):\n    os.environ['F{i}'] = '1'\n"
    "    request.addfinalizer(restore_{i})\n    yield\n\n\n"
    "def test_{i}(fx{i}, env_var):\n    open('/tmp/fx_{i}', 'w')\n",
]


def module(start, count):
    body = [HEADER]
    for i in range(start, start + count):
        body.append(PATTERNS[i % len(PATTERNS)].format(i=i))
        body.append("\n\n")
    return "".join(body)


def main():
    args = sys.argv[1:]
    files = 1
    if "--files" in args:
        at = args.index("--files")
        files = int(args[at + 1])
        del args[at : at + 2]
    n, out = int(args[0]), args[1]
    os.makedirs(out, exist_ok=True)
    per_file = -(-n // files)
    for k in range(files):
        start = k * per_file
        count = min(per_file, n - start)
        if count <= 0:
            break
        name = f"test_big_{k:04}.py" if files > 1 else "test_big.py"
        with open(os.path.join(out, name), "w") as f:
            f.write(module(start, count))


if __name__ == "__main__":
    main()
