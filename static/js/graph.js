// The prerequisite graph page: zoom buttons for a drawing larger than the window, the
// focused note scrolled into view, and a note's edges lit while the pointer or keyboard is
// on it. Without this script the drawing still scrolls at full size and every box is a link.

const STEP = 1.25;
const MIN_SCALE = 0.1;
const MAX_SCALE = 3;
// "Fit" never shrinks labels (13px in graph.css) below 10px: on a phone a whole site's graph
// at 4px text is a picture, not a map. What does not fit at that scale scrolls in its box.
const READABLE_SCALE = 10 / 13;

function button(label, title, onClick) {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = label;
  element.title = title;
  element.addEventListener("click", onClick);
  return element;
}

function setUp(canvas) {
  const svg = canvas.querySelector("svg");
  if (!svg) return;
  const width = svg.viewBox.baseVal.width;
  const height = svg.viewBox.baseVal.height;
  let scale = 1;
  const readout = document.createElement("span");

  function apply(next, anchor) {
    const previous = scale;
    scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, next));
    // Keep the point under `anchor` (or the centre) where it was.
    const rect = canvas.getBoundingClientRect();
    const ax = anchor ? anchor.x - rect.left : canvas.clientWidth / 2;
    const ay = anchor ? anchor.y - rect.top : canvas.clientHeight / 2;
    const ratio = scale / previous;
    svg.setAttribute("width", String(width * scale));
    svg.setAttribute("height", String(height * scale));
    canvas.scrollLeft = (canvas.scrollLeft + ax) * ratio - ax;
    canvas.scrollTop = (canvas.scrollTop + ay) * ratio - ay;
    readout.textContent = `${Math.round(scale * 100)}%`;
  }

  const fit = () =>
    apply(Math.max(READABLE_SCALE, Math.min(1, canvas.clientWidth / width, canvas.clientHeight / height)));
  const toolbar = document.createElement("div");
  toolbar.className = "graph-toolbar";
  toolbar.append(
    button("−", "Zoom out", () => apply(scale / STEP)),
    button("+", "Zoom in", () => apply(scale * STEP)),
    button("Fit", "Fit the drawing in view, as far as its labels stay readable", fit),
    button("100%", "Actual size", () => apply(1)),
    readout,
  );
  canvas.before(toolbar);
  readout.textContent = "100%";

  canvas.addEventListener(
    "wheel",
    (event) => {
      if (!event.ctrlKey) return; // plain wheel scrolls; a pinch or ctrl+wheel zooms
      event.preventDefault();
      apply(scale * (event.deltaY < 0 ? STEP : 1 / STEP), { x: event.clientX, y: event.clientY });
    },
    { passive: false },
  );

  function light(slug, on) {
    for (const edge of svg.querySelectorAll(`.graph-edge[data-from="${slug}"], .graph-edge[data-to="${slug}"]`)) {
      edge.classList.toggle("is-lit", on);
    }
  }
  for (const node of svg.querySelectorAll(".graph-node")) {
    const slug = node.dataset.slug;
    for (const [type, on] of [["mouseenter", true], ["mouseleave", false], ["focus", true], ["blur", false]]) {
      node.addEventListener(type, () => light(slug, on));
    }
  }

  const focus = canvas.dataset.focus && svg.querySelector(`.graph-node[data-slug="${canvas.dataset.focus}"]`);
  if (focus) {
    const box = focus.getBBox(); // drawing units, which are pixels at 100%
    canvas.scrollLeft = box.x + box.width / 2 - canvas.clientWidth / 2;
    canvas.scrollTop = box.y + box.height / 2 - canvas.clientHeight / 2;
  }
}

for (const canvas of document.querySelectorAll("[data-graph-canvas]")) setUp(canvas);
