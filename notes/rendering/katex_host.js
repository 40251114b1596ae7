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

// KaTeX caps user-given sizes at maxSize only when positive; a \kern, \raisebox, \rule or
// \\[...] of -99999em would make a page millions of pixels tall. Every length it writes, in
// styles and MathML attributes, is clamped to maxOutputEm either way (set from katex.py).
var maxOutputEm = 500;
var longLength = /([:"])(-?)(\d{3,}(?:\.\d+)?)em(?=[;"\s])/g;

function clampLengths(html) {
  return html.replace(longLength, function (all, before, sign, value) {
    return parseFloat(value) > maxOutputEm ? before + sign + maxOutputEm + "em" : all;
  });
}

function loadSiteMacros(tex) {
  var warnings = [];
  siteMacros = {};
  katex.renderToString(tex, katexOptions(false, siteMacros, warnings));
  return Object.keys(siteMacros).length;
}

// Characters of HTML one batch may return (set from katex.MAX_OUTPUT_CHARS). Beyond V8's heap
// ceiling, serializing a result of hundreds of megabytes runs out of V8's internal zone
// memory, which is fatal to the whole process, not an exception; so a batch stops early.
var maxOutputChars = 0;

function renderBatch(items) {
  var macros = Object.assign({}, siteMacros);
  var out = [];
  var total = 0;
  for (var i = 0; i < items.length; i++) {
    var warnings = [];
    var untrusted = [];
    if (maxOutputChars && total > maxOutputChars) {
      out.push({ error: "the typeset math of this text is over " + maxOutputChars / 1000000 + " million characters; split it up", position: null, warnings: [] });
      continue;
    }
    try {
      var html = clampLengths(katex.renderToString(items[i][0], katexOptions(items[i][1], macros, warnings, untrusted)));
      total += html.length;
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
