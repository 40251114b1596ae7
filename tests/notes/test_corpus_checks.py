"""Every starter note's derivations are checked numerically (notes/corpus/<slug>.checks.py).

Each check_<derivation id>() returns (measured error, tolerance). This runs them all and
makes sure no derivation in a note is left without its check.
"""

import runpy
from pathlib import Path

import pytest

from notes.rendering import render

CORPUS = Path(__file__).resolve().parents[2] / "notes" / "corpus"
NOTES = sorted(CORPUS.glob("*.md"))
CHECKS = [
    pytest.param(path, name, id=f"{path.stem.removesuffix('.checks')}:{name}")
    for path in sorted(CORPUS.glob("*.checks.py"))
    for name in sorted(k for k in runpy.run_path(str(path)) if k.startswith("check_"))
]


@pytest.mark.parametrize("path, name", CHECKS)
def test_numerical_check_passes(path, name):
    error, tolerance = runpy.run_path(str(path))[name]()
    assert 0 <= error <= tolerance, f"{name}: error {error:.3g} exceeds tolerance {tolerance:.3g}"


@pytest.mark.parametrize("note", NOTES, ids=lambda p: p.stem)
def test_every_derivation_has_a_check(note):
    checks = CORPUS / f"{note.stem}.checks.py"
    assert checks.exists(), f"{note.name} has no {checks.name}"
    defined = {k for k in runpy.run_path(str(checks)) if k.startswith("check_")}
    keys = {d.key for d in render(note.read_text(), slug=note.stem).derivations}
    assert {f"check_{key.replace('-', '_')}" for key in keys} == defined
