"""Page throughput: note pages served by Django against the same bytes as static files.

What it measures
    In a scratch SQLite database (temp dir), with production-like settings from the
    environment (DEBUG=0, a throwaway SECRET_KEY, ALLOWED_HOSTS=127.0.0.1,
    SECURE_SSL_REDIRECT=0 so plain-http answers are 200s, not redirects to https), it runs
    `manage.py migrate`, `import_notes notes/corpus` and `collectstatic --noinput` (into
    settings.STATIC_ROOT, i.e. staticfiles/, which is gitignored), and makes a reader with
    200 annotations on the largest note of notes/corpus (by source bytes; quotes of 40-110
    characters from its sentences) and 100 progress marks (every live derivation of the
    corpus, 94 of them, in turn working on it and worked through; then marks on derivation
    ids no note has any more, as a reader keeps after an edit) and a signed-in session for
    them. It serves the site with `gunicorn config.wsgi -w 2` on a free loopback port and
    fetches the largest note's page twice: anonymous, and as the reader (with their session
    and CSRF cookies, as a browser sends them after its first page). The two pages' bytes are
    written to staticfiles/bench/ with their .gz (as collectstatic compresses every static
    file); gunicorn is restarted so whitenoise (which indexes STATIC_ROOT at start-up) serves
    them. After checking that every URL answers 200 with bodies of the same size as its twin,
    wrk (`-t2 -c16 --latency`, after a short warm-up) measures requests per second and latency,
    each page alternating with its static twin in rounds of 2 s for 10 s each (so that the
    machine's other load, if any, falls on both alike), for
      /notes/<slug>/              the anonymous page (database, cache, middleware),
      /static/bench/page.html     the same bytes from whitenoise in the same gunicorn,
      /notes/<slug>/ as reader    the reader's page (session, their parts, the CSRF token),
      /static/bench/reader.html   the same bytes from whitenoise;
    each with Accept-Encoding: gzip, as browsers ask (whitenoise sends the .gz), and the
    anonymous page and its twin once more uncompressed (wrk's default), for information.

Target
    with Accept-Encoding: gzip, anonymous page req/s / its static twin's >= 0.7, and the
    reader's page req/s / its static twin's >= 0.5; the anonymous page sent gzip-compressed
    at most a tenth of its bytes. The script prints MET or NOT MET with the load average and
    exits 0 either way; it exits 1 only when it cannot run (wrk missing, a management command
    failing, gunicorn not answering, a URL not answering 200). gunicorn is always stopped and
    the temp dir and staticfiles/bench/ removed.

Run (from the project root, about two minutes; wrk and gunicorn share the machine's cores)
    .venv/bin/python bench/pages.py [--duration 10]
"""

import argparse
import contextlib
import gzip
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import urllib.request
from pathlib import Path

from scratch import ROOT, scratch_database
from server import GUNICORN, HOST, PYTHON, CannotRun, Gunicorn, fetch, free_port, manage

CORPUS = ROOT / "notes" / "corpus"
STATIC_ROOT = ROOT / "staticfiles"  # settings.STATIC_ROOT
BENCH_STATIC = STATIC_ROOT / "bench"
STATIC_PATHS = {"anonymous": "/static/bench/page.html", "reader": "/static/bench/reader.html"}
TARGETS = {"anonymous": 0.7, "reader": 0.5}
TARGET_COMPRESSED = 0.1  # compressed bytes / uncompressed bytes of the note page
ANNOTATIONS, MARKS = 200, 100
ROUND_SECONDS = 2  # page and static twin alternate in rounds this long
WRK_INSTALL = "apt-get install -y wrk"


UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def to_ms(value: str, unit: str) -> float:
    return float(value) * UNIT_MS[unit]


