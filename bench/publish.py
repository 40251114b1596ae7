"""Publishing a popular note: cited by 200 notes, its readers holding 100,000 annotations.

What it measures
    A scratch database (PostgreSQL by default, SQLite with --sqlite) holds a note of about
    20,000 characters of prose with inline and displayed math and a labelled equation, 200
    live notes that cite it (a link to the note and one to its equation, so each publish
    must re-render them), and 100,000 annotations on it held by 10,000 readers (ten each;
    passages of 1 to 40 words at random places, their quotes stored typeset as after a
    real annotation). The notes are written and published through the real services; users
    and annotations are seeded with bulk inserts.

    Each run writes a new revision that rewords one paragraph (rendered beforehand, not
    timed) and times `notes.editorial.services.note_publish` with the database queue
    (TASKS_BACKEND=database), as the editors' publish view calls it. No worker runs while
    these publishes are timed: each publish queues its work (moving the annotations, the
    citing notes' re-render, the search row), deduplicated by key while it waits.

    Then two worker processes (`manage.py worker --batch`) run the queue, and the time until
    every Job is done is printed: the queued work's total time (re-anchoring 100,000
    annotations from the revision they were on into the last one published, 200 notes
    re-rendered). Then --busy-runs more publishes are timed while two workers (not in batch
    mode) are doing that work again, which is what an editor meets on a busy site. Last, the
    review page's impact check of one more revision is timed: what it would orphan, estimated
    from a sample of ANNOTATION_IMPACT_SAMPLE (1,000) annotations.

Target
    p95 of the publish call < 300 ms (the runs with the queue idle, and those while workers
    are busy are printed beside them). A benchmark, not a test: prints MET / NOT MET and the
    load average; exits 0 either way (1 only when it cannot run).

Run (from the project root; a few minutes, most of it seeding and the queued work)
    .venv/bin/python bench/publish.py [--runs 40] [--busy-runs 10] [--sqlite] [--keep]
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time

from scratch import ROOT, postgres_url, scratch_database

PYTHON = sys.executable
TARGET_MS = 300.0
CITING = 200
READERS = 10_000
ANNOTATIONS = 100_000
PARAGRAPHS = 40
PROSE = (
    "the gradient of the loss bounds the curvature along the trajectory when the batch is large and the "
    "learning rate controls each coordinate of the update under the usual smoothness assumptions while "
    "the second moment estimate rescales the step in expectation over the data for every layer"
)
WORDS = PROSE.split()


def paragraph(rng: random.Random, k: int) -> str:
    sentences = []
    for s in range(rng.randint(4, 7)):
        words = rng.choices(WORDS, k=rng.randint(8, 16))
        if rng.random() < 0.5:
            words.insert(rng.randrange(len(words)), f"$x_{{{k}}} + \\eta_{{{s}}} g$")
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


def target_source(paragraphs: list[str], edit: int) -> str:
    """The note's source with paragraph `edit` reworded (-1: none)."""
    body = [p if i != edit else p.replace(" the ", f" revision {edit} of the ", 1) for i, p in enumerate(paragraphs)]
    body.insert(len(body) // 2, "$$\nL(\\theta) = \\sum_i \\ell_i(\\theta) \\label{eq:main}\n$$")
    text = "\n\n".join(body)
    return f"---\ntitle: Popular note\nsummary: Cited by everyone.\ntopics: [foundations]\n---\n\n{text}\n"


def citing_source(k: int) -> str:
    return (
        f"---\ntitle: Citing note {k}\nsummary: Cites the popular note.\ntopics: [foundations]\n---\n\n"
        f"Note {k} builds on [[popular]] and on [[popular#eq:main]], the loss written as a sum.\n"
    )


def seed(rng: random.Random, paragraphs: list[str]):
    """The popular note, the 200 citing notes, the readers and their annotations."""
    from django.contrib.auth.models import User
    from django.utils.html import escape

    from accounts.annotations.quotes import Span, context_of
    from accounts.models import Annotation
    from jobs.services import running_inline
    from notes.editorial.services import editors_group_ensure, note_create, note_publish
    from notes.models import Topic

    Topic.objects.create(slug="foundations", title="Foundations", order=0)
    editor = User.objects.create_user("editor", "editor@example.com", "bench-password-1")
    editor.groups.add(editors_group_ensure())
    editor = User.objects.get(pk=editor.pk)  # permissions read afresh
    with running_inline():  # seeding's own jobs (search rows) run at once
        first = note_create(slug="popular", source=target_source(paragraphs, -1), body="x", author=editor)
        note_publish(revision=first, user=editor, refresh_citing=False)
        for k in range(CITING):
            revision = note_create(slug=f"citing-{k}", source=citing_source(k), body="x", author=editor)
            note_publish(revision=revision, user=editor, refresh_citing=False)
    first.refresh_from_db()
    text = first.plain_text
    bounds = [0] + [i + 1 for i, c in enumerate(text) if c == " "]
    User.objects.bulk_create((User(username=f"reader{k}", password="!") for k in range(READERS)), batch_size=1_000)
    readers = list(User.objects.filter(username__startswith="reader").values_list("pk", flat=True))

    def annotation(k: int) -> Annotation:
        start = rng.choice(bounds)
        end = min(len(text), start + sum(len(w) + 1 for w in rng.choices(WORDS, k=rng.randint(1, 40))))
        end = text.rfind(" ", start + 1, end) if text.rfind(" ", start + 1, end) > start else end
        span = Span(start, end)
        prefix, suffix = context_of(text, span)
        quote = text[start:end]
        return Annotation(
            owner_id=readers[k % len(readers)],
            note_id=first.note_id,
            made_on=first,
            revision=first,
            quote=quote,
            quote_html=f"<p>{escape(quote)}</p>",
            prefix=prefix,
            suffix=suffix,
            start=start,
            end=end,
            body=f"Reader note {k}.",
            body_html=f"<p>Reader note {k}.</p>",
        )

    # Batches of 1,000, each its own statement: the site bounds every statement in time
    # (DATABASE_STATEMENT_MS, 2 s), the seeding included.
    for batch in range(0, ANNOTATIONS, 1_000):
        Annotation.objects.bulk_create([annotation(k) for k in range(batch, batch + 1_000)])
    return editor, first.note


def revisions_ahead(editor, note, paragraphs: list[str], count: int) -> list:
    """`count` new revisions, each rewording another paragraph, rendered now (untimed)."""
    from notes.models import Revision
    from notes.rendering import render
    from notes.selectors import LiveNoteIndex
    from notes.services import revision_create

    made = []
    for k in range(count):
        source = target_source(paragraphs, k % len(paragraphs))
        source = source.replace("Cited by everyone.", f"Cited by everyone (revision {k}).")
        result = render(source, slug=note.slug, index=LiveNoteIndex())
        made.append(revision_create(note=note, source=source, author=editor, result=result))
    return [Revision.objects.select_related("note").get(pk=r.pk) for r in made]


def timed_publishes(editor, revisions) -> list[float]:
    from notes.editorial.services import note_publish

    times = []
    for revision in revisions:
        began = time.perf_counter()
        note_publish(revision=revision, user=editor)
        times.append((time.perf_counter() - began) * 1000)
    return times


def profile(editor, revisions) -> None:
    """Where a publish's time goes: the functions with the most cumulative time, and the
    queries (the slowest first)."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    profiler = cProfile.Profile()
    with CaptureQueriesContext(connection) as queries:
        profiler.enable()
        times = timed_publishes(editor, revisions)
        profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    print(summary("publish, profiled", times), f"{len(queries) / len(revisions):.0f} queries each")
    for query in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:15]:
        print(f"  {float(query['time']) * 1000:7.1f} ms  {query['sql'][:300]}")


def review_impact(revision):
    """The review page's impact check of an unpublished revision (what it would orphan), timed."""
    from notes.editorial.impact import publish_impact

    began = time.perf_counter()
    impact = publish_impact(revision=revision)
    return impact.readers, (time.perf_counter() - began) * 1000


def workers(url: str, *, batch: bool) -> list[subprocess.Popen]:
    env = {**os.environ, "DATABASE_URL": url, "TASKS_BACKEND": "database"}
    command = [PYTHON, "manage.py", "worker", *(["--batch"] if batch else [])]
    return [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # noqa: S603
        for _ in range(2)
    ]


def drain(url: str) -> float:
    """Seconds until every Job is done, with two batch workers, started again while work is left
    (a batch worker exits when nothing is due, and a job may be queued again while it ran)."""
    from jobs.models import Job

    began = time.perf_counter()
    while Job.objects.unfinished().exists():
        running = workers(url, batch=True)
        for process in running:
            _, error = process.communicate()
            if process.returncode:
                raise RuntimeError(f"worker failed: {error[-2000:]}")
    failed = list(Job.objects.filter(state=Job.State.FAILED).values_list("label", "error"))
    if failed:
        raise RuntimeError(f"jobs failed: {failed}")
    return time.perf_counter() - began


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary(name: str, times: list[float]) -> str:
    return (
        f"  {name:<34} runs {len(times):3d}   p50 {statistics.median(times):6.1f} ms   "
        f"p95 {percentile(times, 0.95):6.1f} ms   max {max(times):6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=40, help="publishes timed with the queue idle")
    parser.add_argument("--busy-runs", type=int, default=10, help="publishes timed while workers run")
    parser.add_argument("--sqlite", action="store_true", help="a scratch SQLite file instead of PostgreSQL")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--profile", action="store_true", help="profile --runs publishes (cProfile), then stop")
    args = parser.parse_args()
    os.environ["TASKS_BACKEND"] = "database"
    url = None if args.sqlite else postgres_url("publish18_bench")
    rng = random.Random(args.seed)
    paragraphs = [paragraph(rng, k) for k in range(PARAGRAPHS)]
    with scratch_database(url, keep=args.keep, prefix="bench-publish-") as scratch:
        from django.db import connection
        from django.db.models import Count

        from accounts.models import Annotation
        from jobs.models import Job

        began = time.perf_counter()
        editor, note = seed(rng, paragraphs)
        seeded = time.perf_counter() - began
        # the warm-up, the timed runs, and one more left unpublished for the review page's impact check
        revisions = revisions_ahead(editor, note, paragraphs, args.runs + args.busy_runs + 2)
        timed_publishes(editor, revisions[:1])  # warm-up: the first publish of this process
        if args.profile:
            profile(editor, revisions[1 : args.runs + 1])
            return
        drain(scratch.url)
        idle = timed_publishes(editor, revisions[1 : args.runs + 1])
        queued = Job.objects.unfinished().count()
        drained = drain(scratch.url)
        live = note.__class__.objects.get(pk=note.pk).live_revision_id
        stale = Annotation.objects.filter(note=note, state="anchored").exclude(revision_id=live).count()
        busy_workers = workers(scratch.url, batch=False)
        try:
            busy = timed_publishes(editor, revisions[args.runs + 1 : -1])
        finally:
            for process in busy_workers:
                process.terminate()
                process.wait()
        impact, impact_ms = review_impact(revisions[-1])
        by_state = dict(Annotation.objects.filter(note=note).order_by().values_list("state").annotate(n=Count("pk")))
        load = os.getloadavg()
        p95 = percentile(idle, 0.95)
        print(f"Publishing a note cited by {CITING} notes, {ANNOTATIONS:,} annotations (bench/publish.py)")
        print(f"  database: {connection.vendor}; seeded in {seeded:.0f} s; annotations by state now {by_state}")
        print(summary("publish, queue idle", idle))
        if busy:
            print(summary("publish, two workers busy", busy))
        print(
            f"  queued work: {queued} jobs after {len(idle)} publishes, all done by two workers in "
            f"{drained:.1f} s; annotations still on an older revision afterwards: {stale}"
        )
        print(
            f"  review page's impact check: {impact_ms:.0f} ms; annotations it would orphan: "
            f"{impact.orphaned_annotations} ({'estimated from' if impact.orphans_estimated else 'all'} "
            f"{impact.annotations_tried:,} of {impact.annotations_total:,} tried)"
        )
        print(f"  load average (1/5/15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        print(f"  target            p95 < {TARGET_MS:.0f} ms")
        print(f"  result            {'MET' if p95 < TARGET_MS else 'NOT MET'}")


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # noqa: BLE001 - reported plainly
        print(f"bench/publish.py: {error}", file=sys.stderr)
        raise
