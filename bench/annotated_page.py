"""A note page for a reader with 200 annotations on it, against the same page without any.

What it measures
    In a scratch SQLite database (temp dir) the starter corpus is imported and two readers
    are made: one with no annotations, one with 200 text annotations on the largest note
    (quotes of 40-120 characters taken from its sentences, spread through the note, some
    overlapping). Then, for each reader:

    (a) server: the logged-in note page through Django's test client (middleware, the
        annotation query, the panel, the JSON for the page script), median of 30 requests
        after 5 warm-up;
    (b) browser: Chromium (Debian's, through Playwright) loads the page from a
        `manage.py runserver --noreload` on that database and reports the navigation's
        load-event end from the Performance API: HTML, CSS, fonts, and the page scripts,
        including annotations.js finding and drawing all 200 highlights (module scripts run
        before the load event). Median of 7 loads after 2 warm-up.

Target
    page time with 200 annotations <= 1.5x the page without, for (a) and for (b).
    Prints MET / NOT MET; exits 0 either way (1 only when it cannot run).

Run (from the project root, about a minute)
    .venv/bin/python bench/annotated_page.py
"""

import os
import re
import shutil
import socket
import statistics
import subprocess
import time

from scratch import ROOT, scratch_database

PYTHON = ROOT / ".venv" / "bin" / "python"
TARGET = 1.5
ANNOTATIONS = 200
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup():
    """The two readers, and the 200 annotations on the corpus's longest note."""
    from django.contrib.auth.models import User

    from accounts.annotations.services import annotation_create
    from notes.models import Note

    plain = User.objects.create_user("plain", "plain@example.com", "bench-password-1")
    heavy = User.objects.create_user("heavy", "heavy@example.com", "bench-password-1")
    note = max(Note.objects.with_live(), key=lambda n: len(n.live_revision.plain_text))
    text = note.live_revision.plain_text
    sentences = [s for s in re.split(r"(?<=[.:;])\s+", text) if len(s) >= 40 and "$$" not in s]
    made = 0
    for i in range(ANNOTATIONS * 3):
        sentence = sentences[(i * 7) % len(sentences)]
        quote = sentence[: 40 + (i * 13) % 80]
        try:
            annotation_create(
                owner=heavy,
                slug=note.slug,
                revision_number=note.live_revision.number,
                quote=quote,
                body=f"Note {i}: see $x_{{{i}}}$.",
            )
        except Exception:  # noqa: BLE001, S112 - a quote that cannot be told apart is skipped
            continue
        made += 1
        if made == ANNOTATIONS:
            break
    return note.slug, plain, heavy, made


def server_times(slug: str, user) -> float:
    from django.test import Client

    client = Client()
    client.force_login(user)
    url = f"/notes/{slug}/"
    for _ in range(5):
        assert client.get(url).status_code == 200
    times = []
    for _ in range(30):
        t0 = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def browser_times(slug: str, port: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    results = {}
    args = ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        for username in ("plain", "heavy"):
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(f"http://127.0.0.1:{port}/accounts/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", "bench-password-1")
            page.click("main button[type=submit]")
            page.wait_for_load_state()
            loads = []
            for i in range(9):
                page.goto(f"http://127.0.0.1:{port}/notes/{slug}/", wait_until="load")
                if i >= 2:
                    loads.append(page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd"))
            results[username] = statistics.median(loads)
            results[f"{username}_marks"] = page.evaluate("document.querySelectorAll('[data-annotation]').length")
            results[f"{username}_draw"] = page.evaluate(
                "performance.getEntriesByName('annotations:draw')[0]?.duration ?? 0"
            )
            page.close()
        browser.close()
    return results


def main() -> None:
    server = None
    # ALLOWED_HOSTS: the test client's host too
    with scratch_database(prefix="bench-annotated-", corpus=True, ALLOWED_HOSTS="testserver,127.0.0.1,localhost"):
        try:
            slug, plain, heavy, made = setup()
            s_plain, s_heavy = server_times(slug, plain), server_times(slug, heavy)
            port = free_port()
            server = subprocess.Popen(  # noqa: S603 - our own manage.py, on the scratch database
                [str(PYTHON), "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                cwd=ROOT,
                env={**os.environ, "DEBUG": "1"},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(50):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.2)
            b = browser_times(slug, port) if os.path.exists(CHROMIUM) else None
        finally:
            if server:
                server.terminate()
                server.wait()

    load = os.getloadavg()
    print("A note page with 200 annotations (bench/annotated_page.py)")
    print(f"  note: /notes/{slug}/ (the corpus's longest); annotations made: {made}")
    print(f"  load average at the end (1/5/15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    ratio_s = s_heavy / s_plain
    print(f"  (a) server ms, no annotations / 200:  {s_plain:7.1f} / {s_heavy:7.1f}   ratio {ratio_s:.2f}")
    verdicts = [ratio_s <= TARGET]
    if b:
        ratio_b = b["heavy"] / b["plain"]
        print(f"  (b) browser load-event ms, 0 / 200:    {b['plain']:7.1f} / {b['heavy']:7.1f}   ratio {ratio_b:.2f}")
        print(
            f"      elements marked: {b['plain_marks']} / {b['heavy_marks']}; drawing the highlights took {b['heavy_draw']:.1f} ms"
        )
        verdicts.append(ratio_b <= TARGET)
    else:
        print("  (b) browser: skipped, no Chromium (apt-get install -y chromium)")
    print(f"  target            ratio <= {TARGET}")
    print(f"  result            {'MET' if all(verdicts) else 'NOT MET'}")


if __name__ == "__main__":
    main()
