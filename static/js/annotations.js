// Private annotations on a note page: highlights, the selection editor, block annotations,
// and re-attaching orphans. Without this module the panel below the note still lists, edits
// and deletes every annotation.
//
// The server anchors annotations in the revision's plain text: prose as text, every formula
// as its TeX between $ signs ($$ for display). This module reads the page the same way (the
// "view"): text nodes as they are, each KaTeX formula as one unit holding its TeX source, so
// a selection is sent in the server's terms and a stored quote is found again in the page.
// Math is highlighted whole, never glyph by glyph.
//
// Keyboard: select text (shift+arrows, after clicking or with caret browsing), then press "a"
// (when focus is not in a text field) or Alt+A, or Tab to the "Annotate" button that follows
// the selection's paragraph in the tab order. Equations, derivations and steps show their own
// "Annotate" button when hovered or when focus is inside them.

import { placeNotes, showNote } from "./annotation-margin.js";

const dataNode = document.getElementById("annotation-data");
const body = document.querySelector(".note-body");

// Page furniture that is not note text (and is not in the stored plain text).
const SKIP = ".derivation-head, .step-number, .result-label, .uses-link, .progress-form, .footnote-ref, .footnote-backref, .admonition-title, .eq-anchor, .annotation-ui";
const BLOCKS = new Set(["P", "LI", "H1", "H2", "H3", "H4", "H5", "H6", "PRE", "TD", "TH", "BLOCKQUOTE", "DIV", "SECTION", "DT", "DD"]);
const CONTEXT = 32;

function csrfToken() {
  const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  return document.querySelector("input[name=csrfmiddlewaretoken]")?.value || "";
}

// -- the view: the page's text in the server's terms ------------------------------------------

function buildView(root) {
  const segments = []; // {start, end, node?, math?}
  let text = "";
  const push = (piece, extra) => {
    segments.push({ start: text.length, end: text.length + piece.length, ...extra });
    text += piece;
  };
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      if (node.data) push(node.data, { node });
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE || node.matches(SKIP)) return;
    if (node.classList.contains("katex")) {
      const tex = node.querySelector("annotation")?.textContent || "";
      const display = node.closest(".katex-display") !== null;
      push(display ? `$$${tex}$$` : `$${tex}$`, { math: node });
      return;
    }
    const block = BLOCKS.has(node.tagName);
    if (block) push(" ", {});
    for (const child of node.childNodes) walk(child);
    if (block) push(" ", {});
  };
  walk(root);
  return { text, segments };
}

// Whitespace collapsed, with the way back to view positions (as the server does).
function collapse(text) {
  let out = "";
  const back = [];
  let space = false;
  for (let i = 0; i < text.length; i++) {
    if (/\s/.test(text[i])) {
      if (!space) {
        out += " ";
        back.push(i);
      }
      space = true;
    } else {
      out += text[i];
      back.push(i);
      space = false;
    }
  }
  return { text: out, back };
}

function segmentAt(view, node, offset) {
  // The view position of a DOM boundary point; inside a formula it snaps to the formula.
  const math = (node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement)?.closest(".katex");
  for (const seg of view.segments) {
    if (math && seg.math === math) return { start: seg.start, end: seg.end };
    if (seg.node === node) return { start: seg.start + offset, end: seg.start + offset };
  }
  // An element boundary: the first text at or after it.
  const probe = document.createRange();
  for (const seg of view.segments) {
    const target = seg.node || seg.math;
    if (!target) continue;
    probe.setStartBefore(target);
    probe.collapse(true);
    if (probe.comparePoint(node, offset) <= 0) return { start: seg.start, end: seg.start };
  }
  return { start: view.text.length, end: view.text.length };
}

