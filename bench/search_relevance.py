"""Search relevance: does search find the note, and the passage, a reader means?

What it measures
    A judged set of queries over the starter notes (notes/corpus), written as readers type
    them: abbreviations (backprop, sgd, kl), misspellings (softmx, jacobain, entorpy),
    TeX commands (\\KL, \\softmax, \\nabla), notation written out (softmax(QK^T/sqrt(d)),
    hadamard product), questions ("why does adam need bias correction"), concept words
    (reparameterization trick, log-sum-exp trick) and partial words as typed into the
    instant box (attent, reparam). Each query is judged with the note that answers it and,
    where one passage answers it, the units that land on that passage: a section (its heading
    id on the page), a derivation (its id) or a labelled equation (its label, eq:...). A
    query whose answer is a note as a whole (a note's own subject: "vae", "backprop") is
    judged at note level only. When the answer is one passage, the section that holds it,
    the derivation that derives it and the equation that states it all land on it, so any of
    the anchors listed counts. The judgements say what a reader needs, not what search
    happens to return. They are in bench/search_relevance.json, one query a line.

    It builds a scratch database (bench/scratch.py: migrated, the starter notes imported),
    checks that every judged note is live and every judged anchor exists on that note's page
    (the revision's anchors; a renamed heading or label makes the judged set stale, and the
    script stops), then runs every query once through the selector
    ``notes.search.selectors.search(query, limit=20)`` and reads the hits' ``.slug`` and
    ``.anchor``.

    Per query it prints the rank of the judged note among the hits ("-" when it is not in
    the first 20), the unit rank (the note's rank when that hit's anchor is one of the judged
    anchors, "x" when the note was found but landed elsewhere, "." when the query has no
    judged unit), the first hit when the judged note is not first, and whether search
    corrected the query (``corrected_from``) or offered a suggestion. Then recall@1,
    recall@5 and mean reciprocal rank (MRR, 0 for a miss) at note level over all queries and
    at unit level over the queries judged with a unit, the same per kind of query, and the
    queries search corrected.

Targets
    note level: recall@5 >= 0.95 and MRR >= 0.85; unit level: recall@5 >= 0.8.
    It prints MET or NOT MET and exits 0 either way; 1 only when it cannot run (the database
    cannot be made or migrated, the corpus does not import, the judged set is stale, the
    selector cannot be imported).

Run (from the project root; about half a minute, most of it importing the notes)
    .venv/bin/python bench/search_relevance.py               SQLite, a file in a temporary folder
    .venv/bin/python bench/search_relevance.py --postgres    PostgreSQL: notes_bench_relevance on 127.0.0.1
    .venv/bin/python bench/search_relevance.py --database-url postgres://user@host:5432/name
        any scratch database URL; it is DROPPED, created and dropped again, so never name a
        database you keep (the environment's DATABASE_URL is not used, for that reason)
    --keep leaves the scratch database in place; --limit N asks for N hits (default 20).
"""

import argparse
import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

from scratch import ScratchError, postgres_url, scratch_database

DATABASE = "notes_bench_relevance"
LIMIT = 20
TARGET_NOTE_RECALL5 = 0.95
TARGET_NOTE_MRR = 0.85
TARGET_UNIT_RECALL5 = 0.8
JUDGED_FILE = Path(__file__).with_name("search_relevance.json")
KINDS = ["abbreviation", "misspelling", "tex", "notation", "question", "concept", "prefix"]


class CannotRun(Exception):
    """The benchmark cannot run: the judged set is missing or stale, or the corpus is not there."""


@dataclass(frozen=True)
class Judged:
    kind: str
    query: str
    slug: str  # the note that answers the query
    units: tuple[str, ...] = ()  # anchors on that note that land on the answer; () = the note as a whole


def load_judged(path: Path = JUDGED_FILE) -> list[Judged]:
    """The judged set, checked for shape: every entry a known kind, a query, a note, units."""
    try:
        entries = json.loads(path.read_text())["queries"]
        judged = [Judged(e["kind"], e["query"], e["note"], tuple(e["units"])) for e in entries]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CannotRun(f"{path}: {error!r}") from error
    odd = [j.query for j in judged if j.kind not in KINDS or not j.query.strip() or not j.slug]
    if odd:
        raise CannotRun(f"{path}: entries with an unknown kind, an empty query or no note: {odd}")
    return judged


