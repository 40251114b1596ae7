"""Learning-plan latency on a large site: the prerequisite closure, reading order and pruning.

What it measures
    A scratch PostgreSQL database (notes_bench_plan at 127.0.0.1:5432, user postgres, created
    and dropped by this script) is migrated and filled, with bulk inserts, with a synthetic
    site of 10,000 live notes in 50 areas of 200: each a revision with a word count and 1-6
    derivations, and 0-4 prerequisites: nine in ten a recent note of its own area (a note
    builds on what came shortly before it), one in ten one of the first 20 "foundation" notes
    of an earlier area. Closures of late notes then run to a few hundred notes, the depth of
    a real curriculum (Metacademy's deepest concepts need a few hundred). A learner has worked through every derivation of a random 30% of the
    notes; a tenth of those marks are stale (made against another fingerprint).

    Then `accounts.study.plans.learning_plan(learner, target)`, the function the plan page calls,
    is timed (after ANALYZE, as autovacuum would run after such a load) for a fixed set of 60 targets spread over the site (late notes, which have the
    largest closures, over-represented): wall time per call, including its database
    queries (the recursive-CTE closure, the standings, the edges), after one warm-up pass.
    Printed: closure sizes, p50, p95 and max ms per plan, and MET / NOT MET.

Target
    p95 <= 20 ms per plan. A benchmark, not a test: exits 0 either way (1 only when it
    cannot run, e.g. PostgreSQL unreachable).

Run (from the project root, about 1 minute, most of it building the site)
    .venv/bin/python bench/plan.py [--notes 10000]
"""

import argparse
import hashlib
import os
import random
import statistics
import sys
import time

from scratch import ScratchError, postgres_url, scratch_database

DB_NAME = "notes_bench_plan"
TARGET_MS = 20.0
AREA_SIZE = 200  # notes per area
FOUNDATIONS = 20  # the first notes of an area, which other areas build on


def build_site(n: int, rng: random.Random):
    from django.contrib.auth.models import User

    from accounts.models import DerivationProgress
    from notes.models import Derivation, Note, Prerequisite, Revision

    learner = User.objects.create_user("learner", "learner@example.com", "x")
    notes = Note.objects.bulk_create(Note(slug=f"n{i:05d}") for i in range(n))
    revisions = Revision.objects.bulk_create(
        Revision(
            note=note,
            number=1,
            title=f"Note {i}",
            source="(synthetic)",
            content_hash=hashlib.sha256(note.slug.encode()).hexdigest(),
            word_count=rng.randint(1500, 4500),
        )
        for i, note in enumerate(notes)
    )
    for note, revision in zip(notes, revisions, strict=True):
        note.live_revision = note.latest_revision = revision
    Note.objects.bulk_update(notes, ["live_revision", "latest_revision"], batch_size=2000)

    derivations = []
    for revision in revisions:
        for k in range(rng.randint(1, 6)):
            derivations.append(
                Derivation(
                    revision=revision,
                    key=f"d{k}",
                    title=f"Derivation {k}",
                    position=k,
                    source="(synthetic)",
                    fingerprint=hashlib.sha256(f"{revision.pk}-{k}".encode()).hexdigest(),
                )
            )
    Derivation.objects.bulk_create(derivations, batch_size=5000)

    edges = []
    for i, revision in enumerate(revisions):
        area, k = divmod(i, AREA_SIZE)
        chosen = set()
        for _ in range(rng.randint(0, 4) if k else 0):
            if area and rng.random() < 0.1:  # a foundation of an earlier area
                chosen.add(rng.randrange(area) * AREA_SIZE + rng.randrange(FOUNDATIONS))
            else:  # a recent note of its own area
                chosen.add(area * AREA_SIZE + max(0, k - 1 - int(rng.expovariate(1 / 8))))
        edges += [Prerequisite(revision=revision, prerequisite=notes[j], position=p) for p, j in enumerate(chosen)]
    Prerequisite.objects.bulk_create(edges, batch_size=5000)

    worked = set(rng.sample(range(n), int(0.3 * n)))
    marks = [
        DerivationProgress(
            owner=learner,
            note_id=d.revision.note_id,
            derivation_key=d.key,
            state=DerivationProgress.State.WORKED_THROUGH,
            revision=d.revision,
            fingerprint=d.fingerprint if rng.random() > 0.1 else "stale",
        )
        for d in derivations
        if d.revision.note_id - notes[0].pk in worked
    ]
    DerivationProgress.objects.bulk_create(marks, batch_size=5000)
    return learner, notes, len(derivations), len(edges), len(marks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database to inspect it")
    args = parser.parse_args()

    try:
        with scratch_database(postgres_url(DB_NAME), keep=args.keep):
            from django.db import connection

            from accounts.study.plans import learning_plan

            rng = random.Random(20261125)
            start = time.perf_counter()
            learner, notes, n_derivations, n_edges, n_marks = build_site(args.notes, rng)
            built = time.perf_counter() - start
            with connection.cursor() as cursor:  # what autovacuum would do after a bulk load
                cursor.execute("ANALYZE")
            n = len(notes)
            targets = [notes[i].slug for i in sorted(rng.sample(range(n // 2, n), 40) + rng.sample(range(n // 2), 20))]
            for slug in targets:  # warm-up: plans, connection, caches
                learning_plan(learner, slug)
            times, sizes = [], []
            for slug in targets:
                t0 = time.perf_counter()
                plan = learning_plan(learner, slug)
                times.append((time.perf_counter() - t0) * 1000)
                sizes.append(len(plan.steps) + len(plan.done))
    except ScratchError as error:
        print(f"bench/plan.py: cannot run: {error}", file=sys.stderr)
        sys.exit(1)

    times.sort()
    p50 = statistics.median(times)
    p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
    load = os.getloadavg()
    print("Learning plan latency (bench/plan.py)")
    print(
        f"  site: {n:,} live notes, {n_derivations:,} derivations, {n_edges:,} prerequisite edges (built in {built:.0f} s)"
    )
    print(f"  learner: {n_marks:,} worked-through marks on 30% of the notes, a tenth of them stale")
    print(
        f"  targets: {len(targets)}; closure size min/median/max: {min(sizes)}/{statistics.median(sizes):.0f}/{max(sizes)}"
    )
    print(f"  load average at the end (1/5/15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print()
    print(f"  p50 ms per plan   {p50:8.2f}")
    print(f"  p95 ms per plan   {p95:8.2f}")
    print(f"  max ms per plan   {times[-1]:8.2f}")
    print(f"  target            p95 <= {TARGET_MS:.0f} ms")
    print(f"  result            {'MET' if p95 <= TARGET_MS else 'NOT MET'}")


if __name__ == "__main__":
    main()
