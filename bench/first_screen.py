"""First screen in Chromium: a long note typeset at write time against KaTeX's auto-render.

What it measures
    In a scratch SQLite database (temp dir), with production-like settings from the
    environment (DEBUG=0, a throwaway SECRET_KEY, ALLOWED_HOSTS=127.0.0.1,
    SECURE_SSL_REDIRECT=0), it runs `manage.py migrate`, `import_notes notes/corpus` and
    `collectstatic --noinput` (into staticfiles/, gitignored), then serves

    site       the site with gunicorn and the site's own settings (config/gunicorn.py) on
               a free loopback port: /notes/<slug>/ for the longest starter note (by source bytes)
               that answers 200, its math typeset on the server;
    reference  a static page of the same note on another free port, served by a second gunicorn
               with the same settings running WhiteNoise over a temp dir and staticfiles/
               (so the same server kind, the same compression of static files, and the very
               stylesheet URLs the site page links). The page is the note's Markdown through
               the project's markdown-it set-up (notes.rendering.parser.make_parser) with each
               formula left as TeX text between its delimiters ($...$, $$...$$); the TeX is
               the one the site gives KaTeX (notes.rendering.math.prepare: \\label becomes
               \\tag{n}, which KaTeX lacks, amsmath environments are starred). It links the
               vendored katex.min.css and the site's site.css (same typography as the site:
               the same layout work but for the math), loads the vendored KaTeX
               (notes/rendering/vendor/katex.min.js) and KaTeX's auto-render
               (node_modules/katex/dist/contrib/auto-render.min.js, of the pinned KaTeX,
               copied into the temp dir only) as deferred scripts, and on DOMContentLoaded
               loads notes/rendering/site_macros.tex the way katex_host.js does
               (renderToString with globalGroup into a macros object) and calls
               renderMathInElement(document.body) with the host's options (macros,
               globalGroup, maxExpand, maxSize, strict ignored, trust off, htmlAndMathml).
               It has the note's title, summary and body, not the site's header, contents,
               panels or page scripts: the site page carries more than the reference does.

    Chromium (/usr/bin/chromium through Playwright, headless, 1280x800) loads each page in
    a fresh browser context (cold cache), N times, alternating which page goes first; then
    loads it again in the same context (warm cache: static files reused, each page's HTML
    asked for again, as the site's note page has no Cache-Control and the reference page is
    sent no-cache). Each page is fetched 20 times before, so every gunicorn worker has the
    note page in its (per-process, without Redis) cache, and loaded once untimed. A script added to every document
    before it runs (Playwright's add_init_script; it is not subject to the page's
    Content-Security-Policy, so no bypass_csp is needed) records, in the page's own clock
    (performance.now(), from navigation start):

    first screen   the first frame in which the page is parsed past the bottom of the
                   screen (the last block of the note's body parsed so far starts below it,
                   or parsing is over) with its formulas typeset (the site: as they arrive;
                   the reference: once renderMathInElement returned), so that everything in
                   the first screen is in its final form. Then, for both: a forced layout,
                   document.fonts.ready resolved (the KaTeX fonts the layout asked for), and
                   the start of the second animation frame after it (the first one, which
                   showed the screen, was produced). If the
                   screen's content moves by a pixel or more after that point (a layout shift
                   inside the screen: a script refitting a display, say), the time of the last
                   such shift. This
                   is the headline figure: what a reader waits for before reading.
    whole page     the same steps from DOMContentLoaded (the site: the whole HTML parsed, the
                   page's module scripts run) or from renderMathInElement's return (the
                   reference), for information.
    after it       (cold loads, for information) when the site page has drawn every block of
                   the note for good, so that all of it is in the accessibility tree
                   (displays.js sets data-drawn="all"), and the page's long tasks (50 ms or
                   more: a reader's click or scroll waits for them) from the first screen until
                   then, the longest and how many; the task in which this script reads the
                   page's formulas' positions is its own, and left out.
    Also printed, for information: HTML received and parsed (responseEnd, domInteractive),
    DOMContentLoaded, fonts ready, auto-render's own time, first contentful paint (the
    reference's first paint shows raw TeX, before auto-render), the number of typeset
    formulas on each page and in the first screen, KaTeX errors, HTML bytes.

    The marks are read by page.evaluate in a loop, each call awaiting a promise the init
    script resolves (wait_for_function compiles its predicate with eval, which the site's
    CSP forbids); the page itself is not polled. Median over the runs.

Target
    site / reference (first screen, cold cache, medians) <= 0.5. Prints both times, the
    ratio, MET or NOT MET and the load average; exits 0 either way, 1 only when it cannot
    run (no Chromium, no auto-render of the pinned KaTeX (run `npm install`), a port in
    use, a management command failing, a page not answering 200, a page never finishing).
    Both servers are stopped and the temp dir removed.

Run (from the project root, about a minute; Chromium and both servers share the machine)
    .venv/bin/python bench/first_screen.py [--runs 7]
"""

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from html import escape
from pathlib import Path

