"""Rendering is bounded for every path: notes, previews, imports and readers' annotations.

Real KaTeX in real V8 throughout; where a limit is lowered, it is to reach it quickly.
"""

import re

import pytest

from notes.rendering import katex, render
from notes.rendering import untrusted as untrusted_module
from notes.rendering.untrusted import MAX_FORMULAS, render_untrusted
from tests.conftest import BOMB_MACROS, note_source


def messages(result):
    return [e.message for e in result.errors]


def test_a_spread_bomb_in_an_annotation_is_refused_before_katex_runs():
    body = (BOMB_MACROS + " " + " ".join([r"$\zd$"] * 1600))[:10_000]
    assert render_untrusted(body).errors == ["the text has 1,601 formulas; the limit is 50"]
    # Under the formula count, the expansion budget refuses it.
    few = render_untrusted(BOMB_MACROS + " " + " ".join([r"$\zd$"] * 40))
    assert (
        few.errors[0] == r"math: formula expands to more than 5,000 tokens through its macros; simplify them in $\zd$"
    )
    assert "expand to more than 20,000 tokens in all" in few.errors[-1]  # the budget of the whole text


def test_a_spread_bomb_in_a_note_is_refused_as_a_whole():
    result = render(note_source("Bomb", body=BOMB_MACROS + " " + " ".join([r"$\zd$"] * 1600)), slug="bomb")
    assert any("expand to more than 150,000 tokens in all" in m for m in messages(result))
    assert "katex" not in result.html  # past the budget nothing is typeset
    assert render(note_source("After", body="$x$"), slug="after").ok


def test_an_annotation_has_at_most_so_many_formulas():
    result = render_untrusted(" ".join(["$x$"] * (MAX_FORMULAS + 1)))
    assert result.errors == [f"the text has {MAX_FORMULAS + 1} formulas; the limit is {MAX_FORMULAS}"]
    assert render_untrusted(" ".join(["$x$"] * MAX_FORMULAS)).ok


def test_an_annotation_formula_has_at_most_a_thousand_characters():
    assert render_untrusted("$" + "x" * 1_000 + "$").ok
    assert render_untrusted("$" + "x" * 1_001 + "$").errors == ["a formula is 1,001 characters; the limit is 1,000"]


def test_an_annotation_gets_its_own_time_budget(monkeypatch):
    monkeypatch.setattr(untrusted_module, "RENDER_SECONDS", 0.001)
    result = render_untrusted(" ".join(f"$x_{{{i}}}^{{2}}$" for i in range(50)))
    # Each formula the time cut off says so, with the formula (the budget is the time limit
    # for one call, and twice that for the whole text).
    assert result.errors and all(e.startswith("math: math rendering took longer than 0.00") for e in result.errors)
    monkeypatch.undo()
    assert render_untrusted("$y$").ok  # the engine was replaced and serves


def test_an_engine_out_of_memory_is_an_error_and_is_replaced(monkeypatch):
    # A heap ceiling low enough for an ordinary large note to reach it: V8's own
    # out-of-memory, reported like any other failure, never raised to the request.
    monkeypatch.setattr(katex, "MAX_MEMORY_BYTES", 4 * 1024 * 1024)
    katex.engine_pool().retire_all()
    heavy = r"$$\begin{pmatrix}" + (r"\frac{a}{b} & " * 30 + r"c \\") * 30 + r"\end{pmatrix}$$"
    body = "\n\n".join([*(f"$x_{{{i}}}$ and $y^{{{i}}}$" for i in range(20)), heavy, "$z$ after"])
    result = render(note_source("Heavy", body=body), slug="heavy")
    # The formula that needs the memory fails, alone: the others are typeset.
    [message] = messages(result)
    assert "math rendering needed more than 4 MB" in message, message
    assert result.html.count('class="katex"') == 41
    monkeypatch.undo()
    assert render(note_source("After", body="$x$"), slug="after").ok


LENGTH = re.compile(r'[:"](-?\d+(?:\.\d+)?)em')


@pytest.mark.parametrize(
    "tex",
    [
        r"\raisebox{-99999em}{x}",
        r"\raisebox{99999em}{x}",
        r"\kern{-99999em}",
        r"\hspace{-99999em}",
        r"\hskip{-99999em}",
        r"\mkern{-99999mu}",
        r"\mskip{-99999mu}",
        r"\rule{1em}{-99999em}",
        r"\rule[-99999em]{1em}{1em}",
        r"x\\[-99999em]y",
    ],
)
def test_no_length_in_typeset_math_exceeds_the_cap_either_way(tex):
    note = render(note_source("Sizes", body=f"$${tex}$$"), slug="sizes")
    annotation = render_untrusted(f"${tex}$")
    for html in (note.html, annotation.html):
        lengths = [abs(float(v)) for v in LENGTH.findall(html)]
        assert lengths and max(lengths) <= katex.MAX_OUTPUT_EM, tex


