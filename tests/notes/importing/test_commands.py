"""import_notes --from and check_notes --from over the dialect fixtures."""

import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from notes.models import Note
from tests.conftest import AREAS

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    for path in FIXTURES.iterdir():
        if not path.name.endswith(".expected.md"):
            shutil.copy(path, folder / path.name)
    (folder / "topics.yaml").write_text("\n".join(f"- slug: {a}\n  title: {a}" for a in AREAS))
    return folder


def run(command, *args):
    out, err = StringIO(), StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_dry_run_writes_converted_files_and_report_without_the_database(tmp_path):
    # No django_db mark: any query here would raise.
    out = tmp_path / "out"
    code, stdout, _ = run(
        "import_notes", str(fixture_folder(tmp_path)), "--from", "auto", "--topic", "foundations",
        "--dry-run", "--out", str(out), "--report", str(tmp_path / "report.txt"),
    )  # fmt: skip
    assert code == 0, stdout
    written = sorted(p.name for p in out.glob("*.md"))
    assert written == [
        "attention-scores.md", "d2l-softmax.md", "gradient-descent.md",
        "jupyter-book-page.md", "momentum.md", "softmax-notes.md",
    ]  # fmt: skip
    report = (tmp_path / "report.txt").read_text()
    assert "gradient-descent.qmd -> gradient-descent.md (quarto: quarto:" in report
    assert ":14:52: left: quarto.crossref:" in report
    assert "nothing imported (--dry-run)" in stdout


@pytest.mark.django_db
def test_import_from_auto_publishes_every_fixture_and_is_idempotent(tmp_path):
    folder = fixture_folder(tmp_path)
    code, stdout, _ = run("import_notes", str(folder), "--from", "auto", "--topic", "foundations")
    assert code == 0, stdout
    assert "6 published, 0 unchanged, 0 rejected" in stdout
    assert Note.objects.filter(slug="gradient-descent", live_revision__isnull=False).exists()
    code, stdout, _ = run("import_notes", str(folder), "--from", "auto", "--topic", "foundations")
    assert "0 published, 6 unchanged, 0 rejected" in stdout


def test_check_notes_from_reads_qmd_and_reports_conversions(tmp_path):
    folder = fixture_folder(tmp_path)
    code, stdout, err = run("check_notes", str(folder), "--from", "auto", "--topic", "foundations")
    assert code == 0, stdout
    assert "6 file(s) checked, 0 error(s)" in err
    assert "gradient-descent.qmd:12:4: import: converted: label.quarto:" in stdout


def test_without_from_folders_give_md_only_as_before(tmp_path):
    code, stdout, err = run("check_notes", str(fixture_folder(tmp_path)))
    assert "4 file(s) checked" in err  # the .markdown and .qmd files are not read
    assert code == 1  # and the .md ones are not native notes