from scratch import ROOT, django_setup, scratch_database
from server import GUNICORN, HOST, CannotRun, Gunicorn, fetch, free_port, manage, process_environ, production_environ

CORPUS = ROOT / "notes" / "corpus"
STATIC_ROOT = ROOT / "staticfiles"  # settings.STATIC_ROOT
KATEX_JS = ROOT / "notes" / "rendering" / "vendor" / "katex.min.js"
SITE_MACROS = ROOT / "notes" / "rendering" / "site_macros.tex"
KATEX_VERSION = ROOT / "static" / "vendor" / "katex" / "VERSION"
NODE_KATEX = ROOT / "node_modules" / "katex"
AUTO_RENDER = NODE_KATEX / "dist" / "contrib" / "auto-render.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
REFERENCE_PATH = "/ref/first-screen.html"  # the init script tells the pages apart by /ref/
TARGET_RATIO = 0.5
WARM_FETCHES = 20  # plain fetches of each page before the browser runs
PAGE_TIMEOUT = 60.0  # seconds for one page to finish

# Run in every document before its own scripts. Two clocks, ended by the same steps (a forced
# layout, so the fonts it needs start loading; document.fonts.ready; two animation frames):
#   first screen  from the first frame in which the page is parsed past the bottom of the
#                 screen (the last block of the note's body so far starts below it, or the page
#                 has finished parsing) and its formulas are typeset (the site: on arrival; the
#                 reference: once auto-render returned), so that every formula in the first
#                 screen is in its final form; moved later to the last layout shift inside the
#                 screen after that point, if any (a script refitting a display, say);
#   whole page    from DOMContentLoaded (the site) or auto-render's return (the reference).
# The first clock checks one element's position per frame while the page parses; the body's
# blocks far from the screen are not laid out (site.css, content-visibility), so that check
# costs a layout of the screen the browser is about to paint anyway.
INIT_SCRIPT = r"""
(() => {
  const marks = {};
  const now = () => performance.now();
  const reference = location.pathname.startsWith("/ref/");
  const inFirstScreen = (el) => {
    const r = el.getBoundingClientRect();
    return r.bottom > 0 && r.top < innerHeight && r.width > 0;
  };
  const shifts = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.hadRecentInput) continue;
      // A move a reader could see: some box in the screen moved by a pixel or more.
      const moved = (s) =>
        Math.abs(s.currentRect.top - s.previousRect.top) >= 1 || Math.abs(s.currentRect.left - s.previousRect.left) >= 1;
      if ((entry.sources || []).some((s) => s.currentRect.top < innerHeight && s.currentRect.bottom > 0 && moved(s)))
        shifts.push(entry.startTime);
    }
  }).observe({ type: "layout-shift", buffered: true });
  // The same steps after either clock's start: layout, fonts, a painted frame.
  const settle = (name) =>
    new Promise((resolve) => {
      marks[name + "Ready"] = now();
      void document.documentElement.offsetHeight;
      document.fonts.ready.then(() => {
        marks[name + "Fonts"] = now();
        // Two frames: the second starts once the first, which showed the screen, was produced.
        requestAnimationFrame(() => requestAnimationFrame(() => resolve((marks[name + "Done"] = now()))));
      });
    });
  let typeset = !reference;
  const parsedPastScreen = () => {
    if (document.readyState !== "loading") return true;
    const body = document.querySelector(".note-body");
    const last = body && body.lastElementChild;
    return !!last && last.getBoundingClientRect().top >= innerHeight;
  };
  const firstScreen = new Promise((resolve) => {
    const watch = () => (typeset && parsedPastScreen() ? settle("screen").then(resolve) : requestAnimationFrame(watch));
    requestAnimationFrame(watch);
  });
  const wholePage = new Promise((resolve) =>
    document.addEventListener(
      reference ? "bench:typeset" : "DOMContentLoaded",
      () => {
        typeset = true;
        settle("page").then(resolve);
      },
      { once: true }
    )
  );
  // For information, after the first screen: the page's long tasks (50 ms or more, in which a
  // reader's click or scroll waits) until the site has drawn every block for good (displays.js
  // marks the root data-drawn="all"; the reference has nothing left to do).
  const longTasks = [];
  let benchTask = -1;
  new PerformanceObserver((list) => longTasks.push(...list.getEntries())).observe({ type: "longtask", buffered: true });
  window.__afterScreen = () =>
    new Promise((resolve) => {
      const done = () => {
        const pages = longTasks.filter((t) => benchTask < t.startTime || benchTask > t.startTime + t.duration);
        const after = pages.filter((t) => t.startTime >= marks.screen).map((t) => t.duration);
        resolve({ allDrawn: reference ? null : now(), longestTask: Math.max(0, ...after), longTasks: after.length });
      };
      const root = document.documentElement;
      if (reference || root.dataset.drawn === "all") return done();
      new MutationObserver((_, observer) => {
        if (root.dataset.drawn !== "all") return;
        observer.disconnect();
        done();
      }).observe(root, { attributes: true, attributeFilter: ["data-drawn"] });
    });
  window.__firstScreenDone = Promise.all([firstScreen, wholePage]).then(
    () =>
      new Promise((resolve) =>
        // A frame more, so that shifts from the page's own scripts after load are reported.
        requestAnimationFrame(() =>
          setTimeout(() => {
            benchTask = now(); // this task is the bench's, not the page's (__afterScreen)
            const later = shifts.filter((t) => t > marks.screenReady);
            marks.screenShift = later.length ? Math.max(...later) : null;
            marks.screen = Math.max(marks.screenDone, marks.screenShift || 0);
            const math = document.querySelectorAll(".katex");
            let onScreen = 0;
            for (const el of math) if (inFirstScreen(el)) onScreen += 1;
            const nav = performance.getEntriesByType("navigation")[0];
            const fcp = performance.getEntriesByName("first-contentful-paint")[0];
            resolve({
              ...marks,
              math: math.length,
              mathOnScreen: onScreen,
              errors: document.querySelectorAll(".katex-error").length,
              fcp: fcp ? fcp.startTime : null,
              dcl: nav ? nav.domContentLoadedEventStart : null,
              responseEnd: nav ? nav.responseEnd : null,
              interactive: nav ? nav.domInteractive : null,
              transfer: nav ? nav.transferSize : null,
              htmlBytes: nav ? nav.decodedBodySize : null,
              typeset: window.__typesetMs === undefined ? null : window.__typesetMs,
            });
          }, 50)
        )
      )
  );
})();
"""

