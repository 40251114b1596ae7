"""The memo of formula cache entries in front of the table (notes.rendering.formula_memo,
notes.formula_store): known formulas read nothing, the table's pruning and `touching` still
see every key, and what it serves is what the table would; real KaTeX, a real database."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from notes.formula_store import DatabaseFormulaStore, RenderedFormula, formulas_forget, formulas_prune
from notes.rendering import formula_cache, render
from notes.rendering.formula_cache import Formula, Timings, Typeset
from notes.rendering.formula_memo import FormulaMemo, entry_size
from notes.rendering.pipeline import formulas_of
from tests.conftest import note_source

pytestmark = pytest.mark.django_db

BODY = r"""
Define $\newcommand{\loss}{\mathcal{L}}\loss(\theta)$ and use it: $\loss$ and $x^2$.

$$
\nabla \loss = \bW\T (\bp - \by) \label{eq:grad}
$$

Broken: $\frac{1}{$.
"""


@pytest.fixture
def counted(monkeypatch):
    stats = Timings()
    monkeypatch.setattr(formula_cache, "timings", stats)
    return stats


def rendered(body=BODY, slug="here", **kwargs):
    return render(note_source(body=body), slug=slug, **kwargs)


def test_the_memo_keeps_the_most_recently_used_entries_within_its_budget():
    entries = {str(i): Typeset(html="x" * 1000) for i in range(5)}
    size = entry_size("0", entries["0"])
    memo = FormulaMemo(budget=3 * size)
    memo.put_many({key: entries[key] for key in "012"})
    assert memo.get_many(["0"]) == {"0": entries["0"]}  # 0 is now the most recent
    memo.put_many({"3": entries["3"]})
    assert set(memo.get_many(list("0123"))) == {"0", "2", "3"}  # 1, least recently used, went
    assert memo.size == 3 * size <= memo.budget
    memo.put_many({"big": Typeset(html="x" * 10 * size)})  # larger than the whole budget: not kept
    assert len(memo) == 3 and memo.size == 3 * size
    memo.clear()
    assert len(memo) == 0 and memo.size == 0


def test_a_second_render_reads_no_formula_from_the_table_and_is_the_same(counted, django_assert_num_queries):
    first = rendered()
    typeset = counted.typeset
    with django_assert_num_queries(0):
        second = rendered()
        preview = rendered(preview=True)
    assert counted.typeset == typeset
    assert second.html == first.html == preview.html
    assert [p.as_dict() for p in second.errors] == [p.as_dict() for p in first.errors]  # KaTeX's verdict, kept
    assert second.errors[0].formula_pos is not None


def test_with_the_memo_emptied_the_table_serves_the_same_entries(counted, django_assert_num_queries):
    first = rendered()
    typeset = counted.typeset
    formulas_forget()
    with django_assert_num_queries(1):  # one read of the table for all of them
        second = rendered()
    assert counted.typeset == typeset and second.html == first.html


@override_settings(FORMULA_MEMO_BYTES=0)
def test_a_memo_with_no_room_keeps_nothing_and_the_table_serves(counted, django_assert_num_queries):
    import notes.formula_store as store

    previous, store._memo = store._memo, None
    try:
        DatabaseFormulaStore()  # makes the process's memo with the settings' budget
        first = rendered()
        with django_assert_num_queries(1):
            assert rendered().html == first.html
    finally:
        store._memo = previous


def test_touching_reads_every_key_from_the_table_though_the_memo_has_them():
    store = DatabaseFormulaStore()
    previous = formula_cache.use_store(store)
    try:
        start = timezone.now()
        assert rendered("Kept: $a^2$.").errors == []
        assert rendered("Gone: $b^3$.", slug="gone").errors == []
        RenderedFormula.objects.update(used_at=start - timedelta(days=1))
        with store.touching():  # as `rerender --prune`: the memo holds both, only one is used
            rendered("Kept: $a^2$.")
        assert formulas_prune(unused_since=start) == 1
        assert RenderedFormula.objects.count() == 1
    finally:
        formula_cache.use_store(previous)


def test_a_pruned_entry_is_typeset_and_written_again_not_served_from_memory(counted):
    rendered("Only $c^5$.")
    RenderedFormula.objects.update(used_at=timezone.now() - timedelta(days=1))
    assert formulas_prune(unused_since=timezone.now()) == 1
    before = counted.typeset
    assert rendered("Only $c^5$.").ok
    assert counted.typeset == before + 1 and RenderedFormula.objects.count() == 1


def test_an_engine_failure_is_not_kept_in_memory_either():
    formula = [Formula(r"\sum_i x_i", True)]
    [key] = formula_cache.formula_keys(formula)
    with override_settings(KATEX_TIMEOUT_SECONDS=0.000001):
        [out] = formula_cache.typeset(formula)
    assert out.failure and not out.cacheable
    [again] = formula_cache.typeset(formula)  # typeset now, with the time it needs
    assert again.error is None and "katex" in again.html
    assert RenderedFormula.objects.filter(key=key).exists()


def test_a_formula_known_to_the_memo_keeps_its_place_in_the_notes_macros(counted):
    # The key names the macros in scope: the same text under another definition is another entry.
    assert ">A<" in rendered(r"$\newcommand{\q}{A}$ then $\q$", slug="a").html
    html = rendered(r"$\newcommand{\q}{B}$ then $\q$", slug="b").html
    assert ">B<" in html and ">A<" not in html
    keys = formula_cache.formula_keys(formulas_of(note_source(body=r"$\newcommand{\q}{B}$ then $\q$")))
    assert len(set(keys)) == 2
