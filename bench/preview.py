"""Editor preview latency: the server's time for the preview request after a one-formula edit.

What it measures
    With production settings from the environment (DEBUG=0, a throwaway SECRET_KEY), in a
    scratch SQLite database (temp dir) with the starter corpus imported (so the preview's
    cross-note links resolve against live notes, and the formula cache holds the notes'
    formulas, as it does on a site where they were saved), an editor's preview of the longest
    starter note (by source bytes) is requested as the editor's widget sends it: a POST of the
    note's body to /editor/preview/ (notes.editorial.views.preview), through Django's whole
    stack (middleware, session, CSRF off as for the test client, rate limit, the pipeline,
    the template, gzip as browsers ask for it), in this process with Django's test client.
    Before each request one formula of the body is edited (a new value each time), so every
    request typesets exactly one formula (checked) and finds the others in the formula
    cache: in this process's memo of its table (notes.rendering.formula_memo; no query), as a
    server process does that rendered the note's formulas before (its previous preview).
    After the warm-up, N requests with the process settled as a server process is once it has
    loaded the site (config/wsgi.py calls config.garbage.settle: what it holds frozen out of
    the garbage collector's reach, a higher young-generation threshold), and, for
    information, N with CPython's collector as it starts, in alternating rounds of ten;
    the collector's pauses during each are printed. Timed with time.perf_counter around the
    request; median (p50) and p90. The view renders a preview (notes.rendering.render with
    preview=True: the page's HTML and every problem, none of what a saved revision stores
    besides). For information, the same body rendered so by the pipeline alone, unedited (all
    formulas from the cache) and without the live notes to resolve links against, and the
    first preview of the note before the cache had its formulas.

    Each request comes from one of several editors in turn, so the preview rate limit (120 a
    minute per editor) never answers 429.

Target
    p50 <= 30 ms. Printed with MET or NOT MET and the load average; it is a benchmark, not a
    test, so it exits 0 either way (1 only when it cannot run: the corpus failing to import,
    the preview not answering 200, an edit typesetting other than one formula).

Run (from the project root, about a minute)
    .venv/bin/python bench/preview.py [--requests N] [--warmup N]
"""

import argparse
import gc
import os
import re
import secrets
import statistics
import sys
import time
from contextlib import contextmanager

from scratch import CORPUS, scratch_database

TARGET_MS = 30.0
EDITORS = 8
ROUND = 10  # requests in a row with the collector set one way (measure)
FORMULA = re.compile(r"(?<![$\\])\$([^\s$][^$\n]{1,58}[^\s$])\$(?!\$)")  # an inline formula of the body


def fail(message: str) -> None:
    print(f"bench/preview.py: cannot run: {message}", file=sys.stderr)
    sys.exit(1)


def longest_note() -> tuple[str, str]:
    path = max(CORPUS.glob("*.md"), key=lambda p: len(p.read_bytes()))
    return path.stem, path.read_text(encoding="utf-8")


def body_of(source: str) -> str:
    """The note without its front matter: what the editor's widget sends."""
    match = re.match(r"---\n.*?\n---\n", source, re.S)
    return source[match.end() :] if match else source


def editors():
    from django.contrib.auth.models import User
    from django.test import Client

    from notes.editorial.services import editors_group_ensure

    group = editors_group_ensure()
    clients = []
    for i in range(EDITORS):
        user = User.objects.create_user(f"editor{i}", f"editor{i}@example.com", "bench-password-1")
        user.groups.add(group)
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


def timed_preview(client, url: str, body: str) -> tuple[float, int]:
    """Seconds for one preview request, and how many formulas it typeset."""
    from notes.rendering import formula_cache

    formula_cache.timings = formula_cache.Timings()
    start = time.perf_counter()
    response = client.post(url, {"content": body}, HTTP_ACCEPT_ENCODING="gzip")  # as browsers ask
    seconds = time.perf_counter() - start
    typeset = formula_cache.timings.typeset
    formula_cache.timings = None
    if response.status_code != 200:
        fail(f"the preview answered {response.status_code}")
    return seconds, typeset


def measure(body: str, requests: int, warmup: int) -> dict:
    from django.urls import reverse

    from config.garbage import settle
    from notes.rendering import render

    url = reverse("editor:preview")
    clients = editors()
    match = FORMULA.search(body)
    if match is None:
        fail("no inline formula to edit in the note")
    edited = lambda i: body[: match.end(1)] + f" + {i}" + body[match.end(1) :]  # noqa: E731
    counts = []
    for i in range(warmup):
        timed_preview(clients[i % EDITORS], url, edited(i))
    # Rounds of ROUND requests, alternately with CPython's collector as it starts and with the
    # process settled as a server process is once it has loaded the site (config/wsgi.py), so
    # that the machine's other load falls on both alike.
    defaults = gc.get_threshold()
    runs = {"default": ([], []), "settled": ([], [])}  # request times, collector pauses
    i = warmup
    for done in range(0, requests, ROUND):
        for name, (times, pauses) in runs.items():
            if name == "settled":
                settle()
            with collections_timed(pauses):
                for _ in range(min(ROUND, requests - done)):
                    seconds, typeset = timed_preview(clients[i % EDITORS], url, edited(i))
                    times.append(seconds)
                    counts.append(typeset)
                    i += 1
            if name == "settled":
                gc.unfreeze()
                gc.set_threshold(*defaults)
    if set(counts) != {1}:
        fail(f"an edit typeset {sorted(set(counts))} formulas, not one")
    front = "---\ntitle: Preview\nsummary: Preview\ntopics: [preview]\n---\n"
    alone = []
    for _ in range(10):
        start = time.perf_counter()
        render(front + body, slug="", preview=True)
        alone.append(time.perf_counter() - start)
    return {"runs": runs, "render": statistics.median(alone), "formula": match.group(1)}


