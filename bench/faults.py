"""Faults: what readers get while PostgreSQL is stopped, frozen, or the cache is unreachable,
and while hostile readers post KaTeX bombs.

What it does
    A scratch PostgreSQL database (notes_bench_faults) with the starter notes and a few
    readers; gunicorn with the site's own settings (config/gunicorn.py: threaded workers),
    DEBUG=0, Redis as the cache (database 9 of the local server, emptied first). Eight
    visitors load the site without pause, each kind in turn:
      cached page (anonymous)   a note page read once before, so it is in the cache
      note page (logged in)     a note page for a reader with a session: needs the database
      about                     a page that needs no database
    Four faults, one after another, each with the load running before, during and after it:
      database stopped   `pg_ctlcluster ... stop -m fast`, 8 s, then started again
      database frozen    every backend of the site's database stopped with SIGSTOP as soon
                         as it appears, for 8 s, then all continued
      cache unreachable  gunicorn restarted with the cache on a closed port, load for 8 s
      KaTeX bombs        six readers post a spread-bomb annotation at once while a seventh
                         reads a note page every 100 ms; workers' memory before and after
    For each it prints, per kind, the status codes, p50/p95 and the longest answer, and for
    the database faults the recovery: from the moment the fault ends to the first answer
    after which every logged-in page was a 200.

Targets
    no 500s anywhere; during database faults every answer within 3 s (a 503 with
    Retry-After where the database is needed); cached anonymous pages and /about/ 200
    throughout; recovery within 2 s; with the cache unreachable, every answer 200; the
    bombs refused with 400s while every probe answers 200 within 1 s; each worker's memory
    back under its cap (RSS below 600 MB) afterwards.
    It prints MET or NOT MET per target and exits 0 either way; 1 when it cannot run
    (not root, no pg_ctlcluster, Redis or PostgreSQL not answering, gunicorn not starting).

Run (as root, from the project root, about 90 s; it stops the machine's PostgreSQL
server for 8 s, so run it when nothing else is using it)
    .venv/bin/python bench/faults.py
"""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from scratch import ScratchError, postgres_url, scratch_database
from server import (
    HOST,
    CannotRun,
    Gunicorn,
    empty_cache,
    fetch,
    free_port,
    manage,
    process_environ,
    production_environ,
    rss_mb,
)
from traffic import Answer, Answers, Client, Traffic, logged_in_readers, table

DATABASE = "notes_bench_faults"
REDIS_URL = "redis://127.0.0.1:6379/9"
CLOSED_PORT_CACHE = "redis://127.0.0.1:1/0"
FAULT_SECONDS = 8
BEFORE_SECONDS, AFTER_SECONDS = 3, 5
VISITORS = 8
KINDS = ["cached page (anonymous)", "note page (logged in)", "about"]
WORKER_CAP_MB = 600
NOTE = "softmax-cross-entropy"


def cluster() -> list[str]:
    versions = sorted(os.listdir("/etc/postgresql"))
    if not versions or not shutil.which("pg_ctlcluster"):
        raise CannotRun("pg_ctlcluster and /etc/postgresql are needed to stop and start PostgreSQL")
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main"]


def postgres(action: str) -> None:
    args = [*cluster(), action] + (["-m", "fast"] if action == "stop" else [])
    subprocess.run(args, check=True, capture_output=True, timeout=60)
    if action == "start":
        for _ in range(300):
            if subprocess.run(["pg_isready", "-h", HOST, "-q"]).returncode == 0:
                return
            time.sleep(0.05)
        raise CannotRun("PostgreSQL did not come back within 15 s")


def backends(database: str) -> set[int]:
    """Pids of the PostgreSQL backends connected to `database`, from their process titles."""
    pids = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                title = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if title.startswith("postgres:") and f" {database} " in title:
                pids.add(int(entry))
    return pids


class Freezer(threading.Thread):
    """SIGSTOP every backend of the database as soon as it appears, until stopped; then
    SIGCONT them all."""

    def __init__(self):
        super().__init__(daemon=True)
        self.done, self.stopped = threading.Event(), set()

    def run(self):
        while not self.done.wait(0.01):
            for pid in backends(DATABASE) - self.stopped:
                os.kill(pid, signal.SIGSTOP)
                self.stopped.add(pid)

    def thaw(self):
        self.done.set()
        self.join()
        for pid in self.stopped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


