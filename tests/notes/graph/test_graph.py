"""The prerequisite graph: pure graph functions, the live-graph selectors, the graph pages."""

import re

import pytest
from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse

from notes.graph import order as graph
from notes.graph.selectors import graph_view, live_graph, note_graph_context
from notes.graph.svg import label_lines
from notes.models import Note
from notes.selectors import LiveNoteIndex
from notes.services import revision_create
from tests.conftest import note_source

# A diamond with a tail and a separate pair:  a -> b, a -> c, {b, c} -> d -> e;  x -> y
EDGES = {"a": set(), "b": {"a"}, "c": {"a"}, "d": {"b", "c"}, "e": {"d"}, "x": set(), "y": {"x"}}


def by_name(slug):
    return slug


def test_closures_follow_edges_transitively_and_nothing_else():
    assert graph.prerequisites_of(EDGES, "e") == {"a", "b", "c", "d"}
    assert graph.prerequisites_of(EDGES, "a") == set()
    dependents = graph.reverse(EDGES)
    assert dependents["a"] == {"b", "c"}
    assert graph.dependents_of(dependents, "a") == {"b", "c", "d", "e"}
    assert graph.dependents_of(dependents, "e") == set()
    assert graph.dependents_of(dependents, "x") == {"y"}


def test_edges_to_unknown_slugs_are_ignored():
    edges = {"a": {"gone"}, "b": {"a", "gone"}}
    assert graph.prerequisites_of(edges, "b") == {"a"}
    assert graph.reverse(edges) == {"a": {"b"}, "b": set()}
    assert graph.reading_order(["b", "a"], edges, by_name) == ["a", "b"]


def test_reading_order_respects_every_edge_and_breaks_ties_by_rank():
    order = graph.reading_order(EDGES, EDGES, by_name)
    assert sorted(order) == sorted(EDGES)
    position = {slug: i for i, slug in enumerate(order)}
    for slug, prerequisites in EDGES.items():
        for prerequisite in prerequisites:
            assert position[prerequisite] < position[slug], (prerequisite, slug)
    assert order == ["a", "x", "b", "c", "y", "d", "e"]  # rounds, each sorted by rank
    reverse_rank = {s: -ord(s) for s in EDGES}.__getitem__
    assert graph.reading_order(EDGES, EDGES, reverse_rank) == ["x", "a", "y", "c", "b", "d", "e"]


def test_reading_order_of_a_subset_uses_only_edges_inside_it():
    assert graph.reading_order(["e", "b", "c"], EDGES, by_name) == ["b", "c", "e"]


def test_site_wide_positions_order_any_set_and_match_reading_order_on_closures():
    import random

    rng = random.Random(7)
    edges = {f"n{i}": {f"n{j}" for j in rng.sample(range(i), min(i, rng.randint(0, 3)))} for i in range(60)}
    rank = {s: rng.random() for s in edges}.__getitem__
    positions = graph.reading_positions(edges, rank)
    for slug in edges:
        closure = graph.prerequisites_of(edges, slug)
        assert graph.in_order(closure, positions) == graph.reading_order(closure, edges, rank)
        later = graph.in_order(graph.dependents_of(graph.reverse(edges), slug), positions)
        seen = {slug}
        for s in later:  # every dependent after whichever of its prerequisites are listed
            assert not (edges[s] & set(later)) - seen, s
            seen.add(s)


def test_neighbourhood_goes_up_and_down_to_the_depth_without_siblings():
    dependents = graph.reverse(EDGES)
    assert graph.neighbourhood(EDGES, dependents, "b", 1) == {"a", "b", "d"}  # not its sibling c
    assert graph.neighbourhood(EDGES, dependents, "b", 2) == {"a", "b", "d", "e"}
    assert graph.neighbourhood(EDGES, dependents, "d", 1) == {"b", "c", "d", "e"}
    assert graph.neighbourhood(EDGES, dependents, "d", 2) == {"a", "b", "c", "d", "e"}
    assert graph.neighbourhood(EDGES, dependents, "missing", 2) == set()


def test_area_filter_keeps_the_notes_of_the_area_and_the_edges_between_them():
    areas_of = {"a": {"found"}, "b": {"found", "opt"}, "c": {"opt"}, "d": {"opt"}}
    assert graph.in_area(EDGES, areas_of, "opt") == {"b": set(), "c": set(), "d": {"b", "c"}}
    assert graph.in_area(EDGES, areas_of, "found") == {"a": set(), "b": {"a"}}
    assert graph.in_area(EDGES, areas_of, "none") == {}