REFERENCE_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="color-scheme" content="light dark">
  <title>{title}</title>
{stylesheets}
  <script defer src="katex.min.js"></script>
  <script defer src="auto-render.min.js"></script>
  <script>
    // KaTeX's auto-render, as its documentation shows it, with the site's macros loaded the
    // way notes/rendering/katex_host.js loads them and the host's options.
    document.addEventListener("DOMContentLoaded", function () {{
      var start = performance.now();
      var macros = {{}};
      katex.renderToString({macros_tex}, {{ globalGroup: true, macros: macros, throwOnError: false }});
      renderMathInElement(document.body, {{
        delimiters: [
          {{ left: "$$", right: "$$", display: true }},
          {{ left: "$", right: "$", display: false }}
        ],
        throwOnError: false,
        macros: macros,
        globalGroup: true,
        maxExpand: 1000,
        maxSize: 20,
        strict: "ignore",
        trust: false,
        output: "htmlAndMathml"
      }});
      window.__typesetMs = performance.now() - start;
      document.dispatchEvent(new Event("bench:typeset"));
    }});
  </script>
</head>
<body class="">
  <main id="main" class="page note-page">
    <article class="note">
      <header class="note-header">
        <h1>{title}</h1>
        <details class="fold note-intro"><summary>Summary</summary><p class="summary">{summary}</p></details>
      </header>
      <div class="note-body">
{body}
      </div>
    </article>
  </main>
