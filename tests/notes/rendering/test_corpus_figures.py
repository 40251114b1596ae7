"""The starter notes' figures: every figure_<id>() of a checks file is placed in its note and
every figure block of a note is drawn, through the same out-of-process runner and limits as
the numerical checks, within a third of the time limit; there are at least twelve."""

import re
import runpy

import pytest
from django.conf import settings

from notes.checking.runner import function_name, run_figure
from notes.rendering import outline, render
from notes.rendering.chart_data import chart_from_data
from notes.rendering.links import MappingIndex
from tests.conftest import CORPUS, on_sqlite_only

NOTES = sorted(CORPUS.glob("*.md"))
FIGURES = [
    pytest.param(path, name, id=f"{path.stem.removesuffix('.checks')}:{name}")
    for path in sorted(CORPUS.glob("*.checks.py"))
    for name in sorted(k for k in runpy.run_path(str(path)) if k.startswith("figure_"))
]


@pytest.fixture(scope="module")
def corpus_index():
    """The notes link to each other: they render against an index of the whole corpus."""
    index = MappingIndex()
    for path in NOTES:
        index.add(outline(path.read_text(), slug=path.stem))
    return index


def test_the_corpus_has_at_least_twelve_figures():
    assert len(FIGURES) >= 12


@on_sqlite_only
@pytest.mark.parametrize("path, name", FIGURES)
def test_each_figure_function_gives_valid_data_in_time(path, name):
    run = run_figure(path, name)
    assert run.data is not None, f"{name}: {run.detail}"
    chart_from_data(run.data)  # raises with the field at fault
    # CPU time as the child reports it: the wall time also counts other processes' load
    assert run.cpu_seconds is not None, f"{name} did not report its CPU time"
    assert run.cpu_seconds < settings.CHECK_TIMEOUT_SECONDS / 3, f"{name} used {run.cpu_seconds:.1f} s of CPU"


@on_sqlite_only
@pytest.mark.parametrize("note", NOTES, ids=lambda p: p.stem)
def test_every_figure_of_a_note_is_drawn_and_every_figure_function_placed(note, corpus_index):
    source = note.read_text()
    result = render(source, slug=note.stem, index=corpus_index)
    assert result.errors == []
    defined = {k for k in runpy.run_path(str(CORPUS / f"{note.stem}.checks.py")) if k.startswith("figure_")}
    assert {function_name(f.key, "figure") for f in result.figures} == defined
    for figure in result.figures:
        assert f'<figure class="figure" id="{figure.key}">' in result.html
        # The text refers to each figure, not only its caption.
        assert re.search(rf"\[\[#{figure.key}\]\]", source), f"no sentence of {note.stem} refers to #{figure.key}"