def test_long_titles_wrap_and_are_shortened_to_four_lines():
    assert label_lines("Short") == ["Short"]
    lines = label_lines("A title long enough to need more lines than a box has room for, by far")
    assert len(lines) == 4 and lines[-1].endswith("…")
    assert all(len(line) <= 18 for line in lines)


# --- the live graph in the database --------------------------------------------------------


@pytest.fixture
def chain(publish):
    """base <- middle <- top, plus an optimisation note building on base."""
    publish("base", note_source("Base note"))
    publish("middle", note_source("Middle note", prerequisites=["base"]))
    publish("top", note_source("Top note", prerequisites=["middle"]))
    publish("descent", note_source("Descent", topics=["optimization"], prerequisites=["base"]))


def test_live_graph_has_live_notes_their_areas_and_edges(chain, areas):
    live = live_graph()
    assert set(live.nodes) == {"base", "middle", "top", "descent"}
    assert live.edges == {"base": set(), "middle": {"base"}, "top": {"middle"}, "descent": {"base"}}
    assert live.nodes["descent"].area.slug == "optimization"
    assert live.nodes["base"].area.colour == 0
    assert [a.slug for a in live.areas] == [t.slug for t in areas]


def test_live_graph_ignores_drafts_and_unpublished_revisions(chain, editor):
    Note.objects.create(slug="draft-only")
    # A newer, unpublished revision of "descent" adds an edge: the live graph must not show it.
    note = Note.objects.get(slug="descent")
    draft = revision_create(
        note=note,
        source=note_source("Descent renamed", topics=["optimization"], prerequisites=["base", "top"]),
        author=editor,
        index=LiveNoteIndex(),
    )
    assert draft.prerequisites.count() == 2
    live = live_graph()
    assert "draft-only" not in live.nodes
    assert live.edges["descent"] == {"base"}
    assert live.nodes["descent"].title == "Descent"


def test_live_graph_follows_each_publish(chain, publish):
    assert "extra" not in live_graph().nodes
    publish("extra", note_source("Extra", prerequisites=["top"]))
    assert live_graph().edges["extra"] == {"top"}
    publish("top", note_source("Top renamed", prerequisites=["base"]))
    live = live_graph()
    assert live.edges["top"] == {"base"} and live.nodes["top"].title == "Top renamed"


def test_note_graph_context_lists_prerequisites_and_dependents_in_reading_order(chain, publish):
    publish("aardvark", note_source("Aardvark", prerequisites=["top", "base"]))
    context = note_graph_context(Note.objects.get(slug="aardvark"))
    assert [n.slug for n in context.prerequisites] == ["base", "top"]
    # "Base" < "Middle" < "Top" is also the only order the edges allow
    assert [n.slug for n in context.all_prerequisites] == ["base", "middle", "top"]
    assert context.dependents == [] and context.all_dependents == []

    base = note_graph_context(Note.objects.get(slug="base"))
    assert base.all_prerequisites == []
    assert [n.slug for n in base.dependents] == ["descent", "middle", "aardvark"]  # aardvark sits deeper
    assert [n.slug for n in base.all_dependents] == ["descent", "middle", "top", "aardvark"]
    assert [n.slug for n in base.further_dependents] == ["top"]


def test_note_graph_partial_renders_links(chain):
    html = render_to_string(
        "notes/_note_graph.html", {"graph_context": note_graph_context(Note.objects.get(slug="middle"))}
    )
    assert "Before this" in html and "Builds on this" in html
    assert 'href="/notes/base/">Base note</a>' in html
    assert 'href="/notes/top/">Top note</a>' in html
    assert 'href="/notes/middle/graph/"' in html
    lonely = render_to_string("notes/_note_graph.html", {"graph_context": None})
    assert lonely.strip() == ""


def test_note_graph_context_query_count_is_constant(chain, publish, django_assert_num_queries):
    note = Note.objects.get(slug="middle")
    with django_assert_num_queries(5):  # version, then topics, note topics, notes, edges
        note_graph_context(note)
    with django_assert_num_queries(1):  # version only: the graph comes from the cache
        note_graph_context(note)
    for i in range(4):
        publish(f"more-{i}", note_source(f"More {i}", prerequisites=["middle", "base"], topics=["architectures"]))
    cache.clear()
    with django_assert_num_queries(5):
        note_graph_context(note)
    with django_assert_num_queries(1):
        note_graph_context(note)