def run_wrk(url: str, duration: int, gzip_accepted: bool = False, cookie: str = "") -> dict:
    cmd = ["wrk", "-t2", "-c16", f"-d{duration}s", "--latency", url]
    if gzip_accepted:  # as every browser asks
        cmd[1:1] = ["-H", "Accept-Encoding: gzip"]
    if cookie:
        cmd[1:1] = ["-H", f"Cookie: {cookie}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    if proc.returncode != 0:
        raise CannotRun(f"{' '.join(cmd)} exited with {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    out = proc.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if rps is None:
        raise CannotRun(f"no Requests/sec in wrk's output:\n{out}")
    result = {"rps": float(rps.group(1)), "raw": out, "cmd": " ".join(cmd)}
    avg = re.search(r"^\s*Latency\s+([\d.]+)(us|ms|s|m)\b", out, re.M)
    if avg:
        result["avg_ms"] = to_ms(*avg.groups())
    for pct in ("50", "75", "90", "99"):
        match = re.search(rf"^\s*{pct}(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\b", out, re.M)
        if match:
            result[f"p{pct}_ms"] = to_ms(*match.groups())
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)\b", out)
    if total is None:
        raise CannotRun(f"no request count in wrk's output:\n{out}")
    result["requests"], result["seconds"] = int(total.group(1)), to_ms(*total.group(2, 3)) / 1000
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    result["non2xx"] = int(non2xx.group(1)) if non2xx else 0
    errors = re.search(r"Socket errors:.*", out)
    result["socket_errors"] = errors.group(0).strip() if errors else ""
    return result


def notes_by_size() -> list[tuple[str, int]]:
    """(slug, source bytes) of the corpus notes, largest first; the file name is the slug."""
    files = sorted(CORPUS.glob("*.md"), key=lambda p: p.stat().st_size, reverse=True)
    if not files:
        raise CannotRun(f"no notes in {CORPUS}")
    return [(f.stem, f.stat().st_size) for f in files]


def make_reader(slug: str) -> None:
    """Run inside `manage.py shell`: the reader, their annotations and marks, and a session;
    prints `session=<cookie> annotations=<n> marks=<n>`."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.db.models import F

    from accounts.annotations.services import annotation_create
    from accounts.models import DerivationProgress
    from accounts.study.services import progress_mark
    from notes.models import Derivation, Note

    reader = User.objects.create_user("bench-reader", "reader@example.com", "bench-password-1")
    note = Note.objects.with_live().get(slug=slug)
    text = note.live_revision.plain_text
    sentences = [s for s in re.split(r"(?<=[.:;])\s+", text) if len(s) >= 40 and "$$" not in s]
    made = 0
    for i in range(ANNOTATIONS * 4):
        quote = sentences[(i * 7) % len(sentences)][: 40 + (i * 13) % 70]
        try:
            annotation_create(
                owner=reader,
                slug=slug,
                revision_number=note.live_revision.number,
                quote=quote,
                body=f"Note {i}: $x_{{{i}}}$.",
            )
        except Exception:  # noqa: BLE001, S112 - a quote that cannot be told apart is skipped
            continue
        made += 1
        if made == ANNOTATIONS:
            break
    live = Derivation.objects.filter(revision__note__live_revision=F("revision")).select_related("revision__note")
    for i, derivation in enumerate(live.order_by("revision__note__slug", "pk")[:MARKS]):
        state = "worked_through" if i % 2 else "working"
        progress_mark(owner=reader, slug=derivation.revision.note.slug, key=derivation.key, state=state)
    for i in range(MARKS - DerivationProgress.objects.filter(owner=reader).count()):
        DerivationProgress.objects.create(
            owner=reader, note=note, derivation_key=f"removed-{i}", state="worked_through",
            revision=note.live_revision, fingerprint="0" * 64,
        )  # fmt: skip
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(reader.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = reader.get_session_auth_hash()
    session.save()
    marks = DerivationProgress.objects.filter(owner=reader).count()
    print(f"session={settings.SESSION_COOKIE_NAME}={session.session_key} annotations={made} marks={marks}")


def reader_session(env: dict, slug: str) -> str:
    """The reader made (make_reader, in a manage.py shell), and their session cookie."""
    code = f"import sys; sys.path.insert(0, 'bench'); from pages import make_reader; make_reader({slug!r})"
    proc = subprocess.run(
        [str(PYTHON), "manage.py", "shell", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    found = re.search(r"^session=(\S+) (.*)$", proc.stdout, re.M)
    if proc.returncode != 0 or found is None:
        raise CannotRun(f"making the reader failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    print(f"  reader: {found.group(2)}")
    return found.group(1)


def csrf_cookie(url: str, cookie: str) -> str:
    """The CSRF cookie the first page gives a browser, to send with every later request."""
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": cookie}), timeout=30) as answer:
        for header in answer.headers.get_all("Set-Cookie") or []:
            if header.startswith("csrftoken="):
                return header.split(";")[0]
    raise CannotRun("the reader's page set no CSRF cookie")


def bench(duration: int, warmup: int) -> None:
    # Django runs in manage.py and gunicorn, not here: the scratch database is theirs to migrate.
    with scratch_database(prefix="bench-pages-", setup=False) as scratch:
        run(scratch.folder, scratch.url, duration, warmup)


def run(tmp: Path, database_url: str, duration: int, warmup: int) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "0",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)  # manage.py and config.wsgi set config.settings
    port = free_port()
    server = Gunicorn(env, port, tmp / "gunicorn.log", args=("-w", "2"))
    try:
        print(f"Setting up in {tmp} (DEBUG=0, SQLite, gunicorn -w 2 on {HOST}:{port})")
        manage(env, "migrate", "--no-input")
        manage(env, "import_notes", "notes/corpus", tolerate_failure=True)
        manage(env, "collectstatic", "--noinput")
        base = f"http://{HOST}:{port}"

        # First start: the largest published note's page, anonymous and as the reader; their
        # bytes where whitenoise will find them, with the .gz it sends to clients taking gzip.
        server.start("/")
        slug, source_bytes, body = largest_page(base)
        session = reader_session(env, slug)
        page_path = f"/notes/{slug}/"
        cookie = f"{session}; {csrf_cookie(base + page_path, session)}"
        status, reader_body = fetch(base + page_path, headers={"Cookie": cookie})
        check_reader_page(status, reader_body)
        server.stop()
        write_static_twins({"anonymous": body, "reader": reader_body})

        # Second start: whitenoise indexes STATIC_ROOT, now including the pages.
        server.start(page_path)
        print(f"  largest note: {slug} ({source_bytes:,} bytes of source)")
        urls = {"anonymous": (base + page_path, ""), "reader": (base + page_path, cookie)}
        for name, (url, with_cookie) in urls.items():
            status, page = fetch(url, headers={"Cookie": with_cookie} if with_cookie else {})
            static_status, static_body = fetch(base + STATIC_PATHS[name])
            same = len(page) == len(static_body)
            print(f"  {name} page: {status}, {len(page):,} bytes; its static twin: {static_status}, "
                  f"{len(static_body):,} bytes; sizes match: {'yes' if same else 'NO'}")  # fmt: skip
            if status != 200 or static_status != 200:
                raise CannotRun("every URL must answer 200 before measuring")
        _, packed = fetch(base + page_path, headers={"Accept-Encoding": "gzip"})
        compressed = len(packed) / len(body)

        runs, load_before = {}, os.getloadavg()
        for name, (url, with_cookie) in urls.items():
            pair = measure(url, base + STATIC_PATHS[name], duration, warmup, gzip_accepted=True, cookie=with_cookie)
            runs[(name, f"{name} page")], runs[(name, "static twin")] = pair
        pair = measure(urls["anonymous"][0], base + STATIC_PATHS["anonymous"], duration, 0, gzip_accepted=False)
        plain = dict(zip(("anonymous page", "static twin"), pair, strict=True))
        load = os.getloadavg()
        server.stop()
        report(runs, plain, (load_before, load), compressed, len(packed), len(body))
    finally:
        server.stop()
        for name in STATIC_PATHS.values():
            static = STATIC_ROOT / name.removeprefix("/static/")
            static.unlink(missing_ok=True)
            static.with_name(static.name + ".gz").unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            BENCH_STATIC.rmdir()  # only if empty


def measure(page: str, static: str, duration: int, warmup: int, *, gzip_accepted: bool, cookie: str = ""):
    """A page and its static twin in alternating rounds of ROUND_SECONDS: the machine's other
    load (other processes share its cores) falls on both alike. Requests per second over all
    rounds; latencies, the median of the rounds'."""
    if warmup:
        run_wrk(page, warmup, gzip_accepted, cookie)
        run_wrk(static, warmup, gzip_accepted)
    rounds: tuple[list, list] = ([], [])
    for _ in range(max(1, duration // ROUND_SECONDS)):
        rounds[0].append(run_wrk(page, ROUND_SECONDS, gzip_accepted, cookie))
        rounds[1].append(run_wrk(static, ROUND_SECONDS, gzip_accepted))
    return tuple(merged(runs) for runs in rounds)


def merged(runs: list[dict]) -> dict:
    result = {
        "rps": sum(r["requests"] for r in runs) / sum(r["seconds"] for r in runs),
        "requests": sum(r["requests"] for r in runs),
        "non2xx": sum(r["non2xx"] for r in runs),
        "socket_errors": "; ".join(r["socket_errors"] for r in runs if r["socket_errors"]),
        "cmd": runs[0]["cmd"],
    }
    for key in ("avg_ms", "p50_ms", "p99_ms"):
        values = [r[key] for r in runs if key in r]
        if values:
            result[key] = statistics.median(values)
    return result


def write_static_twins(pages: dict[str, bytes]) -> None:
    BENCH_STATIC.mkdir(parents=True, exist_ok=True)
    for name, page in pages.items():
        static = STATIC_ROOT / STATIC_PATHS[name].removeprefix("/static/")
        static.write_bytes(page)
        static.with_name(static.name + ".gz").write_bytes(gzip.compress(page, compresslevel=9))


def largest_page(base: str) -> tuple[str, int, bytes]:
    answers = []
    for slug, source_bytes in notes_by_size():
        status, body = fetch(f"{base}/notes/{slug}/")
        answers.append(f"/notes/{slug}/ {status}")
        if status == 200:
            if len(answers) > 1:
                print(f"  skipped (not published): {', '.join(answers[:-1])}")
            return slug, source_bytes, body
    raise CannotRun(f"no note page answered 200: {', '.join(answers)}")


def check_reader_page(status: int, body: bytes) -> None:
    """The reader's page is theirs: their name, their annotations, a control per derivation."""
    html = body.decode()
    entries, forms = html.count('class="annotation-entry'), html.count('class="progress-form')
    print(
        f"  reader's page: {status}, {len(body):,} bytes, {entries} annotations in the panel, {forms} progress controls"
    )
    if status != 200 or "bench-reader" not in html or entries < ANNOTATIONS or not forms:
        raise CannotRun(f"the reader's page is not theirs ({status}):\n{html[:500]}")


def report(runs: dict, plain: dict, loads: tuple, compressed: float, packed: int, size: int) -> None:
    cmd = next(iter(runs.values()))["cmd"].split(" http")[0]
    print()
    print(f"Page throughput (bench/pages.py): {cmd} URL, in alternating rounds of {ROUND_SECONDS} s")
    for when, load in zip(("before", "after"), loads, strict=True):
        print(
            f"  load average {when} the runs (1/5/15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores"
        )
    for name in TARGETS:
        page, static = runs[(name, f"{name} page")], runs[(name, "static twin")]
        print(f"\n== {name} note page, with Accept-Encoding: gzip, as browsers ask")
        table(page, static, f"{name} page")
        verdict(page["rps"] / static["rps"], TARGETS[name])
    print("\n== anonymous note page uncompressed (wrk's default), for information")
    table(plain["anonymous page"], plain["static twin"], "anonymous page")
    print(f"  ratio page / static twin       {plain['anonymous page']['rps'] / plain['static twin']['rps']:.2f}")
    print(f"\n  anonymous page gzip-compressed: {packed:,} of {size:,} bytes, {compressed:.3f}")
    print(f"  target                         <= {TARGET_COMPRESSED}")
    print(f"  result                         {'MET' if compressed <= TARGET_COMPRESSED else 'NOT MET'}")


def table(page: dict, static: dict, label: str) -> None:
    def latency(res: dict, key: str) -> str:
        return f"{res[key]:.2f} ms" if key in res else "n/a"

    rows = [
        ("", label, "static twin"),
        ("requests/s", f"{page['rps']:,.1f}", f"{static['rps']:,.1f}"),
        ("requests", f"{page['requests']:,}", f"{static['requests']:,}"),
        ("latency avg", latency(page, "avg_ms"), latency(static, "avg_ms")),  # each the median of the rounds'
        ("latency p50", latency(page, "p50_ms"), latency(static, "p50_ms")),
        ("latency p99", latency(page, "p99_ms"), latency(static, "p99_ms")),
        ("non-2xx/3xx", str(page["non2xx"]), str(static["non2xx"])),
    ]
    if page["socket_errors"] or static["socket_errors"]:
        rows.append(("socket errors", page["socket_errors"] or "-", static["socket_errors"] or "-"))
    for row_label, a, b in rows:
        print(f"  {row_label:<14} {a:>16} {b:>14}")


def verdict(ratio: float, target: float) -> None:
    print(f"  ratio page / static twin       {ratio:.2f}")
    print(f"  target ratio                   >= {target}")
    print(f"  result                         {'MET' if ratio >= target else 'NOT MET'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk measurement (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of untimed wrk load first (default 2)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print(f"bench/pages.py: cannot run: wrk is not installed; install it with: {WRK_INSTALL}", file=sys.stderr)
        sys.exit(1)
    if not GUNICORN.is_file():
        print(f"bench/pages.py: cannot run: {GUNICORN} not found (run `make setup`)", file=sys.stderr)
        sys.exit(1)
    try:
        bench(args.duration, args.warmup)
    except CannotRun as exc:
        print(f"bench/pages.py: cannot run: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
