"""Moving anchors from one revision's text into another's (`plan_reanchor`).

Pure functions over two texts, with the rules and their numbers stated beside them; finding
a quote in one text is accounts.annotations.quotes.
"""

import re
import time
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from functools import cached_property

from diff_match_patch import diff_match_patch
from rapidfuzz import fuzz

from accounts.annotations.quotes import CONTEXT, Collapsed, Span, collapse, context_of

# Re-anchoring: moving annotations from the revision they refer to into a new one.
#
# Order of trust: the block id of an equation, derivation or step (the author keeps it stable
# on purpose); then one diff between the two stored plain texts, which is exact wherever the
# passage and its context are unchanged; then fuzzy quote matching; otherwise an orphan.

TEXT_KIND = "text"
DIFF, BLOCK, FUZZY, ORPHAN = "diff", "block", "fuzzy", "orphan"

# The diff's time budget: diff-match-patch stops refining at the deadline and returns a
# coarser (still correct) diff. The publish holds the note's row lock meanwhile, and a
# coarser diff only sends more annotations on to fuzzy matching.
DIFF_TIMEOUT = 0.5  # seconds

# Fuzzy score = the weighted sum of four similarities in [0, 1]:
#   quote   the candidate's text against the quote (rapidfuzz Indel ratio, whitespace collapsed)
#   prefix  the share of the stored prefix found right before the candidate (counted from
#           it), squared: chance agreement is common over a few characters, rare over 32
#   suffix  the same for the stored suffix after it
#   near    1 - |candidate start - where the diff maps the old start| / length of the new text
# The quote carries most weight: it is what the reader selected. Context and nearness decide
# between copies of a repeated phrase and still count when a paragraph moved (its context moves
# with it). Nearness weighs least, because moved text is legitimately far.
WEIGHTS = {"quote": 0.6, "prefix": 0.15, "suffix": 0.15, "near": 0.1}
# Accepted when the score reaches THRESHOLD and the quote similarity alone reaches
# QUOTE_FLOOR. The floor is what makes a deletion an orphan: when a sentence is deleted its
# neighbours stay, so a candidate at the same place has full context and nearness (0.4 of
# the score) whatever its text; only the quote can tell. A word changed in a sentence keeps
# the similarity above 0.9; 0.8 is about two words changed in a short clause. The threshold
# makes the rest count: an exact copy (0.6) needs one side of its context (0.15), or a good
# part of both, and nearness decides between copies; text that only resembles the quote
# somewhere else (0.8 x 0.6 plus chance context) stays far below.
THRESHOLD = 0.75
QUOTE_FLOOR = 0.8
# One exception: a quote at least as long as a whole stored context, of which the new text
# holds exactly one exact copy, is taken there whatever its surroundings (its score is still
# recorded). That is text moved away from its context, a sentence carried into another
# paragraph; an identical 32-character passage is not a coincidence.
DISTINCT_CHARS = 32
# The diff is trusted where a passage "keeps its context": at least KEPT_CHARS characters of
# its stored prefix and suffix together, counted outward from the quote, still stand around
# it. Half a context: a display formula between two edited paragraphs keeps about that, a
# stock sentence ("This is the step that matters.") that the diff paired with its copy in
# another paragraph keeps a full stop and a space.
KEPT_CHARS = CONTEXT // 2
# Shorter quotes ("$x$", "loss") occur everywhere and differ from other words by one letter:
# when the diff cannot follow them they are found only as an exact copy with KEPT_CHARS of
# both its prefix and its suffix around it, never approximately.
MIN_FUZZY_CHARS = 8
# Work caps. rapidfuzz aligns a needle of up to 64 characters bit-parallel in linear time, so
# a longer quote is aligned by its head and its tail; the search looks around the expected
# place first and over the whole text only when that finds nothing acceptable; at most
# MAX_COPIES exact copies of a quote are scored.
PIECE = 64
WINDOW = 2_000
MAX_COPIES = 50
SLACK = 24  # characters each end of a fuzzy match may move to fit the edited passage
# Derivation steps are stored with their list number ("2. Evaluate..."); the plain text has
# the step without it.
LIST_MARKER = re.compile(r"^\s*\d+[.)]\s+")
TOKEN = re.compile(r"\w+|\s+|[^\w\s]")  # words, whitespace, single other characters
PARAGRAPH_END = re.compile(r"(?<=\n\n)(?=[^\n])")


