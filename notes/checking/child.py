"""The child process of a numerical check: load one checks file, call one function, report.

Imports nothing from Django (the parent runs us without settings or database access) and
prints exactly one line `CHECK-RESULT {"error": ..., "tolerance": ...}` on success.
"""

import json
import runpy
import sys

REPORT_PREFIX = "CHECK-RESULT "


def main(path: str, function: str) -> int:
    namespace = runpy.run_path(path)
    check = namespace.get(function)
    if not callable(check):
        raise SystemExit(f"{path} defines no function {function}()")
    error, tolerance = check()
    sys.stdout.write(REPORT_PREFIX + json.dumps({"error": float(error), "tolerance": float(tolerance)}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
