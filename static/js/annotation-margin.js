// Where a reader's annotations are read on the note page: beside their passages.
//
// On a wide screen (the text column leaves room on its right) each anchored annotation's
// panel entry is moved into a margin column, level with its first highlight and pushed down
// past the one above so that none overlap (Tufte's margin notes, Hypothesis's sidebar). On a
// narrower screen the entries stay in the panel at the foot, and a highlight opens a copy of
// its entry right under its paragraph: a 20,000 px jump to the foot would lose the reader's
// place. Without JavaScript the panel at the foot is all there is, and it is complete.

const WIDE_PX = 1200; // narrower windows keep the panel: phones, tablets, split screens
const MIN_NOTE_PX = 180; // below this a margin note is a column of single words
const MAX_NOTE_PX = 300;
const SIDE_PX = 28; // between the text column and the notes
const EDGE_PX = 16; // kept clear at the window's right edge
const GAP_PX = 10; // between stacked notes

const marks = new Map(); // annotation id -> its first highlight (or block)
let column = null; // the margin list, while the page is wide
let home = null; // the panel's list, and its entries in their server order
let homeOrder = [];
let hint = null;
let popover = null;

function room() {
  const body = document.querySelector(".note-body");
  const left = body.getBoundingClientRect().right + SIDE_PX;
  return { left: left + window.scrollX, width: Math.min(MAX_NOTE_PX, document.documentElement.clientWidth - left - EDGE_PX) };
}

// The page makes room first (site.css: the note's columns move left while the class is on);
// if that still leaves too little, the notes stay in the panel.
function isWide() {
  const root = document.documentElement;
  root.classList.toggle("annotation-margins", window.innerWidth >= WIDE_PX && marks.size > 0);
  const wide = root.classList.contains("annotation-margins") && room().width >= MIN_NOTE_PX;
  if (!wide) root.classList.remove("annotation-margins");
  return wide;
}

// Displays widened into the margin (displays.js) are in the notes' way: a note goes below.
function obstacles(left) {
  return [...document.querySelectorAll("[data-widened]")]
    .map((el) => el.getBoundingClientRect())
    .filter((r) => r.right > left - window.scrollX)
    .map((r) => ({ top: r.top + window.scrollY, bottom: r.bottom + window.scrollY }));
}

function entryOf(id) {
  return document.getElementById(`annotation-${id}`);
}

function toColumn() {
  column = document.createElement("ol");
  column.className = "annotation-margin annotation-ui";
  column.setAttribute("aria-label", "Your annotations, beside their passages");
  column.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const entry = event.target.closest(".annotation-entry");
    const mark = entry && marks.get(entry.dataset.annotation);
    if (mark) {
      event.preventDefault();
      mark.focus({ preventScroll: true });
    }
  });
  document.body.append(column);
  for (const id of marks.keys()) {
    const entry = entryOf(id);
    if (entry) column.append(entry);
  }
  hint.hidden = column.children.length === 0;
  hint.textContent = `${column.children.length} shown in the margin beside ${column.children.length === 1 ? "its passage" : "their passages"}.`;
}

function toPanel() {
  if (!column) return;
  for (const entry of homeOrder) {
    entry.style.removeProperty("top");
    home.append(entry);
  }
  column.remove();
  column = null;
  hint.hidden = true;
}

// Reads first, then writes: the page is laid out once per pass, not once per note.
export function layout() {
  if (!home) return;
  if (!isWide()) return toPanel();
  closePopover(false);
  if (!column) toColumn();
  const { left, width } = room();
  column.style.left = `${left}px`;
  column.style.width = `${width}px`;
  const placed = [...marks]
    .map(([id, mark]) => ({ entry: entryOf(id), top: mark.getBoundingClientRect().top + window.scrollY }))
    .filter((p) => p.entry && column.contains(p.entry))
    .sort((a, b) => a.top - b.top);
  const heights = placed.map((p) => p.entry.offsetHeight);
  const blocked = obstacles(left);
  let floor = -Infinity;
  placed.forEach((p, i) => {
    let top = Math.max(p.top, floor);
    for (const o of blocked) if (top < o.bottom && top + heights[i] > o.top) top = o.bottom + GAP_PX;
    p.entry.style.top = `${Math.round(top)}px`;
    floor = top + heights[i] + GAP_PX;
  });
}

function flash(entry) {
  entry.classList.add("is-current");
  setTimeout(() => entry.classList.remove("is-current"), 1600);
}

function closePopover(refocus) {
  if (!popover) return;
  const { mark } = popover;
  popover.element.remove();
  popover = null;
  mark.setAttribute("aria-expanded", "false");
  if (refocus) mark.focus({ preventScroll: true });
}

// A copy of the entry (its ids dropped: the panel keeps the original) under the highlight's
// paragraph, step or equation, inside a list item so the list stays a list.
function openPopover(entry, mark) {
  const element = document.createElement("div");
  element.className = "annotation-popover annotation-ui";
  element.setAttribute("role", "group");
  element.setAttribute("aria-label", "Your annotation");
  element.tabIndex = -1;
  const copy = document.createElement("div");
  copy.className = "annotation-popover-entry";
  copy.innerHTML = entry.innerHTML; // the panel's own, server-rendered and sanitized markup
  copy.querySelectorAll("[id]").forEach((el) => el.removeAttribute("id"));
  const close = document.createElement("button");
  close.type = "button";
  close.className = "annotation-popover-close";
  close.setAttribute("aria-label", "Close the annotation");
  close.textContent = "×";
  close.addEventListener("click", () => closePopover(true));
  element.append(close, copy);
  element.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      closePopover(true);
    }
  });
  const host = mark.closest(".derivation-step, .equation, p, li, h2, h3, h4, h5, h6, blockquote, table, .derivation") || mark;
  if (host.tagName === "LI") host.append(element);
  else host.after(element);
  popover = { element, mark };
  mark.setAttribute("aria-expanded", "true");
  element.scrollIntoView({ block: "nearest", behavior: "instant" }); // not the page's smooth scrolling: it must be in view when focused
  element.focus({ preventScroll: true });
}

// A highlight was chosen: its margin note takes focus where it is, or its copy opens below it.
export function showNote(id, mark) {
  const entry = entryOf(id);
  if (!entry) return;
  if (column && column.contains(entry)) {
    entry.tabIndex = -1;
    const rect = entry.getBoundingClientRect();
    if (rect.top < 0 || rect.bottom > window.innerHeight) entry.scrollIntoView({ block: "nearest" });
    entry.focus({ preventScroll: true });
    flash(entry);
    return;
  }
  const again = popover && popover.mark === mark;
  closePopover(false);
  if (!again) openPopover(entry, mark);
}

export function placeNotes(firstMarks) {
  home = document.querySelector(".annotation-panel .annotation-list");
  if (!home) return;
  homeOrder = [...home.children];
  for (const [id, mark] of firstMarks) marks.set(id, mark);
  hint = document.createElement("p");
  hint.className = "annotation-margin-hint annotation-ui";
  hint.hidden = true;
  home.before(hint);
  let queued = false;
  const again = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      layout();
    });
  };
  window.addEventListener("resize", again);
  document.fonts?.ready.then(again);
  // Displays widened or scaled, folded blocks opened, images loaded: the passages moved.
  new ResizeObserver(again).observe(document.querySelector(".note-body"));
  layout();
}
