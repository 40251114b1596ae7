// Display math fitted to the page. A display wider than its column first widens into the
// empty margin on its right (wide screens: the display, or the derivation or callout box it
// sits in), then is scaled down to a readable floor, and only then scrolls sideways, marked by
// a fade at the cut edge (class "scrolls") and reachable by keyboard. Its equation number
// stays in view either way (site.css: the number sticks to the visible edge).
// In print there is no margin and no scrolling: every display is scaled to fit the page, and
// folded blocks (contents, derivation panels) are opened while printing.

const FLOOR = 0.75; // smallest scale on screen: KaTeX's 1.21em at 0.75 is still body size
const GUTTER = 16; // px kept clear at the viewport's right edge
const HOSTS = ".derivation, .admonition";

function displays() {
  return [...document.querySelectorAll(".math-display")].filter((d) => d.querySelector(".katex-display"));
}

function reset(list) {
  for (const host of document.querySelectorAll("[data-widened]")) {
    host.style.removeProperty("margin-right");
    delete host.dataset.widened;
  }
  for (const d of list) {
    d.querySelector(".katex-display").style.removeProperty("font-size");
    d.classList.remove("scrolls");
    if (d.dataset.scrollable) {
      d.removeAttribute("tabindex");
      d.removeAttribute("role");
      d.removeAttribute("aria-label");
      delete d.dataset.scrollable;
    }
  }
}

function overflow(d) {
  return d.scrollWidth - d.clientWidth;
}

// A display (or its box) that lacks width takes the whole margin, so that every widened box
// ends at the same right edge. Reads first, then writes: the page is laid out once per pass,
// not once per display.
function widen(list) {
  const page = document.documentElement.clientWidth;
  const wants = new Map();
  for (const d of list) {
    if (overflow(d) <= 1) continue;
    const host = d.closest(HOSTS) || d;
    const room = Math.floor(page - GUTTER - host.getBoundingClientRect().right);
    if (room > 1) wants.set(host, room);
  }
  for (const [host, room] of wants) {
    host.style.marginRight = `-${room}px`;
    host.dataset.widened = "1";
  }
}

function shrink(list, floor) {
  const scales = list.map((d) => {
    const lack = overflow(d);
    return lack > 1 ? Math.max(floor, d.clientWidth / d.scrollWidth) : 1;
  });
  list.forEach((d, i) => {
    if (scales[i] < 1) d.querySelector(".katex-display").style.fontSize = `${Math.floor(scales[i] * 1000) / 10}%`;
  });
}

function markScrolling(list) {
  // Any overflow at all: a box that scrolls by a single pixel is still a scrolling region.
  const scrolling = list.filter((d) => overflow(d) > 0);
  for (const d of scrolling) {
    d.classList.add("scrolls");
    // A box that scrolls must be reachable by keyboard, and say what it is (a named group: a
    // bare div may not carry a name).
    d.tabIndex = 0;
    d.setAttribute("role", "group");
    const number = d.querySelector(".katex-tag");
    d.setAttribute("aria-label", `Equation${number ? " " + number.textContent.trim() : ""}, scrolls sideways`);
    d.dataset.scrollable = "1";
  }
}

// Code blocks and tables that scroll sideways get the same keyboard access as displays.
function markScrollingBoxes(boxes) {
  for (const box of boxes) {
    const scrolls = box.scrollWidth > box.clientWidth;
    if (scrolls && !box.hasAttribute("tabindex")) {
      box.tabIndex = 0;
      if (box.tagName === "PRE") box.setAttribute("role", "group"); // a table keeps its own role
      box.setAttribute("aria-label", `${box.tagName === "PRE" ? "Code" : "Table"}, scrolls sideways`);
    }
  }
}

function fit(list) {
  const shown = list.filter((el) => el.matches(".math-display"));
  widen(shown);
  shrink(shown, FLOOR);
  markScrolling(shown);
  markScrollingBoxes(list.filter((el) => !el.matches(".math-display")));
}

// Measuring a display lays out the page down to it, and the body's blocks far from the screen
// are not laid out at all until needed (site.css: content-visibility). So the displays, code
// blocks and tables on or near the screen are fitted first, as soon as the browser knows which
// they are (an IntersectionObserver reports it without a layout of its own); the rest follow
// in idle time, so that each is fitted (and focusable if it scrolls) before a reader scrolls
// or tabs to it. The root says which fitting was done last ("screen" or "print") once every
// block is fitted: tests wait for it.
const CHUNK = 24; // at most this many blocks fitted at once
// Idle time, but not later than a fifth of a second: a page busy with other work still gets
// every block fitted.
const idle = window.requestIdleCallback
  ? (callback) => window.requestIdleCallback(callback, { timeout: 200 })
  : (callback) => setTimeout(() => callback({ didTimeout: true, timeRemaining: () => 0 }), 1);
let round = 0;
let watcher = null;

