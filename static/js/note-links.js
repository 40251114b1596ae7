// Link previews and "used by" popovers on a note page.
//
// Without this module every cross-link is a plain link and every "used by" link opens its
// own page; with it, hovering or focusing a cross-link shows the target (a note's title and
// summary, an equation, a derivation's statement) and "used by" shows who cites the
// equation, from the list the server already put at the foot of the page.
// Previews of other notes come from /notes/<slug>/preview/, fragments assembled from
// stored, sanitized HTML; previews of this note's own equations are copied from the page.

const SHOW_DELAY_MS = 250;
const HIDE_DELAY_MS = 200;
const cache = new Map();

const popover = document.createElement("div");
popover.id = "link-popover";
popover.className = "link-popover";
popover.setAttribute("role", "tooltip");
popover.hidden = true;

let owner = null; // the link the popover belongs to
let showTimer = 0;
let hideTimer = 0;
let lastPointer = "mouse";
let refocusing = false; // Escape hands focus back to the link without reopening it

// The popover sits right after its link in the document, so Tab reaches its links next
// and a screen reader meets it where it belongs; it is drawn with fixed positioning.
function place(link) {
  const rect = link.getBoundingClientRect();
  const viewport = document.documentElement.clientWidth;
  const wide = popover.querySelector(".katex-display") !== null; // tags need the room
  const width = Math.min(wide ? 680 : 440, viewport - 16);
  popover.style.maxWidth = `${width}px`;
  popover.style.width = wide ? `${width}px` : "";
  popover.style.left = `${Math.max(8, Math.min(rect.left, viewport - width - 8))}px`;
  const below = rect.bottom + 6;
  const height = popover.offsetHeight;
  const fitsBelow = below + height < window.innerHeight || rect.top - height - 6 < 0;
  popover.style.top = `${fitsBelow ? below : rect.top - height - 6}px`;
}

// A preview shows; it holds no controls. Content copied from the page carries the reader's
// "Annotate" buttons, progress forms and focusable highlights: a copy of a button that does
// nothing is a trap for keyboard and screen-reader users, so controls are removed and
// whatever else could take focus is made unfocusable.
const CONTROLS = "button, input, select, textarea, form, .annotation-ui, .annotation-block-button, .progress-form";

function inert(content) {
  content.querySelectorAll(CONTROLS).forEach((el) => el.remove());
  content.querySelectorAll("[tabindex], [role=button]").forEach((el) => {
    el.removeAttribute("tabindex");
    el.removeAttribute("role");
    el.removeAttribute("aria-expanded");
  });
  return content;
}

function open(link, content, role = "tooltip") {
  popover.setAttribute("role", role);
  popover.replaceChildren(inert(content));
  link.after(popover);
  // The body's blocks are contained (site.css): the one holding the preview is drawn whole.
  link.closest(".note-body > *")?.classList.add("holds-popover");
  if (lastPointer === "touch" && link.classList.contains("xref-like")) {
    // On a touch screen the first tap previews; the card carries the way on.
    const go = document.createElement("a");
    go.href = link.href;
    go.className = "popover-go";
    go.textContent = "Open →";
    popover.append(go);
  }
  popover.hidden = false;
  place(link);
  owner = link;
  link.setAttribute("aria-describedby", popover.id);
  link.setAttribute("aria-expanded", "true");
}

function close() {
  clearTimeout(showTimer);
  if (owner) {
    owner.removeAttribute("aria-describedby");
    owner.setAttribute("aria-expanded", "false");
  }
  owner = null;
  popover.hidden = true;
  popover.replaceChildren();
  popover.closest(".holds-popover")?.classList.remove("holds-popover");
  popover.remove();
}

function fragment(html) {
  const template = document.createElement("template");
  template.innerHTML = html; // same-origin fragment of stored, sanitized HTML
  return template.content;
}

function localPreview(id) {
  const target = document.getElementById(id);
  if (!target) return null;
  const card = document.createElement("div");
  card.className = "preview-card";
  const block = target.closest(".equation") || (target.matches(".derivation") ? target.querySelector(".derivation-head") : target);
  const copy = block.cloneNode(true);
  copy.removeAttribute("id");
  copy.querySelectorAll("[id]").forEach((el) => el.removeAttribute("id"));
  copy.querySelectorAll(".uses-link").forEach((el) => el.remove());
  card.append(copy);
  if (target.matches(".derivation")) {
    const statement = target.querySelector(".derivation-statement");
    if (statement) card.append(statement.cloneNode(true));
  }
  return card;
}

