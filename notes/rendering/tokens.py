"""Helpers over markdown-it token streams: matching blocks, wikilinks, the sentence around a
link, and plain text for search and anchoring."""

import re

from markdown_it.token import Token


def matching_close(tokens: list[Token], open_idx: int) -> int:
    depth = 0
    for j in range(open_idx, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1


def wikilinks(tokens: list[Token]):
    """Every cross-link with the inline token that holds it and its index there."""
    for token in tokens:
        for position, child in enumerate(token.children or ()):
            if child.type == "wikilink":
                yield token, position, child


def between_parentheses(children: list[Token], position: int) -> bool:
    """True when the author wrote children[position] inside parentheses of their own: "(x)"."""
    before = children[position - 1].content if position > 0 and children[position - 1].type == "text" else ""
    after = children[position + 1] if position + 1 < len(children) else None
    return before.endswith("(") and after is not None and after.type == "text" and after.content.startswith(")")


# A sentence ends at . ! or ? followed by space and a capital: "e.g. the" does not end one.
SENTENCE_END = re.compile(r"[.!?]\s+(?=[A-Z])")
CONTEXT_CHARS = 220  # at most this much text on each side of the link


def sentence_around(children: list[Token], position: int) -> list[Token]:
    """The tokens of the sentence holding children[position], that link shown marked.

    Text tokens at the edges are cut at the sentence boundary; a very long sentence is cut
    to CONTEXT_CHARS each side, with an ellipsis. Formulas keep their typeset HTML.
    """

    def text(content: str) -> Token:
        token = Token("text", "", 0)
        token.content = content
        return token

    link = children[position]
    before: list[Token] = []
    budget = CONTEXT_CHARS
    for child in reversed(children[:position]):
        if child.type in {"softbreak", "hardbreak"}:
            before.append(text(" "))
            continue
        if child.type == "text":
            ends = list(SENTENCE_END.finditer(child.content))
            if ends:
                before.append(text(child.content[ends[-1].end() :]))
                break
        if len(child.content) > budget:
            kept = child.content[len(child.content) - budget :] if child.type == "text" else ""
            before.append(text("… " + kept.lstrip()))
            break
        budget -= len(child.content)
        before.append(child)
    after: list[Token] = []
    budget = CONTEXT_CHARS
    for child in children[position + 1 :]:
        if child.type in {"softbreak", "hardbreak"}:
            after.append(text(" "))
            continue
        if child.type == "text":
            end = SENTENCE_END.search(child.content)
            if end:
                after.append(text(child.content[: end.start() + 1]))
                break
        if len(child.content) > budget:
            kept = child.content[:budget] if child.type == "text" else ""
            after.append(text(kept.rstrip() + " …"))
            break
        budget -= len(child.content)
        after.append(child)
    mark_open, mark_close = Token("mark_open", "mark", 1), Token("mark_close", "mark", -1)
    return [*reversed(before), mark_open, link, mark_close, *after]


def inline_text(inline: Token) -> str:
    parts = []
    for child in inline.children or []:
        if child.type in {"text", "code_inline", "math_inline"}:
            parts.append(child.content)
        elif child.type == "wikilink":
            parts.append(child.meta.get("text") or child.meta.get("slug", ""))
    return "".join(parts).strip()


def prose(tokens: list[Token]) -> str:
    return " ".join(c.content for t in tokens if t.children for c in t.children if c.type == "text")


def plain_text(tokens: list[Token]) -> str:
    """The note as text: prose, code and TeX source, one block per paragraph."""
    blocks: list[str] = []
    for token in tokens:
        if token.type == "inline":
            parts = []
            for child in token.children or []:
                if child.type in {"text", "code_inline"}:
                    parts.append(child.content)
                elif child.type == "math_inline":
                    parts.append(f"${child.content}$")
                elif child.type == "wikilink":
                    parts.append(child.meta.get("label") or child.meta.get("text") or "")
                elif child.type in {"softbreak", "hardbreak"}:
                    parts.append(" ")
            blocks.append("".join(parts))
        elif token.type in {"math_block", "amsmath"}:
            blocks.append(f"$${token.content.strip()}$$")
        elif token.type in {"fence", "code_block"}:
            blocks.append(token.content.rstrip("\n"))
    return "\n\n".join(b for b in blocks if b.strip())
