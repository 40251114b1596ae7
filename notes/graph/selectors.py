"""Reads for the prerequisite graph: the live graph (cached per publish), a note's place in
it, and the slice a graph page shows. Every function asks the database a fixed number of
queries: one version query, and four more when the cached graph is stale."""

import threading
import uuid
from dataclasses import dataclass, field

from django.core.cache import cache
from django.http import Http404

from notes.graph import order as graph
from notes.graph.drawings import drawing
from notes.graph.svg import Drawing
from notes.models import Note, PublishRecord, Topic
from notes.selectors import live_edges

# Stale versions are never read again; the timeout only lets the cache forget them.
CACHE_SECONDS = 24 * 3600
DEFAULT_DEPTH = 2
MAX_DEPTH = 6
PALETTE_SIZE = 8  # area colours defined in static/css/graph.css


@dataclass(frozen=True)
class Area:
    slug: str
    title: str
    colour: int  # index into the palette in static/css/graph.css


@dataclass(frozen=True)
class GraphNode:
    slug: str
    title: str
    summary: str
    area: Area | None  # the first of its areas, which colours it
    areas: frozenset[str]


@dataclass
class LiveGraph:
    """Every live note and the prerequisite edges between live revisions."""

    areas: list[Area]
    nodes: dict[str, GraphNode]
    edges: dict[str, set[str]]
    dependents: dict[str, set[str]] = field(init=False)
    ranks: dict[str, int] = field(init=False)  # position by title: breaks ties in reading order
    positions: dict[str, int] = field(init=False)  # see graph.reading_positions

    def __post_init__(self) -> None:
        self.dependents = graph.reverse(self.edges)
        ordered = sorted(self.nodes.values(), key=lambda n: (n.title.lower(), n.slug))
        self.ranks = {n.slug: i for i, n in enumerate(ordered)}
        self.positions = graph.reading_positions(self.edges, self.ranks.__getitem__)

    def rank(self, slug: str) -> int:
        return self.ranks[slug]

    def in_reading_order(self, slugs) -> list[GraphNode]:
        return [self.nodes[s] for s in graph.reading_order(slugs, self.edges, self.rank)]

    def in_order(self, slugs) -> list[GraphNode]:
        """In the site-wide reading order (a closure: the same as `in_reading_order`, faster)."""
        return [self.nodes[s] for s in graph.in_order(slugs, self.positions)]


def _graph_version() -> int | None:
    # Every change to what the graph shows (a note going live, a new title, new edges, new
    # topics on a note, a rollback) writes a publish record, and records are never deleted,
    # so the newest one's pk versions the graph (an index lookup, whatever the table's size).
    # A rename of a topic in the admin shows with the next publish.
    return PublishRecord.objects.order_by("-pk").values_list("pk", flat=True).first()


def _load_live_graph() -> LiveGraph:
    topics = list(Topic.objects.values_list("pk", "slug", "title", "parent_id"))  # ordered by order, title
    slug_of = {pk: slug for pk, slug, _, _ in topics}
    parent_of = {pk: parent for pk, _, _, parent in topics}
    areas = [
        Area(slug, title, i % PALETTE_SIZE) for i, (_, slug, title, _) in enumerate(t for t in topics if t[3] is None)
    ]
    area_by_slug = {a.slug: a for a in areas}

    def area_of_topic(pk: int) -> str:
        while parent_of[pk] is not None:
            pk = parent_of[pk]
        return slug_of[pk]

    note_areas: dict[str, list[str]] = {}
    for slug, topic_id in Note.topics.through.objects.filter(note__live_revision__isnull=False).values_list(
        "note__slug", "topic_id"
    ):
        area = area_of_topic(topic_id)
        if area not in note_areas.setdefault(slug, []):
            note_areas[slug].append(area)
    area_rank = {a.slug: i for i, a in enumerate(areas)}
    nodes = {}
    for slug, title, summary, plain in Note.objects.live().values_list(
        "slug", "live_revision__title", "live_revision__summary", "live_revision__summary_text"
    ):
        mine = sorted(note_areas.get(slug, []), key=area_rank.__getitem__)
        # The plain summary (formulas readable) for tooltips; a note rendered before summaries
        # were typeset has only its source.
        area = area_by_slug[mine[0]] if mine else None
        nodes[slug] = GraphNode(slug, title, plain or summary, area, frozenset(mine))
    edges = {slug: set() for slug in nodes}
    for slug, prerequisites in live_edges().items():
        if slug in edges:
            edges[slug] = prerequisites & nodes.keys()
    return LiveGraph(areas=areas, nodes=nodes, edges=edges)