@contextmanager
def collections_timed(pauses: list[float]):
    """The garbage collector's pauses (seconds) while the block runs, added to `pauses`."""
    started: list[float] = []

    def timer(phase: str, info: dict) -> None:
        if phase == "start":
            started.append(time.perf_counter())
        else:
            pauses.append(time.perf_counter() - started.pop())

    gc.callbacks.append(timer)
    try:
        yield pauses
    finally:
        gc.callbacks.remove(timer)


def first_preview(body: str) -> float:
    """The first preview of the note with an empty formula cache (for information)."""
    from django.urls import reverse

    from notes.formula_store import RenderedFormula, formulas_forget

    saved = list(RenderedFormula.objects.all())
    RenderedFormula.objects.all().delete()
    formulas_forget()  # and the memo in front of it: the cache is really empty
    try:
        from django.contrib.auth.models import User
        from django.test import Client

        client = Client()
        client.force_login(User.objects.get(username="editor0"))
        seconds, _ = timed_preview(client, reverse("editor:preview"), body)
        return seconds
    finally:
        RenderedFormula.objects.all().delete()
        RenderedFormula.objects.bulk_create(saved)


def percentiles(times: list[float]) -> tuple[float, float]:
    """p50 and p90 of sorted request times, in ms."""
    return statistics.median(times) * 1000, times[int(len(times) * 0.9) - 1] * 1000


def collector(pauses: list[float], requests: int) -> str:
    longest = max(pauses, default=0) * 1000
    return f"{sum(pauses) * 1000 / requests:.2f} ms ({len(pauses)} collections, longest {longest:.1f} ms)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100, help="timed preview requests (default 100)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests first (default 10)")
    args = parser.parse_args()
    slug, source = longest_note()
    body = body_of(source)
    production = {  # as bench/pages.py: DEBUG off, plain http answered, the test client's host
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "testserver",
        "SECURE_SSL_REDIRECT": "0",
    }
    with scratch_database(prefix="bench-preview-", corpus=True, **production):
        from notes.rendering import katex
        from notes.rendering.pipeline import formulas_of

        result = measure(body, args.requests, args.warmup)
        cold = first_preview(body)
        times, pauses = (sorted(result["runs"]["settled"][0]), result["runs"]["settled"][1])
        p50, p90 = percentiles(times)
        default_times, default_pauses = (sorted(result["runs"]["default"][0]), result["runs"]["default"][1])
        load = os.getloadavg()
        print("Editor preview latency (bench/preview.py)")
        print(
            f"  note: {slug}.md, {len(source.encode()):,} bytes, {len(formulas_of(source))} formulas; "
            f"the edited formula: ${result['formula']} + i$"
        )
        print(
            f"  {len(times)} requests settled and {len(default_times)} with the collector's defaults, in "
            f"alternating rounds of {ROUND}, after {args.warmup} warm-up; {EDITORS} editors in turn; "
            f"{katex.engine_pool().size} engines; Django test client, SQLite"
        )
        print(
            f"  load average at the end (1/5/15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs"
        )
        print()
        rows = [
            ("preview p50 ms", f"{p50:.1f}"),
            ("preview p90 ms", f"{p90:.1f}"),
            ("preview min-max ms", f"{times[0] * 1000:.1f}-{times[-1] * 1000:.1f}"),
            ("  the pipeline alone (no edit, no links)", f"{result['render'] * 1000:.1f} ms"),
            ("  garbage collection, a request", collector(pauses, len(times))),
            ("with CPython's collector defaults, p50 / p90 ms", "{:.1f} / {:.1f}".format(*percentiles(default_times))),
            ("  min-max ms", f"{default_times[0] * 1000:.1f}-{default_times[-1] * 1000:.1f}"),
            ("  garbage collection, a request", collector(default_pauses, len(default_times))),
            ("first preview, empty formula cache", f"{cold * 1000:.1f} ms"),
            ("target p50", f"<= {TARGET_MS:.0f} ms"),
            ("result", "MET" if p50 <= TARGET_MS else "NOT MET"),
        ]
        width = max(len(label) for label, _ in rows)
        for label, value in rows:
            print(f"  {label:<{width}}  {value}")


if __name__ == "__main__":
    main()
