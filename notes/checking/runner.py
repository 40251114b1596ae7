"""Numerical checks of derivations, run out of process.

A note's checks live beside it as `<slug>.checks.py` in CHECKS_DIR: plain numpy, one function
`check_<derivation id with - as _>()` per derivation, returning (measured error, tolerance).

Each check runs in its own Python process (`python -m notes.check_child FILE FUNCTION`) with
a wall-clock timeout, a CPU-time limit and an address-space limit, and without Django: a
check can neither reach the database nor take the site down. Whatever happens (an
exception, a timeout, a memory blow-up, garbage on stdout, no report at all) is recorded as
a failure with its reason, and the run goes on with the next check.
"""

import json
import math
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from notes.checking.child import REPORT_PREFIX
from notes.models import CheckResult, Derivation, Note


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


def _limit_child() -> None:  # runs in the child between fork and exec
    memory = settings.CHECK_MEMORY_BYTES
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(settings.CHECK_TIMEOUT_SECONDS) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))


def run_check(path: Path, function: str) -> Outcome:
    """Run one check function in a limited child process and judge what it reports."""
    started = time.monotonic()
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "notes.checking.child", str(path), function],
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
    except (ValueError, KeyError, TypeError):
        return Outcome("failed", f"reported garbage: {reports[-1][:200]!r}", seconds=seconds)
    if not (math.isfinite(error) and math.isfinite(tolerance)) or error < 0 or tolerance < 0:
        return Outcome(
            "failed",
            f"reported a meaningless result: error {error}, tolerance {tolerance}",
            error if math.isfinite(error) else None,
            tolerance if math.isfinite(tolerance) else None,
            seconds,
        )
    if error <= tolerance:
        return Outcome("passed", f"error {error:.2e} ≤ tolerance {tolerance:.0e}", error, tolerance, seconds)
    return Outcome("failed", f"error {error:.2e} exceeds tolerance {tolerance:.0e}", error, tolerance, seconds)


def check_note(note: Note, *, progress=None, only_unchecked: bool = False) -> list[tuple[Derivation, Outcome]]:
    """Run the checks of the note's live and latest revisions and store each outcome.

    An outcome is stored per (revision, derivation id, fingerprint): re-rendering a revision
    keeps it, and a changed derivation is checked anew.
    """
    path = checks_file(note.slug)
    revisions = {note.live_revision_id, note.latest_revision_id} - {None}
    derivations = Derivation.objects.filter(revision_id__in=revisions)
    if only_unchecked:
        done = CheckResult.objects.filter(
            revision_id=OuterRef("revision_id"), derivation_key=OuterRef("key"), fingerprint=OuterRef("fingerprint")
        )
        derivations = derivations.exclude(Exists(done))
    derivations = list(derivations.select_related("revision__note").order_by("revision_id", "position"))
    results = []
    cache: dict[tuple[str, str], Outcome] = {}  # the same derivation content in two revisions runs once
    for derivation in derivations:
        if not path.exists():
            outcome = Outcome("", f"no checks file {path.name}")
        else:
            key = (derivation.key, derivation.fingerprint)
            if key not in cache:
                cache[key] = run_check(path, function_name(derivation.key))
            outcome = cache[key]
        CheckResult.objects.update_or_create(
            revision_id=derivation.revision_id,
            derivation_key=derivation.key,
            fingerprint=derivation.fingerprint,
            defaults={
                "status": outcome.status,
                "detail": outcome.detail[:500],
                "error": outcome.error,
                "tolerance": outcome.tolerance,
                "seconds": round(outcome.seconds, 3),
                "checked_at": timezone.now(),
            },
        )
        results.append((derivation, outcome))
        if progress:
            progress(derivation, outcome)
    return results
