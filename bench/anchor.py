"""Re-anchoring 1,000 annotations across a revision that edits a tenth of a long note.

What it measures
    A synthetic note of about 80,000 characters of plain text in the form the renderer stores
    (paragraphs of deep-learning prose with `$tex$` inline, `$$tex$$` display blocks, joined
    by blank lines; a few stock sentences recur, as they do in real notes). 1,000
    annotations at random places: short (1-3 words), medium (a clause), long (a sentence to
    a paragraph and a half), and some on the recurring sentences. The new revision edits
    about a tenth of the text, spread through it: words replaced, sentences inserted and
    deleted, paragraphs deleted, inserted and moved.

    `accounts.annotations.anchoring.plan_reanchor` (one diff, then each annotation) is timed 5 times on
    the same input. Then, unless --engine-only, the whole service
    `accounts.reanchoring.annotations_reanchor` (load, plan, bulk update) runs once against
    a scratch database, SQLite by default (a file under /tmp, removed afterwards), or the
    PostgreSQL database named by --database-url (created and dropped by the script).

    Printed: the share of the text the revision changed, counts by method (diff, fuzzy,
    orphan), how the annotations whose paragraph is untouched were anchored, whether those
    with a known destination (untouched and moved paragraphs) landed exactly there, what
    happened to those in deleted paragraphs, seconds per run, and MET / NOT MET.

Target
    The engine re-anchors all 1,000 in under 1 second (slowest of the 5 runs), with the
    exact-diff path taking every annotation whose paragraph the revision left untouched.
    A benchmark, not a test: exits 0 either way (1 only when it cannot run).

Run (from the project root, a few seconds plus a migration for the service run)
    .venv/bin/python bench/anchor.py [--seed 7] [--engine-only]
        [--database-url postgres://postgres@127.0.0.1:5432/anchor_bench]
"""

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

from scratch import ROOT, scratch_database

sys.path.insert(0, str(ROOT))

from accounts.annotations.anchoring import DIFF, ORPHAN, Anchor, plan_reanchor, text_diff  # noqa: E402
from accounts.annotations.quotes import Span, context_of  # noqa: E402

TARGET_SECONDS = 1.0
ANNOTATIONS = 1_000
TEXT_CHARS = 80_000
RUNS = 5

SUBJECTS = [
    "the gradient of the loss",
    "the Hessian of the objective",
    "the learning rate",
    "the second moment estimate",
    "the attention weight",
    "the residual stream",
    "the KL divergence between the two posteriors",
    "the score function estimator",
    "the Jacobian of the layer",
    "the variance of the minibatch gradient",
    "the normalising constant",
    "the log-likelihood of the data",
    "each coordinate of the update",
    "the evidence lower bound",
    "the softmax temperature",
    "the spectral norm of the weight matrix",
    "the cross-entropy of the labels",
    "the momentum buffer",
    "the curvature along the trajectory",
    "the reparameterised sample",
    "the mutual information between input and code",
    "the pre-activation of the unit",
    "the layer-norm gain",
    "the effective batch size",
    "the key-query product",
    "the bias of the estimator",
    "the Fisher information matrix",
    "the decoder's likelihood",
    "the running average of squared gradients",
    "the noise schedule",
]
VERBS = [
    "bounds",
    "controls",
    "rescales",
    "depends linearly on",
    "is dominated by",
    "decreases with",
    "cancels against",
    "is an unbiased estimate of",
    "stays close to",
    "grows with",
    "is orthogonal to",
    "saturates before",
    "is proportional to",
    "oscillates around",
    "is invariant to",
    "amplifies",
    "trades off against",
    "lower-bounds",
]
TAILS = [
    "when the batch is large",
    "for every layer of the network",
    "as long as the step size is small",
    "under the usual smoothness assumptions",
    "once the warm-up phase ends",
    "in expectation over the data",
    "at initialisation",
    "in the limit of infinite width",
    "after the first few thousand steps",
    "whatever the parameterisation",
    "if the inputs are whitened",
    "near a sharp minimum",
    "when gradients are clipped",
    "in half precision",
    "for a convex objective",
    "once the temperature is annealed",
    "on the validation split",
    "as the model is scaled up",
    "unless the residual branch is rescaled",
    "when the data are heavy-tailed",
]
STOCK = [
    "This is the step that matters.",
    "The rest follows by linearity of expectation.",
    "We return to this point below.",
]
WORDS = [
    "smoothly",
    "quickly",
    "in practice",
    "in theory",
    "roughly",
    "exactly",
    "only",
    "always",
    "typically",
    "provably",
    "empirically",
    "at worst",
    "by construction",
    "to first order",
]


