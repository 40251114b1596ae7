"""Load: 64 connections for 60 s, anonymous and logged-in readers together, with writes.

What it does
    A scratch PostgreSQL database (notes_bench_load) with the starter notes; gunicorn with
    the site's own settings (config/gunicorn.py: threaded workers), DEBUG=0, Redis as the
    cache (database 10 of the local server, emptied first). Half the connections are
    anonymous readers, half logged-in readers (one reader each, with a session), each
    connection repeating, without pause, a request drawn at random:
      anonymous:   note page 70%, front page 10%, search 10%, graph 10%
      logged in:   note page 50%, their home page 10%, an annotation on a passage of a note
                   15%, a progress mark on a derivation (working, worked through or none) 25%
    Afterwards it reads the database and checks that no acknowledged write was lost: every
    201 for an annotation is a row of that reader's, and each reader's marks are the states
    they last set (a reader's requests go one after another, so "last" is well defined).

Targets
    0 errors (any answer but 200 or 201, or no answer) and 0 lost writes; p95 per kind of
    request is printed (no target: it depends on the machine; the load average is printed).
    Exits 0 either way; 1 when it cannot run (PostgreSQL or Redis not answering, gunicorn
    not starting).

Run (from the project root, about 90 s)
    .venv/bin/python bench/load.py [--connections 64] [--seconds 60]
"""

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from scratch import ScratchError, postgres_url, scratch_database
from server import CannotRun, Gunicorn, empty_cache, fetch, free_port, manage, process_environ, production_environ
from traffic import Answers, Client, Traffic, logged_in_readers, table

DATABASE = "notes_bench_load"
REDIS_URL = "redis://127.0.0.1:6379/10"
ANONYMOUS = [("note page (anonymous)", 70), ("front page", 10), ("search", 10), ("graph", 10)]
LOGGED_IN = [("note page (logged in)", 50), ("home (logged in)", 10), ("annotation write", 15), ("progress write", 25)]
KINDS = [kind for kind, _ in ANONYMOUS + LOGGED_IN]
STATES = ["working", "worked_through", "none"]
SEARCHES = ["softmax", "gradient", "jacobian", "attention", "variance", "kl divergence"]


class Site:
    """What the requests are drawn from: each note with a passage to quote and its
    derivations' keys, read from the database before the load starts."""

    def __init__(self):
        from notes.models import Note

        self.notes = []
        for note in Note.objects.with_live().select_related("live_revision"):
            revision = note.live_revision
            keys = list(revision.derivations.values_list("key", flat=True))
            self.notes.append((note.slug, revision.number, unique_passage(revision.plain_text), keys))
        self.with_derivations = [n for n in self.notes if n[3]]


