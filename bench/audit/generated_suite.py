"""Writes the large suite of the audit's snapshot test (crates/isolint_report/src/audit/tests.rs,
`mod generated`) to a folder, so the report of any isolint build can be rendered from it.

    python3 bench/audit/generated_suite.py /tmp/gen

Keep it in step with the test's `CONFTEST` and `module(i)`.
"""

import pathlib
import sys

MODULES = 24

CONFTEST = '''import os
import shutil
import sqlite3

import pytest

SHARED_OUT = "/tmp/gen-shared-out"


@pytest.fixture
def home_backup():
    rc = os.path.expanduser("~/.genrc")
    cfg = os.path.expanduser("~/.gen/config.toml")
    shutil.copy(rc, rc + ".bak")
    shutil.copy(cfg, cfg + ".bak")
    yield
    shutil.move(rc + ".bak", rc)
    shutil.move(cfg + ".bak", cfg)


@pytest.fixture
def shared_out():
    os.makedirs(SHARED_OUT, exist_ok=True)
    return SHARED_OUT


@pytest.fixture
def scratch_db():
    conn = sqlite3.connect("scratch.db")
    yield conn
    conn.close()
'''


def module(i: int) -> str:
    text = (
        "import os\nimport shutil\n\nimport pytest\n\n\ndef teardown_module(module):\n"
        f'    shutil.rmtree("build/gen-{i}", ignore_errors=True)\n\n\n'
    )
    text += (
        f"def test_reads_the_configuration_through_every_layer_of_the_loader_{i}(home_backup):\n"
        "    assert True\n\n\n"
    )
    text += (
        f"def test_writes_into_shared_folder_{i}(shared_out):\n"
        f'    with open(os.path.join(shared_out, "out-{i}.txt"), "w") as fh:\n'
        '        fh.write("x")\n\n\n'
    )
    if i % 2 == 0:
        text += f'def test_caches_results_{i}(scratch_db):\n    scratch_db.execute("select 1")\n\n\n'
    text += (
        f"def test_renders_report_{i}():\n"
        f'    with open("/tmp/gen-report-{i}.html", "w") as fh:\n'
        '        fh.write("<p>")\n\n\n'
    )
    text += f'@pytest.mark.parametrize("n", [1, 2, 3])\ndef test_pure_{i}(n):\n    assert n > 0\n\n\n'
    if i % 3 == 0:
        text += (
            f"def test_sets_two_flags_{i}():\n"
            f'    os.environ.update({{"GEN_A_{i}": "1", "GEN_B_{i}": "2"}})\n\n\n'
        )
    text += (
        f"class TestBatch{i}:\n    def setup_method(self):\n"
        f'        os.environ["GEN_BATCH_{i}"] = "5"\n\n'
        "    def test_parsed(self):\n        assert True\n\n"
        "    def test_capped(self):\n        assert True\n"
    )
    return text


def main() -> None:
    root = pathlib.Path(sys.argv[1])
    (root / "conftest.py").parent.mkdir(parents=True, exist_ok=True)
    (root / "conftest.py").write_text(CONFTEST)
    for i in range(MODULES):
        folder = "unit" if i < MODULES // 2 else "integration/pipelines"
        path = root / folder / f"test_generated_module_{i:02}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(module(i))


if __name__ == "__main__":
    main()
