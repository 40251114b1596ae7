"""The formula cache (notes.rendering.formula_cache, notes.formula_store): each distinct formula
typeset once and kept by a key of everything that changes it; real KaTeX, a real database."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from notes.formula_store import DatabaseFormulaStore, RenderedFormula, formulas_prune
from notes.rendering import formula_cache, formula_prefill, katex, render
from notes.rendering.formula_cache import ANNOTATION_OPTIONS, NOTE_OPTIONS, Formula, NoStore, Timings
from notes.rendering.pipeline import formulas_of
from notes.rendering.untrusted import render_untrusted
from tests.conftest import note_source

pytestmark = pytest.mark.django_db

BODY = r"""
Define $\newcommand{\loss}{\mathcal{L}}\loss(\theta)$ and use it: $\loss$, $x^2$, $x^2$.

$$
\nabla \loss = \bW\T (\bp - \by) \label{eq:grad}
$$

::: derivation {#d} The step
Let $a = 1$.

1. Square it: $a^2 = 1$.
2. Again: $a^4 = 1$.

So $a^4 = a^2$.
:::
"""


@pytest.fixture
def counted(monkeypatch):
    """How many formulas the engines typeset (a count, not a time)."""
    stats = Timings()
    monkeypatch.setattr(formula_cache, "timings", stats)
    return stats


def rendered(body=BODY, slug="here"):
    return render(note_source(body=body), slug=slug)


def test_a_second_render_takes_every_formula_from_the_table_and_is_the_same(counted):
    first = rendered()
    assert first.ok, first.errors
    typeset = counted.typeset
    assert typeset == RenderedFormula.objects.count() == 8  # nine formulas; $x^2$ twice, typeset once
    second = rendered()
    assert counted.typeset == typeset  # nothing typeset again
    assert second.html == first.html and second.equations == first.equations
    previous = formula_cache.use_store(NoStore())
    try:
        assert rendered().html == first.html  # the same as without any cache
    finally:
        formula_cache.use_store(previous)


def test_editing_one_formula_typesets_only_that_one(counted):
    rendered()
    before = counted.typeset
    result = rendered(BODY.replace("$a^4 = 1$", "$a^4 = 1^4$"))
    assert result.ok and counted.typeset == before + 1


def test_editing_a_definition_retypesets_the_formulas_after_it_only(counted):
    first = rendered()
    before = counted.typeset
    edited = rendered(BODY.replace(r"\mathcal{L}}", r"\ell}"))
    assert edited.ok
    # The definition and the three formulas using \loss after it, and nothing else: a scope
    # is named by the definitions before a formula, so every formula after the definition
    # is a new key (six of them; x^2 once).
    assert counted.typeset - before == 8
    assert "mathcal" in first.html and "ℓ" in edited.html


def test_a_macro_of_one_note_never_reaches_another_through_the_cache():
    assert rendered(r"$\newcommand{\loss}{A}\loss$ then $\loss$", slug="a").ok
    other = rendered(r"$\newcommand{\loss}{B}\loss$ then $\loss$", slug="b")
    assert other.ok and ">B<" in other.html and ">A<" not in other.html
    undefined = rendered(r"Here $\loss$ is unknown.", slug="c")
    assert any("\\loss" in p.message for p in undefined.errors)


def test_katex_errors_are_cached_with_their_message_and_position(counted):
    body = r"Fine $x$ and broken $\frac{1}{$."
    first = rendered(body)
    typeset = counted.typeset
    second = rendered(body)
    assert counted.typeset == typeset
    assert [p.as_dict() for p in second.errors] == [p.as_dict() for p in first.errors]
    assert first.errors[0].formula_pos is not None
    assert RenderedFormula.objects.filter(is_error=True).count() == 1


def test_warnings_and_refused_commands_come_back_from_the_table_as_they_were_made(counted):
    body = r"Accent $é$ and a link $\href{https://example.org}{x}$."
    first = rendered(body)
    second = rendered(body)
    assert counted.typeset == 2
    assert [str(w) for w in second.warnings] == [str(w) for w in first.warnings] and first.warnings
    assert [str(e) for e in second.errors] == [str(e) for e in first.errors]
    assert any("\\href is not allowed" in e.message for e in second.errors)


def test_the_key_holds_the_options_the_macros_in_scope_and_the_mode():
    plain = [Formula("x", False)]
    assert formula_cache.formula_keys(plain) != formula_cache.formula_keys([Formula("x", True)])
    assert formula_cache.formula_keys(plain) != formula_cache.formula_keys(plain, {**NOTE_OPTIONS, "maxSize": 5})
    defined = [Formula(r"\gdef\y{z}", False, defines=True), Formula("x", False)]
    not_defining = [Formula(r"\alpha", False), Formula("x", False)]
    assert formula_cache.formula_keys(defined)[1] != formula_cache.formula_keys(plain)[0]
    assert formula_cache.formula_keys(not_defining)[1] == formula_cache.formula_keys(plain)[0]


def test_annotations_go_through_the_cache_and_share_entries_only_while_their_options_are_equal(counted):
    assert render_untrusted(r"A note on $\sum_i w_i$.").ok
    assert counted.typeset == 1 and RenderedFormula.objects.count() == 1
    assert rendered(r"Sum: $\sum_i w_i$.").ok
    assert counted.typeset == 1  # the same options: the annotation's entry serves the note
    assert ANNOTATION_OPTIONS == NOTE_OPTIONS  # the day they differ, the keys differ (above)


def test_a_definition_the_gauge_missed_is_caught_and_nothing_wrong_is_kept(counted):
    defines = Formula(r"\gdef\q{Q}\q", False, defines=False)  # a wrong guess, on purpose
    uses = Formula(r"\q", False)
    [first, second] = formula_cache.typeset([defines, uses])
    assert second.error is None and ">Q<" in second.html  # typeset in one scope, as before
    assert RenderedFormula.objects.count() == 0
    assert formula_cache.typeset([uses])[0].error is not None  # alone, \q is unknown


def test_prefill_typesets_many_notes_on_the_pool_and_renders_then_find_everything(counted):
    sources = [note_source(body=BODY), note_source(body=BODY.replace("x^2", "y^3"))]
    bars = []

    class Bar:
        def __init__(self, total):
            self.total, self.done = total, 0
            bars.append(self)

        def update(self, n):
            self.done += n

        def close(self):
            pass

    typeset = formula_prefill.prefill([formulas_of(s) for s in sources], progress=Bar)
    assert typeset == counted.typeset == bars[0].total == bars[0].done == 9  # eight, and y^3
    for source in sources:
        assert render(source, slug="here").ok
    assert counted.typeset == typeset


def test_prune_deletes_only_entries_no_render_used():
    rendered(r"Old $a + b$ and kept $c$.")
    store = DatabaseFormulaStore()
    previous = formula_cache.use_store(store)
    try:
        start = timezone.now()
        RenderedFormula.objects.update(used_at=start - timedelta(days=1))
        with store.touching():
            rendered(r"Now $c$ only.")
        assert formulas_prune(unused_since=start) == 1
        assert RenderedFormula.objects.count() == 1
    finally:
        formula_cache.use_store(previous)


# -- bad input: a hostile formula fails alone --------------------------------------------------

SLOW = r"\gdef\f{\frac{\sqrt{a}}{\sqrt{b}}\frac{\sqrt{a}}{\sqrt{b}}\frac{\sqrt{a}}{\sqrt{b}}}"
ORDINARY = [f"$x_{{{i}}} + y^{{{i}}}$" for i in range(6)]


def _hostile_note():
    # A display of 900 uses of a small macro, which the gauge lets through: about 9 MB of
    # HTML, which takes KaTeX about half a second and more, well over the limit set below,
    # while each ordinary formula takes a few milliseconds. It comes last so that the time it
    # takes when retried alone is not time the others wait for.
    return "\n\n".join([f"${SLOW}$", *ORDINARY, "$$" + r"\f" * 900 + "$$"])


def _every_engine_made():
    """Each worker of the pool holds an engine (they are made on a worker's first work): one
    piece of work per worker, each waiting until all of them run."""
    pool = katex.engine_pool()
    together = threading.Barrier(pool.size)
    for future in [pool.submit(lambda engine: together.wait(timeout=60)) for _ in range(pool.size)]:
        future.result()


# After the timeout the run is retried formula by formula within the note's time (twice the
# limit), on the engine still running, while the one that failed is replaced: a fresh engine
# loads KaTeX for a few hundred milliseconds on a loaded machine, and notes.rendering.pool
# makes it before its worker takes more work, so the retries do not wait for it.
@override_settings(KATEX_TIMEOUT_SECONDS=0.25)
def test_a_formula_that_runs_out_of_time_fails_alone_and_poisons_nothing():
    _every_engine_made()
    result = rendered(_hostile_note(), slug="hostile")
    [problem] = result.errors
    assert "math rendering took longer than 0.25 s" in problem.message
    assert problem.line == 7 + 14  # the note's own line: after the front matter, the hostile display
    assert result.html.count('class="katex"') == 1 + len(ORDINARY) + 0  # the rest typeset
    keys = formula_cache.formula_keys(formulas_of(note_source(body=_hostile_note())))
    stored = set(RenderedFormula.objects.values_list("key", flat=True))
    assert keys[-1] not in stored and set(keys[:-1]) <= stored  # the failure is not kept
    assert rendered("Next: $z$ and $\\sum_i z_i$.", slug="next").ok  # the pool serves on


def test_a_formula_that_needs_too_much_memory_fails_alone_and_poisons_nothing(monkeypatch):
    monkeypatch.setattr(katex, "MAX_MEMORY_BYTES", 4 * 1024 * 1024)
    katex.engine_pool().retire_all()
    heavy = r"$$\begin{pmatrix}" + (r"\frac{a}{b} & " * 30 + r"c \\") * 30 + r"\end{pmatrix}$$"
    runaway = r"$\def\a{\a\a}\a$"  # refused before KaTeX, like the next one
    deep = "$" + "{" * 150 + "x" + "}" * 150 + "$"
    broken = r"$\frac{1}{$"  # KaTeX's own error: kept like any verdict on a formula
    body = "\n\n".join([*ORDINARY, heavy, runaway, deep, broken, "$z$ after"])
    result = rendered(body, slug="heavy")
    messages = [p.message for p in result.errors]
    assert len(messages) == 4, messages
    heavy_ = [m for m in messages if "needed more than 4 MB" in m]
    assert len(heavy_) == 1 and result.errors[messages.index(heavy_[0])].line == 7 + 2 * len(ORDINARY)
    assert result.html.count('class="katex"') == len(ORDINARY) + 1
    monkeypatch.undo()
    katex.engine_pool().retire_all()
    again = rendered(body, slug="heavy")  # the heavy formula was not kept as a failure
    assert [p.message for p in again.errors] == [m for m in messages if m not in heavy_]
    assert rendered("Next: $z$.", slug="next").ok


@pytest.mark.django_db(transaction=True)  # two threads write the table: no test transaction holds it
@override_settings(KATEX_TIMEOUT_SECONDS=0.2)
def test_a_hostile_formula_does_not_stall_the_other_engines():
    if katex.engine_pool().size < 2:
        pytest.skip("one engine: a second note waits for it, by design")

    def render_hostile():
        try:
            render(note_source(body=_hostile_note()), slug="h")
        finally:
            connection.close()

    hostile = threading.Thread(target=render_hostile)
    hostile.start()
    try:
        assert rendered("Meanwhile $m$ and $n^2$.", slug="meanwhile").ok
    finally:
        hostile.join()


# -- the commands: check_notes, import_notes, rerender ----------------------------------------


def test_check_notes_keeps_formulas_in_its_process_and_import_fills_the_table(tmp_path):
    from tests.notes.editorial.test_files import BASE, USER, run, write_corpus

    folder = write_corpus(tmp_path / "c", {"base": BASE, "user": USER.replace("Uses", "Uses $u^2$ and")})
    code, _, err = run("check_notes", str(folder))
    assert code == 0 and RenderedFormula.objects.count() == 0
    code, out, err = run("import_notes", str(folder))
    assert code == 0, out
    assert RenderedFormula.objects.count() == 2
    assert "typesetting" not in err and "importing" not in err  # no bars when stderr is not a terminal


def test_rerender_prune_deletes_the_entries_no_revision_uses(tmp_path):
    from tests.notes.editorial.test_files import BASE, USER, run, write_corpus

    run("import_notes", str(write_corpus(tmp_path / "c", {"base": BASE, "user": USER})))
    used = set(RenderedFormula.objects.values_list("key", flat=True))
    RenderedFormula.objects.update(used_at=timezone.now() - timedelta(days=30))
    rendered("An edit nobody kept: $v^3$.")  # a preview, say, of a text never saved
    RenderedFormula.objects.create(key="0" * 64, html="old", used_at=timezone.now() - timedelta(days=30))
    code, out, _ = run("rerender", "--prune")
    assert code == 0 and "2 revision(s) re-rendered" in out and "2 unused formula(s) pruned" in out
    assert set(RenderedFormula.objects.values_list("key", flat=True)) == used  # every revision's formula kept


def test_a_preview_reads_only_the_live_notes_it_links_to(publish):
    from notes.selectors import LiveNoteIndex

    publish("near", note_source("Near", body="$$\na = b \\label{eq:ab}\n$$"))
    publish("far", note_source("Far", body="Elsewhere."))
    index = LiveNoteIndex()
    result = render(note_source(body="See [[near#eq:ab]] and [[near]]."), slug="here", index=index)
    assert result.ok, result.errors
    assert "Near (1)" in result.html
    assert set(index._some) == {"near"} and index._all is None  # "far" was never read


def test_a_forked_child_typesets_on_a_pool_of_its_own():
    import os

    assert formula_cache.typeset([Formula("x^2", False)])[0].error is None  # the parent's pool is running
    pid = os.fork()
    if pid == 0:  # the child: threads and V8 contexts of the parent are not its own
        code = 1
        try:
            formula_cache.use_store(NoStore())  # the parent's database connection is not the child's either
            outputs = formula_cache.typeset([Formula(f"z_{{{i}}}", False) for i in range(40)])
            code = 0 if all(o.error is None for o in outputs) and katex.engine_pool().pid == os.getpid() else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert formula_cache.typeset([Formula("w", False)])[0].error is None  # and the parent's still serves


def test_a_preview_render_has_the_page_and_every_problem_of_a_full_one():
    source = note_source(body=BODY + "\n\nBroken $\\frac{1}{$ and [[nowhere]].\n\n# A heading one")
    full, preview = render(source, slug="here"), render(source, slug="here", preview=True)
    assert preview.html == full.html and preview.anchors == full.anchors
    assert preview.errors == full.errors and preview.warnings == full.warnings and len(full.errors) == 2
    assert full.derivations and full.search_text and not preview.derivations and not preview.search_text


def test_the_engine_says_which_formulas_changed_the_macros_each_against_the_macros_before_it():
    group = [
        ("x", False, True),
        (r"\gdef\a{1}\a", False, True),  # defines
        ("y", False, True),
        (r"\gdef\a{1}", False, True),  # defines again (a new meaning, equal or not)
        (r"\gdef\b{2}", False, False),  # only parsed: its definition is not this output's
        (r"\b", False, True),
        (r"\frac{", False, True),  # KaTeX's error, nothing defined
        (r"\gdef\c{3}\frac{", False, True),  # defines, then fails
        (r"\c + \textcolor{red}{z}", False, True),  # a colour is not a macro left behind
    ]
    outputs = katex.engine_pool().submit(lambda engine: engine.render_groups([group], 10, NOTE_OPTIONS)).result()
    assert [out["defines"] for out in outputs] == [False, True, False, True, False, False, True, False]
    assert "error" in outputs[5] and "error" in outputs[6] and "html" in outputs[7]