def formula(rng: random.Random) -> str:
    i, j = rng.randint(1, 12), rng.randint(1, 9)
    return rng.choice(
        [
            f"$\\nabla_\\theta \\mathcal{{L}}_{{{i}}}$",
            f"$W_{{{i}}} x + b_{{{j}}}$",
            f"$\\sigma(z_{{{i}}}) = 1/(1+e^{{-z_{{{i}}}}})$",
            f"$\\eta_{{{i}}} = {j}\\times 10^{{-{i % 5 + 2}}}$",
            f"$\\mathbb{{E}}[g_{{{i}}}] = \\nabla f(\\theta_{{{j}}})$",
            f"$\\beta_{j} = 0.{i}$",
            f"$h_{{{i}}} = \\mathrm{{softmax}}(QK^\\top/\\sqrt{{d}})V$",
        ]
    )


def sentence(rng: random.Random) -> str:
    subject, verb, other, tail = rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(SUBJECTS), rng.choice(TAILS)
    words = [subject.capitalize(), rng.choice(WORDS), verb, other]
    if rng.random() < 0.6:
        words.append(f"({formula(rng)})")
    words.append(tail)
    return " ".join(words) + "."


def paragraph(rng: random.Random) -> str:
    if rng.random() < 0.08:
        return f"$${formula(rng)[1:-1]} \\quad \\text{{for }} t = {rng.randint(1, 999)}$$"
    sentences = [sentence(rng) for _ in range(rng.randint(3, 7))]
    if rng.random() < 0.15:
        sentences.insert(rng.randrange(len(sentences) + 1), rng.choice(STOCK))
    return " ".join(sentences)


def note_paragraphs(rng: random.Random) -> list[str]:
    paragraphs, size = [], 0
    while size < TEXT_CHARS:
        paragraphs.append(paragraph(rng))
        size += len(paragraphs[-1]) + 2
    return paragraphs


@dataclass
class Revised:
    """The new revision's paragraphs, and what became of each old one."""

    paragraphs: list[str] = field(default_factory=list)
    fate: dict[int, str] = field(default_factory=dict)  # old index -> same/edited/deleted/moved
    at: dict[int, int] = field(default_factory=dict)  # old index -> new index (same and moved)


def edit_paragraph(rng: random.Random, text: str) -> str:
    sentences = text.split(". ")
    for _ in range(rng.randint(1, 3)):
        k = rng.randrange(len(sentences))
        change = rng.random()
        if change < 0.5:  # a word replaced
            words = sentences[k].split(" ")
            words[rng.randrange(len(words))] = rng.choice(WORDS)
            sentences[k] = " ".join(words)
        elif change < 0.75 or len(sentences) == 1:  # a sentence inserted
            sentences.insert(k, sentence(rng)[:-1])
        else:  # a sentence deleted
            del sentences[k]
    return ". ".join(sentences)