</body>
</html>
"""

# WSGI app of the reference server: WhiteNoise over the temp dir (/ref/) and staticfiles/
# (/static/), with the max-age the site's WhiteNoise uses when DEBUG is off and hashed names
# immutable as the site's are. The page itself is not reused from the cache without asking,
# as the site's note page (sent with no Cache-Control) is not.
REFERENCE_APP = """import os

from whitenoise import WhiteNoise


def not_found(environ, start_response):
    start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
    return [b"not found\\n"]


def page_not_cached(headers, path, url):
    if url.endswith(".html"):
        headers["Cache-Control"] = "no-cache"


application = WhiteNoise(
    not_found,
    root=os.environ["BENCH_REFERENCE_ROOT"],
    prefix="ref/",
    max_age=60,
    immutable_file_test=r"\\.[0-9a-f]{12}\\.[^/]+$",
    add_headers_function=page_not_cached,
)
application.add_files(os.environ["BENCH_STATIC_ROOT"], prefix="static/")
"""


class ReferenceServer(Gunicorn):
    """gunicorn with the site's settings file serving the reference app from the temp dir."""

    def __init__(self, env: dict, port: int, log: Path, folder: Path):
        super().__init__(env, port, log)
        self.folder = folder

    def start(self, probe_path: str) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    str(GUNICORN),
                    *self.args,
                    "--pythonpath",
                    str(self.folder),
                    "-b",
                    f"{HOST}:{self.port}",
                    "bench_reference_app:application",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise CannotRun(f"reference gunicorn exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                fetch(self.base + probe_path, timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        raise CannotRun(f"reference gunicorn did not answer within 30 s:\n{self.tail()}")


def notes_by_size() -> list[Path]:
    files = sorted(CORPUS.glob("*.md"), key=lambda p: p.stat().st_size, reverse=True)
    if not files:
        raise CannotRun(f"no notes in {CORPUS}")
    return files


# -- the reference page ------------------------------------------------------------------


def markdown_without_math(source: str) -> tuple[str, str, str, int]:
    """(title, summary HTML, body HTML, formulas) of a note through the project's markdown-it
    set-up, each formula printed as its prepared TeX between $ or $$ (HTML-escaped text)."""
    import yaml

    from notes.rendering.math import prepare
    from notes.rendering.parser import make_parser

    md = make_parser()
    env: dict = {}
    tokens = md.parse(source, env)
    front = {}
    if tokens and tokens[0].type == "front_matter":
        front = yaml.safe_load(tokens[0].content) or {}
        tokens = tokens[1:]
    slug = front.get("slug", "")
    number = 1
    formulas = 0
    equations: dict[str, int] = {}

    def as_text(token, display: bool) -> None:
        nonlocal number, formulas
        prepared = prepare(token.content, display=display, next_number=number)
        for label in prepared.labels:
            equations[label] = number
            number += 1
        token.meta["labels"] = list(prepared.labels)
        delimiter = "$$" if display else "$"
        tex = prepared.tex.strip() if display else prepared.tex
        token.meta["html"] = escape(f"{delimiter}{tex}{delimiter}", quote=False)
        formulas += 1

    def walk(stream) -> None:
        for token in stream:
            if token.type in {"math_block", "amsmath"}:
                as_text(token, display=True)
            elif token.type == "math_inline":
                as_text(token, display=False)
            elif token.children:
                walk(token.children)

    def links(stream) -> None:
        # Links as the site prints them: an equation of this note as (n), another note by name.
        for token in stream:
            if token.type == "wikilink":
                meta = token.meta
                target, anchor = meta["slug"] or slug, meta["anchor"]
                meta["href"] = ("" if target == slug else f"/notes/{target}/") + (f"#{anchor}" if anchor else "")
                if anchor in equations and target == slug:
                    meta["is_equation"] = True
                    meta["label"] = meta["text"] or f"({equations[anchor]})"
                else:
                    meta["label"] = meta["text"] or target
            elif token.children:
                links(token.children)

    walk(tokens)
    summary_tokens = md.parseInline(str(front.get("summary", "")), env)
    walk(summary_tokens)
    links(tokens)
    body = md.renderer.render(tokens, md.options, env)
    summary = md.renderer.renderInline(summary_tokens[0].children or [], md.options, env) if summary_tokens else ""
    return escape(str(front.get("title", slug))), summary, body, formulas


def stylesheets(site_html: str) -> list[str]:
    """The URLs of the site page's KaTeX and site stylesheets (hashed names), in its order."""
    hrefs = re.findall(r'<link rel="stylesheet" href="([^"]+)"', site_html)
    wanted = [h for h in hrefs if re.search(r"/(katex\.min|site)\.[^/]*css$", h)]
    if len(wanted) != 2:
        raise CannotRun(f"the site page does not link katex.min.css and site.css as expected: {hrefs}")
    return wanted


def write_reference(folder: Path, source: str, site_html: str) -> int:
    """The reference page and its scripts in `folder`, compressed as WhiteNoise expects."""
    from whitenoise.compress import Compressor

    title, summary, body, formulas = markdown_without_math(source)
    links = "\n".join(f'  <link rel="stylesheet" href="{escape(href)}">' for href in stylesheets(site_html))
    macros_tex = json.dumps(SITE_MACROS.read_text(encoding="utf-8")).replace("</", "<\\/")
    page = REFERENCE_PAGE.format(title=title, stylesheets=links, macros_tex=macros_tex, summary=summary, body=body)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "first-screen.html").write_text(page, encoding="utf-8")
    shutil.copyfile(KATEX_JS, folder / "katex.min.js")
    shutil.copyfile(AUTO_RENDER, folder / "auto-render.min.js")
    compressor = Compressor(quiet=True)
    for name in ("first-screen.html", "katex.min.js", "auto-render.min.js"):
        list(compressor.compress(str(folder / name)))
    return formulas


