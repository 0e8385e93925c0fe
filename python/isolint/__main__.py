"""``python -m isolint ARGS``: the binary, with the same arguments and exit status."""

from __future__ import annotations

import os
import subprocess
import sys

from isolint import find_isolint_bin


def main() -> int:
    binary = find_isolint_bin()
    if binary is None:
        print("isolint: the isolint binary is not installed", file=sys.stderr)
        return 2
    if os.name == "nt":
        return subprocess.call([binary, *sys.argv[1:]])
    os.execv(binary, [binary, *sys.argv[1:]])
    return 2  # not reached: execv replaces the process


if __name__ == "__main__":
    sys.exit(main())
