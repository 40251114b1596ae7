"""Differences between two revisions: word-level text diffs and what changed by id.

Lines are aligned with difflib; inside a changed block, words are compared with
diff-match-patch (words mapped to single characters, the library's line-mode trick applied
to words), so a one-symbol change in a long formula shows as that symbol.
"""

import difflib
import re
from dataclasses import dataclass, field
from html import escape
from itertools import zip_longest

from diff_match_patch import diff_match_patch
from django.utils.safestring import SafeString, mark_safe
from merge3 import Merge3

from notes.models import Revision

TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def _word_ops(a: str, b: str) -> list[tuple[int, str]]:
    """diff-match-patch ops (-1 delete, 0 equal, 1 insert) over word tokens."""
    vocabulary: dict[str, str] = {}
    words: list[str] = []

    def encode(text: str) -> str:
        out = []
        for token in TOKEN.findall(text):
            if token not in vocabulary:
                vocabulary[token] = chr(0xE000 + len(words)) if len(words) < 6400 else chr(0xF0000 + len(words))
                words.append(token)
            out.append(vocabulary[token])
        return "".join(out)

    dmp = diff_match_patch()
    dmp.Diff_Timeout = 1.0
    diffs = dmp.diff_main(encode(a), encode(b), False)
    dmp.diff_cleanupSemantic(diffs)
    decode = {v: k for k, v in vocabulary.items()}
    return [(op, "".join(decode[ch] for ch in text)) for op, text in diffs]


def _mark(ops, keep: set[int]) -> str:
    parts = []
    for op, text in ops:
        if op not in keep:
            continue
        if op == 0:
            parts.append(escape(text))
        elif op < 0:
            parts.append(f"<del>{escape(text)}</del>")
        else:
            parts.append(f"<ins>{escape(text)}</ins>")
    return "".join(parts)


def inline_diff(a: str, b: str) -> SafeString:
    """One stream: deletions struck out, insertions underlined."""
    return mark_safe(_mark(_word_ops(a, b), {-1, 0, 1}))  # noqa: S308 - every text part is escaped


@dataclass
class Row:
    kind: str  # "equal", "replace", "delete", "insert"
    left_number: int | None
    left: SafeString
    right_number: int | None
    right: SafeString


def side_by_side(a: str, b: str, *, context: int = 3) -> list[Row | None]:
    """Aligned rows of old and new lines; None marks skipped unchanged lines."""
    old, new = a.splitlines(), b.splitlines()
    rows: list[Row | None] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        if rows:
            rows.append(None)
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                for k in range(i2 - i1):
                    text = mark_safe(escape(old[i1 + k]))  # noqa: S308
                    rows.append(Row("equal", i1 + k + 1, text, j1 + k + 1, text))
                continue
            left_lines, right_lines = old[i1:i2], new[j1:j2]
            for k in range(max(len(left_lines), len(right_lines))):
                left = left_lines[k] if k < len(left_lines) else None
                right = right_lines[k] if k < len(right_lines) else None
                if left is not None and right is not None:
                    ops = _word_ops(left, right)
                    rows.append(
                        Row(
                            "replace",
                            i1 + k + 1,
                            mark_safe(_mark(ops, {-1, 0})),
                            j1 + k + 1,
                            mark_safe(_mark(ops, {0, 1})),
                        )  # noqa: S308
                    )
                elif left is not None:
                    rows.append(Row("delete", i1 + k + 1, mark_safe(f"<del>{escape(left)}</del>"), None, mark_safe("")))  # noqa: S308
                else:
                    rows.append(
                        Row("insert", None, mark_safe(""), j1 + k + 1, mark_safe(f"<ins>{escape(right)}</ins>"))
                    )  # noqa: S308
    return rows


@dataclass
class Changes:
    """What changed between two revisions, by stable id."""

    derivations_added: list[str] = field(default_factory=list)
    derivations_removed: list[str] = field(default_factory=list)
    derivations_changed: list[str] = field(default_factory=list)
    equations_added: list[str] = field(default_factory=list)
    equations_removed: list[str] = field(default_factory=list)
    equations_changed: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return any(vars(self).values())


def _compare(old: dict, new: dict) -> tuple[list[str], list[str], list[str]]:
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    changed = sorted(k for k in set(old) & set(new) if old[k] != new[k])
    return added, removed, changed


def revision_changes(old: Revision | None, new: Revision) -> Changes:
    def derivations(rev):
        return dict(rev.derivations.values_list("key", "fingerprint")) if rev else {}

    def equations(rev):
        return {label: " ".join(tex.split()) for label, tex in rev.equations.values_list("label", "tex")} if rev else {}

    changes = Changes()
    changes.derivations_added, changes.derivations_removed, changes.derivations_changed = _compare(
        derivations(old), derivations(new)
    )
    changes.equations_added, changes.equations_removed, changes.equations_changed = _compare(
        equations(old), equations(new)
    )
    return changes


def three_way_merge(base: str, theirs: str, yours: str) -> str | None:
    """The merged text when the two edits touch different lines, else None."""
    merger = Merge3(base.splitlines(True), theirs.splitlines(True), yours.splitlines(True))
    if any(region[0] == "conflict" for region in merger.merge_regions()):
        return None
    return "".join(merger.merge_lines())


def step_pairs(old: list[dict], new: list[dict]) -> list[tuple[dict | None, dict | None, bool]]:
    """Old and new steps aligned (an inserted step does not shift the rest), with whether each
    pair differs."""
    matcher = difflib.SequenceMatcher(a=[s["source"] for s in old], b=[s["source"] for s in new], autojunk=False)
    rows = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        left, right = old[i1:i2], new[j1:j2]
        for a, b in zip_longest(left, right):
            rows.append((a, b, op != "equal"))
    return rows