@dataclass(frozen=True)
class Anchor:
    """Where an annotation points in the old text."""

    kind: str
    block_id: str
    quote: str
    prefix: str
    suffix: str
    start: int
    end: int

    @cached_property
    def matched(self) -> tuple[str, str, str]:
        """The quote, the prefix read backwards from the quote, and the suffix, whitespace
        collapsed: what candidates are compared with (computed once, compared often)."""
        return collapse(self.quote).strip(), collapse(self.prefix)[::-1], collapse(self.suffix)


@dataclass(frozen=True)
class Outcome:
    """Where it points in the new text, and how that was found (an orphan keeps its old anchor)."""

    method: str
    kind: str
    block_id: str
    quote: str
    prefix: str
    suffix: str
    start: int
    end: int
    score: float | None = None  # fuzzy matches only


def text_diff(old: str, new: str) -> list[tuple[int, str]]:
    """A character diff of two plain texts: paragraphs first, then the words of the
    paragraphs that were replaced.

    diff-match-patch's own line mode pairs the blank lines between paragraphs, which are all
    alike, and then merges edited paragraphs with the unchanged ones between them into large
    blocks that it diffs character by character in pure Python: a second for a long note with
    edits spread through it, and a moved or inserted paragraph paired with the wrong one.
    Here whole paragraphs are the units, each replaced stretch is diffed by words (a tenth as
    many symbols as characters, and a reader's selection starts and ends at words anyway),
    and everything shares one time budget.
    """
    dmp = diff_match_patch()
    deadline = time.time() + DIFF_TIMEOUT
    diffs: list[tuple[int, str]] = []
    deleted, inserted = "", ""
    for op, text in [*_coded_diff(dmp, old, new, _paragraphs, deadline), (dmp.DIFF_EQUAL, "")]:
        if op == dmp.DIFF_DELETE:
            deleted += text
        elif op == dmp.DIFF_INSERT:
            inserted += text
        else:
            if deleted and inserted:
                by_word = _coded_diff(dmp, deleted, inserted, TOKEN.findall, deadline)
                # A raw diff of rewritten text keeps scattered words ("the", a space) as
                # "equal"; the semantic cleanup turns those into whole replacements, so equal
                # runs are text a reader would call unchanged.
                dmp.diff_cleanupSemantic(by_word)
                diffs += by_word
            else:
                diffs += [(o, t) for o, t in ((dmp.DIFF_DELETE, deleted), (dmp.DIFF_INSERT, inserted)) if t]
            deleted, inserted = "", ""
            if text:
                diffs.append((op, text))
    return diffs


def _paragraphs(text: str) -> list[str]:
    """The text cut after each blank line, so that the pieces join back into it."""
    return [piece for piece in PARAGRAPH_END.split(text) if piece]


def _coded_diff(
    dmp: diff_match_patch, old: str, new: str, pieces: Callable[[str], list[str]], deadline: float
) -> list[tuple[int, str]]:
    """A diff of two texts cut into pieces, each piece coded as one character for
    diff-match-patch (its own trick for lines)."""
    codes: dict[str, str] = {}
    tokens: list[str] = []

    def encode(text: str) -> str:
        coded = []
        for piece in pieces(text):
            if piece not in codes:
                codes[piece] = chr(len(tokens))
                tokens.append(piece)
            coded.append(codes[piece])
        return "".join(coded)

    diffs = dmp.diff_main(encode(old), encode(new), False, deadline)
    return [(op, "".join(tokens[ord(c)] for c in coded)) for op, coded in diffs]


