"""The child process of a numerical check or a figure: load one checks file, call one function, report.

Imports nothing from Django (the parent runs us without settings or database access), only
numpy, which every check uses. A check prints exactly one line
`CHECK-RESULT {"error": ..., "tolerance": ...}`; a figure (`figure` as third argument) prints
`FIGURE-RESULT <its data as JSON>`, numpy arrays and numbers as lists and floats. The parent
judges the report (notes.checking.runner; a figure's data: notes.rendering.chart_data).
"""

import json
import runpy
import sys

import numpy

REPORT_PREFIX = "CHECK-RESULT "
FIGURE_PREFIX = "FIGURE-RESULT "


def _plain(value):
    """numpy values as JSON: arrays as lists, scalars as Python numbers."""
    if isinstance(value, numpy.ndarray | numpy.generic):
        return value.tolist()
    raise TypeError(f"a figure's data holds only numbers, strings, lists and dicts, not {type(value).__name__}")


def main(path: str, function: str, kind: str = "check") -> int:
    # A floating-point operation with no meaningful result (0/0, inf - inf, log of a negative)
    # raises instead of giving NaN: a NaN can hide in a check's result (Python's max() skips
    # it unless it comes first), and a check that meets one has found something wrong.
    numpy.seterr(invalid="raise")
    namespace = runpy.run_path(path)
    called = namespace.get(function)
    if not callable(called):
        raise SystemExit(f"{path} defines no function {function}()")
    if kind == "figure":
        sys.stdout.write(FIGURE_PREFIX + json.dumps(called(), default=_plain) + "\n")
        return 0
    error, tolerance = called()
    sys.stdout.write(REPORT_PREFIX + json.dumps({"error": float(error), "tolerance": float(tolerance)}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
