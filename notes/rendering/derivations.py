"""A rendered derivation as stored: statement, numbered steps (each with its source) and result."""

import hashlib
from collections.abc import Callable

from markdown_it.token import Token

from .result import DerivationData
from .tokens import matching_close


def derivation_data(
    tokens: list[Token], open_idx: int, position: int, *, lines: list[str], html: Callable[[list[Token]], str]
) -> DerivationData:
    """The derivation whose structured block (pipeline's structure_derivations) opens at
    `open_idx`; `html` prints a run of tokens as clean HTML, `lines` are the note's source lines."""
    opener = tokens[open_idx]
    close = matching_close(tokens, open_idx)
    first, last = opener.map
    source = "\n".join(lines[first : last + 1])
    steps, statement, result_html = [], "", ""
    j = open_idx + 1
    while j < close:
        t = tokens[j]
        end = matching_close(tokens, j) if t.nesting == 1 else j
        if t.type == "list_item_open" and t.meta.get("step_id"):
            a, b = t.map
            steps.append(
                {
                    "n": t.meta["step_number"],
                    "id": t.meta["step_id"],
                    "source": "\n".join(lines[a:b]).strip(),
                    "html": html(tokens[j + 1 : end]),
                }
            )
        elif t.type == "derivation_statement_open":
            statement = html(tokens[j + 1 : end])
        elif t.type == "derivation_result_open":
            result_html = html(tokens[j + 1 : end])
        j = j + 1 if t.type in {"ordered_list_open", "container_derivation_open"} else end + 1
    # The print covers what a reader works through: statement, steps and result. Neither
    # whitespace nor the title (the opening line) changes it, so retitling a derivation
    # leaves readers' marks valid.
    normalized = " ".join(source.split("\n", 1)[1].split()) if "\n" in source else ""
    return DerivationData(
        key=opener.meta.get("key", ""),
        title=opener.meta.get("title", ""),
        position=position,
        statement_html=statement,
        steps=steps,
        result_html=result_html,
        source=source,
        fingerprint=hashlib.sha256(normalized.encode()).hexdigest(),
        line=first + 1,
    )
