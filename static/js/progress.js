// Progress marks without a page load. Each control is a plain form that works on its own;
// this module sends the same POST, asks for JSON, and updates the control in place.

const LABELS = { none: "Not started", working: "Working on it", worked_through: "Worked through" };

function updateSummary() {
  const summary = document.querySelector(".note-progress strong");
  if (!summary) return;
  const forms = [...document.querySelectorAll(".progress-form")];
  const done = forms.filter((f) => f.dataset.state === "worked_through" && !f.classList.contains("is-stale")).length;
  summary.textContent = `${done} of ${forms.length}`;
}

function show(form, data) {
  form.dataset.state = data.state;
  form.classList.toggle("is-stale", data.stale);
  for (const button of form.querySelectorAll(".progress-states button")) {
    button.setAttribute("aria-pressed", String(button.value === data.state));
  }
  if (!data.stale) form.querySelector(".progress-stale")?.remove();
  const listed = document.querySelector(`.checks-list a[href="#${CSS.escape(data.key)}"] ~ .mark-state`);
  if (listed) {
    listed.textContent = LABELS[data.state];
    listed.className = `mark-state mark-${data.state}`;
  }
  updateSummary();
}

function report(form, message) {
  let note = form.querySelector(".progress-error");
  if (!note) {
    note = document.createElement("p");
    note.className = "progress-error";
    note.setAttribute("role", "alert");
    form.append(note);
  }
  note.textContent = message;
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!form.matches(".progress-form")) return;
  event.preventDefault();
  const button = event.submitter;
  const body = new FormData(form, button);
  form.setAttribute("aria-busy", "true");
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    const data = await response.json().catch(() => ({ error: `The server answered ${response.status}.` }));
    if (!response.ok) return report(form, data.error || `The server answered ${response.status}.`);
    form.querySelector(".progress-error")?.remove();
    show(form, data);
  } catch {
    report(form, "Could not reach the server; your mark was not saved. Try again.");
  } finally {
    form.removeAttribute("aria-busy");
  }
});
