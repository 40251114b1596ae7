"""Scale: two gunicorn instances behind nginx, sharing PostgreSQL and Redis, with two RQ workers.

What it does
    A scratch PostgreSQL database (notes_bench_scale) with the starter notes, Redis database 11
    of the local server (emptied first) as the cache and RQ's queue, production-like settings
    (DEBUG=0, TASKS_BACKEND=rq). It starts, as deploy/ describes for several machines:
      two gunicorn instances (config/gunicorn.py, GUNICORN_WORKERS=--workers each) on two
      loopback ports, two queue workers (`manage.py worker`: rqworker with its scheduler), and
      Debian's nginx (`nginx -c` with a config of its own, run as a child, not the system
      service) with deploy/nginx/notes-locations.conf as it is (paths moved to this checkout)
      on two ports: one whose upstream is the first instance only, one with both (keepalive).
    Then it checks and measures:
      1. a publish through the first instance (the editor's POST, as the review page sends it)
         is visible through the second at once: the note's page, fetched there right after
         the publish answers (the anonymous page was cached there before), has the new text;
      2. the publish's background work (its Job rows: search row, annotations, citing notes)
         is done by the two workers, and how long that took;
      3. a static file through nginx comes from STATIC_ROOT, gzip-compressed by collectstatic;
      4. a mixed load through nginx (wrk, 2 threads, 16 connections, gzip accepted; Lua cycles
         a fixed mix: anonymous note pages 60%, signed-in note pages 20%, signed-in home 10%,
         search 10%) has 0 errors (any answer but 200, or none in 30 s); its throughput with
         the one-instance upstream and with the two-instance one, alternating in rounds of
         --round seconds so that other load on the machine falls on both alike, with the cores
         the gunicorn workers kept busy meanwhile (their CPU time / wall time, from /proc).

Targets
    visible at once; background work done (within 120 s); 0 errors; two instances / one >= 1.6.
    On a 2-core machine the ratio says whether a second instance adds capacity only while one
    instance leaves cores idle: with --workers 1 an instance is one Python process (about one
    core with its threads, the GIL), so a second can use the other core; with the default
    (cores + 1 per instance) one instance already fills both cores, and a second shares them:
    expect about 1.0 then, and look at CPU, not instances. wrk, nginx, PostgreSQL and Redis
    share the same two cores. The load average is printed. MET or NOT MET per target; exits 0
    either way, 1 when it cannot run (PostgreSQL, Redis, nginx or wrk missing, a server not
    starting).

Run (from the project root, about two minutes)
    .venv/bin/python bench/scale.py [--workers 1] [--round 5] [--rounds 4]
"""

import argparse
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scratch import ROOT, ScratchError, postgres_url, scratch_database
from server import (
    HOST,
    PYTHON,
    CannotRun,
    Gunicorn,
    empty_cache,
    fetch,
    free_port,
    manage,
    process_environ,
    production_environ,
)
from traffic import Client, logged_in_readers

DATABASE = "notes_bench_scale"
REDIS_DB = 11
LOCATIONS = ROOT / "deploy" / "nginx" / "notes-locations.conf"
SITE_CONF = ROOT / "deploy" / "nginx" / "notes.conf"
SEARCHES = ["softmax", "gradient", "jacobian", "attention", "variance", "kl+divergence"]
TARGET_RATIO = 1.6
JOBS_DEADLINE_SECONDS = 120
CONNECTIONS = 16


class Processes:
    """Child processes (queue workers, nginx) stopped by their own pid, in reverse order."""

    def __init__(self, folder: Path):
        self.folder, self.started = folder, []

    def start(self, name: str, command: list[str], env: dict | None = None) -> subprocess.Popen:
        with (self.folder / f"{name}.log").open("ab") as log:
            proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        self.started.append((name, proc))
        time.sleep(0.5)
        if proc.poll() is not None:
            raise CannotRun(f"{name} exited with {proc.returncode}:\n{self.tail(name)}")
        return proc

    def tail(self, name: str) -> str:
        return "\n".join((self.folder / f"{name}.log").read_text(errors="replace").splitlines()[-20:])

    def stop(self) -> None:
        for _, proc in reversed(self.started):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)  # rqworker: warm shutdown; nginx: fast shutdown
        for _, proc in reversed(self.started):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def nginx_conf(folder: Path, instances: list[int], ports: tuple[int, int]) -> Path:
    """nginx's whole configuration: deploy's upstream settings and locations, on loopback."""
    upstream = re.search(r"upstream notes_web \{(.*?)\}", SITE_CONF.read_text(), re.S)
    if upstream is None:
        raise CannotRun(f"{SITE_CONF} has no upstream notes_web block")
    options = "\n".join(line for line in upstream.group(1).splitlines() if not line.strip().startswith("server "))
    locations = LOCATIONS.read_text().replace("/srv/notes/", f"{ROOT}/")
    one, both = ports

    def upstream_block(name: str, members: list[int]) -> str:
        servers = "\n".join(f"    server {HOST}:{port} max_fails=3 fail_timeout=10s;" for port in members)
        return f"upstream {name} {{\n{servers}\n{options}\n}}"

    temp = "\n".join(
        f"{kind}_temp_path {folder}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = f"""
worker_processes 2;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    {temp}
    {upstream_block("notes_web", instances)}
    {upstream_block("notes_one", instances[:1])}
    server {{
        listen {HOST}:{both};
        {locations}
    }}
    server {{
        listen {HOST}:{one};
        {locations.replace("http://notes_web", "http://notes_one")}
    }}
}}
"""
    path = folder / "nginx.conf"
    path.write_text(conf)
    return path


def editor_and_readers(count: int) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Signed-in people (their session and CSRF cookies): an editor, and `count` readers."""
    from django.contrib.auth import get_user_model

    from notes.editorial.services import editors_group_ensure

    people = logged_in_readers(count + 1)
    get_user_model().objects.get(username="visitor0").groups.add(editors_group_ensure())
    return people[0], people[1:]


