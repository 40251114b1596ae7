// Glue between Python and KaTeX inside the embedded V8 (mini-racer).
// siteMacros is filled once from site_macros.tex; every batch (and every group of
// renderGroups) starts from a copy of it, so a note's own \newcommand reaches its later
// formulas and never another note.
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

// The results go back to Python as one string (katex.py unpacks it): their JSON without the
// HTML, then each result's HTML after a NUL, in order. Escaping the HTML for JSON (a
// quotation mark in every attribute) and undoing it in Python cost about as much as the clean
// proof. JSON holds no raw NUL, so the first one ends it; should an HTML hold one itself (text
// KaTeX passes through), everything goes as JSON.
function packed(out) {
  var htmls = [];
  for (var i = 0; i < out.length; i++) {
    if (out[i].html === undefined) continue;
    if (out[i].html.indexOf("\u0000") >= 0) return JSON.stringify(out);
    htmls.push(out[i].html);
  }
  if (htmls.length === 0) return JSON.stringify(out);
  for (var j = 0; j < out.length; j++) if (out[j].html !== undefined) out[j].html = true;
  return JSON.stringify(out) + "\u0000" + htmls.join("\u0000");
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
  return packed(out);
}

// Whether a formula changed the macros it was given (defined, redefined or removed one):
// the formula cache keys a formula by the formulas before it that did, and this is the truth
// its guess (notes.rendering.nesting) is checked against. KaTeX keeps a formula's \\tag in
// \\df@tag and its colour in \\current@color and \\color, and clears them around every
// formula it parses: they carry nothing to the next one, and are not counted.
var perFormula = ["\\df@tag", "\\current@color", "\\color"];

function macroCount(macros) {
  var n = Object.keys(macros).length;
  for (var i = 0; i < perFormula.length; i++) if (perFormula[i] in macros) n--;
  return n;
}

// What changed() compares with: the names and meanings before the formula (arrays: copying
// the object for every formula would cost a sixth of KaTeX's own time).
function snapshot(macros) {
  var names = Object.keys(macros).filter(function (name) {
    return perFormula.indexOf(name) < 0;
  });
  var meanings = new Array(names.length);
  for (var i = 0; i < names.length; i++) meanings[i] = macros[names[i]];
  return { names: names, meanings: meanings };
}

function changed(before, macros) {
  if (macroCount(macros) !== before.names.length) return true;
  for (var i = 0; i < before.names.length; i++) {
    if (macros[before.names[i]] !== before.meanings[i]) return true;
  }
  return false;
}

// groups: [[[tex, display, render], ...], ...]; options: KaTeX options over katexOptions'
// (the formula cache's key names them). Each group starts from the site macros and
// runs its items in order in one scope. An item with render false is only parsed, for the
// macros it defines (KaTeX defines macros while parsing; building the HTML defines none),
// and gives no output: the formula cache replays a note's defining formulas this way before
// the formulas it renders. One output per rendered item, in order, as renderBatch's, plus
// `defines`; `transient` marks an error that says nothing about the formula itself.
function renderGroups(groups, options) {
  var settings = function (display, macros, warnings, untrusted) {
    return Object.assign(katexOptions(display, macros, warnings, untrusted), options || {});
  };
  var out = [];
  var total = 0;
  for (var g = 0; g < groups.length; g++) {
    var macros = Object.assign({}, siteMacros);
    var items = groups[g];
    // The macros as the last snapshot saw them: it still holds while no formula changed them,
    // so it is taken again only after one did (most formulas define nothing).
    var before = null;
    for (var i = 0; i < items.length; i++) {
      var tex = items[i][0], display = items[i][1], warnings = [], untrusted = [];
      if (!items[i][2]) {
        try {
          katex.__parse(tex, settings(display, macros, warnings, untrusted));
        } catch (e) {}
        before = null;
        continue;
      }
      if (maxOutputChars && total > maxOutputChars) {
        out.push({ error: "the typeset math of this text is over " + maxOutputChars / 1000000 + " million characters; split it up", position: null, warnings: [], transient: true, defines: false });
        continue;
      }
      if (before === null) before = snapshot(macros);
      try {
        var html = clampLengths(katex.renderToString(tex, settings(display, macros, warnings, untrusted)));
        total += html.length;
        var defines = changed(before, macros);
        if (defines) before = null;
        // clean: proven clean here (katex_clean.js), in the engine's thread, so nh3 is skipped.
        out.push({ html: html, warnings: warnings, untrusted: untrusted, defines: defines, clean: provedClean(html) });
      } catch (e) {
        var defined = changed(before, macros);
        if (defined) before = null;
        out.push({
          error: e && e.rawMessage ? e.rawMessage : String(e),
          position: e && typeof e.position === "number" ? e.position : null,
          warnings: warnings,
          defines: defined,
          // Only KaTeX's own errors are facts about the formula; anything else (V8's stack
          // running out, say) may go otherwise in another engine, and is never cached.
          transient: !(e instanceof katex.ParseError),
        });
      }
    }
  }
  return packed(out);
}
