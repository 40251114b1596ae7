"""Every starter note's derivations are checked numerically (notes/corpus/<slug>.checks.py).

Each check_<derivation id>() returns (measured error, tolerance). This runs them all through
the same out-of-process runner, with the same limits, as `manage.py check_derivations`, and
makes sure no derivation in a note is left without its check.
"""

import runpy

import pytest
from django.conf import settings

from notes.checking.runner import run_check
from notes.rendering import render
from tests.conftest import CORPUS

NOTES = sorted(CORPUS.glob("*.md"))
CHECKS = [
    pytest.param(path, name, id=f"{path.stem.removesuffix('.checks')}:{name}")
    for path in sorted(CORPUS.glob("*.checks.py"))
    for name in sorted(k for k in runpy.run_path(str(path)) if k.startswith("check_"))
]


# A check never touches the database, so CI's second pass (PostgreSQL) does not repeat them.
on_sqlite_only = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="numerical checks use no database; they run in the SQLite pass",
)


@on_sqlite_only
@pytest.mark.parametrize("path, name", CHECKS)
def test_numerical_check_passes(path, name):
    outcome = run_check(path, name)
    assert outcome.status == "passed", f"{name}: {outcome.detail}"
    # Headroom: a check near its limit fails now and then on a loaded machine (CI runs two
    # workers on two cores), so each must finish within a third of it.
    assert outcome.seconds < settings.CHECK_TIMEOUT_SECONDS / 3, (
        f"{name} took {outcome.seconds:.1f} s, over a third of its {settings.CHECK_TIMEOUT_SECONDS:g} s limit"
    )


@pytest.mark.parametrize("note", NOTES, ids=lambda p: p.stem)
def test_every_derivation_has_a_check(note):
    checks = CORPUS / f"{note.stem}.checks.py"
    assert checks.exists(), f"{note.name} has no {checks.name}"
    defined = {k for k in runpy.run_path(str(checks)) if k.startswith("check_")}
    keys = {d.key for d in render(note.read_text(), slug=note.stem).derivations}
    assert {f"check_{key.replace('-', '_')}" for key in keys} == defined