# -- running ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    judged: Judged
    note_rank: int | None  # 1-based rank of the judged note among the hits; None: not found
    unit_rank: int | None  # the note's rank when its hit links to a judged anchor; None otherwise
    anchor: str  # the anchor of the judged note's hit ("" when it links to the note's top)
    first: str  # the first hit, slug#anchor
    corrected_from: str
    suggestion: str
    error: str = ""


def fail(message: str) -> None:
    print(f"bench/search_relevance.py: cannot run: {message}", file=sys.stderr)
    sys.exit(1)


def check_judged_set(judged: list[Judged]) -> None:
    """Every judged note live, every judged anchor on its page; a query judged once."""
    from notes.models import Note

    queries = [j.query for j in judged]
    repeated = sorted({q for q in queries if queries.count(q) > 1})
    if repeated:
        raise CannotRun(f"queries judged twice: {repeated}")
    anchors = {
        note.slug: set(note.live_revision.anchors)
        for note in Note.objects.filter(live_revision__isnull=False).select_related("live_revision")
    }
    problems = []
    for j in judged:
        if j.slug not in anchors:
            problems.append(f"{j.query!r}: note {j.slug} is not live")
            continue
        problems += [f"{j.query!r}: no anchor {j.slug}#{u}" for u in j.units if u not in anchors[j.slug]]
    if problems:
        raise CannotRun("the judged set is stale:\n  " + "\n  ".join(problems))


def selector():
    """search(query, limit) -> (hits as (slug, anchor), corrected_from, suggestion), and a
    note on what is measured. Falls back to the older search_notes (no anchors, no
    correction) while `search` does not exist, so a baseline can be taken."""
    from notes.search import selectors

    if hasattr(selectors, "search"):

        def run(query: str, limit: int):
            results = selectors.search(query, limit=limit)
            hits = [(hit.slug, hit.anchor or "") for hit in results.hits]
            return hits, results.corrected_from or "", results.suggestion or ""

        return run, "notes.search.selectors.search"

    def run_old(query: str, limit: int):
        return [(hit.slug, "") for hit in selectors.search_notes(query, limit=limit)], "", ""

    return run_old, "notes.search.selectors.search_notes (search() does not exist yet: no anchors, no corrections)"


def measure(judged: list[Judged], limit: int) -> tuple[list[Outcome], str]:
    check_judged_set(judged)
    run, what = selector()
    outcomes = []
    for j in judged:
        try:
            hits, corrected_from, suggestion = run(j.query, limit)
        except Exception as error:  # a query the selector fails on is a miss, and is shown
            outcomes.append(Outcome(j, None, None, "", "", "", "", f"{type(error).__name__}: {error}"))
            continue
        note_rank = next((i for i, (slug, _) in enumerate(hits, 1) if slug == j.slug), None)
        anchor = hits[note_rank - 1][1] if note_rank else ""
        unit_rank = note_rank if note_rank and j.units and anchor in j.units else None
        first = f"{hits[0][0]}#{hits[0][1]}" if hits and hits[0][1] else (hits[0][0] if hits else "")
        outcomes.append(Outcome(j, note_rank, unit_rank, anchor, first, corrected_from, suggestion))
    return outcomes, what


# -- reporting --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scores:
    n: int
    recall1: float
    recall5: float
    mrr: float

    def __str__(self) -> str:
        if not self.n:
            return "n=0"
        return f"n={self.n:<3d} R@1 {self.recall1:.2f}  R@5 {self.recall5:.2f}  MRR {self.mrr:.2f}"


def scores(ranks: list[int | None]) -> Scores:
    if not ranks:
        return Scores(0, 0.0, 0.0, 0.0)
    return Scores(
        len(ranks),
        sum(1 for r in ranks if r == 1) / len(ranks),
        sum(1 for r in ranks if r and r <= 5) / len(ranks),
        statistics.fmean(1 / r if r else 0.0 for r in ranks),
    )


def note_scores(outcomes: list[Outcome]) -> Scores:
    return scores([o.note_rank for o in outcomes])


