// Glue between Python and KaTeX inside the embedded V8 (mini-racer).
// siteMacros is filled once from site_macros.tex; every batch starts from a copy of it, so
// a note's own \newcommand reaches its later formulas and never another note.
var siteMacros = {};

function katexOptions(display, macros, warnings, untrusted) {
  return {
    displayMode: display,
    throwOnError: true,
    // trust stays off; the function only records what was refused so the author is told.
    trust: function (context) {
      if (untrusted) untrusted.push(context.command);
      return false;
    },
    maxExpand: 1000,
    maxSize: 20,
    output: "htmlAndMathml",
    globalGroup: true,
    macros: macros,
    strict: function (code, message) {
      warnings.push(code + ": " + message);
      return "ignore";
    },
  };
}

function loadSiteMacros(tex) {
  var warnings = [];
  siteMacros = {};
  katex.renderToString(tex, katexOptions(false, siteMacros, warnings));
  return Object.keys(siteMacros).length;
}

function renderBatch(items) {
  var macros = Object.assign({}, siteMacros);
  var out = [];
  for (var i = 0; i < items.length; i++) {
    var warnings = [];
    var untrusted = [];
    try {
      var html = katex.renderToString(items[i][0], katexOptions(items[i][1], macros, warnings, untrusted));
      out.push({ html: html, warnings: warnings, untrusted: untrusted });
    } catch (e) {
      out.push({
        error: e && e.rawMessage ? e.rawMessage : String(e),
        position: e && typeof e.position === "number" ? e.position : null,
        warnings: warnings,
      });
    }
  }
  return JSON.stringify(out);
}
