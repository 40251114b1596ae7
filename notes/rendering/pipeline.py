"""render(): note source in, one RenderResult out.

Order of work, each pass over the token stream:
1. parse (markdown-it) and read the front matter;
2. walk: heading ids, derivation structure, equation labels and numbers, link targets;
3. typeset every formula through the formula cache (notes.rendering.formula_cache);
4. resolve cross-links and equation references against this note and the NoteIndex;
5. print HTML, sanitize it, and collect TOC, plain text, derivations and equations.
"""

import re
from html import escape

from django.conf import settings
from django.urls import reverse
from markdown_it.token import Token

from . import formula_cache
from .derivations import derivation_data
from .figures import FigurePass, FigureSource, figure_ids
from .fragments import search_fragments
from .frontmatter import alias_anchor_problems, parse_front_matter
from .ids import heading_id, id_is_reserved
from .leftovers import leftover_delimiters
from .links import MappingIndex, NoteIndex, NoteInfo, equation_reference
from .math import PreparedFormula, prepare
from .nesting import NestingGauge
from .note_math import NoteMath
from .parser import make_parser, outside_image
from .result import EquationData, LinkData, Problem, RenderResult, TocEntry
from .sanitize import sanitize
from .summary import REFUSED, summary_lines, summary_parse, summary_text
from .tokens import between_parentheses, inline_text, matching_close, plain_text, prose, sentence_around, wikilinks

ADMONITION_KINDS = {"note", "important", "warning", "info", "tip"}
DERIVATION_INFO = re.compile(r"derivation\s*(?:\{#([^}]*)\})?\s*(.*)", re.S)
ANCHOR_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
MAX_DERIVATION_TITLE = 200
MATH_TYPES = {"math_inline", "math_block", "amsmath"}

IMAGE_OUTSIDE = (
    "image {src!r} is on another site, which the pages' security policy blocks (readers would see a "
    "broken image): upload it (drag or paste it into the editor) and use the address it gives"
)

STEP_ID = re.compile(r"(.+)-step-\d+")


def step_id(key: str, number: int) -> str:
    """The anchor of a derivation's step: `<derivation id>-step-<n>`."""
    return f"{key}-step-{number}"


def derivation_of_step(anchor: str) -> str | None:
    """The derivation id a step anchor belongs to, or None for any other anchor."""
    match = STEP_ID.fullmatch(anchor)
    return match.group(1) if match else None


def note_url(slug: str) -> str:
    return reverse("notes:note", args=[slug])


def render(
    source: str,
    *,
    slug: str = "",
    index: NoteIndex | None = None,
    preview: bool = False,
    figures: FigureSource | None = None,
) -> RenderResult:
    """Render a note. Never raises on bad input: problems come back in `errors`. A `preview`
    has only what an editor's preview shows: the HTML, the anchors and every problem, and no
    figure drawn. Figures' data comes from `figures`, by default their functions in the note's
    checks file (notes.rendering.figures)."""
    job = _NoteRender(source, slug=slug, index=index or MappingIndex(), figures=figures)
    return job.run(everything=not preview)


def outline(source: str, *, slug: str = "") -> NoteInfo:
    """What other notes need to link here (title, anchors, equation numbers), without KaTeX."""
    job = _NoteRender(source, slug=slug, index=MappingIndex())
    job.run(typeset=False)
    return NoteInfo(
        slug=job.slug,
        title=job.result.title,
        summary=job.result.summary,
        anchors=dict(job.anchors),
        equations=dict(job.equation_numbers),
        short_title=job.result.front_matter.get("short_title", ""),
    )


def formulas_of(source: str, *, slug: str = "") -> list[formula_cache.Formula]:
    """The formulas rendering `source` would typeset, in order, typesetting none of them (for
    filling the formula cache ahead of many renders: formula_prefill.prefill)."""
    job = _NoteRender(source, slug=slug, index=MappingIndex())
    job.run(typeset=False)
    return [] if job.gauge.exhausted else job.formula_jobs()


