"""Every starter note's derivations are checked numerically (notes/corpus/<slug>.checks.py).

Each check_<derivation id>() returns (measured error, tolerance); each numbers_<name>() returns
numbers the note quotes, which the runner compares with the note's text. This runs them all
through the same out-of-process runner, with the same limits, as `manage.py check_derivations`,
and makes sure no derivation in a note is left without its check and no function of a checks
file is left unrun.
"""

import ast
import runpy

import pytest
from django.conf import settings

from notes.checking.runner import numbers_functions, run_check
from notes.rendering import render
from tests.conftest import CORPUS, on_sqlite_only

NOTES = sorted(CORPUS.glob("*.md"))
CHECKS = [
    pytest.param(path, name, id=f"{path.stem.removesuffix('.checks')}:{name}")
    for path in sorted(CORPUS.glob("*.checks.py"))
    for name in sorted(k for k in runpy.run_path(str(path)) if k.startswith("check_"))
]
NUMBERS = [
    pytest.param(path, name, id=f"{path.stem.removesuffix('.checks')}:{name}")
    for path in sorted(CORPUS.glob("*.checks.py"))
    for name in numbers_functions(path)
]


@on_sqlite_only
@pytest.mark.parametrize("path, name", CHECKS)
def test_numerical_check_passes(path, name):
    outcome = run_check(path, name)
    assert outcome.status == "passed", f"{name}: {outcome.detail}"
    _assert_headroom(name, outcome.cpu_seconds)


def _assert_headroom(name, cpu_seconds):
    """A check near its limit fails now and then on a loaded machine (CI runs two workers on two
    cores), so each must use within a third of it. Judged on the CPU time the child reports,
    which the load of other processes does not inflate (its wall time does)."""
    assert cpu_seconds is not None, f"{name} did not report its CPU time"
    assert cpu_seconds < settings.CHECK_TIMEOUT_SECONDS / 3, (
        f"{name} used {cpu_seconds:.1f} s of CPU, over a third of its {settings.CHECK_TIMEOUT_SECONDS:g} s limit"
    )


@pytest.mark.parametrize("note", NOTES, ids=lambda p: p.stem)
def test_every_derivation_has_a_check(note):
    checks = CORPUS / f"{note.stem}.checks.py"
    assert checks.exists(), f"{note.name} has no {checks.name}"
    defined = {k for k in runpy.run_path(str(checks)) if k.startswith("check_")}
    keys = {d.key for d in render(note.read_text(), slug=note.stem).derivations}
    assert {f"check_{key.replace('-', '_')}" for key in keys} == defined


@on_sqlite_only
@pytest.mark.parametrize("path, name", NUMBERS)
def test_quoted_numbers_agree_with_the_note(path, name):
    note = CORPUS / f"{path.name.removesuffix('.checks.py')}.md"
    outcome = run_check(path, name, note_text=note.read_text())
    assert outcome.status == "passed", f"{name}: {outcome.detail}"
    _assert_headroom(name, outcome.cpu_seconds)


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.checks.py")), ids=lambda p: p.name)
def test_every_function_of_a_checks_file_is_run(path):
    """A function that is neither a check_, a numbers_ nor a figure_ function (the figures are
    drawn by tests/notes/rendering/test_corpus_figures.py), nor called by one (directly or
    through others), is never run, so a wrong number in it can never fail."""
    tree = ast.parse(path.read_text())
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    run = {name for name in functions if name.startswith(("check_", "numbers_", "figure_"))}
    frontier = list(run)
    while frontier:
        for node in ast.walk(functions[frontier.pop()]):
            if isinstance(node, ast.Name) and node.id in functions and node.id not in run:
                run.add(node.id)
                frontier.append(node.id)
    never = sorted(set(functions) - run)
    assert not never, f"{path.name}: never run: {', '.join(never)}"
