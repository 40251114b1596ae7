"""The prerequisite graph drawn as inline SVG: every note a link, edges as arrows.

Text is measured by estimate (the server has no fonts): titles wrap at a fixed number of
characters and boxes are sized for a generous average glyph width, so a label never spills
out of its box. Colours and fonts come from static/css/graph.css through classes, so the
same markup follows light mode, dark mode and print. A drawing depends only on what it
shows (`shown`), so it is stored under a hash of exactly that (notes.graph.drawings).
"""

import hashlib
import textwrap
from dataclasses import dataclass
from typing import Protocol

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from notes.graph.layout import layout


class DrawnArea(Protocol):
    title: str
    colour: int


class DrawnNode(Protocol):
    """What the drawing needs of a node (notes.graph.selectors builds them)."""

    slug: str
    title: str
    summary: str
    area: DrawnArea | None


DRAWING_VERSION = (
    2  # 2: nodes named by title, lines spaced; bump when the markup changes, so cached drawings are redrawn
)
WRAP_CHARS = 18
MAX_LINES = 4
GLYPH_WIDTH = 7.6  # px at the 13px label size in graph.css, wider than the average glyph
LINE_HEIGHT = 16
PAD_X = 12
PAD_Y = 9
MIN_WIDTH = 96


@dataclass(frozen=True)
class Drawing:
    svg: SafeString
    width: float
    height: float
    # "ready", or while the layout job has not stored it: "pending"; "failed" if it could not
    state: str = "ready"


@dataclass(frozen=True)
class _Area:
    title: str
    colour: int


@dataclass(frozen=True)
class _Node:
    slug: str
    title: str
    summary: str
    area: _Area | None


def label_lines(title: str) -> list[str]:
    lines = textwrap.wrap(title, WRAP_CHARS, break_on_hyphens=False) or [title]
    if len(lines) > MAX_LINES:
        lines = [
            *lines[: MAX_LINES - 1],
            textwrap.shorten(" ".join(lines[MAX_LINES - 1 :]), WRAP_CHARS, placeholder="…"),
        ]
    return lines


def box_size(lines: list[str]) -> tuple[float, float]:
    longest = max(len(line) for line in lines)
    return max(MIN_WIDTH, round(longest * GLYPH_WIDTH + 2 * PAD_X)), len(lines) * LINE_HEIGHT + 2 * PAD_Y


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _node_markup(node: DrawnNode, box, lines: list[str], *, focus: bool) -> str:
    colour = f"area-{node.area.colour}" if node.area else "area-none"
    classes = f"graph-node {colour}{' is-focus' if focus else ''}"
    tooltip = (
        node.title + (f" ({node.area.title})" if node.area else "") + (f": {node.summary}" if node.summary else "")
    )
    cx = box.x + box.width / 2
    first_y = box.y + PAD_Y + LINE_HEIGHT * 0.75
    # A space between the lines, so that the words read (and name the link) as the title does.
    tspans = " ".join(
        f'<tspan x="{_fmt(cx)}" y="{_fmt(first_y + i * LINE_HEIGHT)}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return (
        # Named by its title alone (a reader tabbing through the graph hears "Softmax", not
        # three sentences); the tooltip keeps the area and summary.
        f'<a class="{classes}" href="{escape(reverse("notes:note", args=[node.slug]))}" data-slug="{escape(node.slug)}"'
        f' aria-label="{escape(node.title)}">'
        f"<title>{escape(tooltip)}</title>"
        f'<rect x="{_fmt(box.x)}" y="{_fmt(box.y)}" width="{_fmt(box.width)}" height="{_fmt(box.height)}" rx="6"/>'
        f'<text text-anchor="middle">{tspans}</text></a>'
    )


def _edge_markup(points: list[tuple[float, float]], a: str, b: str) -> str:
    path = " ".join(f"{'M' if i == 0 else 'L'}{_fmt(x)},{_fmt(y)}" for i, (x, y) in enumerate(points))
    return (
        f'<path class="graph-edge" d="{path}" marker-end="url(#graph-arrow)"'
        f' data-from="{escape(a)}" data-to="{escape(b)}"/>'
    )


def _draw(nodes: list[DrawnNode], edges: list[tuple[str, str]], focus: str) -> Drawing:
    lines = {n.slug: label_lines(n.title) for n in nodes}
    placed = layout({n.slug: box_size(lines[n.slug]) for n in nodes}, edges)
    parts = [
        f'<svg class="graph-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_fmt(placed.width)} '
        f'{_fmt(placed.height)}" width="{_fmt(placed.width)}" height="{_fmt(placed.height)}"'
        ' role="group" aria-labelledby="graph-svg-title">',
        f'<title id="graph-svg-title">Prerequisite graph: {len(nodes)} notes; arrows point from a note to the '
        "notes that build on it</title>",
        '<defs><marker id="graph-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7"'
        ' orient="auto"><path class="graph-arrowhead" d="M0,1 L9,5 L0,9 z"/></marker></defs>',
        '<g class="graph-edges">',
        *(_edge_markup(placed.routes[(a, b)], a, b) for a, b in edges if placed.routes.get((a, b))),
        '</g><g class="graph-nodes">',
        *(_node_markup(n, placed.boxes[n.slug], lines[n.slug], focus=n.slug == focus) for n in nodes),
        "</g></svg>",
    ]
    return Drawing(svg=mark_safe("".join(parts)), width=placed.width, height=placed.height)


def shown(nodes: list[DrawnNode]) -> list[list]:
    """What a drawing of `nodes` shows, as JSON (the layout job's input): slug, title, summary,
    area colour and area title of each node, in order."""
    return [[n.slug, n.title, n.summary, *((n.area.colour, n.area.title) if n.area else (None, None))] for n in nodes]


def digest(shown_nodes: list[list], edges: list, focus: str) -> str:
    """The hash a drawing is stored under: of exactly what it shows, and the markup's version."""
    edge_pairs = [list(edge) for edge in edges]
    return hashlib.sha256(repr((DRAWING_VERSION, shown_nodes, edge_pairs, focus)).encode()).hexdigest()


def draw(shown_nodes: list[list], edges: list, focus: str) -> Drawing:
    """Lay out and draw what `shown` describes: runs ELK (seconds at hundreds of notes), so
    only the layout job calls it."""
    nodes = [
        _Node(slug, title, summary, _Area(area_title, colour) if area_title is not None else None)
        for slug, title, summary, colour, area_title in shown_nodes
    ]
    return _draw(nodes, [tuple(edge) for edge in edges], focus)
