// Editor page: what the Tab key does in the body field, and the preview's problem list.
(function () {
  "use strict";
  var source = document.querySelector(".markdownx textarea");
  if (!source) return;

  // Tab leaves the body field, as it leaves every other field (WCAG 2.1.2, no keyboard trap).
  // Indenting with Tab is a choice the writer turns on, as in code editors; even then Esc,
  // then Tab (or Shift+Tab), leaves the field. markdownx turns every Tab into a tab character
  // from a listener on the textarea; this one runs before it (capture on the document) and
  // stops the event there whenever Tab should move focus, which the browser then does.
  var STORAGE_KEY = "editor.tabIndents";
  var toggle = document.querySelector("[data-tab-toggle]");
  var help = document.querySelector("[data-tab-help]");
  var indents = false;
  var escaped = false;

  function remembered() {
    try { return window.localStorage.getItem(STORAGE_KEY) === "on"; } catch (e) { return false; }
  }

  function remember(on) {
    try { window.localStorage.setItem(STORAGE_KEY, on ? "on" : "off"); } catch (e) { /* private mode: not kept */ }
  }

  function describe() {
    if (!help) return;
    help.textContent = indents
      ? "Tab indents and Shift+Tab unindents. To leave the field, press Esc, then Tab (or Shift+Tab)."
      : "Tab moves to the next field. Turn on “Tab key indents” to indent with Tab instead.";
  }

  function setIndents(on) {
    indents = on;
    escaped = false;
    source.dataset.tabIndents = on ? "on" : "off";
    describe();
  }

  if (toggle) {
    var box = toggle.querySelector("input");
    box.checked = remembered();
    box.addEventListener("change", function () { remember(box.checked); setIndents(box.checked); });
    toggle.hidden = false;
    setIndents(box.checked);
  } else {
    setIndents(false);
  }

  document.addEventListener("keydown", function (event) {
    if (event.target !== source) return;
    if (event.key === "Escape") { escaped = true; return; }
    if (event.key === "Shift") return;  // Esc, Shift+Tab: the Shift press comes in between
    if (event.key !== "Tab" || event.ctrlKey || event.altKey || event.metaKey) { escaped = false; return; }
    if (!indents || escaped) {
      escaped = false;
      event.stopPropagation();
    }
  }, true);
  source.addEventListener("blur", function () { escaped = false; });

  // The preview's problem list (rendered by our pipeline) moves into the side panel next to
  // the source; a click on a problem jumps to its line.
  var preview = document.querySelector(".markdownx-preview");
  var list = document.querySelector("[data-problems]");
  var empty = document.querySelector("[data-problems-empty]");
  if (!preview || !list) return;

  function goToLine(line) {
    var lines = source.value.split("\n");
    var offset = 0;
    for (var i = 0; i < Math.min(line - 1, lines.length); i++) offset += lines[i].length + 1;
    source.focus();
    source.setSelectionRange(offset, offset + (lines[line - 1] || "").length);
  }

  function sync() {
    var found = preview.querySelector(".preview-problems");
    list.textContent = "";
    if (!found) {
      if (empty) empty.textContent = "No problems: the note renders cleanly.";
      return;
    }
    if (empty) empty.textContent = "";
    Array.prototype.forEach.call(found.children, function (item) {
      var li = document.createElement("li");
      li.className = item.className;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link-button";
      button.textContent = item.textContent;
      button.addEventListener("click", function () { goToLine(parseInt(item.dataset.line, 10)); });
      li.appendChild(button);
      list.appendChild(li);
    });
  }

  new MutationObserver(sync).observe(preview, { childList: true });
})();