class _NoteRender(NoteMath):
    def __init__(self, source: str, *, slug: str, index: NoteIndex, figures: FigureSource | None = None):
        self.source = source
        self.lines = source.splitlines()
        self.block_texts: dict[tuple[int, int], str] = {}  # a block's source lines, joined (locate)
        self.slug = slug
        self.index = index
        self.result = RenderResult(slug=slug)
        self.md = make_parser()
        self.env: dict = {}
        self.formulas: list[tuple[Token, PreparedFormula, int, int]] = []  # token, prep, line, col
        self.gauge = NestingGauge()  # the note's macros, formula to formula in typesetting order
        self.equation_numbers: dict[str, int] = {}
        super().__init__()
        self.anchors: dict[str, str] = {}  # anchor id -> what a link to it says
        self.link_sites: list[tuple[LinkData, Token, int]] = []  # link, its inline token, index
        self.figures = FigurePass(figures)

    # -- problems -----------------------------------------------------------------------

    def error(self, line: int, col: int, message: str, formula_pos: int | None = None) -> None:
        self.result.errors.append(Problem(line, col, message, formula_pos))

    def warning(self, line: int, col: int, message: str) -> None:
        self.result.warnings.append(Problem(line, col, message))

    def locate(self, block_map: list[int] | None, needle: str, start: int = 0) -> tuple[int, int, int]:
        """Find needle in the source lines of a block: (line, col, offset after it), 1-based."""
        if not block_map:
            return 1, 1, start
        first, last = block_map
        text = self.block_texts.get((first, last))
        if text is None:  # a paragraph with many formulas is searched once per formula
            text = self.block_texts[first, last] = "\n".join(self.lines[first:last])
        found = text.find(needle, start) if needle else -1
        if found < 0:
            return first + 1, 1, start
        before = text[:found]
        line = first + before.count("\n")
        col = found - (before.rfind("\n") + 1)
        return line + 1, col + 1, found + len(needle)

    # -- the passes ---------------------------------------------------------------------

    def run(self, typeset: bool = True, everything: bool = True) -> RenderResult:
        size = len(self.source.encode("utf-8"))
        if size > settings.NOTE_MAX_BYTES:
            self.error(1, 1, f"note is {size:,} bytes; the limit is {settings.NOTE_MAX_BYTES:,} bytes (1 MB)")
            return self.result
        if typeset and everything:  # a preview's formulas are in the cache but the one edited
            self.env["blocks_parsed"] = self.typeset_ahead
        tokens = self.md.parse(self.source, self.env)
        self.env.pop("blocks_parsed", None)
        tokens = self.read_front_matter(tokens)
        self.walk_blocks(tokens)
        self.walk_summary()
        tokens = self.structure_derivations(tokens)
        self.figures.number(tokens, self.anchors, self.error)
        self.result.errors += alias_anchor_problems(self.source, self.result.front_matter, self.anchors)
        if not typeset:
            return self.result
        # While the engines typeset the formulas the cache lacks, the page is drawn around
        # placeholders that expect every formula typeset (drawn again in the rare note where
        # one is not); the problems keep their order, the formulas' first.
        collect = self.typeset_start()
        errors, warnings = len(self.result.errors), len(self.result.warnings)
        self.result.figures = self.figures.draw(self.slug, self.stash, self.error, preview=not everything)
        self.resolve_links(tokens)
        page = self.page_html(tokens)
        if not self.typeset_finish(collect, errors, warnings):
            page = self.page_html(tokens)
        self.finish(tokens, page, everything)
        return self.result

    def read_front_matter(self, tokens: list[Token]) -> list[Token]:
        result = self.result
        if not tokens or tokens[0].type != "front_matter":
            self.error(1, 1, "a note starts with front matter between --- lines (title, summary, topics)")
            return tokens
        data, problems = parse_front_matter(tokens[0].content)
        for line, col, message in problems:
            self.error(line + 2, col, message)  # +1 for the opening ---, +1 for 1-based
        result.front_matter = data
        result.title = data.get("title", "")
        result.summary = data.get("summary", "")
        result.topics = data.get("topics", [])
        result.prerequisites = data.get("prerequisites", [])
        if data.get("slug"):
            if self.slug and data["slug"] != self.slug:
                self.error(2, 1, f"front matter slug {data['slug']!r} differs from {self.slug!r}")
            self.slug = result.slug = data["slug"]
        if self.slug in result.prerequisites:
            self.error(2, 1, "a note cannot be its own prerequisite")
        return tokens[1:]

    def walk_blocks(self, tokens: list[Token]) -> None:
        """First pass: headings, admonitions, math preparation and numbering."""
        used_ids: set[str] = set()
        for token in tokens:
            if token.type == "container_derivation_open":
                match = DERIVATION_INFO.match(token.info.strip())
                key = (match.group(1) or "").strip() if match else ""
                if key:
                    used_ids.add(key)
        used_ids |= figure_ids(tokens)
        number = 1
        for i, token in enumerate(tokens):
            line = token.map[0] + 1 if token.map else 1
            if token.type == "heading_open":
                inline = tokens[i + 1]
                text = inline_text(inline)
                base = anchor = heading_id(text)
                n = 2
                while anchor in used_ids or id_is_reserved(anchor):
                    anchor, n = f"{base}-{n}", n + 1
                used_ids.add(anchor)
                token.attrSet("id", anchor)
                self.anchors[anchor] = text or anchor
                if token.tag == "h1":
                    self.warning(line, 1, "the title comes from the front matter; start sections at ##")
                token.meta["text"] = text
            elif token.type == "admonition_open":
                kind = token.meta.get("tag", "")
                if kind not in ADMONITION_KINDS:
                    self.error(
                        line, 1, f"unknown admonition '{kind}'; use one of: {', '.join(sorted(ADMONITION_KINDS))}"
                    )
            elif token.type in {"math_block", "amsmath"}:
                number = self.add_formula(token, token.map, 0, display=True, number=number)[0]
            elif token.type == "inline" and token.children:
                self.result.warnings += leftover_delimiters(token, self.lines)
                cursor = 0
                for child in token.children:
                    if child.type == "math_inline":
                        number, cursor = self.add_formula(child, token.map, cursor, display=False, number=number)
                    elif child.type == "wikilink":
                        line_, col, cursor = self.locate(token.map, child.content, cursor)
                        child.meta["line"], child.meta["col"] = line_, col
                    elif child.type == "image" and outside_image(child.attrGet("src") or ""):
                        src = child.attrGet("src")
                        line_, col, _ = self.locate(token.map, src, cursor)
                        self.error(line_, col, IMAGE_OUTSIDE.format(src=src))

    def walk_summary(self) -> None:
        """The summary's formulas join the batch after the body's, seeing the note's macros."""
        self.summary, refused = summary_parse(self.md, self.result.summary)
        where = summary_lines(self.lines)
        if refused:
            self.error(where[0] + 1, 1, f"{REFUSED} (found: {', '.join(refused)})")
        cursor, number = 0, len(self.equation_numbers) + 1
        for child in self.summary.children:
            if child.type == "math_inline":
                number, cursor = self.add_formula(child, where, cursor, display=False, number=number)

    def add_formula(self, token, block_map, cursor, *, display, number):
        line, col, after = self.locate(block_map, token.content, cursor)
        prepared = prepare(token.content, display=display, next_number=number, gauge=self.gauge)
        for offset, message in prepared.problems:
            self.error(line, col, f"math: {message}", formula_pos=offset)
        for message in prepared.warnings:
            self.warning(line, col, f"math: {message}")
        for label in prepared.labels:
            if label in self.equation_numbers:
                self.error(line, col, f"duplicate equation label {label!r}")
                continue
            self.equation_numbers[label] = number
            self.anchors[label] = f"({number})"
            number += 1
        token.meta["labels"] = list(prepared.labels)
        if not prepared.problems:
            self.formulas.append((token, prepared, line, col))
        return number, after

    def structure_derivations(self, tokens: list[Token]) -> list[Token]:
        """Split each derivation into statement, numbered steps and result."""
        out: list[Token] = []
        i = 0
        seen: set[str] = set()
        while i < len(tokens):
            token = tokens[i]
            if token.type != "container_derivation_open":
                out.append(token)
                i += 1
                continue
            close = matching_close(tokens, i)
            out.extend(self.structure_one(tokens, i, close, seen))
            i = close + 1
        return out

    def structure_one(self, tokens, open_idx, close_idx, seen) -> list[Token]:
        opener = tokens[open_idx]
        line = opener.map[0] + 1
        match = DERIVATION_INFO.match(opener.info.strip())
        key = (match.group(1) or "").strip() if match else ""
        title = (match.group(2) or "").strip() if match else ""
        body = tokens[open_idx + 1 : close_idx]
        if not key:
            self.error(line, 1, "a derivation needs an id: ::: derivation {#my-id} Title")
        elif not ANCHOR_ID.fullmatch(key):
            self.error(line, 1, f"derivation id {key!r} must be lowercase letters, digits and hyphens (at most 80)")
        elif key in seen:
            self.error(line, 1, f"duplicate derivation id {key!r}")
        elif id_is_reserved(key):
            self.error(line, 1, f"derivation id {key!r} is used by the page itself; choose another")
        if not title:
            self.error(line, 1, "a derivation needs a title after its id")
        elif len(title) > MAX_DERIVATION_TITLE:
            self.error(line, 1, f"derivation title is {len(title)} characters; keep it under {MAX_DERIVATION_TITLE}")
        if any(t.type == "container_derivation_open" for t in body):
            self.error(line, 1, "derivations cannot be nested")
        seen.add(key)
        opener.meta.update(key=key, title=title, title_html=escape(title))

        level = opener.level + 1
        list_idx = next((j for j, t in enumerate(body) if t.type == "ordered_list_open" and t.level == level), None)
        if list_idx is None:
            self.error(line, 1, f"derivation {key!r} needs its steps as a numbered list (1. 2. 3.)")
            return [opener, *body, tokens[close_idx]]
        list_close = matching_close(body, list_idx)
        statement, steps_tokens, result = body[:list_idx], body[list_idx : list_close + 1], body[list_close + 1 :]
        if not result:
            self.error(line, 1, f"derivation {key!r} needs a result: a paragraph after the numbered steps")

        step_number = 0
        for t in steps_tokens:
            if t.type == "list_item_open" and t.level == level + 1:
                step_number += 1
                t.meta["step_id"] = step_id(key, step_number)
                t.meta["step_number"] = step_number
                self.anchors[t.meta["step_id"]] = f"{title or key}, step {step_number}"
        self.anchors[key] = title or key
        steps_tokens[0].attrJoin("class", "derivation-steps")

        out = [opener]
        if statement:
            out += [
                Token("derivation_statement_open", "div", 1),
                *statement,
                Token("derivation_statement_close", "div", -1),
            ]
        out += steps_tokens
        if result:
            out += [Token("derivation_result_open", "div", 1), *result, Token("derivation_result_close", "div", -1)]
        out.append(tokens[close_idx])
        return out

    def resolve_links(self, tokens: list[Token]) -> None:
        links = list(wikilinks(tokens))
        if prefetch := getattr(self.index, "prefetch", None):  # one read for the notes linked to
            prefetch({token.meta["slug"] for _, _, token in links if token.meta["slug"]})
        for parent, position, token in links:
            meta = token.meta
            line, col = meta.get("line", 1), meta.get("col", 1)
            target, anchor = meta["slug"] or self.slug, meta["anchor"]
            if anchor and not ANCHOR_ID.fullmatch(anchor) and not anchor.startswith("eq:"):
                self.error(line, col, f"link anchor {anchor!r} is not a valid id")
                meta["broken"] = True
                continue
            own = not meta["slug"] or target == self.slug
            info = None if own else self.index.lookup(target)
            if not own and info is None:
                self.error(line, col, f"unknown link target {target!r} in {token.content}")
                meta["broken"] = True
                continue
            anchors = self.anchors if own else info.anchors
            equations = self.equation_numbers if own else info.equations
            title = self.result.title if own else info.title
            href = ("" if own else note_url(target)) + (f"#{anchor}" if anchor else "")
            if anchor and anchor not in anchors:
                where = "this note" if own else repr(target)
                self.error(line, col, f"unknown anchor {anchor!r} in {where} ({token.content})")
                meta["broken"] = True
                continue
            meta["href"] = href or note_url(target)
            if anchor.startswith("eq:"):
                meta["is_equation"] = True
                name = None if own else info.name
                wrapped = between_parentheses(parent.children, position)
                meta["label"] = meta["text"] or equation_reference(equations[anchor], name, in_parentheses=wrapped)
                meta["title"] = f"Equation ({equations[anchor]})" + ("" if own else f" in {title}")
            elif anchor:
                meta["label"] = meta["text"] or (anchors[anchor] if own else f"{title} § {anchors[anchor]}")
                meta["title"] = title
            else:
                meta["label"] = meta["text"] or title
                meta["title"] = title
            if not own:
                self.result.links.append(LinkData(target, anchor, meta["label"], line))
                self.link_sites.append((self.result.links[-1], parent, position))

    def fragment_html(self, tokens: list[Token]) -> str:
        return self.clean(self.md.renderer.render(tokens, self.md.options, self.env))

    def page_html(self, tokens: list[Token]) -> str:
        """The page, sanitized, with its formulas and figures still placeholders."""
        if self.slug:
            self.env["uses_url"] = note_url(self.slug) + "uses/"
        return sanitize(self.md.renderer.render(tokens, self.md.options, self.env))

    def finish(self, tokens: list[Token], page: str, everything: bool = True) -> None:
        result, renderer, options = self.result, self.md.renderer, self.md.options
        result.html = self.fill(page)
        result.anchors = dict(sorted(self.anchors.items()))
        if not everything:  # a preview: no contents, derivations, equations, links, search text
            return
        for i, token in enumerate(tokens):
            if token.type == "heading_open" and token.tag in {"h2", "h3"}:
                inline_html = renderer.renderInline(tokens[i + 1].children or [], options, self.env)
                result.toc.append(
                    TocEntry(int(token.tag[1]), token.attrGet("id"), self.clean(inline_html), token.meta["text"])
                )
            elif token.type == "container_derivation_open":
                result.derivations.append(
                    derivation_data(tokens, i, len(result.derivations), lines=self.lines, html=self.fragment_html)
                )

        for token, prep, line, _col in self.formulas:
            for label in prep.labels:
                result.equations.append(
                    EquationData(
                        label,
                        self.equation_numbers[label],
                        token.content.strip(),
                        self.clean(token.meta.get("html", "")),
                        len(result.equations),
                        line,
                    )
                )
        # The sentence is shown on the target's page, so links within this note must say
        # which note they mean.
        here = f'href="{note_url(self.slug)}#' if self.slug else 'href="#'
        for link, parent, position in self.link_sites:
            around = renderer.renderInline(sentence_around(parent.children, position), options, self.env)
            link.context_html = self.clean(around.replace('href="#', here))
        result.plain_text = plain_text(tokens)
        summary_html = renderer.renderInline(self.summary.children, options, self.env)
        result.summary_html, result.summary_text = self.clean(summary_html), summary_text(self.summary)
        fragments = search_fragments(tokens, self.clean, self.equation_numbers)
        result.search_text, result.search_formulas, result.search_units = fragments
        result.word_count = len(re.findall(r"[A-Za-z0-9']+", prose(tokens)))
