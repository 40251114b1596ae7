"""Every kind of page, checked by axe-core against WCAG 2.1 A and AA, as an anonymous reader,
a logged-in reader and an editor, in light and dark: no violations.

axe-core is vendored (tests/browser/vendor, pinned in package.json; `make vendor` refreshes
it) and evaluated in the page through the DevTools protocol, which the page's CSP does not
govern: the page itself runs exactly as readers get it.
"""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.annotations.services import annotation_create
from notes.editorial.services import note_publish
from notes.models import Derivation, Note
from notes.selectors import LiveNoteIndex
from notes.services import revision_create
from tests.accounts.helpers import work_through
from tests.conftest import CORPUS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
RUN_AXE = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
  });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + " :: " + (n.failureSummary || "").split("\\n")[1]),
    count: v.nodes.length,
  }));
}"""

NOTE = "softmax-cross-entropy"
ANONYMOUS = [
    "/",
    "/about/",
    "/guide/",
    "/topics/foundations/",
    f"/notes/{NOTE}/",
    f"/notes/{NOTE}/history/",
    f"/notes/{NOTE}/graph/",
    f"/notes/{NOTE}/diff/?from=1&to=2",
    f"/notes/{NOTE}/revisions/1/",
    f"/notes/{NOTE}/uses/eq:softmax/",
    "/graph/",
    "/search/?q=softmax",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
]
READER = [
    "/accounts/",
    "/accounts/plan/?target=" + NOTE,
    "/accounts/annotations/",
    f"/notes/{NOTE}/",
    "/study/",
]
EDITOR = [
    "/edit/",
    f"/edit/{NOTE}/",
    f"/edit/{NOTE}/review/",
    f"/edit/{NOTE}/rollback/1/",
    f"/edit/{NOTE}/retire/",
    "/edit/new/",
]


@pytest.fixture
def site(reader, editor):
    """The starter notes, a reader who has worked through a derivation and annotated a
    passage, and a draft waiting for review with a second revision to compare."""
    call_command("import_notes", str(CORPUS), stdout=StringIO(), stderr=StringIO())
    note = Note.objects.get(slug=NOTE)
    key = Derivation.objects.filter(revision=note.live_revision).values_list("key", flat=True).first()
    work_through(reader, NOTE, key)
    passage = note.live_revision.plain_text[200:240]
    annotation_create(
        owner=reader, slug=NOTE, revision_number=note.live_revision.number, quote=passage, body="Why *this*?"
    )
    second = note.live_revision.source.replace("\n## ", "\n\nA sentence added later.\n\n## ", 1)
    note_publish(revision=revision_create(note=note, source=second, author=editor, index=LiveNoteIndex()), user=editor)
    draft = second.replace("\n## ", "\n\nA sentence added in review.\n\n## ", 1)
    revision_create(note=note, source=draft, author=editor, index=LiveNoteIndex())
    return {"reader": reader, "editor": editor, "study": f"/study/{NOTE}/{key}/"}


def log_in(context, client, live_server, user):
    client.force_login(user)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])


PREVIEW_SHOWN = (
    "!document.querySelector('.markdownx-preview') || document.querySelector('.markdownx-preview').children.length > 0"
)
TWO_FRAMES = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


DISPLAYS_FITTED = """() => !document.querySelector('script[src*="displays"]')
  || document.documentElement.dataset.displays === "screen" """


def settle(page) -> None:
    """An editor's preview arrives after the page has loaded; it is checked once it is in and
    fitted (displays.js refits on the next frame), as a reader would meet it."""
    for _ in range(100):
        if page.evaluate(PREVIEW_SHOWN):
            break
        page.wait_for_timeout(50)
    page.evaluate(TWO_FRAMES)
    # displays.js fits what is near the screen first and the rest in idle time: every display,
    # code block and table is checked once all are fitted.
    for _ in range(100):
        if page.evaluate(DISPLAYS_FITTED):
            break
        page.wait_for_timeout(50)


def violations(browser, live_server, paths, scheme, cookies_for=None, client=None) -> list[str]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme=scheme)
    if cookies_for is not None:
        log_in(context, client, live_server, cookies_for)
    page = context.new_page()
    found = []
    for path in paths:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status < 400, f"{path}: {response.status}"
        settle(page)
        page.evaluate(AXE)
        for v in page.evaluate(RUN_AXE):
            found.append(f"{scheme} {path}: {v['id']} ({v['impact']}, {v['count']}×) {v['help']}: {v['nodes']}")
    context.close()
    return found


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_kind_of_page_has_no_wcag_violations(live_server, browser, client, site, scheme):
    found = violations(browser, live_server, ANONYMOUS, scheme)
    found += violations(browser, live_server, [*READER, site["study"]], scheme, site["reader"], client)
    found += violations(browser, live_server, EDITOR, scheme, site["editor"], client)
    assert found == []


LONG_NOTE = "vae-elbo"  # the longest starter note: most of its blocks start far below the screen


def accessibility_nodes(page, selector: str) -> list[tuple[bool, str]]:
    """(ignored, name) of the accessibility node of every element matching `selector`, from
    Chromium's accessibility tree, as assistive technology reads it."""
    cdp = page.context.new_cdp_session(page)
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    nodes = []
    for node_id in cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"]:
        node = cdp.send("Accessibility.getPartialAXTree", {"nodeId": node_id, "fetchRelatives": False})["nodes"][0]
        nodes.append((node.get("ignored", False), node.get("name", {}).get("value", "")))
    return nodes


