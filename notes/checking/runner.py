"""Numerical checks of derivations and the data of figures, run out of process.

A note's checks live beside it as `<slug>.checks.py` in CHECKS_DIR: plain numpy, one function
`check_<derivation id with - as _>()` per derivation, returning (measured error, tolerance),
one `figure_<figure id with - as _>()` per figure, returning its data
(notes.rendering.chart_data describes the shape), and any number of `numbers_<name>()`
functions, each returning the numbers the note quotes keyed by an excerpt of the note's text
with `{}` where each number stands. The runner hands the note's source to those and compares
every quoted number with the computed one, within half a unit in the last digit the note prints
(notes/checking/quoted.py has the rules); a number that differs, or an excerpt no longer in the
note, fails with a message naming the number, the note's value and the computed value. So a
change on either side, the note's or the code's, fails.

Each check and each figure runs in its own Python process (`python -m notes.checking.child FILE FUNCTION`) with
a wall-clock timeout, a CPU-time limit and an address-space limit, and without Django: a
check can neither reach the database nor take the site down. Whatever happens (an
exception, a timeout, a memory blow-up, garbage on stdout, no report at all) is recorded as
a failure with its reason, and the run goes on with the next check. A child that reports also
reports the CPU time it used (`cpu_seconds`): a check's cost is judged by that, since its wall
time also counts whatever else the machine is running.
"""

import hashlib
import json
import math
import re
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from notes.checking.child import CPU_PREFIX, FIGURE_PREFIX, REPORT_PREFIX
from notes.checking.quoted import NUMBERS_PREFIX


@dataclass
class Outcome:
    status: str  # a CheckResult.Status value
    detail: str
    error: float | None = None
    tolerance: float | None = None
    seconds: float = 0.0  # wall clock, as the timeout counts
    cpu_seconds: float | None = None  # the child's own CPU time; None when it never reported


def checks_file(slug: str) -> Path:
    return Path(settings.CHECKS_DIR) / f"{slug}.checks.py"


def function_name(key: str, kind: str = "check") -> str:
    """The function a derivation's check (kind "check") or a figure (kind "figure") calls."""
    return f"{kind}_" + key.replace("-", "_")


def numbers_functions(path: Path) -> list[str]:
    """The numbers_ functions a checks file defines, read from its text (nothing is run here)."""
    return sorted(set(re.findall(rf"^def ({NUMBERS_PREFIX}\w+)\(", path.read_text(), flags=re.M)))


def _limit_child() -> None:  # runs in the child between fork and exec
    memory = settings.CHECK_MEMORY_BYTES
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(settings.CHECK_TIMEOUT_SECONDS) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))


@dataclass
class _ChildRun:
    report: str | None  # the report line, None when there is none
    reason: str  # why there is none
    seconds: float  # wall clock
    cpu_seconds: float | None = None  # as the child measured itself: load elsewhere does not count


def _cpu_seconds(stdout: str) -> float | None:
    lines = [line[len(CPU_PREFIX) :] for line in stdout.splitlines() if line.startswith(CPU_PREFIX)]
    try:
        return float(lines[-1]) if lines else None
    except ValueError:
        return None


def _run_child(path: Path, function: str, kind: str, prefix: str, note_text: str = "") -> _ChildRun:
    """Run one function of a checks file in a limited child process, `note_text` on its stdin."""
    started = time.monotonic()
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "notes.checking.child", str(path), function, kind],
            input=note_text,
            capture_output=True,
            text=True,
            timeout=settings.CHECK_TIMEOUT_SECONDS,
            preexec_fn=_limit_child,  # noqa: PLW1509 - no threads hold locks we need in the child
            env={
                "PATH": "/usr/bin:/bin",
                "OPENBLAS_NUM_THREADS": "1",
                "OMP_NUM_THREADS": "1",
                "PYTHONPATH": str(settings.BASE_DIR),
            },
            cwd=settings.BASE_DIR,
        )
    except subprocess.TimeoutExpired:
        return _ChildRun(None, f"timed out after {settings.CHECK_TIMEOUT_SECONDS:g} s", time.monotonic() - started)
    seconds = time.monotonic() - started
    reports = [line[len(prefix) :] for line in completed.stdout.splitlines() if line.startswith(prefix)]
    if completed.returncode == 0 and reports:
        return _ChildRun(reports[-1], "", seconds, _cpu_seconds(completed.stdout))
    tail = (completed.stderr.strip().splitlines() or [""])[-1][:300]
    if completed.returncode < 0:
        reason = f"killed by signal {-completed.returncode} (CPU or memory limit)"
    elif "MemoryError" in completed.stderr:
        reason = f"ran out of memory (limit {settings.CHECK_MEMORY_BYTES // 2**20} MiB)"
    elif completed.returncode != 0:
        reason = f"raised: {tail}" if tail else f"exited with status {completed.returncode}"
    else:
        reason = "never reported a result"
    return _ChildRun(None, reason, seconds)


