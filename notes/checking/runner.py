"""Numerical checks of derivations, run out of process.

A note's checks live beside it as `<slug>.checks.py` in CHECKS_DIR: plain numpy, one function
`check_<derivation id with - as _>()` per derivation, returning (measured error, tolerance), and
any number of `numbers_<name>()` functions, each returning the numbers the note quotes keyed by
an excerpt of the note's text with `{}` where each number stands. The runner hands the note's
source to those and compares every quoted number with the computed one, within half a unit in
the last digit the note prints (notes/checking/quoted.py has the rules); a number that differs,
or an excerpt no longer in the note, fails with a message naming the number, the note's value
and the computed value. So a change on either side, the note's or the code's, fails.

Each check runs in its own Python process (`python -m notes.checking.child FILE FUNCTION`) with
a wall-clock timeout, a CPU-time limit and an address-space limit, and without Django: a
check can neither reach the database nor take the site down. Whatever happens (an
exception, a timeout, a memory blow-up, garbage on stdout, no report at all) is recorded as
a failure with its reason, and the run goes on with the next check.
"""

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

from notes.checking.child import REPORT_PREFIX
from notes.checking.quoted import NUMBERS_PREFIX


@dataclass
class Outcome:
    status: str  # a CheckResult.Status value
    detail: str
    error: float | None = None
    tolerance: float | None = None
    seconds: float = 0.0


def checks_file(slug: str) -> Path:
    return Path(settings.CHECKS_DIR) / f"{slug}.checks.py"


def function_name(key: str) -> str:
    return "check_" + key.replace("-", "_")


def numbers_functions(path: Path) -> list[str]:
    """The numbers_ functions a checks file defines, read from its text (nothing is run here)."""
    return sorted(set(re.findall(rf"^def ({NUMBERS_PREFIX}\w+)\(", path.read_text(), flags=re.M)))


def _limit_child() -> None:  # runs in the child between fork and exec
    memory = settings.CHECK_MEMORY_BYTES
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(settings.CHECK_TIMEOUT_SECONDS) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))


def run_check(path: Path, function: str, note_text: str = "") -> Outcome:
    """Run one check function in a limited child process and judge what it reports; a
    numbers_ function is given `note_text`, the note's source, to compare against."""
    started = time.monotonic()
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "notes.checking.child", str(path), function],
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
        return Outcome(
            "failed", f"timed out after {settings.CHECK_TIMEOUT_SECONDS:g} s", seconds=time.monotonic() - started
        )
    seconds = time.monotonic() - started
    reports = [line[len(REPORT_PREFIX) :] for line in completed.stdout.splitlines() if line.startswith(REPORT_PREFIX)]
    if completed.returncode != 0 or not reports:
        tail = (completed.stderr.strip().splitlines() or [""])[-1][:300]
        if completed.returncode < 0:
            reason = f"killed by signal {-completed.returncode} (CPU or memory limit)"
        elif "MemoryError" in completed.stderr:
            reason = f"ran out of memory (limit {settings.CHECK_MEMORY_BYTES // 2**20} MiB)"
        elif completed.returncode != 0:
            reason = f"raised: {tail}" if tail else f"exited with status {completed.returncode}"
        else:
            reason = "never reported a result"
        return Outcome("failed", reason, seconds=seconds)
    try:
        data = json.loads(reports[-1])
        error, tolerance = float(data["error"]), float(data["tolerance"])
        detail = str(data.get("detail", ""))
    except (ValueError, KeyError, TypeError):
        return Outcome("failed", f"reported garbage: {reports[-1][:200]!r}", seconds=seconds)
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
