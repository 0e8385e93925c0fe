"""isolint as a Python package: the binary the wheel installs, found from Python.

``python -m isolint ARGS`` runs it; ``find_isolint_bin()`` says where it is (the pytest plugin,
``pytest_isolint``, runs it to get the audit's groups).
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig


def find_isolint_bin() -> str | None:
    """The binary of this installation (beside the interpreter's scripts: the venv's `bin/`, or
    the user scheme's), else the first `isolint` on PATH; None if there is none."""
    name = "isolint.exe" if os.name == "nt" else "isolint"
    folders = [sysconfig.get_path("scripts"), os.path.dirname(sys.executable)]
    user_scheme = f"{os.name}_user"
    if user_scheme in sysconfig.get_scheme_names():
        folders.append(sysconfig.get_path("scripts", scheme=user_scheme))
    for folder in folders:
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("isolint")