function selectorsOf(view, range) {
  const start = segmentAt(view, range.startContainer, range.startOffset).start;
  const endAt = segmentAt(view, range.endContainer, range.endOffset);
  const end = Math.max(start, endAt.end > endAt.start ? endAt.end : endAt.start);
  return {
    quote: view.text.slice(start, end).trim(),
    prefix: view.text.slice(Math.max(0, start - CONTEXT * 2), start),
    suffix: view.text.slice(end, end + CONTEXT * 2),
    near: view.text.length ? start / view.text.length : 0,
  };
}

function agreement(a, b, fromEnd) {
  let n = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = fromEnd ? a[a.length - 1 - i] : a[i];
    const y = fromEnd ? b[b.length - 1 - i] : b[i];
    if (x !== y) break;
    n++;
  }
  return n;
}

function locate(view, quote, prefix, suffix) {
  // The view span of a stored quote: the occurrence whose surroundings agree best.
  view.flat ||= collapse(view.text); // once per view, not once per annotation
  const flat = view.flat;
  const q = collapse(quote).text.trim();
  if (!q) return null;
  const p = collapse(prefix).text;
  const s = collapse(suffix).text;
  let best = null;
  let bestScore = -1;
  for (let at = flat.text.indexOf(q); at >= 0; at = flat.text.indexOf(q, at + 1)) {
    const score =
      agreement(flat.text.slice(0, at).trimEnd(), p.trimEnd(), true) +
      agreement(flat.text.slice(at + q.length).trimStart(), s.trimStart(), false);
    if (score > bestScore) {
      best = at;
      bestScore = score;
    }
  }
  if (best === null) return null;
  return { start: flat.back[best], end: flat.back[best + q.length - 1] + 1 };
}

// -- highlights ---------------------------------------------------------------------------------

function highlightAll(view, spans) {
  // All text highlights in one pass over one view of the page: per text node, cut at every
  // span boundary and wrap the pieces from the end of the node backwards, so the offsets still
  // to be used stay valid (a split keeps the start of a text node in the original node).
  // Formulas are marked whole. Returns the first mark of each annotation.
  const first = new Map();
  const pieces = new Map(); // text node -> [{from, to, id}]
  for (const { span, id } of spans) {
    for (const seg of view.segments) {
      if (seg.end <= span.start || seg.start >= span.end) continue;
      if (seg.math) {
        seg.math.classList.add("annotation-math");
        seg.math.dataset.annotation ||= id;
        if (!first.has(id)) first.set(id, seg.math);
        continue;
      }
      if (!seg.node) continue;
      const from = Math.max(0, span.start - seg.start);
      const to = Math.min(seg.node.data.length, span.end - seg.start);
      if (to <= from || !seg.node.data.slice(from, to).trim()) continue;
      if (!pieces.has(seg.node)) pieces.set(seg.node, []);
      pieces.get(seg.node).push({ from, to, id });
    }
  }
  for (const [node, list] of pieces) {
    const cuts = [...new Set(list.flatMap((p) => [p.from, p.to]))].sort((a, b) => b - a);
    for (let i = 0; i + 1 < cuts.length; i++) {
      const to = cuts[i];
      const from = cuts[i + 1];
      const owners = list.filter((p) => p.from <= from && p.to >= to).map((p) => p.id);
      if (!owners.length) continue;
      const range = document.createRange();
      range.setStart(node, from);
      range.setEnd(node, to);
      const mark = document.createElement("mark");
      mark.className = owners.length > 1 ? "annotation-hl annotation-overlap" : "annotation-hl";
      mark.dataset.annotation = owners[0];
      range.surroundContents(mark);
      for (const id of owners) first.set(id, mark); // walking backwards: the last set is the first in the text
    }
  }
  return first;
}

function blockElement(item) {
  const el = document.getElementById(item.block);
  if (!el) return null;
  return item.kind === "derivation" ? el : el.closest(".equation, .derivation-step, .derivation") || el;
}