def run_check(path: Path, function: str, note_text: str = "") -> Outcome:
    """Run one check function in a limited child process and judge what it reports; a
    numbers_ function is given `note_text`, the note's source, to compare against."""
    run = _run_child(path, function, "check", REPORT_PREFIX, note_text)
    if run.report is None:
        return Outcome("failed", run.reason, seconds=run.seconds)
    outcome = _judge(run.report, run.seconds)
    outcome.cpu_seconds = run.cpu_seconds
    return outcome


def _judge(report: str, seconds: float) -> Outcome:
    """The outcome a check's report line stands for."""
    try:
        data = json.loads(report)
        error, tolerance = float(data["error"]), float(data["tolerance"])
        detail = str(data.get("detail", ""))
    except (ValueError, KeyError, TypeError):
        return Outcome("failed", f"reported garbage: {report[:200]!r}", seconds=seconds)
    if detail and not error <= tolerance:  # a numbers_ comparison says which number failed
        return Outcome("failed", detail, error if math.isfinite(error) else None, tolerance, seconds)
    if not (math.isfinite(error) and math.isfinite(tolerance)) or error < 0 or tolerance < 0:
        return Outcome(
            "failed",
            f"reported a meaningless result: error {error}, tolerance {tolerance}",
            error if math.isfinite(error) else None,
            tolerance if math.isfinite(tolerance) else None,
            seconds,
        )
    if error <= tolerance:
        summary = f"error {error:.2e} ≤ tolerance {tolerance:.0e}"
        return Outcome("passed", f"{detail}: {summary}" if detail else summary, error, tolerance, seconds)
    return Outcome("failed", f"error {error:.2e} exceeds tolerance {tolerance:.0e}", error, tolerance, seconds)


@dataclass
class FigureRun:
    data: object  # what figure_<id>() returned, from JSON; None when it failed
    detail: str  # why there is no data
    seconds: float = 0.0
    cpu_seconds: float | None = None


# A figure function is deterministic (fixed seeds), so its data is kept per (file content,
# function, limits): the import's repeated checks of a batch and an editor's successive saves
# run it once. Failures are not kept: a time limit met under load may pass next time.
_figure_runs: dict[tuple, FigureRun] = {}
MAX_KEPT_FIGURES = 256


def run_figure(path: Path, function: str) -> FigureRun:
    """Run one figure function in a limited child process (the checks' limits) for its data."""
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return FigureRun(None, f"there is no checks file {path.name}")
    key = (digest, str(path), function, settings.CHECK_TIMEOUT_SECONDS, settings.CHECK_MEMORY_BYTES)
    if key in _figure_runs:
        return _figure_runs[key]
    child = _run_child(path, function, "figure", FIGURE_PREFIX)
    if child.report is None:
        return FigureRun(None, child.reason, child.seconds)
    try:
        run = FigureRun(json.loads(child.report), "", child.seconds, child.cpu_seconds)
    except ValueError:
        return FigureRun(None, f"reported garbage: {child.report[:200]!r}", child.seconds)
    if len(_figure_runs) >= MAX_KEPT_FIGURES:
        _figure_runs.clear()
    _figure_runs[key] = run
    return run
