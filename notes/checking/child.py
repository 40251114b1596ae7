"""The child process of a numerical check: load one checks file, call one function, report.

Imports nothing from Django (the parent runs us without settings or database access), only
numpy, which every check uses, and prints exactly one line `CHECK-RESULT {"error": ..., "tolerance": ...}` on success.
"""

import json
import runpy
import sys

import numpy

REPORT_PREFIX = "CHECK-RESULT "


def main(path: str, function: str) -> int:
    # A floating-point operation with no meaningful result (0/0, inf - inf, log of a negative)
    # raises instead of giving NaN: a NaN can hide in a check's result (Python's max() skips
    # it unless it comes first), and a check that meets one has found something wrong.
    numpy.seterr(invalid="raise")
    namespace = runpy.run_path(path)
    check = namespace.get(function)
    if not callable(check):
        raise SystemExit(f"{path} defines no function {function}()")
    error, tolerance = check()
    sys.stdout.write(REPORT_PREFIX + json.dumps({"error": float(error), "tolerance": float(tolerance)}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