def test_ordinary_lengths_are_left_alone():
    (out,) = katex.render_batch([(r"a\kern{-2.5em}b\raisebox{0.3em}{c}", False)])
    assert "-2.5em" in out["html"] and "0.3em" in out["html"]


@pytest.mark.parametrize("src", ["https://example.org/fig.png", "http://example.org/fig.png", "//cdn.example/fig.png"])
def test_an_image_on_another_site_is_an_error_that_says_upload_it(src):
    result = render(note_source("Figures", body=f"Text.\n\n![A figure]({src})\n"), slug="figures")
    [message] = messages(result)
    assert f"image {src!r} is on another site" in message and "upload it" in message
    assert render_untrusted(f"See ![x]({src})").errors[0].startswith("images from other sites cannot be shown here")


@pytest.mark.parametrize("src", ["/media/notes/fig.png", "fig.png", "data:image/png;base64,iVBORw0KGgo="])
def test_images_on_this_site_are_fine(src):
    assert render(note_source("Figures", body=f"![A figure]({src})\n"), slug="figures").ok


# A process of its own, so that what is measured is one fresh worker's memory and nothing the
# test session has accumulated.
MEMORY_PROBE = r"""
import django, gc, sys
django.setup()
from notes.rendering import katex
from notes.rendering.untrusted import render_untrusted
from tests.conftest import BOMB_MACROS

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

katex.render_batch([("x", False)])  # a warm engine, as a worker has after its first page
before = rss_mb()
refused = 0
for _ in range(6):
    refused += not render_untrusted(BOMB_MACROS + " " + " ".join([r"$\zd$"] * 40)).ok
gc.collect()
print(refused, before, rss_mb())
"""


def test_a_worker_refusing_bombs_stays_within_its_memory(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONPATH": str(root)}
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    refused, before, after = out.stdout.split()
    assert int(refused) == 6
    # The 2026 attack added 600 MB per bomb; refused by the expansion budget, six add almost nothing.
    assert float(after) - float(before) < 50, (before, after)


def test_a_batch_stops_typesetting_past_its_output_limit(monkeypatch):
    monkeypatch.setattr(katex, "MAX_OUTPUT_CHARS", 20_000)
    katex.engine_pool().retire_all()
    results = katex.render_batch([(rf"\frac{{a_{{{i}}}}}{{b}}", True) for i in range(100)])
    stopped = [r for r in results if "error" in r]
    assert results[0]["html"] and 0 < len(stopped) < 100
    assert stopped[0]["error"] == "the typeset math of this text is over 0.02 million characters; split it up"
    monkeypatch.undo()
    katex.engine_pool().retire_all()
    assert "error" not in katex.render_batch([("x", False)])[0]


def test_what_the_engine_returns_reaches_python_as_it_was_made():
    # The host's JSON string comes back as it is (KatexEngine._call): quotes, backslashes,
    # astral characters, a closing script tag and a line separator all survive the way out.
    text, separator = r'\text{"q" \textbackslash{} ' + "\U0001f600</script>}", "x\u2028y"
    typeset, failed = katex.render_batch([(text, False), (separator, False)])
    assert (
        '<annotation encoding="application/x-tex">\\text{&quot;q&quot; \\textbackslash{} \U0001f600&lt;/script&gt;}'
        in typeset["html"]
    )
    assert failed["error"] == "Unexpected character: '\u2028'" and failed["position"] == 1


def test_results_come_back_the_same_whether_their_html_is_packed_or_sent_as_json():
    # The host sends each HTML after a NUL (katex_host.js packed), or the whole as JSON when an
    # HTML holds a NUL itself, as \char0 makes one.
    packed = katex.render_batch([("x", False), (r"\frac{", False), ("y", True)])
    as_json = katex.render_batch([("x", False), (r"\frac{", False), ("y", True), (r"\char0 z", False)])
    assert as_json[:3] == packed
    assert "error" in packed[1] and "<" in packed[0]["html"] and "katex-display" in packed[2]["html"]
    assert "\0" in as_json[3]["html"]


def test_an_engine_result_that_is_not_the_hosts_string_is_a_failure_not_a_crash():
    pool = katex.engine_pool()
    with pytest.raises(katex.KatexFailure, match="returned int"):
        pool.submit(lambda engine: engine._call("Math.max", (1, 2), 1.0)).result()
    assert "error" not in katex.render_batch([("x", False)])[0]  # the engine was replaced and serves
