"""The starter corpus as a whole: the promised areas, a connected acyclic prerequisite graph,
and notes that are real treatments (length, derivations, links, admonitions)."""

from graphlib import TopologicalSorter

import pytest
import yaml

from notes.editorial.files import check_files, read_note_files
from tests.conftest import CORPUS


@pytest.fixture(scope="module")
def corpus():
    notes = read_note_files(sorted(CORPUS.glob("*.md")))
    topics = {t["slug"] for t in yaml.safe_load((CORPUS / "topics.yaml").read_text())}
    check_files(notes, topics=topics)
    return {note.slug: note.result for note in notes}


def test_at_least_24_notes_covering_every_area(corpus):
    assert len(corpus) >= 24
    areas = {}
    for slug, result in corpus.items():
        for topic in result.topics:
            areas.setdefault(topic, []).append(slug)
    assert set(areas) == {"foundations", "optimization", "information-theory", "architectures", "generative-modeling"}
    assert all(len(slugs) >= 3 for slugs in areas.values()), areas


def test_prerequisite_graph_is_acyclic_and_connected(corpus):
    graph = {slug: set(result.prerequisites) for slug, result in corpus.items()}
    order = list(TopologicalSorter(graph).static_order())  # raises on a cycle
    assert set(order) == set(corpus)
    neighbours = {slug: set() for slug in corpus}
    for slug, prereqs in graph.items():
        for prereq in prereqs:
            neighbours[slug].add(prereq)
            neighbours[prereq].add(slug)
    seen, frontier = set(), ["notation-and-shapes"]
    while frontier:
        slug = frontier.pop()
        if slug not in seen:
            seen.add(slug)
            frontier.extend(neighbours[slug] - seen)
    assert seen == set(corpus)


@pytest.mark.parametrize("slug", sorted(p.stem for p in CORPUS.glob("*.md")))
def test_each_note_is_a_real_treatment(corpus, slug):
    result = corpus[slug]
    assert result.ok, [str(e) for e in result.errors]
    assert 1500 <= result.word_count <= 4000, result.word_count
    assert len(result.derivations) >= 1 and all(len(d.steps) >= 2 for d in result.derivations)
    assert result.equations, "no labelled equations"
    assert result.links or not result.prerequisites, "builds on notes but never links to them"
    assert 'class="admonition' in result.html