def revise(rng: random.Random, old: list[str]) -> Revised:
    revised, moving = Revised(), []
    for i, text in enumerate(old):
        roll = rng.random()
        if roll < 0.2:
            revised.fate[i] = "edited"
            revised.paragraphs.append(edit_paragraph(rng, text))
        elif roll < 0.23:
            revised.fate[i] = "deleted"
        elif roll < 0.26:
            revised.fate[i] = "moved"
            moving.append(i)
        else:
            revised.fate[i] = "same"
            revised.at[i] = len(revised.paragraphs)
            revised.paragraphs.append(text)
        if rng.random() < 0.03:
            revised.paragraphs.append(paragraph(rng))
    for i in moving:  # each moved paragraph lands somewhere else in the note
        where = rng.randrange(len(revised.paragraphs) + 1)
        revised.at = {k: (v + 1 if v >= where else v) for k, v in revised.at.items()}
        revised.paragraphs.insert(where, old[i])
        revised.at[i] = where
    return revised


@dataclass
class Case:
    anchor: Anchor
    paragraph: int  # old index of the paragraph the quote starts in
    offset: int  # where the quote starts in that paragraph
    within: bool  # the quote lies inside that one paragraph


def annotate(rng: random.Random, paragraphs: list[str], text: str) -> list[Case]:
    starts, at = [], 0
    for p in paragraphs:
        starts.append(at)
        at += len(p) + 2
    cases = []
    while len(cases) < ANNOTATIONS:
        i = rng.randrange(len(paragraphs))
        p = paragraphs[i]
        roll = rng.random()
        stock = [s for s in STOCK if s in p]
        if roll < 0.05 and stock:  # a recurring sentence: only its context tells the copies apart
            offset = p.index(stock[0])
            length = len(stock[0])
        else:
            bounds = [0] + [k + 1 for k, c in enumerate(p) if c == " "]
            offset = rng.choice(bounds)
            words = rng.randint(1, 3) if roll < 0.4 else rng.randint(4, 20) if roll < 0.85 else rng.randint(25, 140)
            end = offset
            for _ in range(words):
                nxt = text.find(" ", starts[i] + end + 1)
                end = (nxt if nxt >= 0 else len(text)) - starts[i]
            length = min(end - offset, len(text) - starts[i] - offset, 2_000)
        start = starts[i] + offset
        span = Span(start, start + length)
        quote = text[span.start : span.end]
        if not quote.strip():
            continue
        prefix, suffix = context_of(text, span)
        anchor = Anchor("text", "", quote, prefix, suffix, span.start, span.end)
        cases.append(Case(anchor, i, offset, offset + length <= len(p)))
    return cases


def new_start(case: Case, revised: Revised) -> int | None:
    """Where the quote's start went, when the revision moved its paragraph whole."""
    if not case.within or revised.fate[case.paragraph] not in ("same", "moved"):
        return None
    index = revised.at[case.paragraph]
    return sum(len(p) + 2 for p in revised.paragraphs[:index]) + case.offset


def changed_share(old: str, new: str) -> float:
    """The share of the old text that the engine's diff does not keep as equal."""
    return 1 - sum(len(text) for op, text in text_diff(old, new) if op == 0) / len(old)