def visit(client: Client) -> None:
    if "sessionid" in client.cookies:
        client.get("note page (logged in)", f"/notes/{NOTE}/")
    else:
        client.get("cached page (anonymous)", f"/notes/{NOTE}/")
        client.get("about", "/about/")
    time.sleep(0.05)


def recovery(answers: list[Answer], fault_end: float) -> float | None:
    """Seconds from the end of the fault to the first answer after which every logged-in page
    was a 200; None if they never were all 200 again."""
    after = sorted(
        (a for a in answers if a.kind == "note page (logged in)" and a.started >= fault_end), key=lambda a: a.started
    )
    last_bad = max((i for i, a in enumerate(after) if a.status != 200), default=-1)
    if last_bad == len(after) - 1:
        return None
    return max(0.0, after[last_bad + 1].started - fault_end)


def fault_phase(name: str, port: int, visitors: list[Client], begin, end) -> dict:
    answers = Answers()
    for client in visitors:
        client.answers = answers
    with Traffic(visitors, visit):
        time.sleep(BEFORE_SECONDS)
        fault_start = time.monotonic()
        begin()
        time.sleep(FAULT_SECONDS)
        end()
        fault_end = time.monotonic()
        time.sleep(AFTER_SECONDS)
    during = answers.between(fault_start, fault_end)
    result = {
        "name": name,
        "all": answers.items,
        "during_max": max((a.seconds for a in during), default=0.0),
        "recovery": recovery(answers.items, fault_end),
    }
    print(f"\n  {name} ({FAULT_SECONDS} s), during the fault:")
    print("\n".join(table(during, KINDS)))
    print(f"  {name}, the whole phase ({BEFORE_SECONDS} s before, {AFTER_SECONDS} s after):")
    print("\n".join(table(answers.items, KINDS)))
    rec = result["recovery"]
    print(f"  recovery after the fault: {'never' if rec is None else f'{rec:.2f} s'}")
    return result


def cache_phase(server: Gunicorn, env: dict, visitors: list[Client]) -> dict:
    server.stop()
    broken = Gunicorn({**env, "REDIS_URL": CLOSED_PORT_CACHE}, server.port, server.log)
    broken.start("/about/")
    answers = Answers()
    for client in visitors:
        client.answers = answers
    try:
        with Traffic(visitors, visit):
            time.sleep(FAULT_SECONDS)
    finally:
        broken.stop()
    server.start("/about/")
    print(f"\n  cache unreachable ({FAULT_SECONDS} s):")
    print("\n".join(table(answers.items, KINDS)))
    return {"name": "cache unreachable", "all": answers.items}


def bomb_phase(server: Gunicorn, attackers: list[dict], reader: dict) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.conftest import BOMB_MACROS

    body = BOMB_MACROS + " " + " ".join([r"$\zd$"] * 40)
    answers = Answers()
    before = {pid: rss_mb(pid) for pid in server.worker_pids()}
    go = threading.Barrier(len(attackers) + 1)

    def attack(cookies):
        client = Client(server.port, answers, cookies)
        go.wait()
        form = {"note": NOTE, "revision": "1", "kind": "text", "quote": "softmax", "body": body}
        client.request("bomb annotation", "POST", "/accounts/annotations/new/", form)
        client.close()

    threads = [threading.Thread(target=attack, args=(c,)) for c in attackers]
    for thread in threads:
        thread.start()
    go.wait()
    probe = Client(server.port, answers, reader)
    until = time.monotonic() + 2  # and a little after, while the workers recover
    while any(t.is_alive() for t in threads) or time.monotonic() < until:
        probe.get("probe: note page", f"/notes/{NOTE}/")
        time.sleep(0.1)
    probe.close()
    time.sleep(2)
    after = {pid: rss_mb(pid) for pid in server.worker_pids()}
    print("\n  KaTeX bombs (six at once, a reader probing every 100 ms):")
    print("\n".join(table(answers.items, ["bomb annotation", "probe: note page"])))
    for pid in sorted(set(before) | set(after)):
        print(f"    worker {pid}: {before.get(pid, 0):.0f} MB before, {after.get(pid, 0):.0f} MB after")
    return {"name": "KaTeX bombs", "all": answers.items, "after_mb": after}