# This process's copy of the live graph. At 10,000 notes, reading the graph back from the
# cache costs over 100 ms a call, the lookups on it well under one; so each process keeps the
# graph it last read, along with a token stored next to it in the shared cache. The token,
# not the version alone, decides whether the copy is current: a cleared cache (or a test
# database whose rolled-back rows gave a version back) must not revive an old graph.
_memo_lock = threading.Lock()
_memo: tuple[str, str, LiveGraph] | None = None


def live_graph() -> LiveGraph:
    global _memo
    key = f"graph:live:{_graph_version()}"
    token = cache.get(f"{key}:token")
    memo = _memo
    if token is not None and memo is not None and memo[:2] == (key, token):
        return memo[2]
    loaded = cache.get(key) if token is not None else None
    if loaded is None:
        loaded = _load_live_graph()
        token = uuid.uuid4().hex
        cache.set_many({key: loaded, f"{key}:token": token}, timeout=CACHE_SECONDS)
    with _memo_lock:
        _memo = (key, token, loaded)
    return loaded


@dataclass(frozen=True)
class NoteGraphContext:
    """A note's place in the graph, as its page shows it."""

    slug: str
    prerequisites: list[GraphNode]  # direct, in reading order
    all_prerequisites: list[GraphNode]  # direct and transitive, in reading order
    dependents: list[GraphNode]  # notes that list this one as a prerequisite
    all_dependents: list[GraphNode]  # and the notes building on those, in reading order

    @property
    def further_dependents(self) -> list[GraphNode]:
        direct = set(self.dependents)
        return [n for n in self.all_dependents if n not in direct]


def note_graph_context(note: Note) -> NoteGraphContext:
    live = live_graph()
    slug = note.slug
    if slug not in live.nodes:
        raise Http404("No such note")
    return NoteGraphContext(
        slug=slug,
        prerequisites=live.in_order(live.edges[slug]),
        all_prerequisites=live.in_order(graph.prerequisites_of(live.edges, slug)),
        dependents=live.in_order(live.dependents[slug]),
        all_dependents=live.in_order(graph.dependents_of(live.dependents, slug)),
    )


@dataclass(frozen=True)
class GraphView:
    """The slice of the live graph one graph page shows, drawn."""

    live: LiveGraph
    nodes: list[GraphNode]  # in reading order
    edge_count: int
    area: Area | None
    focus: GraphNode | None
    depth: int
    drawing: Drawing

    @property
    def notes_by_title(self) -> list[GraphNode]:
        return sorted(self.live.nodes.values(), key=lambda n: self.live.ranks[n.slug])

    @property
    def legend(self) -> list[Area]:
        shown = {n.area for n in self.nodes}
        return [a for a in self.live.areas if a in shown]


def graph_view(*, area: str = "", focus: str = "", depth: int = DEFAULT_DEPTH) -> GraphView:
    """The whole live graph, or the notes of one area, or a note's neighbourhood (within the
    area, if one is given): 404 for an unknown area or a focus that is not a live note."""
    live = live_graph()
    edges: dict[str, set[str]] = live.edges
    chosen_area = None
    if area:
        chosen_area = next((a for a in live.areas if a.slug == area), None)
        if chosen_area is None:
            raise Http404("No such area")
        areas_of = {s: n.areas for s, n in live.nodes.items()}
        edges = graph.in_area(live.edges, areas_of, area)
    focus_node = None
    if focus:
        focus_node = live.nodes.get(focus)
        if focus_node is None:
            raise Http404("No such note")
        # The focus stays even when filed under another area than the one chosen.
        edges = graph.induced(live.edges, edges.keys() | {focus})
        depth = max(1, min(depth, MAX_DEPTH))
        edges = graph.induced(edges, graph.neighbourhood(edges, graph.reverse(edges), focus, depth))
    nodes = live.in_reading_order(edges)
    pairs = [(p, n.slug) for n in nodes for p in sorted(edges[n.slug], key=live.rank)]
    return GraphView(
        live=live,
        nodes=nodes,
        edge_count=len(pairs),
        area=chosen_area,
        focus=focus_node,
        depth=depth,
        drawing=drawing(nodes, pairs, focus=focus),
    )