def probe_note() -> str:
    """The live note that most live notes cite: its publish queues the most background work
    (their re-render besides its own search row and annotations)."""
    from django.db.models import Count, F, Q

    from notes.models import Note

    note = (
        Note.objects.with_live()
        .annotate(
            cited=Count(
                "incoming_links__revision__note",
                filter=Q(incoming_links__revision=F("incoming_links__revision__note__live_revision")),
                distinct=True,
            )
        )
        .order_by("-cited", "slug")
        .first()
    )
    if note is None:
        raise CannotRun("the corpus has no live note")
    return note.slug


def publish_across(slug: str, first: int, second: int, cookies: dict) -> dict:
    """Save a new revision of `slug`, publish it through the instance on `first`, read the
    page through `second` at once; then wait for the publish's jobs."""
    from jobs.models import Job
    from notes.models import Note
    from notes.selectors import LiveNoteIndex
    from notes.services import revision_create

    note = Note.objects.select_related("live_revision").get(slug=slug)
    before = fetch(f"http://{HOST}:{second}/notes/{slug}/")  # cached there, as a running site has it
    marker = f"Scale probe {secrets.token_hex(6)}"
    revision = revision_create(
        note=note, source=f"{note.live_revision.source.rstrip()}\n\n{marker}.\n", index=LiveNoteIndex()
    )
    # The import queued every note's work; the workers finish it first (a running site's
    # queue is idle between publishes), so that what follows is this publish's work alone.
    drained = _wait_for(Job.objects.all())
    last_job = Job.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    client = Client(first, answers=_Discard(), cookies=cookies)
    started = time.monotonic()
    status, _ = client.request("publish", "POST", f"/edit/{slug}/publish/", {"revision": str(revision.pk)})
    published = time.monotonic()
    client.close()
    after_status, page = fetch(f"http://{HOST}:{second}/notes/{slug}/")
    note.refresh_from_db()
    jobs = Job.objects.filter(pk__gt=last_job)
    _wait_for(jobs)
    return {
        "backlog_seconds": drained,
        "publish_status": status,
        "publish_ms": (published - started) * 1000,
        "live": note.live_revision_id == revision.pk,
        "before": before[0] == 200 and marker.encode() not in before[1],
        "visible": after_status == 200 and marker.encode() in page,
        "jobs": sorted(jobs.values_list("label", "state")),
        "jobs_seconds": time.monotonic() - published,
    }


def _wait_for(jobs) -> float:
    """Seconds until none of `jobs` is queued or running (JOBS_DEADLINE_SECONDS at most)."""
    started = time.monotonic()
    while jobs.filter(state__in=["queued", "running"]).exists() and time.monotonic() < started + JOBS_DEADLINE_SECONDS:
        time.sleep(0.1)
    return time.monotonic() - started


class _Discard:
    def add(self, answer) -> None:
        pass


def mix(slugs: list[str], readers: list[dict]) -> list[tuple[str, str]]:
    """The load's requests, (path, cookie header): 100 in a fixed shuffled order."""
    signed = [f"sessionid={r['sessionid']}; csrftoken={r['csrftoken']}" for r in readers]
    shares = [
        ([(f"/notes/{slug}/", "") for slug in slugs], 60),
        ([(f"/notes/{slug}/", signed[i % len(signed)]) for i, slug in enumerate(slugs)], 20),
        ([("/accounts/", cookie) for cookie in signed], 10),
        ([(f"/search/?q={q}", "") for q in SEARCHES], 10),
    ]
    requests = [pool[j % len(pool)] for pool, share in shares for j in range(share)]
    random.Random(0).shuffle(requests)
    return requests


