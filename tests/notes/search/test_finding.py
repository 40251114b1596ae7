"""Search finds what a reader means (issue 16), on whichever engine the suite runs on: words as
typed (the last one unfinished), misspellings corrected, aliases, and results that land on the
section, derivation or equation that matched."""

import pytest
from django.urls import reverse

from notes.models import SearchTerm
from notes.search.query import parse_query
from notes.search.selectors import search
from notes.search.services import search_terms_rebuild
from tests.conftest import note_source

pytestmark = pytest.mark.django_db

SEARCH = reverse("notes:search")
SEARCH_JSON = reverse("notes:search_json")

BODY = r"""
An opening paragraph about networks in general.

## Scaled attention

Attention weights come from a softmax over scores, divided by the square root of the width.

::: derivation {#variance-of-scores} Variance of the scores
Let the queries and keys have independent unit-variance entries.

1. Each product $q_i k_i$ has variance one.
2. The sum of $d$ of them has variance $d$.

So dividing by $\sqrt{d}$ restores unit variance.
:::

## Normalization of the weights

$$
\softmax(\bz)_i = \frac{e^{z_i}}{\sum_j e^{z_j}} \label{eq:softmax-definition}
$$

Each row of weights sums to one.
"""


@pytest.fixture
def notes(publish):
    publish(
        "attention",
        note_source("Attention", body=BODY).replace("summary:", "aliases: [SDPA, dot-product attention]\nsummary:", 1),
    )
    publish("entropy", note_source("Entropy", body="## Definition\n\nEntropy measures surprise, in nats or bits.\n"))
    publish(
        "backprop",
        note_source("Reverse-mode automatic differentiation", body="## Sweeps\n\nOne backward sweep.\n").replace(
            "summary:", "aliases: [backprop, backpropagation]\nsummary:", 1
        ),
    )


def test_the_last_word_may_be_unfinished(notes):
    assert [h.slug for h in search("attent").hits] == ["attention"]
    assert [h.slug for h in search("normaliz").hits] == ["attention"]  # normalization, whose stem is normal
    assert [h.slug for h in search("entro").hits] == ["entropy"]
    assert search("entropy surpr").hits[0].slug == "entropy"


def test_a_misspelt_query_that_finds_nothing_is_corrected(notes):
    results = search("entorpy")
    assert results.corrected_from == "entorpy" and results.query == "entropy"
    assert [h.slug for h in results.hits] == ["entropy"]
    results = search("softmx weights")
    assert results.corrected_from == "softmx weights" and results.query == "softmax weights"
    assert results.hits[0].slug == "attention"


def test_a_misspelling_that_still_finds_something_gets_a_suggestion(notes):
    results = search("sweep OR entorpy")  # found through the other word
    assert [h.slug for h in results.hits] == ["backprop"]
    assert results.suggestion == "sweep OR entropy" and not results.corrected_from


def test_a_word_the_notes_use_is_never_corrected(publish, notes):
    publish("typo", note_source("A note that misspells", body="Who wrote entorpy here?"))
    results = search("entorpy")
    assert [h.slug for h in results.hits] == ["typo"]
    assert not results.suggestion and not results.corrected_from


def test_nothing_close_is_nothing_found(notes):
    results = search("zyzzyva")
    assert results.hits == [] and not results.corrected_from and not results.suggestion


def test_aliases_are_found_with_the_titles_weight_and_shown(publish, notes):
    publish("mentions", note_source("Chain rule", summary="Backprop is mentioned in this summary.", body="Backprop."))
    hits = search("backprop").hits
    assert [h.slug for h in hits] == ["backprop", "mentions"]
    assert hits[0].title_match and hits[0].alias == "backprop"
    assert hits[0].anchor == ""  # the note as a whole is the answer
    assert search("sdpa").hits[0].alias == "SDPA"


@pytest.mark.parametrize(
    "query, anchor, kind",
    [
        ("square root width", "scaled-attention", "section"),
        ("unit variance products", "variance-of-scores", "derivation"),
        ("softmax definition", "eq:softmax-definition", "equation"),
        ("rows sum to one", "normalization-of-the-weights", "section"),
    ],
)
def test_results_land_on_the_part_that_matched(notes, query, anchor, kind):
    hit = search(query).hits[0]
    assert (hit.slug, hit.anchor, hit.unit_kind) == ("attention", anchor, kind)
    assert hit.url == f"/notes/attention/#{anchor}"