function drawAll(items) {
  const view = buildView(body);
  const spans = [];
  const firstMarks = new Map();
  for (const item of items) {
    if (item.state !== "anchored") continue;
    if (item.kind !== "text") {
      const el = blockElement(item);
      if (el) {
        el.classList.add("annotation-block");
        el.dataset.annotation = item.id;
        firstMarks.set(item.id, el);
      }
      continue;
    }
    const span = locate(view, item.quote, item.prefix, item.suffix);
    if (span) spans.push({ span, id: item.id });
  }
  for (const [id, mark] of highlightAll(view, spans)) firstMarks.set(id, mark);
  for (const item of items) {
    const mark = firstMarks.get(item.id);
    if (mark) connect(mark, item);
  }
  return firstMarks;
}

function connect(mark, item) {
  // The first mark of each annotation takes focus and opens its note where it is.
  mark.tabIndex = 0;
  mark.setAttribute("role", "button");
  mark.setAttribute("aria-expanded", "false");
  const entry = document.getElementById(`annotation-${item.id}`);
  const words = entry?.querySelector(".annotation-body")?.textContent.trim().replace(/\s+/g, " ") || "";
  // The name starts with the passage the reader sees (WCAG 2.5.3), then says what it holds.
  const passage = mark.textContent.trim().replace(/\s+/g, " ");
  mark.setAttribute("aria-label", `${passage} (your annotation${words ? `: ${words.slice(0, 120)}` : ""})`);
  mark.addEventListener("click", (event) => {
    if (event.target.closest("a, button, .annotation-ui") || !document.getSelection().isCollapsed) return;
    showNote(item.id, mark);
  });
  mark.addEventListener("keydown", (event) => {
    if (event.target === mark && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      showNote(item.id, mark);
    }
  });
}

// -- the editor ---------------------------------------------------------------------------------

const editor = document.createElement("form");
editor.className = "annotation-editor annotation-ui";
editor.hidden = true;
editor.innerHTML = `
  <label for="annotation-editor-body">Your annotation <small>(Markdown, math between $ signs; private)</small></label>
  <textarea id="annotation-editor-body" rows="5" maxlength="10000"></textarea>
  <div class="annotation-editor-errors" role="alert"></div>
  <div class="annotation-editor-actions"><button type="submit">Save</button> <button type="button" class="cancel">Cancel</button></div>`;
document.body.append(editor);
const editorBody = editor.querySelector("textarea");
const editorErrors = editor.querySelector(".annotation-editor-errors");
let pending = null; // what the open editor will save: fields for the create endpoint
let returnFocus = null;

function openEditor(fields, anchorRect, from) {
  pending = fields;
  returnFocus = from || null;
  editorErrors.replaceChildren();
  editorBody.value = "";
  editor.hidden = false;
  const width = Math.min(420, document.documentElement.clientWidth - 16);
  editor.style.width = `${width}px`;
  editor.style.left = `${Math.max(8, Math.min(anchorRect.left, document.documentElement.clientWidth - width - 8))}px`;
  editor.style.top = `${Math.min(anchorRect.bottom + 8, window.innerHeight - 220)}px`;
  editorBody.focus();
}

function closeEditor() {
  editor.hidden = true;
  pending = null;
  returnFocus?.focus?.();
}

editor.querySelector(".cancel").addEventListener("click", closeEditor);
editor.addEventListener("keydown", (event) => event.key === "Escape" && closeEditor());
editor.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!pending) return;
  const form = new FormData();
  for (const [key, value] of Object.entries({ ...pending, body: editorBody.value })) form.append(key, value);
  const url = data.create_url;
  try {
    const response = await fetch(url, {
      method: "POST",
      body: form,
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      credentials: "same-origin",
    });
    const answer = await response.json().catch(() => ({ errors: [`The server answered ${response.status}.`] }));
    if (!response.ok) {
      editorErrors.replaceChildren(...(answer.errors || ["Not saved."]).map((e) => Object.assign(document.createElement("p"), { textContent: e })));
      return;
    }
    // The panel is server-rendered: reload it (and the marks) from the page itself.
    location.hash = `annotation-${answer.id}`;
    location.reload();
  } catch {
    editorErrors.textContent = "Could not reach the server; nothing was saved. Try again.";
  }
});