WRK_SCRIPT = """
local requests = {%s}
local n = 0
bad = 0
request = function()
  n = n + 1
  local r = requests[(n %% #requests) + 1]
  local headers = {["Accept-Encoding"] = "gzip"}
  if r[2] ~= "" then headers["Cookie"] = r[2] end
  return wrk.format("GET", r[1], headers)
end
response = function(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end
local threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("bad") end
  io.write(string.format("bad %%d\\n", total))
end
"""


def wrk(port: int, seconds: int, script: Path) -> tuple[int, int]:
    """(answers, errors) of `seconds` of the mix on `port`: errors are answers but 200 and
    socket errors (refused, reset, timed out)."""
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            "--timeout",
            "30s",
            f"-d{seconds}s",
            "-s",
            str(script),
            f"http://{HOST}:{port}/",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
    )
    found = re.search(r"(\d+) requests in", out.stdout)
    if found is None or "bad " not in out.stdout:
        raise CannotRun(f"wrk: {out.stdout}{out.stderr}")
    answers = int(found.group(1))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out.stdout)
    errors = sum(int(x) for x in socket.groups()) if socket else 0
    # Every answer but a 200 (the Lua script's count: wrk's own "Non-2xx or 3xx" would let a
    # redirect to the login page pass).
    return answers, errors + int(re.search(r"^bad (\d+)$", out.stdout, re.M).group(1))


def wrk_script(folder: Path, requests: list[tuple[str, str]]) -> Path:
    path = folder / "mix.lua"
    path.write_text(WRK_SCRIPT % ", ".join(f'{{"{p}", "{c}"}}' for p, c in requests))
    return path