def judge(results: list[dict]) -> list[tuple[str, bool, str]]:
    everything = [a for r in results for a in r["all"]]
    by_name = {r["name"]: r for r in results}
    db = [by_name["database stopped"], by_name["database frozen"]]
    cached = [a for a in everything if a.kind in ("cached page (anonymous)", "about")]
    longest = max(r["during_max"] for r in db)
    recoveries = [r["recovery"] for r in db]
    bombs = by_name["KaTeX bombs"]
    probes = [a for a in bombs["all"] if a.kind.startswith("probe")]
    refused = [a for a in bombs["all"] if a.kind == "bomb annotation"]
    cache = by_name["cache unreachable"]["all"]
    return [
        (
            "no 500s",
            not any(a.status >= 500 and a.status != 503 for a in everything),
            f"{sum(a.status == 500 for a in everything)} answers of 500",
        ),
        ("database faults answered within 3 s", longest <= 3, f"longest {longest:.2f} s"),
        (
            "cached anonymous pages and /about/ 200 throughout",
            all(a.status == 200 for a in cached),
            f"{sum(a.status != 200 for a in cached)} of {len(cached)} not 200",
        ),
        (
            "recovery within 2 s",
            all(r is not None and r <= 2 for r in recoveries),
            ", ".join("never" if r is None else f"{r:.2f} s" for r in recoveries),
        ),
        (
            "cache unreachable: all 200",
            all(a.status == 200 for a in cache),
            f"{sum(a.status != 200 for a in cache)} of {len(cache)} not 200",
        ),
        ("bombs refused with 400", all(a.status == 400 for a in refused), f"{[a.status for a in refused]}"),
        (
            "probes 200 within 1 s",
            all(a.status == 200 and a.seconds < 1 for a in probes),
            f"{len(probes)} probes, longest {max((a.seconds for a in probes), default=0):.2f} s",
        ),
        (
            f"workers under {WORKER_CAP_MB} MB after the bombs",
            all(mb < WORKER_CAP_MB for mb in bombs["after_mb"].values()),
            ", ".join(f"{mb:.0f} MB" for mb in bombs["after_mb"].values()),
        ),
    ]


def main() -> None:
    if os.geteuid() != 0:
        raise CannotRun("stopping PostgreSQL and its backends needs root")
    cluster()
    empty_cache(REDIS_URL)
    settings_env = production_environ(REDIS_URL=REDIS_URL)
    env = process_environ(settings_env)
    url = postgres_url(DATABASE)
    folder = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    with scratch_database(url, corpus=True, **settings_env):
        from django.db import connections

        cookies = logged_in_readers(VISITORS // 2 + 7)
        connections.close_all()  # the server is stopped below: this process holds no connection
        manage(env, "collectstatic", "--noinput")  # DEBUG=0: static files come from STATIC_ROOT
        server = Gunicorn({**env, "DATABASE_URL": url}, free_port(), folder / "gunicorn.log")
        freezer = Freezer()
        try:
            server.start("/about/")
            status, _ = fetch(f"{server.base}/notes/{NOTE}/")  # read once: now in the cache
            if status != 200:
                raise CannotRun(f"/notes/{NOTE}/ answered {status}")
            print(f"gunicorn -c config/gunicorn.py on {server.base}, PostgreSQL {DATABASE}, Redis {REDIS_URL}")
            visitors = [Client(server.port, Answers(), cookies[i] if i % 2 else None, seed=i) for i in range(VISITORS)]
            results = [
                fault_phase(
                    "database stopped", server.port, visitors, lambda: postgres("stop"), lambda: postgres("start")
                ),
                fault_phase("database frozen", server.port, visitors, freezer.start, freezer.thaw),
                cache_phase(server, {**env, "DATABASE_URL": url}, visitors),
                bomb_phase(server, cookies[VISITORS // 2 : VISITORS // 2 + 6], cookies[-1]),
            ]
            load = os.getloadavg()
        finally:
            if freezer.is_alive():
                freezer.thaw()
            if subprocess.run(["pg_isready", "-h", HOST, "-q"]).returncode != 0:
                postgres("start")
            server.stop()
            shutil.rmtree(folder, ignore_errors=True)
    print(f"\nFaults (bench/faults.py), load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}:")
    for target, met, figure in judge(results):
        print(f"  {'MET    ' if met else 'NOT MET'}  {target}: {figure}")


if __name__ == "__main__":
    try:
        main()
    except (CannotRun, ScratchError) as error:
        print(f"bench/faults.py: cannot run: {error}", file=sys.stderr)
        sys.exit(1)