class DiffMap:
    """Positions in the old text mapped into the new one through one diff (`text_diff`).

    Same answer as diff-match-patch's `diff_xIndex` (a position inside deleted text goes to
    where the deletion was), found by binary search instead of its walk over every diff:
    a thousand annotations cost a thousand lookups, not a thousand walks.
    """

    def __init__(self, old: str, new: str):
        self._starts: list[int] = []  # old start of each equal or deleted run
        self._runs: list[tuple[bool, int]] = []  # (is equal, new start) of that run
        old_at = new_at = 0
        for op, text in text_diff(old, new):
            if op == diff_match_patch.DIFF_INSERT:
                new_at += len(text)
                continue
            self._starts.append(old_at)
            self._runs.append((op == diff_match_patch.DIFF_EQUAL, new_at))
            old_at += len(text)
            if op == diff_match_patch.DIFF_EQUAL:
                new_at += len(text)
        self._old_length, self._new_length = old_at, new_at

    def position(self, at: int) -> int:
        if at >= self._old_length or not self._starts:
            return self._new_length
        i = bisect_right(self._starts, max(at, 0)) - 1
        equal, new_start = self._runs[i]
        return new_start + (at - self._starts[i]) if equal else new_start

    def span(self, start: int, end: int) -> Span:
        """The old [start, end) in the new text; the end follows the last character, so text
        inserted right after the passage stays outside it."""
        new_start = self.position(start)
        return Span(new_start, max(new_start, self.position(end - 1) + 1 if end > start else new_start))


def _agreement(stored: str, found: str) -> int:
    """How many characters of the stored context the text beside a candidate repeats,
    counted outward from the quote (both given in reading order away from it). An empty
    stored context is the edge of the text: a whole context's worth, when the edge is there.

    Counted from the quote rather than compared as a whole: two unrelated English phrases
    already share 30-50% of their characters in order, which would make every copy of a
    common phrase look half right.
    """
    if not stored:
        return 0 if found else CONTEXT
    agreed = 0
    for a, b in zip(stored, found, strict=False):
        if a != b:
            break
        agreed += 1
    return agreed