def cpu_seconds(servers: list[Gunicorn]) -> dict[int, float]:
    """CPU time (user + system) each of the instances' worker processes has used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for server in servers:
        for pid in server.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            used[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return used


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU time used between two readings. gunicorn replaces a worker after max_requests: a new
    worker counts from zero, and what a replaced one used since `before` is lost (an undercount
    of at most one round's share of one worker)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def measure(ports: tuple[int, int], script: Path, rounds: int, seconds: int, servers: list[Gunicorn]) -> dict:
    """Per upstream (one instance, two), alternating round by round: answers per second, errors,
    and the cores the gunicorn workers kept busy on average (what the machine gave them)."""
    totals = {"one": [0, 0, 0.0, 0.0], "two": [0, 0, 0.0, 0.0]}
    for _ in range(rounds):
        for name, port in zip(("one", "two"), ports, strict=True):
            started, cpu = time.monotonic(), cpu_seconds(servers)
            answers, errors = wrk(port, seconds, script)
            totals[name][0] += answers
            totals[name][1] += errors
            totals[name][2] += time.monotonic() - started
            totals[name][3] += cpu_used(cpu, cpu_seconds(servers))
    return {name: (answers / wall, errors, cpu / wall) for name, (answers, errors, wall, cpu) in totals.items()}


def check_static(port: int) -> tuple[bool, str]:
    """A hashed static file through nginx: from STATIC_ROOT, gzip-compressed, cached a year."""
    import json
    import urllib.request

    manifest = json.loads((ROOT / "staticfiles" / "staticfiles.json").read_text())["paths"]
    name = next(hashed for original, hashed in manifest.items() if original.endswith(".css"))
    request = urllib.request.Request(f"http://{HOST}:{port}/static/{name}", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=5) as response:
        encoding, cache = response.headers.get("Content-Encoding"), response.headers.get("Cache-Control", "")
        return response.status == 200 and encoding == "gzip" and "immutable" in cache, f"{name}: {encoding}, {cache}"


def main(args) -> None:
    """Long because it is the benchmark's script: set up, start everything, check, measure,
    stop everything, report."""
    for tool in ("nginx", "wrk"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            raise CannotRun(f"{tool} is not installed (apt-get install -y {tool})")
    redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    empty_cache(redis_url)
    settings_env = production_environ(REDIS_URL=redis_url, TASKS_BACKEND="rq")
    url = postgres_url(args.database)
    env = process_environ(settings_env, DATABASE_URL=url, GUNICORN_WORKERS=str(args.workers))
    folder = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    processes = Processes(folder)
    instances = [free_port(), free_port()] if args.port is None else [args.port + 2, args.port + 3]
    ports = (free_port(), free_port()) if args.port is None else (args.port, args.port + 1)
    servers = [Gunicorn(env, port, folder / f"gunicorn-{port}.log") for port in instances]
    try:
        with scratch_database(url, corpus=True, **settings_env):
            from django.db import connections

            from notes.models import Note

            slugs = list(Note.objects.with_live().order_by("slug").values_list("slug", flat=True))
            slug = probe_note()
            editor, readers = editor_and_readers(8)
            connections.close_all()
            manage(env, "collectstatic", "--noinput")
            try:
                for server in servers:
                    server.start("/about/")
                for i in range(2):
                    processes.start(f"worker-{i}", [str(PYTHON), "manage.py", "worker"], env)
                nginx = shutil.which("nginx") or "/usr/sbin/nginx"
                conf = nginx_conf(folder, instances, ports)
                for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
                    (folder / kind).mkdir()
                processes.start("nginx", [nginx, "-c", str(conf), "-p", str(folder), "-g", "daemon off;"])
                for server in servers:  # the anonymous pages as a running site has them: cached
                    for each in slugs:
                        fetch(f"{server.base}/notes/{each}/")
                print(
                    f"gunicorn x2 ({args.workers} worker(s) each, {HOST}:{instances[0]} and :{instances[1]}), "
                    f"2 RQ workers, nginx on :{ports[0]} (one instance) and :{ports[1]} (both); "
                    f"PostgreSQL {args.database}, Redis {redis_url}"
                )
                published = publish_across(slug, instances[0], instances[1], editor)
                static_ok, static_detail = check_static(ports[1])
                script = wrk_script(folder, mix(slugs, readers))
                wrk(ports[1], 5, script)  # warm-up: both instances' workers
                load_before = os.getloadavg()
                rates = measure(ports, script, args.rounds, args.round, servers)
                load = os.getloadavg()
            finally:
                processes.stop()
                for server in servers:
                    server.stop()
                connections.close_all()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report(args, slug, published, (static_ok, static_detail), rates, load_before, load)


def report(args, slug, published, static, rates, load_before, load) -> None:
    ratio = rates["two"][0] / rates["one"][0] if rates["one"][0] else 0.0
    errors = rates["one"][1] + rates["two"][1]
    done = all(state == "done" for _, state in published["jobs"]) and published["jobs"]
    print(f"\nScale (bench/scale.py), load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"  (before the load: {load_before[0]:.2f}; cores: {os.cpu_count()})")
    print(
        f"  publish of {slug} through instance 1: HTTP {published['publish_status']} in "
        f"{published['publish_ms']:.0f} ms, live: {published['live']}; cached page without the new text "
        f"on instance 2 before: {published['before']}"
    )
    print(f"  (the import's queued work took the two workers {published['backlog_seconds']:.1f} s, before it)")
    print(f"  jobs of the publish, all finished {published['jobs_seconds']:.1f} s after it answered:")
    for label, state in published["jobs"]:
        print(f"    {state:<8} {label}")
    print(f"  static through nginx: {static[1]}")
    mix_seconds = args.rounds * args.round
    print(f"  mixed load through nginx, {mix_seconds} s each, alternating rounds of {args.round} s:")
    for name, label in (("one", "one instance: "), ("two", "two instances:")):
        rate, errors, cores = rates[name]
        print(
            f"    {label} {rate:7.0f} answers/s, {errors} errors; gunicorn kept {cores:.2f} cores busy "
            f"({rate / cores if cores else 0:.0f} answers per CPU-second)"
        )
    print(f"    ratio {ratio:.2f}")
    rows = [
        ("the publish is visible through the other instance at once", published["live"] and published["visible"]),
        ("its background work is done by the queue workers", bool(done)),
        ("static files from nginx, compressed", static[0]),
        ("0 errors in the mixed load", errors == 0),
        (f"two instances / one >= {TARGET_RATIO}: {ratio:.2f}", ratio >= TARGET_RATIO),
    ]
    for what, ok in rows:
        print(f"  {'MET    ' if ok else 'NOT MET'}  {what}")
    if ratio < TARGET_RATIO:
        cores = rates["two"][2] / rates["one"][2] if rates["one"][2] else 0.0
        print(
            f"  What bounds it: the CPU the machine gave the instances, not the instances: with two they kept "
            f"{cores:.2f}x the cores busy that one did, on {os.cpu_count()} cores shared with wrk, nginx, "
            f"PostgreSQL, Redis and the load average's other processes."
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1, help="gunicorn worker processes per instance")
    parser.add_argument("--round", type=int, default=5, help="seconds of one round of load")
    parser.add_argument("--rounds", type=int, default=4, help="rounds per upstream")
    parser.add_argument("--database", default=DATABASE, help="scratch PostgreSQL database (dropped at the end)")
    parser.add_argument("--redis-db", type=int, default=REDIS_DB, help="Redis database (emptied first)")
    parser.add_argument("--port", type=int, help="first of four ports (nginx x2, gunicorn x2); default: free ones")
    try:
        main(parser.parse_args())
    except (CannotRun, ScratchError) as error:
        print(f"bench/scale.py: cannot run: {error}", file=sys.stderr)
        sys.exit(1)