def test_the_page_and_the_instant_box_link_to_the_part(client, notes):
    html = client.get(SEARCH, {"q": "unit variance products"}).content.decode()
    assert 'href="/notes/attention/#variance-of-scores"' in html
    assert "Derivation: Variance of the scores" in html
    (result,) = client.get(SEARCH_JSON, {"q": "unit variance products"}).json()["results"]
    assert result["url"] == "/notes/attention/#variance-of-scores"
    assert result["unit"] == {"label": "Derivation", "title_html": "Variance of the scores"}
    equation = client.get(SEARCH_JSON, {"q": "softmax definition"}).json()["results"][0]
    assert equation["unit"]["title_html"] == "Equation (1)"


def test_the_page_says_what_was_corrected(client, notes):
    html = client.get(SEARCH, {"q": "entorpy"}).content.decode()
    assert "Showing results for <strong>entropy</strong>" in html
    assert "Search instead for “entorpy”" in html
    data = client.get(SEARCH_JSON, {"q": "entorpy"}).json()
    assert data["corrected_from"] == "entorpy" and data["query"] == "entropy"


def test_formula_search_stays(notes):
    (hit,) = search(r"\softmax").hits
    assert hit.anchor == "eq:softmax-definition"
    assert '<mark><span class="snippet-formula">' in hit.snippet


def test_the_vocabulary_is_the_live_notes_words(notes):
    assert {"attention", "backprop", "normalization", "entropy"} <= set(
        SearchTerm.objects.values_list("term", flat=True)
    )
    assert not SearchTerm.objects.filter(term__in=["softmax", "sqrt", "frac"]).exclude(term="softmax").exists()
    SearchTerm.objects.create(term="gone")
    assert search_terms_rebuild() == SearchTerm.objects.count()
    assert not SearchTerm.objects.filter(term="gone").exists()


def test_an_alias_can_name_one_part_of_the_note(publish):
    source = note_source("Attention", body=BODY).replace(
        "summary:", 'aliases: [{score scaling: "#variance-of-scores"}, SDPA]\nsummary:', 1
    )
    publish("attention", source)
    hit = search("score scaling").hits[0]  # the alias, exactly: where it points
    assert (hit.anchor, hit.alias) == ("variance-of-scores", "score scaling")
    assert search("sdpa").hits[0].anchor == ""  # an alias for the whole note: its top


def test_an_alias_pointing_nowhere_is_refused():
    from notes.rendering import render

    source = note_source("Attention", body=BODY).replace("summary:", 'aliases: [{MHA: "#no-such-part"}]\nsummary:', 1)
    result = render(source, slug="attention")
    assert any(
        "alias 'MHA' points at #no-such-part, which is not a heading, derivation or equation" in p.message
        for p in result.errors
    )


def test_the_instant_box_says_which_results_have_only_some_words(client, notes):
    data = client.get(SEARCH_JSON, {"q": "entropy sweep"}).json()  # no note has both
    assert data["partial_from"] == 0 and {r["slug"] for r in data["results"]} == {"entropy", "backprop"}
    html = client.get(SEARCH, {"q": "entropy sweep"}).content.decode()
    assert "No note has all of these words; these have some of them." in html


def test_a_query_that_finds_notes_with_all_its_words_gets_no_suggestion(publish, notes):
    body = "InfoNCE saturates quickly.\n\n$$\nq_m k_n \\label{eq:rope-score}\n$$\n"
    publish("rotary", note_source("Rotary embeddings", body=body))
    # "rope" is only an equation label's word: the vocabulary has it, nothing is corrected
    assert SearchTerm.objects.filter(term="rope").exists()
    results = search("rope")
    assert [h.slug for h in results.hits] == ["rotary"] and not results.suggestion
    # "saturate" is not the notes' word ("saturates" is) but the engines stem both alike
    results = search("infonce saturate")
    assert [h.slug for h in results.hits] == ["rotary"]
    assert not results.suggestion and not results.corrected_from


def test_notation_typed_as_text_searches_its_names(publish, notes):
    body = "$$\n\\operatorname{softmax}(\\bQ\\bK\\T/\\sqrt{d})\\bV \\label{eq:attention-map}\n$$\n"
    publish("sdpa", note_source("Attention map", body=body))
    # not the phrase "softmax qk t sqrt d v", which no note holds: softmax and sqrt, qk relaxed
    parsed = parse_query("softmax(QK^T/sqrt(d))V")
    assert [t.words for t in parsed.positive_terms()] == [("softmax",), ("QK",), ("sqrt",)]
    assert "sdpa" in [h.slug for h in search("softmax(QK^T/sqrt(d))V").hits[:2]]
    assert [t.words for t in parse_query("cross-entropy").positive_terms()] == [("cross", "entropy")]