class _NewText:
    """The new revision's text and what scoring against it needs, built once per plan."""

    def __init__(self, text: str):
        self.text = text

    @cached_property
    def collapsed(self) -> Collapsed:
        return Collapsed(self.text)  # only when a search needs it: most plans are all diff

    def copies(self, quote: str) -> list[Span]:
        """Exact occurrences of the quote, whitespace collapsed (at most MAX_COPIES)."""
        needle, haystack, found = collapse(quote).strip(), self.collapsed.text, []
        at = haystack.find(needle) if needle else -1
        while at >= 0 and len(found) < MAX_COPIES:
            found.append(self.collapsed.to_original(at, at + len(needle)))
            at = haystack.find(needle, at + 1)
        return found

    def copies_in_context(self, anchor: Anchor) -> list[Span]:
        """Exact occurrences of the quote with the halves of its prefix and suffix nearest to
        it on both sides (a short quote is no evidence by itself). Found by searching for
        quote and context joined, so a two-letter quote costs one search, not a look at each
        of its thousand copies."""
        haystack, found = self.collapsed.text, []
        quote, prefix, suffix = collapse(anchor.quote).strip(), collapse(anchor.prefix), collapse(anchor.suffix)
        before = prefix[-KEPT_CHARS:]
        needle = before + quote + suffix[:KEPT_CHARS]
        at = haystack.find(needle)
        while at >= 0 and len(found) < MAX_COPIES:
            # An empty stored context means the edge of the text, and only the edge agrees.
            if (prefix or at == 0) and (suffix or at + len(needle) == len(haystack)):
                found.append(self.collapsed.to_original(at + len(before), at + len(before) + len(quote)))
            at = haystack.find(needle, at + 1)
        return found

    def score(self, anchor: Anchor, span: Span, expected: int) -> tuple[float, float]:
        """(score, quote similarity) of the candidate `span` for `anchor`."""
        text = self.text
        quote = fuzz.ratio(anchor.matched[0], collapse(text[span.start : span.end]).strip()) / 100
        # Squared: a few characters beside a quote agree by chance (". The ", " of the "), a
        # whole context's worth does not, so agreement should count more than in proportion.
        _, *stored = anchor.matched
        prefix, suffix = (
            min(1.0, agreed / (len(side) or CONTEXT)) ** 2
            for agreed, side in zip(self.context(anchor, span), stored, strict=True)
        )
        near = 1 - min(1.0, abs(span.start - expected) / max(1, len(text)))
        total = (
            WEIGHTS["quote"] * quote + WEIGHTS["prefix"] * prefix + WEIGHTS["suffix"] * suffix + WEIGHTS["near"] * near
        )
        return total, quote

    def context(self, anchor: Anchor, span: Span) -> tuple[int, int]:
        """How many characters of the stored prefix and suffix stand beside `span`."""
        before = self.text[max(0, span.start - 2 * CONTEXT) : span.start]
        after = self.text[span.end : span.end + 2 * CONTEXT]
        _, prefix, suffix = anchor.matched
        return _agreement(prefix, collapse(before)[::-1]), _agreement(suffix, collapse(after))

    def best(self, anchor: Anchor, candidates: Iterable[Span], expected: int) -> tuple[Span, float, float] | None:
        """The best-scoring candidate (ties: the nearest to the expected place)."""
        best, best_key = None, None
        for span in {self.trimmed(span) for span in candidates}:  # several candidates are often the same
            if span.end <= span.start:
                continue
            total, quote = self.score(anchor, span, expected)
            key = (total, -abs(span.start - expected), -span.start)
            if best_key is None or key > best_key:
                best, best_key = (span, total, quote), key
        return best

    def refined(self, anchor: Anchor, found: tuple[Span, float, float], expected: int) -> tuple[Span, float, float]:
        """The candidate with each end moved to the nearby word boundary that scores best.

        rapidfuzz aligns windows exactly as long as the quote, and an edited passage is
        longer or shorter than it was: "trades speed versus stability" would come back with
        the full stop after it. An exact copy is left as it is.
        """
        text, (best, total, quote) = self.text, found
        if quote == 1:
            return found
        for side in ("end", "start"):
            at = getattr(best, side)
            for moved in range(max(0, at - SLACK), min(len(text), at + SLACK) + 1):
                if moved == at or 0 < moved < len(text) and text[moved - 1].isalnum() and text[moved].isalnum():
                    continue  # not a word boundary
                candidate = Span(best.start, moved) if side == "end" else Span(moved, best.end)
                if candidate.end > candidate.start and (score := self.score(anchor, candidate, expected))[0] > total:
                    best, (total, quote) = candidate, score
        return best, total, quote

    def trimmed(self, span: Span) -> Span:
        piece = self.text[span.start : span.end]
        start = span.start + len(piece) - len(piece.lstrip())
        return Span(start, max(start, span.end - (len(piece) - len(piece.rstrip()))))

    def aligned(self, quote: str, lo: int, hi: int) -> list[Span]:
        """Spans of text[lo:hi] that rapidfuzz aligns best with the quote."""
        window = self.text[lo:hi]
        if len(quote) <= PIECE:
            found = fuzz.partial_ratio_alignment(quote, window)
            return [Span(lo + found.dest_start, lo + found.dest_end)] if found else []
        head = fuzz.partial_ratio_alignment(quote[:PIECE], window)
        tail = fuzz.partial_ratio_alignment(quote[-PIECE:], window)
        spans = []
        if head:
            spans.append(Span(lo + head.dest_start, lo + min(len(window), head.dest_start + len(quote))))
        if tail:
            spans.append(Span(lo + max(0, tail.dest_end - len(quote)), lo + tail.dest_end))
        if head and tail and tail.dest_end > head.dest_start:
            spans.append(Span(lo + head.dest_start, lo + tail.dest_end))
        return spans


def _fuzzy(new: _NewText, anchor: Anchor, mapped: Span) -> tuple[Span, float] | None:
    """The best acceptable match of the anchor's quote by searching the new text, or None."""
    quote = collapse(anchor.quote).strip()
    expected = mapped.start

    def accept(found):
        if found:
            found = new.refined(anchor, found, expected)
            if found[1] >= THRESHOLD and found[2] >= QUOTE_FLOOR:
                return found[0], round(found[1], 4)
        return None

    if len(quote) < MIN_FUZZY_CHARS:
        # Too short to match approximately: only an exact copy with its context around it.
        return accept(new.best(anchor, new.copies_in_context(anchor), expected))

    # What the diff made of the passage (right when it was edited in place), its exact copies
    # anywhere (right when it moved), and the best alignments around the expected place.
    lo, hi = max(0, expected - WINDOW), expected + len(quote) + WINDOW
    copies = new.copies(quote)
    found = accept(new.best(anchor, [mapped, *copies, *new.aligned(quote, lo, hi)], expected))
    if found is None and len(copies) == 1 and len(quote) >= DISTINCT_CHARS:
        # A sentence taken into another paragraph leaves its context behind.
        found = copies[0], round(new.score(anchor, copies[0], expected)[0], 4)
    if found is None and (lo > 0 or hi < len(new.text)):
        found = accept(new.best(anchor, new.aligned(quote, 0, len(new.text)), expected))
    return found