def wait_until_drawn(page, seconds: float) -> None:
    """Until displays.js has drawn every block of the note for good (it marks the root), or
    `seconds` pass; the assertions that follow say what was not drawn."""
    for _ in range(int(seconds / 0.05)):
        if page.evaluate("document.documentElement.dataset.drawn") == "all":
            return
        page.wait_for_timeout(50)


@pytest.mark.parametrize("scripts", [True, False], ids=["scripts", "no-scripts"])
def test_every_heading_and_formula_of_a_long_note_reaches_assistive_technology(live_server, browser, scripts):
    # The body's blocks far from the screen are skipped by the browser at first (site.css:
    # content-visibility), and a skipped block is not in the accessibility tree: displays.js
    # draws them all once the first screen is fitted, and without scripts none is skipped.
    call_command("import_notes", str(CORPUS), stdout=StringIO(), stderr=StringIO())
    context = browser.new_context(viewport={"width": 1280, "height": 800}, java_script_enabled=scripts)
    page = context.new_page()
    page.goto(f"{live_server.url}/notes/{LONG_NOTE}/")
    if scripts:
        wait_until_drawn(page, 10)
        page.evaluate(TWO_FRAMES)
    headings = accessibility_nodes(page, ".note-body h2, .note-body h3")
    formulas = accessibility_nodes(page, ".note-body math")
    context.close()
    assert len(headings) >= 10 and len(formulas) >= 300, (len(headings), len(formulas))
    assert [name for ignored, name in headings if ignored or not name.strip()] == []
    assert sum(1 for ignored, _ in formulas if ignored) == 0


# The browser has no idle time to give: every idle callback comes at once with none left.
NO_IDLE_TIME = """(() => {
  window.drawnPerIdleCallback = [];
  const drawn = () => document.querySelectorAll(".note-body > .drawn, .annotation-entry.drawn").length;
  window.requestIdleCallback = (callback) =>
    setTimeout(() => {
      const before = drawn();
      callback({ didTimeout: false, timeRemaining: () => 0 });
      window.drawnPerIdleCallback.push(drawn() - before);
    }, 0);
})();"""


def test_a_long_note_draws_its_blocks_within_the_idle_time_it_is_given(live_server, browser):
    # After the first screen, displays.js draws the rest of the body in idle time, laying each
    # block out within the idle period so that a reader's click or scroll does not wait for a
    # batch of blocks: with no idle time left, one block per idle callback, and still all.
    call_command("import_notes", str(CORPUS), stdout=StringIO(), stderr=StringIO())
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(NO_IDLE_TIME)
    page = context.new_page()
    page.goto(f"{live_server.url}/notes/{LONG_NOTE}/")
    wait_until_drawn(page, 30)
    per_callback = page.evaluate("window.drawnPerIdleCallback")
    blocks = page.evaluate("document.querySelectorAll('.note-body > *').length")
    undrawn = page.evaluate("document.querySelectorAll('.note-body > :not(.drawn)').length")
    context.close()
    assert undrawn == 0 and blocks > 50, (undrawn, blocks)
    assert max(per_callback) == 1, per_callback
    assert sum(per_callback) > blocks / 2  # most of the note was drawn in idle time
