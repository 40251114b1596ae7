"""Page throughput: a note page served by Django against the same bytes as a static file.

What it measures
    In a scratch SQLite database (temp dir), with production-like settings from the
    environment (DEBUG=0, a throwaway SECRET_KEY, ALLOWED_HOSTS=127.0.0.1,
    SECURE_SSL_REDIRECT=0 so plain-http answers are 200s, not redirects to https), it runs
    `manage.py migrate`, `import_notes notes/corpus` and `collectstatic --noinput` (into
    settings.STATIC_ROOT, i.e. staticfiles/, which is gitignored), then serves the site with
    `gunicorn config.wsgi -w 2` on a free loopback port. The note page of the largest note
    in notes/corpus (by source bytes) is fetched once and its HTML written to
    staticfiles/bench/page.html; gunicorn is restarted so whitenoise (which indexes
    STATIC_ROOT at start-up) serves that file. After checking that both URLs answer 200
    with bodies of the same size, wrk (`-t2 -c16 -d10s --latency`, after a short warm-up)
    measures requests per second and latency for
      /notes/<slug>/            the Django view (database, template, middleware), and
      /static/bench/page.html   the same bytes from whitenoise in the same gunicorn.

Target
    ratio = note page req/s / static file req/s >= 0.5, measured twice: uncompressed (wrk's
    default) and with Accept-Encoding: gzip, as browsers ask (the note page's shared copy is
    stored compressed; whitenoise sends the static file's .gz); and the note page sent
    gzip-compressed at most a tenth of its bytes.
    The script prints MET or NOT MET and exits 0 either way; it exits 1 only when it
    cannot run (wrk missing, a management command failing, gunicorn not answering, a
    URL not answering 200). gunicorn is always stopped and the temp dir and
    staticfiles/bench/ removed.

Run (from the project root, about 45 s; wrk and gunicorn share the machine's cores)
    .venv/bin/python bench/pages.py [--duration 10]
"""

import argparse
import contextlib
import gzip
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

from scratch import ROOT, scratch_database
from server import GUNICORN, HOST, CannotRun, Gunicorn, fetch, free_port, manage

CORPUS = ROOT / "notes" / "corpus"
STATIC_ROOT = ROOT / "staticfiles"  # settings.STATIC_ROOT
BENCH_STATIC = STATIC_ROOT / "bench"
STATIC_PATH = "/static/bench/page.html"  # settings.STATIC_URL is "static/"
TARGET_RATIO = 0.5
TARGET_COMPRESSED = 0.1  # compressed bytes / uncompressed bytes of the note page
WRK_INSTALL = "apt-get install -y wrk"


UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def to_ms(value: str, unit: str) -> float:
    return float(value) * UNIT_MS[unit]


def run_wrk(url: str, duration: int, gzip_accepted: bool = False) -> dict:
    cmd = ["wrk", "-t2", "-c16", f"-d{duration}s", "--latency", url]
    if gzip_accepted:  # as every browser asks
        cmd[1:1] = ["-H", "Accept-Encoding: gzip"]
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
    total = re.search(r"(\d+) requests in", out)
    result["requests"] = int(total.group(1)) if total else None
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
        static_url = base + STATIC_PATH

        # First start: fetch the largest published note's page and write its bytes where
        # whitenoise will find them.
        server.start("/")
        answers = []
        for note in notes_by_size():
            slug, source_bytes = note
            page_path = f"/notes/{slug}/"
            status, body = fetch(base + page_path)
            answers.append(f"{page_path} {status}")
            if status == 200:
                break
        else:
            raise CannotRun(f"no note page answered 200: {', '.join(answers)}\n{body[:500]!r}")
        server.stop()
        if len(answers) > 1:
            print(f"  skipped (not published): {', '.join(answers[:-1])}")
        page_url = base + page_path
        BENCH_STATIC.mkdir(parents=True, exist_ok=True)
        (BENCH_STATIC / "page.html").write_bytes(body)
        # Its compressed copy, which whitenoise sends to clients that take gzip, as it does for
        # every static file collectstatic compresses.
        (BENCH_STATIC / "page.html.gz").write_bytes(gzip.compress(body, compresslevel=9))

        # Second start: whitenoise indexes STATIC_ROOT, now including the page.
        server.start(page_path)
        page_status, page_body = fetch(page_url)
        static_status, static_body = fetch(static_url)
        print(f"  largest note: {slug} ({source_bytes:,} bytes of source)")
        print(f"  GET {page_path}: {page_status}, {len(page_body):,} bytes")
        print(f"  GET {STATIC_PATH}: {static_status}, {len(static_body):,} bytes")
        if page_status != 200 or static_status != 200:
            raise CannotRun("both URLs must answer 200 before measuring")
        sizes_match = len(page_body) == len(static_body)
        print(f"  sizes match: {'yes' if sizes_match else 'NO'}")
        _, packed = fetch(page_url, headers={"Accept-Encoding": "gzip"})
        compressed = len(packed) / len(page_body)

        runs = {}
        for gzip_accepted in (False, True):
            results = runs[gzip_accepted] = {}
            for name, url in (("note page", page_url), ("static file", static_url)):
                if warmup:
                    run_wrk(url, warmup, gzip_accepted)
                results[name] = run_wrk(url, duration, gzip_accepted)
        load = os.getloadavg()
        server.stop()
        for gzip_accepted, results in runs.items():
            print(f"\n== {'with Accept-Encoding: gzip, as browsers ask' if gzip_accepted else 'uncompressed'}")
            report(results, results["note page"]["cmd"].replace(page_url, "URL"), load)
        print(f"\n  note page gzip-compressed: {len(packed):,} of {len(page_body):,} bytes, {compressed:.3f}")
        print(f"  target                         <= {TARGET_COMPRESSED}")
        print(f"  result                         {'MET' if compressed <= TARGET_COMPRESSED else 'NOT MET'}")
    finally:
        server.stop()
        (BENCH_STATIC / "page.html").unlink(missing_ok=True)
        (BENCH_STATIC / "page.html.gz").unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            BENCH_STATIC.rmdir()  # only if empty


def report(results: dict, cmd: str, load: tuple[float, float, float]) -> None:
    page, static = results["note page"], results["static file"]
    ratio = page["rps"] / static["rps"]
    print()
    print(f"Page throughput (bench/pages.py): {cmd}")
    print(f"  load average at the end of the runs (1/5/15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print()

    def latency(res: dict, key: str) -> str:
        return f"{res[key]:.2f} ms" if key in res else "n/a"

    rows = [
        ("", "note page", "static file"),
        ("requests/s", f"{page['rps']:,.1f}", f"{static['rps']:,.1f}"),
        ("requests", f"{page['requests']:,}", f"{static['requests']:,}"),
        ("latency avg", latency(page, "avg_ms"), latency(static, "avg_ms")),
        ("latency p50", latency(page, "p50_ms"), latency(static, "p50_ms")),
        ("latency p99", latency(page, "p99_ms"), latency(static, "p99_ms")),
        ("non-2xx/3xx", str(page["non2xx"]), str(static["non2xx"])),
    ]
    if page["socket_errors"] or static["socket_errors"]:
        rows.append(("socket errors", page["socket_errors"] or "-", static["socket_errors"] or "-"))
    for label, a, b in rows:
        print(f"  {label:<14} {a:>14} {b:>14}")
    print()
    print(f"  ratio note page / static file  {ratio:.2f}")
    print(f"  target ratio                   >= {TARGET_RATIO}")
    print(f"  result                         {'MET' if ratio >= TARGET_RATIO else 'NOT MET'}")


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
