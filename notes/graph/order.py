"""The prerequisite graph as plain data: closures, reading order, neighbourhoods, filters.

No database here. A graph is an edge map {slug: prerequisite slugs} (a DAG: publishing
refuses a revision that would close a cycle) plus a rank per slug that breaks ties between
notes that could come in either order (the site ranks by title). Edges pointing at slugs
outside the map are ignored, so a caller may pass any slice of the live graph.
"""

from collections.abc import Callable, Iterable, Mapping, Set
from graphlib import CycleError, TopologicalSorter

Edges = Mapping[str, Set[str]]


def reverse(edges: Edges) -> dict[str, set[str]]:
    """{slug: the notes that list it as a prerequisite} for every slug in `edges`."""
    dependents: dict[str, set[str]] = {slug: set() for slug in edges}
    for slug, prerequisites in edges.items():
        for prerequisite in prerequisites:
            if prerequisite in dependents:
                dependents[prerequisite].add(slug)
    return dependents


def _reach(start: Iterable[str], step: Edges, *, limit: int | None = None) -> set[str]:
    """Every slug reachable from `start` in 1 to `limit` steps along `step` (the start itself
    only if a path leads back to it, which a DAG never has)."""
    empty: Set[str] = frozenset()
    reached: set[str] = set()
    frontier = {s for s in start if s in step}
    level = 0
    # Whole frontiers at a time: set unions run in C, which keeps a closure of thousands of
    # notes within a few milliseconds.
    while frontier and (limit is None or level < limit):
        level += 1
        frontier = set().union(*(step.get(s, empty) for s in frontier)) - reached
        reached |= frontier
    return reached & step.keys()


def prerequisites_of(edges: Edges, slug: str) -> set[str]:
    """The notes `slug` builds on, directly or through other notes."""
    return _reach([slug], edges)


def dependents_of(dependents: Edges, slug: str) -> set[str]:
    """The notes that build on `slug`, directly or through other notes (`dependents` is
    `reverse(edges)`)."""
    return _reach([slug], dependents)


def reading_order(slugs: Iterable[str], edges: Edges, rank: Callable[[str], object]) -> list[str]:
    """`slugs` ordered so each comes after its prerequisites among them.

    Notes are taken in rounds: first those needing nothing in the set, then those whose
    needs the earlier rounds met, and so on, each round sorted by `rank`. Foundations thus
    come first and a note's order does not depend on where it happened to be stored.
    """
    wanted = set(slugs)
    sorter = TopologicalSorter({s: edges.get(s, set()) & wanted for s in wanted})
    sorter.prepare()
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=rank)
        order.extend(ready)
        sorter.done(*ready)
    return order


def reading_positions(edges: Edges, rank: Callable[[str], object]) -> dict[str, int]:
    """Each note's position in the reading order of the whole graph.

    Sorting any set of notes by these positions puts each after its prerequisites (a
    prerequisite always sits in an earlier round). For the prerequisites of a note, a set that
    holds the prerequisites of each of its members, the result equals `reading_order` of the
    set, at the cost of one sort instead of a topological sort per query.
    """
    depth: dict[str, int] = {}
    for slug in TopologicalSorter({s: edges[s] & edges.keys() for s in edges}).static_order():
        depth[slug] = 1 + max((depth[p] for p in edges[slug] if p in depth), default=-1)
    ordered = sorted(edges, key=lambda s: (depth[s], rank(s)))
    return {slug: i for i, slug in enumerate(ordered)}


def in_order(slugs: Iterable[str], positions: Mapping[str, int]) -> list[str]:
    """`slugs` sorted by `reading_positions`."""
    return sorted(slugs, key=positions.__getitem__)


def neighbourhood(edges: Edges, dependents: Edges, focus: str, depth: int) -> set[str]:
    """`focus`, the notes up to `depth` prerequisite steps above it and those up to `depth`
    steps below it (siblings reached by going up then down are left out: they are not what
    the focus needs nor what needs it)."""
    if focus not in edges:
        return set()
    return {focus, *_reach([focus], edges, limit=depth), *_reach([focus], dependents, limit=depth)}


def induced(edges: Edges, keep: Set[str]) -> dict[str, set[str]]:
    """The subgraph on `keep`: its notes and the edges between them."""
    return {slug: set(edges[slug]) & keep for slug in keep if slug in edges}


def in_area(edges: Edges, areas_of: Mapping[str, Set[str]], area: str) -> dict[str, set[str]]:
    """The subgraph of notes filed under `area` (a note may sit in several areas)."""
    return induced(edges, {slug for slug in edges if area in areas_of.get(slug, ())})


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle in the graph as a closed path [a, b, ..., a], or None."""
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        cycle = list(exc.args[1])
        # graphlib lists the cycle from a node back to itself following "depends on" edges;
        # print it in reading order (prerequisite first).
        return list(reversed(cycle))
    return None


def cycle_message(cycle: list[str]) -> str:
    return "prerequisite cycle: " + " → ".join(cycle) + " (each note is a prerequisite of the next; remove one edge)"
