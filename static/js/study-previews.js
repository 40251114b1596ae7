// Previews in study mode. A cross-link or an equation reference in the derivation opens a
// preview of its target in place, under the paragraph or step it sits in, instead of leaving
// the page: a reload would start the steps over. The server already made every link there open
// in a new tab (accounts/study/links.py), which is what a click with a modifier key, a link to
// another site, and every link inside a preview still do. The previews are the note page's:
// /notes/<slug>/preview/, fragments of stored, sanitized HTML.

const study = document.querySelector("[data-study]");
const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
const cache = new Map();
let current = null; // { link, panel }: one preview open at a time
let made = 0;

function previewUrl(link) {
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || !/^\/notes\/[^/]+\/$/.test(url.pathname)) return null;
  const anchor = decodeURIComponent(url.hash.slice(1));
  return `${url.pathname}preview/${anchor ? `?anchor=${encodeURIComponent(anchor)}` : ""}`;
}

function load(url) {
  if (!cache.has(url)) {
    const answer = fetch(url, { headers: { Accept: "text/html" } })
      .then((response) => (response.ok ? response.text() : null))
      .catch(() => null);
    cache.set(url, answer);
  }
  return cache.get(url);
}

function newTab(a) {
  a.target = "_blank";
  a.rel = "noopener";
}

function fragment(html) {
  const template = document.createElement("template");
  template.innerHTML = html; // same-origin fragment of stored, sanitized HTML
  const content = template.content;
  content.querySelectorAll(".uses-link").forEach((el) => el.remove());
  content.querySelectorAll("[id]").forEach((el) => el.removeAttribute("id")); // no duplicate ids
  content.querySelectorAll("a[href]").forEach(newTab);
  return content;
}

function close({ refocus = false } = {}) {
  if (!current) return;
  const { link, panel } = current;
  current = null;
  panel.remove();
  link.setAttribute("aria-expanded", "false");
  link.removeAttribute("aria-controls");
  if (refocus) link.focus();
}

// Right after the paragraph holding the link, or at the end of its step or block: the
// preview reads (and is tabbed to) just after the sentence that asked for it.
function place(link, panel) {
  const block = link.closest("p, .math-display, li, td, dd, blockquote, .study-statement, [data-end]");
  if (!block || block.matches("p, .math-display")) (block || link).after(panel);
  else block.append(panel);
}

function build(link) {
  const panel = document.createElement("div");
  panel.className = "study-preview";
  panel.id = `study-preview-${++made}`;
  panel.setAttribute("role", "group");
  panel.setAttribute("aria-label", `Preview of ${link.title || link.textContent.trim()}`);
  const body = document.createElement("div");
  body.className = "study-preview-body";
  body.textContent = "Loading the preview…";
  const actions = document.createElement("p");
  actions.className = "study-preview-actions";
  const away = document.createElement("a");
  away.href = link.href;
  away.textContent = "Open in a new tab";
  newTab(away);
  const shut = document.createElement("button");
  shut.type = "button";
  shut.className = "link-button";
  shut.textContent = "Close preview";
  shut.addEventListener("click", () => close({ refocus: true }));
  actions.append(away, shut);
  panel.append(body, actions);
  return { panel, body };
}

async function toggle(link, url) {
  const again = current?.link === link;
  close();
  if (again) return;
  const { panel, body } = build(link);
  place(link, panel);
  current = { link, panel };
  link.setAttribute("aria-expanded", "true");
  link.setAttribute("aria-controls", panel.id);
  const html = await load(url);
  if (current?.panel !== panel) return; // closed, or another opened, meanwhile
  if (html === null) body.textContent = "No preview of this link here; open it in a new tab.";
  else body.replaceChildren(fragment(html));
  // Into view, clear of the sticky reveal bar (study.js keeps the root's scroll padding); the
  // focus stays on the link, so Tab goes on into the preview.
  panel.scrollIntoView({ block: "nearest", behavior: reducedMotion.matches ? "instant" : "smooth" });
}

if (study) {
  for (const link of study.querySelectorAll("a.xref, a.eqref")) link.setAttribute("aria-expanded", "false");
  study.addEventListener("click", (event) => {
    const link = event.target.closest("a.xref, a.eqref");
    if (!link || link.closest(".study-preview")) return;
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    const url = previewUrl(link);
    if (!url) return; // another site: its new tab
    event.preventDefault();
    toggle(link, url);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !current) return;
    const { link, panel } = current;
    const inside = panel.contains(document.activeElement) || document.activeElement === link;
    close({ refocus: inside });
  });
}