async function remotePreview(url) {
  const anchor = decodeURIComponent(url.hash.slice(1));
  const key = `${url.pathname}#${anchor}`;
  if (!cache.has(key)) {
    const query = anchor ? `?anchor=${encodeURIComponent(anchor)}` : "";
    cache.set(
      key,
      fetch(`${url.pathname}preview/${query}`, { headers: { Accept: "text/html" } }).then((r) =>
        r.ok ? r.text() : null,
      ),
    );
  }
  const html = await cache.get(key);
  return html === null ? null : fragment(html);
}

async function previewFor(link) {
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith("/notes/")) return null;
  if (url.pathname === location.pathname && url.hash) return localPreview(decodeURIComponent(url.hash.slice(1)));
  return remotePreview(url);
}

function usesFor(link) {
  const anchor = decodeURIComponent(link.pathname.split("/").filter(Boolean).pop());
  const entry = document.getElementById(`uses-${anchor}`);
  if (!entry) return null;
  const card = document.createElement("div");
  card.className = "preview-card uses-card";
  const heading = document.createElement("p");
  heading.className = "preview-title";
  heading.textContent = `Used by ${entry.dataset.count} ${entry.dataset.count === "1" ? "place" : "places"}`;
  card.append(heading, entry.querySelector(".citations").cloneNode(true));
  return card;
}

// "used by" links: show the count, hide the link where nothing cites the target.
for (const link of document.querySelectorAll(".note-body a.uses-link")) {
  const anchor = decodeURIComponent(link.pathname.split("/").filter(Boolean).pop());
  const entry = document.getElementById(`uses-${anchor}`);
  if (!entry) {
    link.hidden = true;
    continue;
  }
  link.textContent = `used by ${entry.dataset.count}`;
  link.setAttribute("aria-label", link.getAttribute("aria-label").replace(/^used by/, link.textContent));
  link.setAttribute("aria-expanded", "false");
  link.addEventListener("click", (event) => {
    event.preventDefault();
    if (owner === link) return close();
    const card = usesFor(link);
    if (card) open(link, card, "group");
  });
}

// Cross-links and equation references: preview on hover, focus, or a first tap.
const links = document.querySelectorAll(".note-body a.xref, .note-body a.eqref");
for (const link of links) {
  link.classList.add("xref-like");
  const show = (delay) => {
    clearTimeout(hideTimer);
    clearTimeout(showTimer);
    showTimer = setTimeout(async () => {
      const content = await previewFor(link);
      // Still wanted: focus or the pointer may have moved on while the preview loaded.
      const wanted = document.activeElement === link || link.matches(":hover") || lastPointer === "touch";
      if (content && wanted) open(link, content);
    }, delay);
  };
  const hide = () => {
    clearTimeout(showTimer);
    hideTimer = setTimeout(() => owner === link && close(), HIDE_DELAY_MS);
  };
  link.addEventListener("pointerenter", (event) => {
    lastPointer = event.pointerType;
    if (event.pointerType === "mouse") show(SHOW_DELAY_MS);
  });
  link.addEventListener("pointerleave", (event) => event.pointerType === "mouse" && hide());
  link.addEventListener("focus", () => refocusing || show(0));
  // Focus moving on closes the preview at once: left open it would cover what Tab reaches next.
  link.addEventListener("blur", (event) => {
    if (popover.contains(event.relatedTarget)) return;
    clearTimeout(showTimer);
    if (owner === link && event.relatedTarget) close();
    else hide();
  });
  link.addEventListener("pointerdown", (event) => {
    lastPointer = event.pointerType;
  });
  link.addEventListener("click", (event) => {
    if (lastPointer === "touch" && owner !== link) {
      event.preventDefault();
      show(0);
    }
  });
}

popover.addEventListener("pointerenter", () => clearTimeout(hideTimer));
popover.addEventListener("focusout", (event) => {
  if (owner && !popover.contains(event.relatedTarget) && event.relatedTarget !== owner) close();
});
popover.addEventListener("pointerleave", () => {
  hideTimer = setTimeout(close, HIDE_DELAY_MS);
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && owner) {
    const link = owner;
    const inside = popover.contains(document.activeElement);
    close();
    if (inside) {
      refocusing = true;
      link.focus({ preventScroll: true });
      refocusing = false;
    }
  }
});
window.addEventListener("scroll", () => owner && place(owner), { passive: true });
document.addEventListener("pointerdown", (event) => {
  if (owner && !popover.contains(event.target) && event.target !== owner) close();
});
