"""Figures: a `::: figure {#id}` block placed in the note, drawn from the note's own code.

    ::: figure {#loss-curves}
    Loss of gradient descent and heavy-ball momentum on the quadratic of [[#eq:quadratic]].
    :::

The block's lines are its caption (Markdown: math and links work). Figures are numbered in
order, "Figure 1", …, and `[[#loss-curves]]` links to one as "Figure 1", like an equation. The
picture comes from `figure_loss_curves()` in the note's `<slug>.checks.py`, run out of process
under the checks' limits (notes.checking.runner), its data validated (chart_data) and drawn as
SVG (chart_svg) when the revision is written; the data is stored with the revision
(notes.models.Figure), so a re-render draws it again without running anything. A missing
function, one that fails, or data of the wrong shape is a render error naming the figure,
which blocks publishing. A preview shows where each figure goes without running its code.
"""

import re
from html import escape
from typing import Protocol

from markdown_it.token import Token

from notes.checking.runner import checks_file, function_name, run_figure

from .chart_data import ChartError, chart_from_data
from .chart_svg import chart_svg
from .ids import id_is_reserved
from .result import FigureData

FIGURE_INFO = re.compile(r"figure\s*(?:\{#([^}]*)\})?\s*(.*)", re.S)
FIGURE_ID = re.compile(r"[a-z][a-z0-9-]{0,79}")
MAX_FIGURES = 20  # per note: each is a child process when the note is written


class FigureUnavailable(Exception):
    """A figure's data could not be had; the message says why, for the author."""


class FigureSource(Protocol):
    def figure_data(self, slug: str, key: str) -> object:
        """The data `figure_<key>()` of note `slug` returns; raises FigureUnavailable."""


class ChecksFileFigures:
    """Each figure's data from its function in the note's checks file, run out of process."""

    def figure_data(self, slug: str, key: str) -> object:
        path, function = checks_file(slug), function_name(key, "figure")
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            raise FigureUnavailable(f"there is no checks file {path.name} to define {function}()") from None
        if not re.search(rf"^def {function}\(", text, re.M):
            raise FigureUnavailable(
                f"{path.name} defines no function {function}(); add it, returning the figure's data"
            )
        run = run_figure(path, function)
        if run.data is None:
            raise FigureUnavailable(f"{function}() in {path.name} {run.detail}")
        return run.data


class StoredFigures:
    """The data stored with a revision when it was written (re-rendering it runs nothing)."""

    def __init__(self, data: dict[str, object]):
        self.data = data

    def figure_data(self, slug: str, key: str) -> object:
        if key not in self.data:
            raise FigureUnavailable("no data was stored for it when this revision was written")
        return self.data[key]


def _key(token: Token) -> str:
    match = FIGURE_INFO.match(token.info.strip())
    return (match.group(1) or "").strip() if match else ""


def figure_ids(tokens: list[Token]) -> set[str]:
    """The figure ids a note declares, which headings must not take."""
    return {key for t in tokens if t.type == "container_figure_open" and (key := _key(t))}


class FigurePass:
    """Numbers a note's figure blocks, then fills each with its drawing (or why there is none)."""

    def __init__(self, source: FigureSource | None):
        self.source = source if source is not None else ChecksFileFigures()
        self.openers: list[Token] = []

    def number(self, tokens: list[Token], anchors: dict[str, str], error) -> None:
        """Check each figure's id and caption, number it, and make it a link target."""
        seen: set[str] = set()
        depth = 0
        for i, token in enumerate(tokens):
            if token.type == "container_figure_close":
                depth -= 1
            if token.type != "container_figure_open":
                continue
            depth += 1
            line = token.map[0] + 1 if token.map else 1
            match = FIGURE_INFO.match(token.info.strip())
            key, extra = _key(token), (match.group(2) or "").strip() if match else ""
            problem = self._id_problem(key, seen)
            if depth > 1:
                problem = "a figure cannot hold another figure"
            elif extra:
                problem = f"put the caption on the lines inside the figure block, not after its id (found {extra!r})"
            elif tokens[i + 1].type == "container_figure_close":
                problem = f"figure {key!r} needs a caption: a paragraph inside the block, saying what to see"
            elif len(self.openers) == MAX_FIGURES:
                problem = f"a note holds at most {MAX_FIGURES} figures"
            if problem:
                error(line, 1, problem)
                continue
            seen.add(key)
            number = len(self.openers) + 1
            token.meta.update(key=key, number=number, line=line)
            anchors[key] = f"Figure {number}"
            self.openers.append(token)
            first = next((t for t in tokens[i + 1 :] if t.type == "inline"), None)
            if first is not None:
                first.children = [Token("figure_number", "span", 0, meta={"number": number}), *(first.children or [])]

    @staticmethod
    def _id_problem(key: str, seen: set[str]) -> str:
        if not key:
            return "a figure needs an id: ::: figure {#my-id}, drawn by figure_my_id() in the note's checks file"
        if not FIGURE_ID.fullmatch(key):
            return f"figure id {key!r} must start with a letter and hold lowercase letters, digits and hyphens"
        if key in seen:
            return f"duplicate figure id {key!r}"
        if id_is_reserved(key):
            return f"figure id {key!r} is used by the page itself; choose another"
        return ""

    def draw(self, slug: str, stash, error, *, preview: bool) -> list[FigureData]:
        """Each numbered figure's SVG, through `stash` (which keeps it out of the sanitizer:
        it is drawn here from validated numbers, every text escaped); a preview runs nothing."""
        drawn = []
        for token in self.openers:
            key, number, line = token.meta["key"], token.meta["number"], token.meta["line"]
            if preview:
                token.meta["chart"] = (
                    f'<div class="figure-pending">Figure {number} is drawn from {function_name(key, "figure")}() '
                    "when the note is saved</div>"
                )
                continue
            try:
                data = self.source.figure_data(slug, key)
                svg = chart_svg(chart_from_data(data), key)
            except (FigureUnavailable, ChartError) as exc:
                what = f"the data of {function_name(key, 'figure')}(): " if isinstance(exc, ChartError) else ""
                error(line, 1, f"figure {key!r}: {what}{exc}")
                token.meta["chart"] = f'<div class="figure-pending">Figure {number} could not be drawn</div>'
                continue
            token.meta["chart"] = stash(svg)
            drawn.append(FigureData(key, number, data, line))
        return drawn


def figure_open(self, tokens, idx, options, env) -> str:
    meta = tokens[idx].meta
    anchor = f' id="{escape(meta["key"])}"' if meta.get("key") else ""
    chart = meta.get("chart", "")
    return f'<figure class="figure"{anchor}>\n<div class="figure-chart">{chart}</div>\n<figcaption>\n'


def figure_close(self, tokens, idx, options, env) -> str:
    return "</figcaption>\n</figure>\n"


def figure_number(self, tokens, idx, options, env) -> str:
    return f'<span class="figure-number">Figure {tokens[idx].meta["number"]}.</span> '
