// Study mode. The page works without this module: each step is a closed <details> the reader
// opens in turn. Here the steps become list items kept `hidden` (out of the accessibility tree)
// and revealed strictly in order, by the button or the "n" key; the list is a polite live
// region, so each revealed step is read out after the one before it. The attempt box is kept
// in localStorage under the note and derivation; it is never part of the grade form.

const study = document.querySelector("[data-study]");

function unfold(details) {
  details.replaceWith(...details.querySelector(".study-fold-body").childNodes);
}

function keepScratch(box, clear) {
  const key = study.dataset.scratchKey;
  let storage = null;
  try {
    storage = window.localStorage;
    box.value = storage.getItem(key) ?? "";
  } catch {
    // Storage refused (private mode, a site-data policy): the box still works, unsaved.
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

function setUp() {
  const steps = [...study.querySelectorAll("[data-step]")];
  const controls = study.querySelector("[data-controls]");
  const reveal = study.querySelector("[data-reveal]");
  const showAll = study.querySelector("[data-show-all]");
  const count = study.querySelector("[data-count]");
  const end = study.querySelector("[data-end]");
  const endTitle = end.querySelector("h2");

  for (const step of steps) {
    step.hidden = true;
    unfold(step.querySelector("details"));
  }
  unfold(end.querySelector("details"));
  end.hidden = steps.length > 0;
  controls.hidden = steps.length === 0;
  for (const el of study.querySelectorAll(".study-how[data-nojs]")) el.remove();
  study.querySelector(".study-how[data-js]").hidden = false;

  let shown = 0;
  function finish() {
    reveal.hidden = true;
    showAll.hidden = true;
    count.textContent = `All ${steps.length} steps shown.`;
    end.hidden = false;
    // The reveal button just vanished; keep keyboard users where the page continues.
    endTitle.focus();
  }
  function next() {
    if (shown >= steps.length) return;
    steps[shown].hidden = false;
    shown += 1;
    count.textContent = `${shown} of ${steps.length} steps shown`;
    if (shown === steps.length) finish();
  }

  reveal.addEventListener("click", next);
  showAll.addEventListener("click", () => {
    while (shown < steps.length) next();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "n" && event.key !== "N") return;
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) return;
    if (shown >= steps.length) return;
    event.preventDefault();
    next();
  });
}

if (study) {
  setUp();
  keepScratch(study.querySelector("[data-scratch]"), study.querySelector("[data-scratch-clear]"));
}
