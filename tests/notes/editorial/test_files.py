"""Notes as files: check_notes, import_notes, export_notes, rerender."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from notes.models import Note, Revision
from tests.conftest import AREAS, CORPUS, note_source


def write_corpus(folder: Path, notes: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "topics.yaml").write_text("\n".join(f"- slug: {a}\n  title: {a}" for a in AREAS))
    for slug, source in notes.items():
        (folder / f"{slug}.md").write_text(source)
    return folder


def run(command, *args):
    out, err = StringIO(), StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


BASE = note_source("Base", body="$$\na = b \\label{eq:base}\n$$\n\n## Part one")
USER = note_source("User", body="Uses [[base#eq:base]] and [[base#part-one]].", prerequisites=["base"])


# -- check_notes ------------------------------------------------------------------------------


def test_check_notes_passes_clean_files_without_the_database(tmp_path):
    # No django_db mark: any query here would raise.
    folder = write_corpus(tmp_path / "c", {"base": BASE, "user": USER})
    code, out, err = run("check_notes", str(folder))
    assert code == 0, out
    assert "2 file(s) checked, 0 error(s)" in err


def test_check_notes_reports_file_line_col_and_exits_1(tmp_path):
    bad = note_source("Bad", body="Line.\n\nSee [[nowhere]] and $\\frac{$.")
    folder = write_corpus(tmp_path / "c", {"bad": bad})
    code, out, _ = run("check_notes", str(folder))
    assert code == 1
    lines = out.strip().splitlines()
    assert lines[0].startswith(f"{folder / 'bad.md'}:9:")
    assert any("unknown link target 'nowhere'" in line for line in lines)
    assert any("math:" in line for line in lines)


def test_check_notes_warns_where_math_is_left_as_text_with_the_cause(tmp_path):
    body = "A sentence\n$$\nx = 1\n$$\n\nCosts \\$5, and $ y$ is no math, nor \\\\(z\\\\)."
    folder = write_corpus(tmp_path / "c", {"left": note_source("Left", body=body)})
    code, out, err = run("check_notes", str(folder))
    assert code == 0, out
    path = folder / "left.md"
    assert out.strip().splitlines() == [
        f"{path}:8:1: warning: a `$$` display directly after a text line is not a display: put a blank line "
        "before it (in a list item or a `>` quote too)",
        f"{path}:12:16: warning: `$ ... $` with a space just inside a dollar is not math: write `$x$`, no space "
        "inside the dollars",
        f"{path}:12:37: warning: `\\(` is shown as text: it is no math delimiter here; write `$...$` for inline math",
    ]
    assert "1 file(s) checked, 0 error(s), 3 warning(s)" in err


def test_check_notes_json(tmp_path):
    folder = write_corpus(tmp_path / "c", {"bad": note_source("Bad", body="[[nowhere]]")})
    code, out, _ = run("check_notes", "--json", str(folder))
    data = json.loads(out)
    assert code == 1 and data["errors"] == 1
    assert data["problems"][0] | {"file": "x"} == {
        "file": "x",
        "severity": "error",
        "line": 7,
        "col": 1,
        "message": "unknown link target 'nowhere' in [[nowhere]]",
    }


@pytest.mark.parametrize(
    "notes, message",
    [
        (
            {
                "a": note_source("A", prerequisites=["b"]),
                "b": note_source("B", prerequisites=["c"]),
                "c": note_source("C", prerequisites=["a"]),
            },
            "prerequisite cycle: ",
        ),
        ({"a": note_source("A", prerequisites=["ghost"])}, "unknown prerequisite 'ghost'"),
        ({"a": note_source("A", topics=["alchemy"])}, "unknown topic 'alchemy'"),
        ({"Bad_Name": note_source("A")}, "must be a slug"),
        ({"a": note_source("A", body="x" * 1_000_001)}, "the limit is 1,000,000 bytes"),
    ],
)
def test_check_notes_cross_file_errors(tmp_path, notes, message):
    folder = write_corpus(tmp_path / "c", notes)
    code, out, _ = run("check_notes", str(folder))
    assert code == 1
    assert message in out


def test_cycle_message_names_the_whole_cycle(tmp_path):
    notes = {"a": note_source("A", prerequisites=["b"]), "b": note_source("B", prerequisites=["a"])}
    folder = write_corpus(tmp_path / "c", notes)
    _, out, _ = run("check_notes", str(folder))
    assert "prerequisite cycle: a → b → a" in out or "prerequisite cycle: b → a → b" in out


def test_duplicate_slugs_across_files(tmp_path):
    folder = write_corpus(
        tmp_path / "c", {"a": note_source("A"), "b": "---\ntitle: B\nsummary: S\ntopics: [foundations]\nslug: a\n---\n"}
    )
    _, out, _ = run("check_notes", str(folder))
    assert "slug 'a' is also used by" in out


def test_file_that_is_not_utf8(tmp_path):
    folder = write_corpus(tmp_path / "c", {})
    (folder / "latin.md").write_bytes("---\ntitle: caf\xe9\n---\n".encode("latin-1"))
    _, out, _ = run("check_notes", str(folder))
    assert "not UTF-8" in out


def test_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(Exception, match="no such file or directory"):
        call_command("check_notes", str(tmp_path / "absent"))


def test_the_starter_corpus_is_clean():
    code, out, err = run("check_notes", str(CORPUS))
    assert code == 0, out
    assert " 0 warning(s)" in err, out


# -- import_notes -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_is_idempotent_and_writes_a_revision_only_on_change(tmp_path):
    folder = write_corpus(tmp_path / "c", {"base": BASE, "user": USER})
    code, out, _ = run("import_notes", str(folder))
    assert code == 0 and "2 published, 0 unchanged, 0 rejected" in out
    assert Revision.objects.count() == 2

    code, out, _ = run("import_notes", str(folder))
    assert "0 published, 2 unchanged" in out
    assert Revision.objects.count() == 2

    (folder / "user.md").write_text(USER.replace("Uses", "Now uses"))
    code, out, _ = run("import_notes", str(folder))
    assert "1 published, 1 unchanged" in out
    user = Note.objects.get(slug="user")
    assert user.live_revision.number == 2 and user.live_revision.parent.number == 1
    assert list(user.live_revision.prerequisites.values_list("prerequisite__slug", flat=True)) == ["base"]
    assert list(user.live_revision.links.values_list("target_note__slug", "anchor")) == [
        ("base", "eq:base"),
        ("base", "part-one"),
    ]


@pytest.mark.django_db
def test_a_file_with_errors_goes_nowhere_and_takes_its_dependents_with_it(tmp_path):
    broken = note_source("Base", body="$\\frac{$ \n\n$$\na \\label{eq:base}\n$$\n\n## Part one")
    folder = write_corpus(tmp_path / "c", {"base": broken, "user": USER, "alone": note_source("Alone")})
    code, out, _ = run("import_notes", str(folder))
    assert code == 1
    assert "1 published, 0 unchanged, 2 rejected" in out
    assert "base.md:7:" in out
    assert "unknown link target 'base'" in out
    assert list(Note.objects.values_list("slug", flat=True)) == ["alone"]
    assert Revision.objects.count() == 1


@pytest.mark.django_db
def test_a_broken_change_leaves_the_live_revision_alone(tmp_path):
    folder = write_corpus(tmp_path / "c", {"base": BASE})
    run("import_notes", str(folder))
    (folder / "base.md").write_text(BASE + "\n[[missing]]\n")
    code, _, _ = run("import_notes", str(folder))
    assert code == 1
    note = Note.objects.get(slug="base")
    assert note.live_revision.number == 1 and Revision.objects.count() == 1


@pytest.mark.django_db
def test_import_refuses_a_cycle_with_live_notes(tmp_path):
    folder = write_corpus(tmp_path / "c", {"base": BASE, "user": USER})
    run("import_notes", str(folder))
    (folder / "base.md").write_text(
        BASE.replace("topics: [foundations]", "topics: [foundations]\nprerequisites: [user]")
    )
    code, out, _ = run("import_notes", str(folder / "base.md"))
    assert code == 1 and "prerequisite cycle" in out
    assert Note.objects.get(slug="base").live_revision.number == 1


@pytest.mark.django_db
def test_renumbering_an_equation_refreshes_the_notes_that_cite_it(tmp_path):
    folder = write_corpus(tmp_path / "c", {"base": BASE, "user": USER})
    run("import_notes", str(folder))
    user = Note.objects.get(slug="user").live_revision
    assert " (1)</a>" in user.html  # "Base (1)": the cited note by name, then the number
    renumbered = BASE.replace("$$\na = b", "$$\nz \\label{eq:new}\n$$\n\n$$\na = b")
    (folder / "base.md").write_text(renumbered)
    code, out, _ = run("import_notes", str(folder / "base.md"))
    assert code == 0, out
    refreshed = Note.objects.get(slug="user").live_revision
    assert refreshed.pk == user.pk and refreshed.number == 1  # no new revision, same source
    assert " (2)</a>" in refreshed.html


# -- export and rerender ------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_round_trips(tmp_path):
    folder = write_corpus(tmp_path / "c", {"base": BASE, "user": USER})
    run("import_notes", str(folder))
    out_folder = tmp_path / "exported"
    code, out, _ = run("export_notes", str(out_folder))
    assert "2 note(s) written" in out
    assert (out_folder / "base.md").read_text() == BASE
    assert (out_folder / "user.md").read_text() == USER
    code, out, _ = run("import_notes", str(out_folder))
    assert code == 0 and "0 published, 2 unchanged" in out
    assert Revision.objects.count() == 2


@pytest.mark.django_db
def test_rerender_updates_outdated_revisions_only(tmp_path):
    folder = write_corpus(tmp_path / "c", {"base": BASE, "user": USER})
    run("import_notes", str(folder))
    Revision.objects.filter(note__slug="base").update(renderer_version=0, html="old")
    code, out, _ = run("rerender")
    assert "1 revision(s) re-rendered" in out
    assert "katex" in Note.objects.get(slug="base").live_revision.html
    code, out, _ = run("rerender", "--all")
    assert "2 revision(s) re-rendered" in out


@pytest.mark.django_db
def test_the_starter_corpus_imports_and_every_page_renders(client):
    code, out, _ = run("import_notes", str(CORPUS))
    assert code == 0, out
    for note in Note.objects.with_live():
        response = client.get(note.get_absolute_url())
        assert response.status_code == 200
        assert b"katex-error" not in response.content