# -- Chromium ----------------------------------------------------------------------------


def measure(page, url: str) -> dict:
    """The page's marks, read by page.evaluate in a loop. Each call awaits the init script's
    promise, so the page is not polled while it loads; the loop only covers the moment
    after commit when the new document's context may not be the one evaluated in yet."""
    page.set_default_timeout(PAGE_TIMEOUT * 1000)
    page.goto(url, wait_until="commit")
    deadline = time.monotonic() + PAGE_TIMEOUT
    while time.monotonic() < deadline:
        try:
            marks = page.evaluate("() => window.__firstScreenDone || null")
        except Exception as error:  # noqa: BLE001 - a context replaced mid-navigation: ask again
            if "context was destroyed" not in str(error).lower():
                raise
            marks = None
        if marks:
            return marks
        time.sleep(0.01)
    raise CannotRun(f"{url} did not finish within {PAGE_TIMEOUT:g} s")


def run_browser(urls: dict[str, str], runs: int) -> dict[str, dict[str, list[dict]]]:
    from playwright.sync_api import sync_playwright

    results = {name: {"cold": [], "warm": []} for name in urls}
    names = list(urls)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # One untimed load of each first: Chromium's own start-up work is not in run 1.
            for name in names:
                context = browser.new_context(viewport=VIEWPORT)
                context.add_init_script(INIT_SCRIPT)
                measure(context.new_page(), urls[name])
                context.close()
            for i in range(runs):
                for name in names if i % 2 == 0 else reversed(names):
                    context = browser.new_context(viewport=VIEWPORT)  # cold cache
                    context.add_init_script(INIT_SCRIPT)
                    page = context.new_page()
                    marks = measure(page, urls[name])
                    marks.update(page.evaluate("() => window.__afterScreen()"))
                    results[name]["cold"].append(marks)
                    results[name]["warm"].append(measure(page, urls[name]))  # same context: warm
                    context.close()
        finally:
            browser.close()
    return results