// -- making annotations -------------------------------------------------------------------------

const data = dataNode ? JSON.parse(dataNode.textContent) : null;
const selectButton = document.createElement("button");
selectButton.type = "button";
selectButton.className = "annotation-select-button annotation-ui";
selectButton.textContent = "Annotate";
selectButton.setAttribute("aria-keyshortcuts", "A Alt+A");
selectButton.hidden = true;
document.body.append(selectButton);
let reattaching = null; // an orphan waiting for a selection
let lastRange = null; // the selection the button was shown for (Tab to the button keeps it)

const TEXT_BLOCKS = "p, li, h1, h2, h3, h4, h5, h6, blockquote, td, th, dt, dd, figure, .equation";

function currentRange() {
  const selection = document.getSelection();
  if (!selection || selection.isCollapsed || !selection.rangeCount) return null;
  const range = selection.getRangeAt(0);
  if (!body.contains(range.commonAncestorContainer)) return null;
  return range;
}

function blockOf(node) {
  const el = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
  return el?.closest(TEXT_BLOCKS) || el;
}

function showSelectButton() {
  const range = currentRange();
  if (!range) {
    if (document.activeElement !== selectButton) selectButton.hidden = true;
    return;
  }
  lastRange = range.cloneRange();
  // In the document right after the selection's block, so that Tab from the selection reaches
  // it next (Chromium starts sequential focus navigation at the selection); drawn fixed.
  const block = blockOf(range.endContainer);
  if (block && body.contains(block) && document.activeElement !== selectButton) {
    if (block.tagName === "LI") block.append(selectButton);
    else if (block.nextElementSibling !== selectButton) block.after(selectButton);
  }
  const rect = range.getBoundingClientRect();
  selectButton.textContent = reattaching ? "Re-attach here" : "Annotate";
  selectButton.hidden = false;
  const width = document.documentElement.clientWidth;
  selectButton.style.left = `${Math.min(Math.max(8, rect.left), width - 140)}px`;
  // Above the selection, kept on screen (on phones the system menu sits above it: go below).
  const above = rect.top - 44;
  const below = rect.bottom + 8;
  const top = above > 8 && !matchMedia("(pointer: coarse)").matches ? above : below;
  selectButton.style.top = `${Math.min(Math.max(8, top), window.innerHeight - 48)}px`;
}

document.addEventListener("selectionchange", () => {
  clearTimeout(showSelectButton.timer);
  showSelectButton.timer = setTimeout(showSelectButton, 150);
});
window.addEventListener("scroll", () => selectButton.hidden || showSelectButton(), { passive: true });
selectButton.addEventListener("blur", () => currentRange() || (selectButton.hidden = true));

async function annotateSelection() {
  const range = currentRange() || lastRange;
  if (!range) return;
  const fields = selectorsOf(buildView(body), range);
  const rect = range.getBoundingClientRect();
  // Cancel hands focus back to where the selection was (the button itself is gone by then).
  const back = blockOf(range.endContainer);
  if (back && back.tabIndex < 0 && !back.hasAttribute("tabindex")) back.tabIndex = -1;
  selectButton.hidden = true;
  if (reattaching) {
    const item = reattaching;
    reattaching = null;
    const form = new FormData();
    for (const [key, value] of Object.entries(fields)) form.append(key, value);
    const response = await fetch(`${data.root}${item.id}/reattach/`, {
      method: "POST",
      body: form,
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      credentials: "same-origin",
    });
    if (response.ok) {
      location.hash = `annotation-${item.id}`;
      location.reload();
    } else {
      const answer = await response.json().catch(() => ({}));
      alertIn(document.getElementById(`annotation-${item.id}`), (answer.errors || ["Not re-attached."]).join(" "));
    }
    return;
  }
  openEditor({ note: data.note, revision: data.revision, kind: "text", ...fields }, rect, back);
}

selectButton.addEventListener("mousedown", (event) => event.preventDefault()); // keep the selection
selectButton.addEventListener("click", annotateSelection);

