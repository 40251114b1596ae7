// Instant search: as the reader types in a search form marked `data-instant-search` (its
// value is the JSON endpoint), the best matches appear in a list under the box. The form
// stays an ordinary GET form: without this script, or on Enter with nothing selected, it
// submits to the search page. The list follows the ARIA combobox pattern: arrow keys move
// through it, Enter opens the selected note, Escape closes it.

const DEBOUNCE_MS = 200;
const MIN_LENGTH = 2;

// Snippets and summaries arrive as HTML: escaped text, <mark>, and typeset formulas that
// the server sanitized when the note was rendered. As a second guard, anything that could
// act (scripts, frames, links, images, forms, styles, event handlers) is removed before the
// nodes reach the page; the formulas need only spans, SVG paths and MathML.
const ACTIVE = "script, style, iframe, object, embed, a, img, form, input, button, link, meta, foreignObject";

function typesetNodes(html) {
  const template = document.createElement("template");
  template.innerHTML = html;
  template.content.querySelectorAll(ACTIVE).forEach((element) => element.remove());
  for (const element of template.content.querySelectorAll("*")) {
    for (const { name } of Array.from(element.attributes)) {
      if (/^on|^(href|src|xlink:href|action|formaction)$/i.test(name)) element.removeAttribute(name);
    }
  }
  return Array.from(template.content.childNodes);
}

function span(className, ...children) {
  const element = document.createElement("span");
  element.className = className;
  element.append(...children);
  return element;
}

function enhance(form, index) {
  const input = form.querySelector('input[name="q"]');
  const area = form.querySelector('select[name="area"]');
  if (!input) return;
  const endpoint = form.dataset.instantSearch;
  const list = document.createElement("ul");
  list.id = `instant-results-${index}`;
  list.className = "instant-results";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Matching notes");
  list.hidden = true;
  input.parentElement.append(list); // under the box: the header form, or the search page's row of fields
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");

  let timer = 0;
  let controller = null;
  let active = -1;

  const options = () => Array.from(list.querySelectorAll('[role="option"]'));

  function select(position) {
    const items = options();
    active = position < 0 || !items.length ? -1 : position % items.length;
    items.forEach((item, i) => item.setAttribute("aria-selected", String(i === active)));
    if (active >= 0) {
      input.setAttribute("aria-activedescendant", items[active].id);
      items[active].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    select(-1);
  }

  function show(children) {
    list.replaceChildren(...children);
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    select(-1);
  }

  function message(text) {
    const item = document.createElement("li");
    item.className = "instant-message";
    item.setAttribute("role", "presentation");
    item.textContent = text;
    return item;
  }

  function option(result, i) {
    const item = document.createElement("li");
    item.id = `${list.id}-${i}`;
    item.setAttribute("role", "option");
    item.setAttribute("aria-selected", "false");
    const link = document.createElement("a");
    link.href = result.url;
    link.tabIndex = -1;
    link.append(span("instant-title", result.title));
    if (result.alias) link.append(span("instant-alias", `also: ${result.alias}`));
    if (result.unit) {
      // Where the result lands: "Section: Backpropagation through time", "Equation (3)".
      const where = result.unit.label ? [`${result.unit.label}: `] : [];
      link.append(span("instant-unit", ...where, ...typesetNodes(result.unit.title_html)));
    }
    link.append(span("instant-snippet", ...typesetNodes(result.snippet || result.summary_html)));
    item.append(link);
    return item;
  }

  async function run() {
    const query = input.value.trim();
    if (controller) controller.abort();
    if (query.length < MIN_LENGTH) {
      close();
      return;
    }
    controller = new AbortController();
    const params = new URLSearchParams({ q: query });
    if (area && area.value) params.set("area", area.value);
    try {
      const response = await fetch(`${endpoint}?${params}`, {
        signal: controller.signal,
        headers: { Accept: "application/json" },
      });
      const data = await response.json();
      if (data.error) show([message(data.error)]);
      else if (!data.results.length) show([message("No live note matches.")]);
      else {
        const items = data.results.map(option);
        if (Number.isInteger(data.partial_from)) items.splice(data.partial_from, 0, message("With some of these words:"));
        if (data.corrected_from) items.unshift(message(`Showing results for “${data.query}”`));
        show(items);
      }
    } catch (error) {
      if (error.name !== "AbortError") close(); // the form still works: Enter submits it
    }
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(run, DEBOUNCE_MS);
  }

  input.addEventListener("input", schedule);
  if (area) area.addEventListener("change", schedule);
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (list.hidden) return;
      event.preventDefault();
      select(event.key === "ArrowDown" ? active + 1 : (active <= 0 ? options().length : active) - 1);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      window.location.assign(options()[active].querySelector("a").href);
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      close();
    }
  });
  form.addEventListener("focusout", (event) => {
    if (!form.contains(event.relatedTarget)) close();
  });
  // A click on a result must reach its link before focus leaves the box and the list closes.
  list.addEventListener("mousedown", (event) => event.preventDefault());
}

document.querySelectorAll("form[data-instant-search]").forEach(enhance);