# -- the run -----------------------------------------------------------------------------


def bench(runs: int) -> None:
    with scratch_database(prefix="bench-first-screen-", setup=False) as scratch:
        run(scratch.folder, scratch.url, runs)


def run(tmp: Path, database_url: str, runs: int) -> None:
    env = process_environ(production_environ(DATABASE_URL=database_url))
    site_port = free_port()
    reference_port = next(port for port in iter(free_port, None) if port != site_port)
    site = Gunicorn(env, site_port, tmp / "gunicorn.log")
    reference_env = {**env, "BENCH_REFERENCE_ROOT": str(tmp / "ref"), "BENCH_STATIC_ROOT": str(STATIC_ROOT)}
    reference = ReferenceServer(reference_env, reference_port, tmp / "gunicorn-reference.log", tmp)
    try:
        print(f"Setting up in {tmp} (DEBUG=0, SQLite; gunicorn -c config/gunicorn.py on {HOST}:{site_port})")
        manage(env, "migrate", "--no-input")
        manage(env, "import_notes", "notes/corpus", tolerate_failure=True)
        manage(env, "collectstatic", "--noinput")
        django_setup(database_url, **production_environ())  # for the parser only; no queries

        site.start("/")
        answers = []
        for path in notes_by_size():
            page_path = f"/notes/{path.stem}/"
            status, body = fetch(site.base + page_path)
            answers.append(f"{page_path} {status}")
            if status == 200:
                break
        else:
            raise CannotRun(f"no note page answered 200: {', '.join(answers)}")
        if len(answers) > 1:
            print(f"  skipped (not published): {', '.join(answers[:-1])}")
        site_html = body.decode("utf-8")
        source = path.read_text(encoding="utf-8")
        formulas = write_reference(tmp / "ref", source, site_html)
        (tmp / "bench_reference_app.py").write_text(REFERENCE_APP, encoding="utf-8")
        reference.start(REFERENCE_PATH)
        ref_status, ref_body = fetch(reference.base + REFERENCE_PATH)
        if ref_status != 200:
            raise CannotRun(f"GET {REFERENCE_PATH} on the reference server: {ref_status}")
        for href in stylesheets(site_html):
            status, _ = fetch(reference.base + href)
            if status != 200:
                raise CannotRun(f"GET {href} on the reference server: {status}")
        urls = {"site": site.base + page_path, "reference": reference.base + REFERENCE_PATH}
        # Every gunicorn worker has the page in its cache before the browser asks (the cache
        # is per process without Redis), as on a site that has been up a while.
        for _ in range(WARM_FETCHES):
            for url in urls.values():
                fetch(url, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
        print(f"  longest note: {path.name} ({path.stat().st_size:,} bytes of source, {formulas} formulas)")
        print(f"  site:      {urls['site']} ({len(body):,} bytes of HTML)")
        print(f"  reference: {urls['reference']} ({len(ref_body):,} bytes of HTML, KaTeX {katex_version()})")
        print(f"  Chromium {CHROMIUM}, {VIEWPORT['width']}x{VIEWPORT['height']}, {runs} runs each, alternating")

        results = run_browser(urls, runs)
        load = os.getloadavg()
    finally:
        reference.stop()
        site.stop()
    report(results, runs, load)


def katex_version() -> str:
    return KATEX_VERSION.read_text(encoding="utf-8").strip()


def median(samples: list[dict], key: str) -> float | None:
    values = [s[key] for s in samples if s.get(key) is not None]
    return statistics.median(values) if values else None


def report(results: dict, runs: int, load: tuple[float, float, float]) -> None:
    site, ref = results["site"], results["reference"]
    print()
    print("First screen in Chromium (bench/first_screen.py): site against KaTeX auto-render")
    print(f"  load average at the end of the runs (1/5/15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"  medians of {runs} runs, ms from navigation start")
    print()

    def ms(value: float | None) -> str:
        return "n/a" if value is None else f"{value:,.1f}"

    rows = [
        ("first screen, math laid out, cold", "cold", "screen"),
        ("  parsed past the screen, typeset", "cold", "screenReady"),
        ("  its fonts ready", "cold", "screenFonts"),
        ("  its frame painted", "cold", "screenDone"),
        ("  last layout shift in it after", "cold", "screenShift"),
        ("  HTML received (responseEnd)", "cold", "responseEnd"),
        ("  first contentful paint", "cold", "fcp"),
        ("whole page, math laid out, cold", "cold", "pageDone"),
        ("  HTML parsed (domInteractive)", "cold", "interactive"),
        ("  DOMContentLoaded", "cold", "dcl"),
        ("  ready (site: DCL; ref: typeset)", "cold", "pageReady"),
        ("  fonts ready", "cold", "pageFonts"),
        ("  auto-render's own time", "cold", "typeset"),
        ("every block drawn (site, a11y tree)", "cold", "allDrawn"),
        ("  longest task after first screen", "cold", "longestTask"),
        ("  tasks of 50 ms or more after it", "cold", "longTasks"),
        ("first screen, math laid out, warm", "warm", "screen"),
        ("whole page, math laid out, warm", "warm", "pageDone"),
    ]
    print(f"  {'':<36} {'site':>10} {'reference':>10}")
    for label, cache, key in rows:
        print(f"  {label:<36} {ms(median(site[cache], key)):>10} {ms(median(ref[cache], key)):>10}")
    first_site, first_ref = site["cold"][0], ref["cold"][0]
    print(f"  {'formulas typeset on the page':<36} {first_site['math']:>10} {first_ref['math']:>10}")
    print(f"  {'  of them in the first screen':<36} {first_site['mathOnScreen']:>10} {first_ref['mathOnScreen']:>10}")
    print(f"  {'  KaTeX errors':<36} {first_site['errors']:>10} {first_ref['errors']:>10}")
    print(f"  {'HTML bytes (decoded)':<36} {first_site['htmlBytes']:>10,} {first_ref['htmlBytes']:>10,}")
    print(f"  {'HTML bytes over the wire':<36} {first_site['transfer']:>10,} {first_ref['transfer']:>10,}")
    print()

    def ratio(cache: str, key: str) -> float | None:
        a, b = median(site[cache], key), median(ref[cache], key)
        return None if a is None or not b else a / b

    cold = ratio("cold", "screen")
    print(f"  ratio site / reference, first screen, cold    {cold:.2f}")
    for label, cache, key in (("first screen, warm", "warm", "screen"), ("whole page, cold", "cold", "pageDone")):
        value = ratio(cache, key)
        if value is not None:
            print(f"  ratio site / reference, {label:<22}{value:.2f}  (information)")
    print(f"  target ratio (first screen, cold)             <= {TARGET_RATIO}")
    print(f"  result                                        {'MET' if cold <= TARGET_RATIO else 'NOT MET'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="loads of each page, cold and warm (default 7)")
    args = parser.parse_args()
    problems = []
    if not Path(CHROMIUM).is_file():
        problems.append(f"{CHROMIUM} not found (apt-get install -y chromium)")
    if not GUNICORN.is_file():
        problems.append(f"{GUNICORN} not found (run `make setup`)")
    if not AUTO_RENDER.is_file():
        problems.append(f"{AUTO_RENDER.relative_to(ROOT)} not found (run `npm install`: package.json pins KaTeX)")
    else:
        installed = json.loads((NODE_KATEX / "package.json").read_text(encoding="utf-8"))["version"]
        if installed != katex_version():
            problems.append(
                f"node_modules has KaTeX {installed}, the site vendors {katex_version()} (run `npm install`)"
            )
    if problems:
        for problem in problems:
            print(f"bench/first_screen.py: cannot run: {problem}", file=sys.stderr)
        sys.exit(1)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the servers on the way out
    try:
        bench(max(1, args.runs))
    except CannotRun as exc:
        print(f"bench/first_screen.py: cannot run: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
