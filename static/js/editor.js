// Editor page: moves the preview's problem list (rendered by our pipeline) into the side
// panel next to the source, and lets a click on a problem jump to its line.
(function () {
  "use strict";
  var preview = document.querySelector(".markdownx-preview");
  var list = document.querySelector("[data-problems]");
  var empty = document.querySelector("[data-problems-empty]");
  var source = document.querySelector(".markdownx textarea");
  if (!preview || !list || !source) return;

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