// "a" outside text fields, or Alt+A anywhere, annotates the selection in the note. Tab from a
// selection goes to its "Annotate" button: browsers start Tab at the selection only sometimes
// (after a click, not after caret browsing's shift+arrows).
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.repeat || !data) return;
  const inField = event.target.closest?.("input, textarea, select, [contenteditable]:not([contenteditable=false])");
  const atSelection = !inField && (!event.target.closest?.("a, button, [tabindex]") || event.target === document.body);
  if (event.key === "Tab" && !event.shiftKey && !event.altKey && atSelection && currentRange()) {
    showSelectButton();
    event.preventDefault();
    selectButton.focus();
    return;
  }
  const plain = !event.altKey && !event.shiftKey && event.key.toLowerCase() === "a" && !inField;
  const alt = event.altKey && event.code === "KeyA";
  if (!(plain || alt) || !currentRange()) return;
  event.preventDefault();
  annotateSelection();
});

function alertIn(container, message) {
  if (!container) return;
  let p = container.querySelector(".annotation-alert");
  if (!p) {
    p = document.createElement("p");
    p.className = "annotation-alert";
    p.setAttribute("role", "alert");
    container.append(p);
  }
  p.textContent = message;
}

function addBlockButtons() {
  // Whole equations, derivations and steps are annotated from their own button.
  const targets = [
    ...[...body.querySelectorAll(".equation[id]")].map((el) => ({ el, kind: "equation", block: el.id, place: frame(el) })),
    ...[...body.querySelectorAll(".derivation[id]")].map((el) => ({
      el,
      kind: "derivation",
      block: el.id,
      place: el.querySelector(".derivation-head"),
    })),
    ...[...body.querySelectorAll(".derivation-step[id]")].map((el) => ({ el, kind: "step", block: el.id, place: el })),
  ];
  for (const t of targets) {
    if (!t.place) continue;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "annotation-block-button annotation-ui";
    button.textContent = "Annotate";
    button.setAttribute("aria-label", `Annotate this ${t.kind === "step" ? "step" : t.kind}`);
    button.addEventListener("click", () =>
      openEditor({ note: data.note, revision: data.revision, kind: t.kind, block: t.block }, button.getBoundingClientRect(), button),
    );
    t.place.append(button);
  }
}

// A display scrolls inside its own box, which would clip a button placed outside it and cover
// the formula with one placed inside; a frame around it (margins collapse through it, so the
// layout is unchanged) holds the button just above the display, in the space before it.
function frame(display) {
  const wrapper = document.createElement("div");
  wrapper.className = "annotation-frame";
  display.before(wrapper);
  wrapper.append(display);
  return wrapper;
}

function addReattachButtons(items) {
  for (const item of items) {
    if (item.state !== "orphaned") continue;
    const entry = document.getElementById(`annotation-${item.id}`);
    const actions = entry?.querySelector(".annotation-actions");
    if (!actions) continue;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link-button annotation-ui";
    button.textContent = "Re-attach to a new selection";
    button.addEventListener("click", () => {
      reattaching = item;
      alertIn(entry, "Now select the passage in the note, then press “Re-attach here”.");
      body.scrollIntoView({ behavior: "smooth" });
    });
    actions.append(" · ", button);
  }
}

if (data && body) {
  // Timed so bench/annotated_page.py can report what drawing the highlights costs.
  performance.mark("annotations:start");
  const marks = drawAll(data.items);
  performance.measure("annotations:draw", "annotations:start");
  placeNotes(marks);
  addBlockButtons();
  addReattachButtons(data.items);
}

// The old-revision page shows one orphan's passage: highlight it there too.
const single = document.getElementById("annotation-single");
if (single && body) {
  const item = JSON.parse(single.textContent);
  drawAll([{ ...item, state: "anchored" }]);
  document.querySelector(`[data-annotation="${item.id}"]`)?.scrollIntoView({ block: "center" });
}
