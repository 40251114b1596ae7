"""The child process of a numerical check or a figure: load one checks file, call one function, report.

Imports nothing from Django (the parent runs us without settings or database access), only
numpy, which every check uses. A check prints exactly one line
`CHECK-RESULT {"error": ..., "tolerance": ..., "detail": ...}`; a figure (`figure` as third
argument) prints `FIGURE-RESULT <its data as JSON>`, numpy arrays and numbers as lists and
floats. Either is followed by `CPU-SECONDS <seconds>`, the CPU time this process used, imports
included. The parent judges the report (notes.checking.runner; a figure's data:
notes.rendering.chart_data).

A `check_<derivation>()` returns (error, tolerance) itself. A `numbers_<name>()` returns the
numbers the note quotes (see notes.checking.quoted); the note's source arrives on stdin, and the
child compares the two and reports the largest error ratio against the tolerance 1.
"""

import json
import runpy
import sys
import time

import numpy

from notes.checking.quoted import NUMBERS_PREFIX, verdict

REPORT_PREFIX = "CHECK-RESULT "
FIGURE_PREFIX = "FIGURE-RESULT "
CPU_PREFIX = "CPU-SECONDS "  # the child's own CPU time, which load from other processes does not inflate


def _plain(value):
    """numpy values as JSON: arrays as lists, scalars as Python numbers."""
    if isinstance(value, numpy.ndarray | numpy.generic):
        return value.tolist()
    raise TypeError(f"a figure's data holds only numbers, strings, lists and dicts, not {type(value).__name__}")


def outcome_of(function, name: str, note_text: str | None) -> tuple[float, float, str]:
    """(error, tolerance, detail) of one check function, called here in this process."""
    if name.startswith(NUMBERS_PREFIX):
        error, detail = verdict(note_text or "", function())
        return error, 1.0, detail
    error, tolerance = function()
    return float(error), float(tolerance), ""


def main(path: str, name: str, kind: str = "check") -> int:
    # A floating-point operation with no meaningful result (0/0, inf - inf, log of a negative)
    # raises instead of giving NaN: a NaN can hide in a check's result (Python's max() skips
    # it unless it comes first), and a check that meets one has found something wrong.
    numpy.seterr(invalid="raise")
    namespace = runpy.run_path(path)
    function = namespace.get(name)
    if not callable(function):
        raise SystemExit(f"{path} defines no function {name}()")
    if kind == "figure":
        sys.stdout.write(FIGURE_PREFIX + json.dumps(function(), default=_plain) + "\n")
        _report_cpu()
        return 0
    note_text = sys.stdin.read() if name.startswith(NUMBERS_PREFIX) else None
    error, tolerance, detail = outcome_of(function, name, note_text)
    report = {"error": float(error), "tolerance": float(tolerance), "detail": detail}
    sys.stdout.write(REPORT_PREFIX + json.dumps(report) + "\n")
    _report_cpu()
    return 0


def _report_cpu() -> None:
    sys.stdout.write(f"{CPU_PREFIX}{time.process_time():.3f}\n")


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
