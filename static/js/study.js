// Study mode. The page works without this module: each step is a closed <details> the reader
// opens in turn. Here the steps become list items kept `hidden` (out of the accessibility tree)
// and revealed strictly in order, by the button or the "n" key. A revealed step takes the focus,
// so a screen reader reads it out and the eye finds it, and is scrolled into view clear of the
// sticky reveal bar at the foot of the window. The attempt box is kept in localStorage under the note
// and derivation; it is never part of the grade form.
//
// The "n" key works only while the focus is inside the study panel and not in a text field,
// and the "Keyboard shortcuts" checkbox turns it off (WCAG 2.1.4), remembered in this browser.

const study = document.querySelector("[data-study]");
const SHORTCUTS_KEY = "study-shortcuts";
const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
const NOT_TYPED = new Set(["button", "checkbox", "color", "file", "image", "radio", "range", "reset", "submit"]);

function siteStorage() {
  try {
    return window.localStorage;
  } catch {
    return null; // storage refused: private mode, a site-data policy
  }
}

function unfold(details) {
  details.replaceWith(...details.querySelector(".study-fold-body").childNodes);
}

function keepScratch(box, clear) {
  const key = study.dataset.scratchKey;
  const storage = siteStorage();
  try {
    box.value = storage.getItem(key) ?? "";
  } catch {
    // Storage refused: the box still works, unsaved.
    const note = study.querySelector(".study-hint [data-nojs]");
    if (note) note.textContent = "Not saved: this browser keeps no site data.";
    return;
  }
  for (const el of study.querySelectorAll(".study-hint [data-js]")) el.hidden = false;
  for (const el of study.querySelectorAll(".study-hint [data-nojs]")) el.remove();
  clear.hidden = false;
  box.addEventListener("input", () => {
    try {
      if (box.value) storage.setItem(key, box.value);
      else storage.removeItem(key);
    } catch {
      // quota exceeded: the text stays in the box for this visit
    }
  });
  clear.addEventListener("click", () => {
    box.value = "";
    storage.removeItem(key);
    box.focus();
  });
}

function keepShortcutsChoice(box) {
  const storage = siteStorage();
  try {
    box.checked = storage?.getItem(SHORTCUTS_KEY) !== "off";
  } catch {
    box.checked = true;
  }
  box.addEventListener("change", () => {
    try {
      if (box.checked) storage?.removeItem(SHORTCUTS_KEY);
      else storage?.setItem(SHORTCUTS_KEY, "off");
    } catch {
      // not remembered; the choice holds for this visit
    }
  });
}

function typing(target) {
  if (target.closest("textarea, select, [contenteditable]:not([contenteditable='false'])")) return true;
  return target instanceof HTMLInputElement && !NOT_TYPED.has(target.type);
}

function stuck(el) {
  if (!el || el.hidden) return false;
  const position = getComputedStyle(el).position;
  return position === "sticky" || position === "fixed";
}

// Whatever sticks to the window must never cover what is brought into view: a revealed step,
// an opened preview, or a link reached with Tab (WCAG 2.4.11). The root's scroll padding is
// the band every such scroll aims at, so it is kept equal to the sticky reveal bar at the foot
// (and to the site header, should it ever stick at the top).
function keepClearOfStickyBars(controls) {
  const root = document.documentElement;
  const header = document.querySelector(".site-header");
  const measure = () => {
    root.style.scrollPaddingTop = stuck(header) ? `${header.offsetHeight}px` : "";
    root.style.scrollPaddingBottom = stuck(controls) ? `${controls.offsetHeight}px` : "";
  };
  measure();
  new ResizeObserver(measure).observe(controls);
  window.addEventListener("resize", measure);
  return measure;
}

function bringIntoView(step) {
  step.focus({ preventScroll: true });
  step.scrollIntoView({ block: "nearest", behavior: reducedMotion.matches ? "instant" : "smooth" });
}

function setUp() {
  const steps = [...study.querySelectorAll("[data-step]")];
  const controls = study.querySelector("[data-controls]");
  const reveal = study.querySelector("[data-reveal]");
  const showAll = study.querySelector("[data-show-all]");
  const count = study.querySelector("[data-count]");
  const end = study.querySelector("[data-end]");
  const shortcuts = study.querySelector("[data-shortcuts]");

  for (const step of steps) {
    step.hidden = true;
    step.tabIndex = -1; // focused when revealed
    unfold(step.querySelector("details"));
  }
  unfold(end.querySelector("details"));
  end.hidden = steps.length > 0;
  controls.hidden = steps.length === 0;
  for (const el of study.querySelectorAll(".study-how[data-nojs]")) el.remove();
  study.querySelector(".study-how[data-js]").hidden = false;
  // A click anywhere in the panel puts the focus in it, where the shortcut listens.
  study.tabIndex = -1;
  keepShortcutsChoice(shortcuts);
  const measure = keepClearOfStickyBars(controls);

  let shown = 0;
  function showUpTo(last) {
    const first = steps[shown];
    while (shown < last) steps[shown++].hidden = false;
    count.textContent = `${shown} of ${steps.length} steps shown`;
    if (shown === steps.length) {
      reveal.hidden = true;
      showAll.hidden = true;
      count.textContent = `All ${steps.length} steps shown.`;
      end.hidden = false;
      // Nothing is left to reveal: the bar stops sticking and stands after the last step.
      controls.classList.add("study-controls-done");
      measure();
    }
    bringIntoView(first);
  }

  reveal.addEventListener("click", () => shown < steps.length && showUpTo(shown + 1));
  showAll.addEventListener("click", () => shown < steps.length && showUpTo(steps.length));
  study.addEventListener("keydown", (event) => {
    if (event.key !== "n" && event.key !== "N") return;
    if (!shortcuts.checked || shown >= steps.length) return;
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing || event.repeat) return;
    if (typing(event.target)) return;
    event.preventDefault();
    showUpTo(shown + 1);
  });
}

if (study) {
  setUp();
  keepScratch(study.querySelector("[data-scratch]"), study.querySelector("[data-scratch-clear]"));
}
