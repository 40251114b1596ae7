"""Figures: `::: figure {#id}` placed, numbered and linkable; drawn from figure_<id>() in the
note's checks file, run out of process under the checks' limits; a figure that cannot be drawn
is a render error naming it, which blocks publishing; the data is stored with the revision and
a re-render or a rollback draws it again without running anything."""

import textwrap

import pytest

from notes.editorial.files import NoteFile, import_files
from notes.editorial.gates import PublishRefused
from notes.editorial.services import note_publish, note_rollback
from notes.models import Figure, Note
from notes.rendering import render
from notes.services import revision_create, revision_rerender
from tests.conftest import note_source

CHECKS = """
import time
import numpy as np

def figure_decay():
    t = np.arange(20)
    return {"title": "Geometric decay", "x": {"label": "step"}, "y": {"label": "value", "scale": "log"},
            "series": [{"label": "0.5^t", "x": t, "y": 0.5 ** t}]}

def figure_raises():
    raise ValueError("the schedule is empty")

def figure_shapeless():
    return {"title": "No axes"}

def figure_slow():
    time.sleep(30)
"""

BODY = """
As [[#decay]] shows, the value halves each step.

::: figure {#decay}
The value $0.5^t$ against the step.
:::
"""


@pytest.fixture
def checks_dir(tmp_path, settings):
    settings.CHECKS_DIR = tmp_path
    settings.CHECK_TIMEOUT_SECONDS = 3
    settings.CHECK_MEMORY_BYTES = 512 * 1024 * 1024
    (tmp_path / "fig.checks.py").write_text(CHECKS)
    return tmp_path


def figure_body(key: str, caption: str = "A caption.") -> str:
    return f"Text.\n\n::: figure {{#{key}}}\n{caption}\n:::\n"


def test_a_figure_is_drawn_numbered_captioned_and_linkable(checks_dir):
    result = render(note_source("Fig", body=BODY), slug="fig")
    assert result.errors == []
    html = result.html
    assert '<a class="xref" href="#decay" title="Fig">Figure 1</a>' in html
    assert '<figure class="figure" id="decay">' in html
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"' in html
    assert "<title>Geometric decay</title>" in html
    assert '<figcaption>\n<p><span class="figure-number">Figure 1.</span> The value <span class="katex">' in html
    assert result.anchors["decay"] == "Figure 1"
    [figure] = result.figures
    assert (figure.key, figure.number) == ("decay", 1)
    assert figure.data["series"][0]["y"][:3] == [1.0, 0.5, 0.25]


def test_figures_are_numbered_in_order_and_ids_are_checked(checks_dir):
    source = note_source(
        "Fig",
        body=figure_body("decay") + "\n::: figure {#decay}\nAgain.\n:::\n\n::: figure\nNo id.\n:::\n"
        "\n::: figure {#Bad_Id}\nBad.\n:::\n\n::: figure {#empty}\n:::\n\n::: figure {#x} Caption here\n:::\n",
    )
    messages = [p.message for p in render(source, slug="fig").errors]
    assert messages == [
        "duplicate figure id 'decay'",
        "a figure needs an id: ::: figure {#my-id}, drawn by figure_my_id() in the note's checks file",
        "figure id 'Bad_Id' must start with a letter and hold lowercase letters, digits and hyphens",
        "figure 'empty' needs a caption: a paragraph inside the block, saying what to see",
        "put the caption on the lines inside the figure block, not after its id (found 'Caption here')",
    ]


@pytest.mark.parametrize(
    "key, message",
    [
        (
            "missing",
            "figure 'missing': fig.checks.py defines no function figure_missing(); add it, returning the figure's data",
        ),
        ("raises", "figure 'raises': figure_raises() in fig.checks.py raised: ValueError: the schedule is empty"),
        ("shapeless", "figure 'shapeless': the data of figure_shapeless(): 'x' must be a dict with a 'label'"),
        ("slow", "figure 'slow': figure_slow() in fig.checks.py timed out after 3 s"),
    ],
)
def test_a_figure_that_cannot_be_drawn_is_an_error_naming_it(checks_dir, key, message):
    result = render(note_source("Fig", body=figure_body(key)), slug="fig")
    assert len(result.errors) == 1
    assert result.errors[0].message.startswith(message)
    assert result.errors[0].line == 9  # the figure's opening line
    assert "Figure 1 could not be drawn" in result.html


def test_a_note_without_a_checks_file_is_told_so(checks_dir):
    result = render(note_source("Other", body=figure_body("decay")), slug="other")
    assert [p.message for p in result.errors] == [
        "figure 'decay': there is no checks file other.checks.py to define figure_decay()"
    ]


def test_a_preview_places_figures_without_running_anything(checks_dir):
    result = render(note_source("Fig", body=figure_body("raises")), slug="fig", preview=True)
    assert result.errors == []
    assert "Figure 1 is drawn from figure_raises() when the note is saved" in result.html


@pytest.mark.django_db
def test_a_failing_figure_blocks_publishing(checks_dir, areas):
    note = Note.objects.create(slug="fig")
    revision = revision_create(note=note, source=note_source("Fig", body=figure_body("raises")))
    assert revision.figures.count() == 0
    with pytest.raises(PublishRefused) as refused:
        note_publish(revision=revision, user=None)
    assert "9:1: figure 'raises': figure_raises() in fig.checks.py raised: ValueError" in refused.value.reasons[0]
    note.refresh_from_db()
    assert note.live_revision is None


@pytest.mark.django_db
def test_an_import_rejects_a_file_whose_figure_fails(checks_dir, areas, tmp_path):
    files = [NoteFile(tmp_path / "fig.md", note_source("Fig", body=figure_body("shapeless")), "fig")]
    outcome = import_files(files)
    assert outcome.created == [] and [n.slug for n in outcome.rejected] == ["fig"]
    assert "figure 'shapeless'" in outcome.rejected[0].errors[0].message


@pytest.mark.django_db
def test_the_data_is_stored_with_the_revision_and_drawn_again_from_it(checks_dir, areas, editor):
    note = Note.objects.create(slug="fig")
    first = revision_create(note=note, source=note_source("Fig", body=BODY))
    note_publish(revision=first, user=None)
    stored = Figure.objects.get(revision=first)
    assert stored.key == "decay" and stored.data["title"] == "Geometric decay"
    # The checks file changes afterwards: a re-render of the stored revision runs nothing and
    # draws the figure as it was written.
    (checks_dir / "fig.checks.py").write_text(CHECKS.replace("def figure_decay", "def figure_gone"))
    rerendered = revision_rerender(revision=first)
    assert rerendered.errors == [] and "<title>Geometric decay</title>" in rerendered.html
    # So does a rollback to it, which writes the old data with the new revision.
    second = revision_create(note=note, source=note_source("Fig", body=BODY + "\nMore text.\n"))
    assert second.errors[0]["message"].startswith("figure 'decay': fig.checks.py defines no function figure_decay()")
    rolled = note_rollback(note=note, to_revision=first, user=editor)
    assert rolled.number == 3 and rolled.errors == [] and "<title>Geometric decay</title>" in rolled.html
    assert Figure.objects.get(revision=rolled).data == stored.data


def test_figure_code_runs_under_the_checks_limits(checks_dir):
    (checks_dir / "fig.checks.py").write_text(
        textwrap.dedent(
            """
            import numpy as np
            def figure_greedy():
                return {"n": float(np.ones(10**10).sum())}
            """
        )
    )
    [problem] = render(note_source("Fig", body=figure_body("greedy")), slug="fig").errors
    assert "ran out of memory (limit 512 MiB)" in problem.message or "killed by signal" in problem.message