def _block(new: _NewText, anchor: Anchor, quote: str, expected: int) -> Span:
    """Where a block's text stands in the new text: the copy that fits the old context and
    place best, or an empty span at the expected place (a derivation's title is not in the
    plain text)."""
    for form in dict.fromkeys((quote, LIST_MARKER.sub("", quote, count=1))):
        found = new.best(anchor, new.copies(form), expected) if form.strip() else None
        if found:
            return found[0]
    return Span(expected, expected)


def _diff_holds(new: _NewText, anchor: Anchor, mapped: Span) -> bool:
    """Whether the diff carried the passage over unchanged, with its context."""
    quote = anchor.matched[0]
    if not quote or collapse(new.text[mapped.start : mapped.end]).strip() != quote:
        return False
    kept = sum(new.context(anchor, mapped))
    if kept >= sum(len(side) or CONTEXT for side in anchor.matched[1:]):
        return True  # the passage and all of its context: the common case, and certain
    # Text changed nearby. The diff of a rewritten stretch can pair the passage with a copy
    # of the same words in another paragraph while the passage itself moved away; trust it
    # unless a copy elsewhere keeps clearly more of the context (KEPT_CHARS more).
    return kept >= KEPT_CHARS and all(sum(new.context(anchor, c)) < kept + KEPT_CHARS for c in new.copies(quote))


def plan_reanchor(
    old_text: str, new_text: str, anchors: list[Anchor], blocks: dict[tuple[str, str], str]
) -> list[Outcome]:
    """Where each anchor of `old_text` goes in `new_text`, in the order given.

    `blocks` maps (kind, block id) to the text of that equation (its TeX), derivation (its
    title) or step (its source) in the new revision. One diff is computed for all anchors.
    Pure: no database, so the same plan serves the publish and the editors' dry run.
    """
    return Reanchoring(new_text, blocks).plan(old_text, anchors)


class Reanchoring:
    """Plans into one new text, batch after batch: the diff from each old text is computed
    once however many batches it takes (the background job plans a hundred thousand
    annotations a thousand at a time, to keep its memory and its transactions small)."""

    def __init__(self, new_text: str, blocks: dict[tuple[str, str], str]):
        self.new_text, self.blocks = new_text, blocks
        self._new = _NewText(new_text)
        self._diffs: dict[str, DiffMap] = {}

    def plan(self, old_text: str, anchors: list[Anchor]) -> list[Outcome]:
        """Where each anchor of `old_text` goes, in the order given (see `plan_reanchor`)."""
        diff = self._diffs.get(old_text)
        if diff is None:
            diff = self._diffs[old_text] = DiffMap(old_text, self.new_text)
        return [self._outcome(diff, anchor) for anchor in anchors]

    def _outcome(self, diff: DiffMap, anchor: Anchor) -> Outcome:
        new, new_text = self._new, self.new_text
        mapped = diff.span(anchor.start, anchor.end)
        block_quote = self.blocks.get((anchor.kind, anchor.block_id)) if anchor.kind != TEXT_KIND else None
        if block_quote is not None:
            span = _block(new, anchor, block_quote, mapped.start)
            prefix, suffix = context_of(new_text, span)
            return Outcome(BLOCK, anchor.kind, anchor.block_id, block_quote, prefix, suffix, span.start, span.end)
        if _diff_holds(new, anchor, mapped):
            method, span, score = DIFF, mapped, None
        elif found := _fuzzy(new, anchor, mapped):
            method, (span, score) = FUZZY, found
        else:
            return Outcome(ORPHAN, **asdict(anchor))
        # Found as text (a block kind gets here when its id is gone from the revision), so from
        # now on it is a passage of text.
        prefix, suffix = context_of(new_text, span)
        quote = new_text[span.start : span.end]
        return Outcome(method, TEXT_KIND, "", quote, prefix, suffix, span.start, span.end, score)