def unique_passage(text: str, length: int = 40) -> str:
    """A stretch of the note's text that occurs once in it, to quote."""
    for start in range(len(text) // 3, len(text) - length, 97):
        passage = text[start : start + length]
        if text.count(passage) == 1 and "\n" not in passage:
            return passage
    return text[:length]


def anonymous_step(site: Site):
    def step(client: Client) -> None:
        kind = client.random.choices([k for k, _ in ANONYMOUS], [w for _, w in ANONYMOUS])[0]
        slug = client.random.choice(site.notes)[0]
        path = {
            "note page (anonymous)": f"/notes/{slug}/",
            "front page": "/",
            "search": f"/search/?q={client.random.choice(SEARCHES).replace(' ', '+')}",
            "graph": "/graph/",
        }[kind]
        client.get(kind, path)

    return step


def logged_in_step(site: Site, acknowledged: dict):
    def step(client: Client) -> None:
        kind = client.random.choices([k for k, _ in LOGGED_IN], [w for _, w in LOGGED_IN])[0]
        slug, number, passage, _ = client.random.choice(site.notes)
        user = client.cookies["sessionid"]
        if kind == "note page (logged in)":
            client.get(kind, f"/notes/{slug}/")
        elif kind == "home (logged in)":
            client.get(kind, "/accounts/")
        elif kind == "annotation write":
            form = {"note": slug, "revision": str(number), "kind": "text", "quote": passage, "body": "Load."}
            if client.request(kind, "POST", "/accounts/annotations/new/", form)[0] == 201:
                acknowledged["annotations", user] += 1
        else:
            slug, _, _, keys = client.random.choice(site.with_derivations)
            key, state = client.random.choice(keys), client.random.choice(STATES)
            if client.request(kind, "POST", f"/accounts/progress/{slug}/{key}/", {"state": state})[0] == 200:
                acknowledged["marks", user][slug, key] = state

    return step


def lost_writes(acknowledged: dict) -> tuple[int, int, int]:
    """(annotations acknowledged, marks acknowledged, writes lost), from the database."""
    from django.contrib.sessions.models import Session

    from accounts.models import Annotation, DerivationProgress

    owner_of = {s.session_key: s.get_decoded()["_auth_user_id"] for s in Session.objects.all()}
    annotations = marks = lost = 0
    for (what, session), value in acknowledged.items():
        owner = owner_of[session]
        if what == "annotations":
            annotations += value
            lost += max(0, value - Annotation.objects.filter(owner_id=owner).count())
            continue
        stored = {
            (p.note.slug, p.derivation_key): p.state
            for p in DerivationProgress.objects.filter(owner_id=owner).select_related("note")
        }
        for place, state in value.items():
            marks += 1
            lost += stored.get(place, "none") != state
    return annotations, marks, lost


def main(connections: int, seconds: int) -> None:
    empty_cache(REDIS_URL)
    settings_env = production_environ(REDIS_URL=REDIS_URL)
    url = postgres_url(DATABASE)
    env = process_environ(settings_env, DATABASE_URL=url)
    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    with scratch_database(url, corpus=True, **settings_env):
        from django.db import connections as django_connections

        site = Site()
        readers = logged_in_readers(connections // 2)
        django_connections.close_all()
        manage(env, "collectstatic", "--noinput")
        server = Gunicorn(env, free_port(), folder / "gunicorn.log")
        try:
            server.start("/about/")
            for slug, *_ in site.notes:  # the anonymous pages as a running site has them: cached
                fetch(f"{server.base}/notes/{slug}/")
            print(f"gunicorn -c config/gunicorn.py on {server.base}, PostgreSQL {DATABASE}, Redis {REDIS_URL}")
            answers = Answers()
            acknowledged: dict = defaultdict(int) | {("marks", r["sessionid"]): {} for r in readers}
            anonymous = [Client(server.port, answers, seed=i) for i in range(connections - len(readers))]
            logged_in = [Client(server.port, answers, r, seed=1000 + i) for i, r in enumerate(readers)]
            random.seed(0)
            started = time.monotonic()
            with Traffic(anonymous, anonymous_step(site)), Traffic(logged_in, logged_in_step(site, acknowledged)):
                time.sleep(seconds)
            elapsed = time.monotonic() - started
            load = os.getloadavg()
        finally:
            server.stop()
            shutil.rmtree(folder, ignore_errors=True)
        annotations, marks, lost = lost_writes(acknowledged)
    errors = [a for a in answers.items if a.status not in (200, 201)]
    print(
        f"\nLoad (bench/load.py): {connections} connections for {seconds} s, load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print("\n".join(table(answers.items, KINDS)))
    print(f"  {len(answers.items):,} answers in {elapsed:.0f} s: {len(answers.items) / elapsed:.0f} per second")
    print(f"  writes acknowledged: {annotations} annotations, {marks} progress marks (the last state of each)")
    print(f"  {'MET    ' if not errors else 'NOT MET'}  0 errors: {len(errors)}")
    print(f"  {'MET    ' if not lost else 'NOT MET'}  0 lost writes: {lost}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()
    try:
        main(args.connections, args.seconds)
    except (CannotRun, ScratchError) as error:
        print(f"bench/load.py: cannot run: {error}", file=sys.stderr)
        sys.exit(1)