def unit_scores(outcomes: list[Outcome]) -> Scores:
    return scores([o.unit_rank for o in outcomes if o.judged.units])


def report(outcomes: list[Outcome], what: str, engine: str, live: int, limit: int) -> None:
    print("Search relevance (bench/search_relevance.py)")
    print(f"  {engine}; {live} live notes from notes/corpus; {limit} hits asked per query")
    print(f"  selector: {what}")
    print(f"  {len(outcomes)} judged queries, {sum(1 for o in outcomes if o.judged.units)} of them with a unit")
    print()
    print("  note unit  kind          query  ->  judged [first hit when the note is not first] {correction}")
    for o in outcomes:
        j = o.judged
        note = str(o.note_rank) if o.note_rank else "-"
        unit = "." if not j.units else (str(o.unit_rank) if o.unit_rank else "x")
        target = j.slug + (f"#{'|'.join(j.units)}" if j.units else "")
        line = f"  {note:>4} {unit:>4}  {j.kind:<12}  {j.query!r}  ->  {target}"
        if o.note_rank and j.units and not o.unit_rank:
            line += f"  [landed on #{o.anchor}]" if o.anchor else "  [landed on the note's top]"
        if o.note_rank != 1 and o.first:
            line += f"  [first: {o.first}]"
        if o.corrected_from:
            line += f"  {{searched a correction of {o.corrected_from!r}}}"
        if o.suggestion:
            line += f"  {{did you mean {o.suggestion!r}}}"
        if o.error:
            line += f"  ERROR {o.error}"
        print(line)
    print()

    print("  per kind          note level                              unit level")
    for kind in KINDS:
        group = [o for o in outcomes if o.judged.kind == kind]
        print(f"  {kind:<14}  {note_scores(group)!s:<40}{unit_scores(group)}")
    print()

    corrected = [o for o in outcomes if o.corrected_from]
    suggested = [o for o in outcomes if o.suggestion]
    print(f"  corrected ({len(corrected)}): " + (", ".join(repr(o.judged.query) for o in corrected) or "none"))
    print(
        f"  suggestion only ({len(suggested)}): "
        + (", ".join(f"{o.judged.query!r} -> {o.suggestion!r}" for o in suggested) or "none")
    )
    errors = [o for o in outcomes if o.error]
    if errors:
        print(f"  selector errors ({len(errors)}): " + ", ".join(repr(o.judged.query) for o in errors))
    print()

    note, unit = note_scores(outcomes), unit_scores(outcomes)
    checks = [
        ("note recall@5", note.recall5, TARGET_NOTE_RECALL5),
        ("note MRR", note.mrr, TARGET_NOTE_MRR),
        ("unit recall@5", unit.recall5, TARGET_UNIT_RECALL5),
    ]
    print(f"  note level  {note}")
    print(f"  unit level  {unit}")
    for label, value, target in checks:
        print(f"  {label:<14}  {value:.3f}  (target >= {target})  {'met' if value >= target else 'not met'}")
    print(f"  result          {'MET' if all(v >= t for _, v, t in checks) else 'NOT MET'}")


def engine_name() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--postgres", action="store_true", help=f"PostgreSQL: {postgres_url(DATABASE)}")
    where.add_argument("--database-url", help="a scratch database URL (dropped, created, dropped again)")
    parser.add_argument("--keep", action="store_true", help="leave the scratch database in place")
    parser.add_argument("--limit", type=int, default=LIMIT, help=f"hits asked per query (default {LIMIT})")
    args = parser.parse_args()

    try:
        judged = load_judged()
    except CannotRun as error:
        fail(str(error))
    url = args.database_url or (postgres_url(DATABASE) if args.postgres else None)
    try:
        with scratch_database(url, keep=args.keep, corpus=True, prefix="bench-relevance-"):
            from notes.models import Note

            live = Note.objects.filter(live_revision__isnull=False).count()
            if not live:
                raise CannotRun("no note of notes/corpus imported")
            outcomes, what = measure(judged, args.limit)
            engine = engine_name()
    except (ScratchError, CannotRun, ImportError) as error:
        fail(str(error))
    report(outcomes, what, engine, live, args.limit)


if __name__ == "__main__":
    main()