// Draws blocks the page skips (site.css: content-visibility) for good, from the front of
// `queue`, for a slice of the idle period: each is laid out here, by reading its size, so its
// cost counts against the slice instead of landing in the next frame. A slice is short
// (SLICE_MS, and never past the idle deadline) because the fitting that follows it and any
// reader's click or scroll wait for it; a page busy for the whole timeout gets one slice
// anyway. At least one block per call, at most `most`; gives back the blocks drawn.
const SLICE_MS = 12;
function drawForGood(el) {
  if (el.parentElement?.matches(".note-body") || el.matches(".annotation-entry")) el.classList.add("drawn");
}
function drawWhileIdle(queue, deadline, most) {
  const drawn = [];
  const slice = deadline.didTimeout ? SLICE_MS : Math.min(SLICE_MS, deadline.timeRemaining());
  const end = performance.now() + slice;
  do {
    const el = queue.shift();
    drawForGood(el);
    el.getBoundingClientRect();
    drawn.push(el);
  } while (queue.length && drawn.length < most && performance.now() < end);
  return drawn;
}

function fitScreen() {
  const mine = ++round;
  watcher?.disconnect();
  delete document.documentElement.dataset.displays;
  delete document.documentElement.dataset.drawn; // until this fitting has drawn what is left
  const list = displays();
  reset(list);
  const waiting = new Set([...list, ...document.querySelectorAll("main pre, main table")]);
  // A block far from the screen has not been laid out, so the faces its formulas use may not
  // be loaded: it is laid out first (the browser starts loading them), and measured once they
  // are in, or its width would be that of a fallback font. A box the page skips (site.css:
  // content-visibility) has no overflow to measure: the boxes fitted here are drawn for good.
  const fitLoaded = (some) => {
    document.fonts.ready.then(() => {
      if (mine !== round) return; // a newer fitting took over
      some.forEach((el) => waiting.delete(el));
      fit(some);
      if (waiting.size) idle((deadline) => mine === round && fitLoaded(drawWhileIdle([...waiting], deadline, CHUNK)));
      else fitted(mine);
    });
  };
  watcher = new IntersectionObserver(
    (entries) => {
      watcher.disconnect();
      if (mine !== round) return;
      const near = entries.filter((entry) => entry.isIntersecting).map((entry) => entry.target);
      // The reader is looking at these: all of them at once, idle or not.
      near.forEach(drawForGood);
      near.forEach((el) => el.getBoundingClientRect());
      fitLoaded(near);
    },
    { rootMargin: "100% 0px" },
  );
  waiting.forEach((el) => watcher.observe(el));
  if (!waiting.size) fitted(mine);
}

// Every block is fitted. A block the page still skips is missing from the accessibility tree
// (Chromium exposes neither its text nor its MathML), so the rest of the note's blocks and the
// reader's annotation entries are drawn for good now, in idle time and within it
// (drawWhileIdle): a screen reader then has the whole page, as it has without scripts
// (site.css). The root says so once they all are (tests wait for it).
function fitted(mine) {
  document.documentElement.dataset.displays = "screen";
  const rest = [...document.querySelectorAll(".note-body > :not(.drawn), .annotation-entry:not(.drawn)")];
  const draw = (deadline) => {
    if (mine !== round) return; // a newer fitting took over, and draws the rest after it
    if (!rest.length) {
      document.documentElement.dataset.drawn = "all";
      return;
    }
    drawWhileIdle(rest, deadline, Infinity);
    idle(draw);
  };
  idle(draw);
}

function fitPrint() {
  round += 1; // a screen fitting under way stops
  watcher?.disconnect();
  const list = displays();
  reset(list);
  shrink(list, 0); // the page is all there is: scale to fit, however small
  document.documentElement.dataset.displays = "print";
}

// Folded blocks are opened for print and folded again after.
let opened = [];
function openForPrint() {
  const closed = [...document.querySelectorAll("main details:not([open])")];
  for (const d of closed) d.open = true;
  opened.push(...closed);
  fitPrint();
}
function afterPrint() {
  for (const d of opened) d.open = false;
  opened = [];
  fitScreen();
}

let pending = 0;
function refit() {
  cancelAnimationFrame(pending);
  pending = requestAnimationFrame(() => (print.matches ? fitPrint() : fitScreen()));
}

const print = window.matchMedia("print");
print.addEventListener("change", (event) => (event.matches ? openForPrint() : afterPrint()));
window.addEventListener("beforeprint", openForPrint);
window.addEventListener("afterprint", afterPrint);
window.addEventListener("resize", refit);
// Web fonts change every width: each block is measured once the faces it uses are in
// (fitLoaded), so a face arriving later changes no block already fitted, and needs no refit.
// Blocks shown later (a folded derivation opened, a study step revealed) are measured then,
// and so is an editor's preview each time it arrives.
new MutationObserver(refit).observe(document.body, { subtree: true, attributeFilter: ["hidden", "open"] });
for (const preview of document.querySelectorAll(".markdownx-preview")) {
  new MutationObserver(refit).observe(preview, { childList: true });
}
// A page loaded for print (a PDF renderer, a print preview) is fitted for print from the start.
if (print.matches) openForPrint();
else fitScreen();
