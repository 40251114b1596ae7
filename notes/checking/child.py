"""The child process of a numerical check: load one checks file, call one function, report.

Imports nothing from Django (the parent runs us without settings or database access), only
numpy, which every check uses, and prints exactly one line
`CHECK-RESULT {"error": ..., "tolerance": ..., "detail": ...}` on success.

A `check_<derivation>()` returns (error, tolerance) itself. A `numbers_<name>()` returns the
numbers the note quotes (see notes.checking.quoted); the note's source arrives on stdin, and the
child compares the two and reports the largest error ratio against the tolerance 1.
"""

import json
import runpy
import sys

import numpy

from notes.checking.quoted import NUMBERS_PREFIX, verdict

REPORT_PREFIX = "CHECK-RESULT "


def outcome_of(function, name: str, note_text: str | None) -> tuple[float, float, str]:
    """(error, tolerance, detail) of one check function, called here in this process."""
    if name.startswith(NUMBERS_PREFIX):
        error, detail = verdict(note_text or "", function())
        return error, 1.0, detail
    error, tolerance = function()
    return float(error), float(tolerance), ""


def main(path: str, name: str) -> int:
    # A floating-point operation with no meaningful result (0/0, inf - inf, log of a negative)
    # raises instead of giving NaN: a NaN can hide in a check's result (Python's max() skips
    # it unless it comes first), and a check that meets one has found something wrong.
    numpy.seterr(invalid="raise")
    namespace = runpy.run_path(path)
    function = namespace.get(name)
    if not callable(function):
        raise SystemExit(f"{path} defines no function {name}()")
    note_text = sys.stdin.read() if name.startswith(NUMBERS_PREFIX) else None
    error, tolerance, detail = outcome_of(function, name, note_text)
    report = {"error": float(error), "tolerance": float(tolerance), "detail": detail}
    sys.stdout.write(REPORT_PREFIX + json.dumps(report) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