# --- pages ---------------------------------------------------------------------------------


def node_slugs(html):
    return re.findall(r'<a class="graph-node[^"]*" href="/notes/[^"]+/" data-slug="([^"]+)"', html)


def test_graph_page_draws_every_live_note_as_a_link(client, chain):
    response = client.get(reverse("notes:graph"))
    html = response.content.decode()
    assert response.status_code == 200
    assert sorted(node_slugs(html)) == ["base", "descent", "middle", "top"]
    assert html.count('class="graph-edge"') == 3
    assert 'class="graph-node area-1"' in html  # descent, coloured as optimization
    assert "<title>Top note (Foundations): Summary of Top note</title>" in html
    assert "css/graph.css" in html and "js/graph.js" in html
    assert 'href="/graph/"' in client.get(reverse("notes:home")).content.decode()  # in the nav


def test_graph_page_filters_by_area_and_focuses(client, chain):
    html = client.get(reverse("notes:graph"), {"area": "optimization"}).content.decode()
    assert node_slugs(html) == ["descent"]
    html = client.get(reverse("notes:graph"), {"focus": "top", "depth": "1"}).content.decode()
    assert sorted(node_slugs(html)) == ["middle", "top"]
    assert 'class="graph-node area-0 is-focus"' in html
    html = client.get(reverse("notes:graph"), {"focus": "top", "depth": "2"}).content.decode()
    assert sorted(node_slugs(html)) == ["base", "middle", "top"]
    html = client.get(reverse("notes:note_graph", args=["base"]), {"depth": "nonsense"}).content.decode()
    assert sorted(node_slugs(html)) == ["base", "descent", "middle", "top"]
    # the focus stays in view when it is filed under another area than the one chosen
    html = client.get(reverse("notes:note_graph", args=["base"]), {"area": "optimization"}).content.decode()
    assert sorted(node_slugs(html)) == ["base", "descent"]


def test_graph_pages_for_drafts_missing_notes_and_areas_are_404(client, chain):
    Note.objects.create(slug="draft-only")
    assert client.get(reverse("notes:note_graph", args=["draft-only"])).status_code == 404
    assert client.get(reverse("notes:note_graph", args=["missing"])).status_code == 404
    assert client.get(reverse("notes:graph"), {"focus": "draft-only"}).status_code == 404
    assert client.get(reverse("notes:graph"), {"area": "no-such-area"}).status_code == 404


def test_graph_page_with_no_notes(client, areas):
    response = client.get(reverse("notes:graph"))
    assert response.status_code == 200
    assert b"No published notes to draw yet" in response.content


def test_svg_escapes_titles(client, publish):
    publish("evil", note_source("<script>alert(1)</script> & <b>bold</b>"))
    html = client.get(reverse("notes:graph")).content.decode()
    assert "<script>alert" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&amp; &lt;b&gt;bold&lt;/b&gt;" in html


def _add_notes(publish, count, start):
    for i in range(start, start + count):
        prerequisites = ["base", f"extra-{i - 1}"] if i > start else ["middle"]
        publish(f"extra-{i}", note_source(f"Extra {i}", topics=["architectures"], prerequisites=prerequisites))


@pytest.mark.parametrize("url", [reverse("notes:graph"), reverse("notes:note_graph", args=["middle"])])
def test_graph_page_query_count_is_constant(client, chain, publish, django_assert_num_queries, url):
    _add_notes(publish, 2, start=0)
    client.get(url)  # the layout job stores the drawing (at once, under the tests' backend)
    cache.clear()
    with django_assert_num_queries(6):  # version, topics, note topics, notes, edges, drawing
        assert client.get(url).status_code == 200
    with django_assert_num_queries(1):  # version only: graph and drawing are cached
        client.get(url)
    _add_notes(publish, 6, start=2)
    client.get(url)
    cache.clear()
    with django_assert_num_queries(6):  # as many with eight more notes
        client.get(url)
    with django_assert_num_queries(1):
        client.get(url)


def test_graph_view_keeps_reading_order_and_counts_edges(chain):
    view = graph_view()
    assert [n.slug for n in view.nodes] == ["base", "descent", "middle", "top"]
    assert view.edge_count == 3
    assert [a.slug for a in view.legend] == ["foundations", "optimization"]
    assert view.drawing.width > 0 and view.drawing.height > 0
