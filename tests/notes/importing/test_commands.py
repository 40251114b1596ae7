"""import_notes --from and check_notes --from over the dialect fixtures."""

import re
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from notes.models import Note
from tests.conftest import AREAS, note_source
from tests.notes.editorial.test_files import run

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    for path in FIXTURES.iterdir():
        if not path.name.endswith(".expected.md"):
            shutil.copy(path, folder / path.name)
    (folder / "topics.yaml").write_text("\n".join(f"- slug: {a}\n  title: {a}" for a in AREAS))
    return folder


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
        "attention-scores.md", "d2l-softmax.md", "gradient-descent.md", "jupyter-book-page.md",
        "linear-regression.md", "momentum.md", "softmax-notes.md", "softmax-regression.md",
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
    assert "8 published, 0 unchanged, 0 rejected" in stdout
    assert Note.objects.filter(slug="gradient-descent", live_revision__isnull=False).exists()
    code, stdout, _ = run("import_notes", str(folder), "--from", "auto", "--topic", "foundations")
    assert "0 published, 8 unchanged, 0 rejected" in stdout


def test_check_notes_from_reads_qmd_and_reports_conversions(tmp_path):
    folder = fixture_folder(tmp_path)
    code, stdout, err = run("check_notes", str(folder), "--from", "auto", "--topic", "foundations")
    assert code == 0, stdout
    assert "8 file(s) checked, 0 error(s)" in err
    assert "gradient-descent.qmd:12:4: import: converted: label.quarto:" in stdout


def test_without_from_folders_give_md_only_as_before(tmp_path):
    code, stdout, err = run("check_notes", str(fixture_folder(tmp_path)))
    assert "5 file(s) checked" in err  # the .markdown, .qmd and .ipynb files are not read
    assert code == 1  # and the .md ones are not native notes


SITE = Path(__file__).parent / "site"


@pytest.mark.django_db
def test_wikilinks_resolve_to_the_batch_and_the_live_notes_or_become_text(tmp_path, publish):
    source = note_source("Variance", body="Spread.").replace("topics:", "aliases: [spread]\ntopics:")
    publish("variance", source)
    folder = fixture_folder(tmp_path)
    code, stdout, _ = run(
        "import_notes", str(folder), "--from", "auto", "--topic", "foundations", "--report", str(tmp_path / "r.txt")
    )
    assert code == 0, stdout
    attention = Note.objects.get(slug="attention-scores").live_revision.source
    assert "See [[softmax-regression]] and [[variance|the variance note]]." in attention
    softmax = Note.objects.get(slug="softmax-regression").live_revision.source
    assert "the [[attention-scores|attention scores]] use it, as\n[[attention-scores]] explains" in softmax
    assert "and Missing Note is not here yet." in softmax
    report = (tmp_path / "r.txt").read_text()
    assert "Softmax Regression.md:6:36: left: obsidian.wikilink: link to 'Missing Note': no note of that name" in report
    assert "link to 'Variance' -> [[variance|the variance note]]" in report


def test_the_report_lists_every_formula_left_untypeset(tmp_path):
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "broken.md").write_text(
        "# Broken\n\nText line\n$$ x $$ and a lone $ sign.\n\nBad $\\frac{1}{$ here, and $\\undefinedmacro + 1$.\n"
    )
    out = tmp_path / "out"
    code, stdout, _ = run("import_notes", str(folder), "--from", "auto", "--topic", "foundations", "--dry-run",
                          "--out", str(out))  # fmt: skip
    assert code == 0, stdout
    report = (out / "import-report.txt").read_text().splitlines()
    untypeset = [line for line in report if ": untypeset: " in line]
    assert untypeset == [
        "broken.md:7:16: untypeset: `$ sign.`: left as text: a lone `$` is shown as a dollar sign: inline math "
        "opens and closes within one paragraph (a blank line ends it); write `\\$` for a dollar sign",
        "broken.md:9:15: untypeset: `$\\frac{1}{$`: Unexpected end of input in a macro argument, expected '}' "
        "(at position 9 in the formula, near '\\\\frac{1}{')",
        "broken.md:9:28: untypeset: `$\\undefinedmacro + 1$`: Undefined control sequence: \\undefinedmacro (at "
        "position 0 in the formula, near '\\\\undefinedmacro')",
    ]
    assert "3 formula(s) left untypeset" in stdout


@pytest.mark.parametrize("macros", ["preamble.tex", "mathjax.json", "katex.json"])
def test_macros_files_reach_the_notes_that_use_them(tmp_path, macros):
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "risk.md").write_text("# Risk\n\nThe loss $\\loss(w)$ on $\\R^d$.\n")
    out = tmp_path / "out"
    code, stdout, _ = run("import_notes", str(folder), "--from", "auto", "--topic", "foundations", "--dry-run",
                          "--out", str(out), "--macros", str(SITE / macros))  # fmt: skip
    assert code == 0, stdout
    converted = (out / "risk.md").read_text()
    report = (out / "import-report.txt").read_text()
    if macros == "mathjax.json":  # no \loss there: the formula stays, and is reported untypeset
        assert "The loss $\\loss(w)$ on $\\R^d$." in converted
        assert "Undefined control sequence: \\loss" in report
        return
    assert "The loss $\\newcommand{\\loss}{\\mathcal{L}}\\loss(w)$ on $\\R^d$." in converted
    assert "converted: macros.added: macros from --macros defined here: \\loss" in report
    assert "converted: macros.site: \\R: the site defines them alike, not repeated" in report
    assert ": untypeset: " not in report


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON: Expecting property name enclosed in double quotes (line 1, column 2)"),
        ("% nothing here\n", "no \\newcommand, \\renewcommand, \\def or \\DeclareMathOperator found"),
        ("[1, 2]", "no \\newcommand, \\renewcommand, \\def or \\DeclareMathOperator found"),
    ],
)
def test_an_unreadable_macros_file_is_refused_with_what_to_fix(tmp_path, content, message):
    bad = tmp_path / "macros.txt"
    bad.write_text(content)
    with pytest.raises(CommandError, match=re.escape(f"{bad}: {message}")):
        call_command("check_notes", str(FIXTURES / "momentum.md"), "--from", "auto", "--macros", str(bad))


def test_check_notes_from_with_macros_warns_where_a_site_macro_is_overridden(tmp_path):
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "kl.md").write_text("# KL\n\nThe divergence $\\KL(p, q)$ is not symmetric.\n")
    code, stdout, err = run(
        "check_notes", str(folder), "--from", "auto", "--topic", "foundations", "--macros", str(SITE / "preamble.tex")
    )
    assert code == 0, stdout
    assert "kl.md:6:17: warning: math: \\KL is a site macro; this note's definition overrides it here" in stdout
    assert "import: left: macros.override: \\KL differs from the site's \\KL" in stdout