def run_service(old: str, new: str, cases: list[Case], database_url: str | None) -> None:
    """The whole service once against a scratch database: load, plan, bulk update."""
    with scratch_database(database_url, prefix="anchor-bench-"):
        from django.contrib.auth.models import User
        from django.db import connection, transaction
        from django.test.utils import CaptureQueriesContext

        from accounts.annotations.reanchoring import annotations_reanchor
        from accounts.models import Annotation
        from notes.models import Note, Revision

        readers = [User(username=f"reader{k}") for k in range(50)]
        User.objects.bulk_create(readers)
        readers = list(User.objects.all())
        note = Note.objects.create(slug="long-note")
        one, two = (
            Revision.objects.create(
                note=note, number=n, title="Long note", source="(synthetic)", content_hash=str(n), plain_text=t
            )
            for n, t in ((1, old), (2, new))
        )
        Annotation.objects.bulk_create(
            Annotation(
                owner=readers[k % len(readers)],
                note=note,
                made_on=one,
                revision=one,
                quote=c.anchor.quote,
                prefix=c.anchor.prefix,
                suffix=c.anchor.suffix,
                start=c.anchor.start,
                end=c.anchor.end,
            )
            for k, c in enumerate(cases)
        )
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            counts = annotations_reanchor(note=note, revision=two)
            seconds = time.perf_counter() - began
        stored = Counter(Annotation.objects.values_list("anchored_by", flat=True))
        print(
            f"service, {connection.vendor}: {seconds:.3f} s, {len(queries)} queries; "
            f"methods {dict(counts)}; stored anchored_by {dict(stored)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--engine-only", action="store_true", help="skip the run against a database")
    parser.add_argument("--database-url", help="a PostgreSQL URL for a scratch database (default: SQLite in /tmp)")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    old_paragraphs = note_paragraphs(rng)
    old = "\n\n".join(old_paragraphs)
    cases = annotate(rng, old_paragraphs, old)
    revised = revise(rng, old_paragraphs)
    new = "\n\n".join(revised.paragraphs)
    fates = Counter(revised.fate.values())
    print(
        f"note: {len(old):,} -> {len(new):,} characters, {len(old_paragraphs)} paragraphs "
        f"(edited {fates['edited']}, deleted {fates['deleted']}, moved {fates['moved']}, "
        f"inserted {len(revised.paragraphs) - fates['same'] - fates['edited'] - fates['moved']}); "
        f"the diff changes {changed_share(old, new):.1%} of the old text"
    )
    lengths = sorted(len(c.anchor.quote) for c in cases)
    print(f"annotations: {len(cases)}, quote length median {lengths[len(lengths) // 2]}, max {lengths[-1]}")

    anchors = [c.anchor for c in cases]
    timings = []
    for _ in range(RUNS):
        began = time.perf_counter()
        outcomes = plan_reanchor(old, new, anchors, {})
        timings.append(time.perf_counter() - began)

    methods = Counter(o.method for o in outcomes)
    print(f"methods: diff {methods['diff']}, fuzzy {methods['fuzzy']}, orphan {methods['orphan']}")
    untouched = [o for c, o in zip(cases, outcomes, strict=True) if c.within and revised.fate[c.paragraph] == "same"]
    untouched_by_diff = sum(o.method == DIFF for o in untouched)
    print(
        f"in untouched paragraphs: {len(untouched)}, by diff {untouched_by_diff} "
        f"({dict(Counter(o.method for o in untouched))})"
    )
    known = [(new_start(c, revised), o) for c, o in zip(cases, outcomes, strict=True)]
    known = [(where, o) for where, o in known if where is not None]
    print(
        f"with a known destination (untouched or moved paragraph): {len(known)}, "
        f"landed exactly there {sum(o.start == where for where, o in known)}, "
        f"elsewhere {sum(o.method != ORPHAN and o.start != where for where, o in known)}, "
        f"orphaned {sum(o.method == ORPHAN for _, o in known)}"
    )
    deleted = [o for c, o in zip(cases, outcomes, strict=True) if c.within and revised.fate[c.paragraph] == "deleted"]
    print(
        f"in deleted paragraphs: {len(deleted)}, orphaned {sum(o.method == ORPHAN for o in deleted)} "
        f"({dict(Counter(o.method for o in deleted))})"
    )
    fuzzy_scores = sorted(o.score for o in outcomes if o.score is not None)
    if fuzzy_scores:
        print(f"fuzzy scores: min {fuzzy_scores[0]:.3f}, median {statistics.median(fuzzy_scores):.3f}")
    print(
        f"engine seconds over {RUNS} runs: min {min(timings):.3f}, median {statistics.median(timings):.3f}, "
        f"max {max(timings):.3f} (target < {TARGET_SECONDS:.0f} s)"
    )
    met = max(timings) < TARGET_SECONDS and untouched_by_diff == len(untouched)
    print("MET" if met else "NOT MET")

    if not args.engine_only:
        try:
            run_service(old, new, cases, args.database_url)
        except Exception as error:  # noqa: BLE001 - reported plainly
            print(f"bench/anchor.py: service run failed: {error}", file=sys.stderr)
            sys.exit(1)


if __name__ == "__main__":
    main()
