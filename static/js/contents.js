// A note's contents as the reader moves through it.
//
// - The entry of the section in view carries aria-current="location" (in the page's list and
//   in the sheet below), so it is styled and announced; the sticky column scrolls itself to
//   keep that entry visible.
// - Where there is no sticky column (phones, tablets), a Contents button fixed in the corner
//   opens the same list as a sheet over the page from anywhere in the note: focus goes to the
//   current entry, Escape or a click outside closes it and gives focus back to the button, a
//   chosen entry closes it and goes there. While the page's own list is on screen (the top of the
//   note) the button steps aside: the list it would open is already there.
// Without this script the list is still there, at the top of the note.

const toc = document.querySelector("nav.toc");
const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

function sectionsOf(nav) {
  const entries = [];
  for (const link of nav.querySelectorAll('a[href^="#"]')) {
    const target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (target) entries.push({ id: target.id, target });
  }
  return entries;
}

// The section in view is the last whose heading has passed a line a quarter down the window
// (the first section before any has).
function currentSection(entries) {
  const line = window.innerHeight * 0.25;
  let current = entries[0];
  for (const entry of entries) {
    if (entry.target.getBoundingClientRect().top <= line) current = entry;
    else break;
  }
  return current;
}

function markCurrent(id) {
  for (const link of document.querySelectorAll(".toc a[href^='#']")) {
    const here = decodeURIComponent(link.hash.slice(1)) === id;
    if (here) link.setAttribute("aria-current", "location");
    else link.removeAttribute("aria-current");
  }
  keepInView(toc.querySelector("a[aria-current]"));
}

// Scroll only the contents column, never the page, to show the current entry.
function keepInView(link) {
  if (!link || toc.scrollHeight <= toc.clientHeight) return;
  const box = toc.getBoundingClientRect();
  const r = link.getBoundingClientRect();
  if (r.top < box.top || r.bottom > box.bottom) {
    toc.scrollTo({
      top: toc.scrollTop + r.top - box.top - box.height / 3,
      behavior: reducedMotion.matches ? "auto" : "smooth",
    });
  }
}

function followSections(entries) {
  let pending = false;
  const update = () => {
    pending = false;
    markCurrent(currentSection(entries).id);
  };
  const schedule = () => {
    if (!pending) {
      pending = true;
      requestAnimationFrame(update);
    }
  };
  // The answer changes when a heading crosses the line, and after a jump (the End key, a
  // dragged scrollbar, a link to a paragraph) that passed headings by between two frames, so
  // none was ever seen near it: the end of each scroll is checked too (every scrolled frame,
  // where the browser has no scrollend event).
  const observer = new IntersectionObserver(schedule, { rootMargin: "0px 0px -75% 0px" });
  for (const entry of entries) observer.observe(entry.target);
  window.addEventListener("onscrollend" in window ? "scrollend" : "scroll", schedule, { passive: true });
  window.addEventListener("hashchange", schedule);
  window.addEventListener("resize", schedule);
  update();
}

function buildSheet() {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "toc-toggle";
  button.textContent = "Contents";
  button.setAttribute("aria-expanded", "false");
  // An underscore: no id made from a note's headings can hold one, so none can clash.
  button.setAttribute("aria-controls", "toc_sheet");

  const sheet = document.createElement("div");
  sheet.className = "toc toc-sheet";
  sheet.id = "toc_sheet";
  sheet.hidden = true;
  sheet.setAttribute("role", "dialog");
  sheet.setAttribute("aria-label", "Contents");
  const title = document.createElement("h2");
  title.setAttribute("aria-hidden", "true"); // the dialog's name already says it
  title.textContent = "Contents";
  sheet.append(title, toc.querySelector("ol").cloneNode(true));
  document.body.append(sheet, button);
  return { button, sheet };
}

function openSheet({ button, sheet }) {
  sheet.hidden = false;
  button.setAttribute("aria-expanded", "true");
  const here = sheet.querySelector("a[aria-current]") || sheet.querySelector("a");
  here.scrollIntoView({ block: "center" });
  here.focus({ preventScroll: true });
}

function closeSheet({ button, sheet }, { returnFocus }) {
  if (sheet.hidden) return;
  sheet.hidden = true;
  button.setAttribute("aria-expanded", "false");
  if (returnFocus) button.focus();
}

function wireSheet(parts) {
  const { button, sheet } = parts;
  button.addEventListener("click", () => {
    if (sheet.hidden) openSheet(parts);
    else closeSheet(parts, { returnFocus: true });
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !sheet.hidden) closeSheet(parts, { returnFocus: true });
  });
  // A chosen entry: the browser follows the link and moves focus to the section.
  sheet.addEventListener("click", (event) => {
    if (event.target.closest("a")) closeSheet(parts, { returnFocus: false });
  });
  document.addEventListener("click", (event) => {
    if (!sheet.hidden && !sheet.contains(event.target) && !button.contains(event.target)) {
      closeSheet(parts, { returnFocus: false });
    }
  });
  sheet.addEventListener("focusout", (event) => {
    const to = event.relatedTarget;
    if (to && !sheet.contains(to) && to !== button) closeSheet(parts, { returnFocus: false });
  });
}

// The button is hidden (and out of the tab order) while the page's list is in view, unless the
// sheet is open.
function stepAsideFromList(button) {
  const observer = new IntersectionObserver(([entry]) => {
    button.classList.toggle("toc-toggle-aside", entry.isIntersecting);
  });
  observer.observe(toc);
}

if (toc) {
  const entries = sectionsOf(toc);
  if (entries.length) {
    const parts = buildSheet();
    wireSheet(parts);
    stepAsideFromList(parts.button);
    followSections(entries);
  }
}
