// Proof, inside the engine, that a formula's HTML is already clean, so the sanitizer can be
// skipped for it (notes.rendering.sanitize says when; nh3 cleans whatever is not proven).
//
// A formula's HTML is proven clean when it is, from start to end, nothing but:
//   - text without "<", and character references of the strict form (&name; &#1; &#x1;);
//   - start tags named in the allow-list, lowercase, each attribute once, named in the
//     allow-list for that tag or for every tag, its value in double quotes with no "<" and
//     no bare "&"; no attribute that holds a URL (those go through nh3, which checks schemes);
//     a style is only declarations of allowed properties with plain values (no url(), no
//     escapes, no comments);
//   - end tags closing the element open last, so that the elements nest as written and a
//     browser builds the tree the tags say; self-closing tags only inside <svg>, where they
//     close; no void element, comment, doctype, CDATA or processing instruction.
// Every element and attribute it lets through is one the sanitizer keeps, by the same lists
// (sent from sanitize.py: one place for the rule), and the text cannot open a tag; so nh3
// would return the same tree, re-serialized. Anything the proof does not cover is not
// guessed at: the formula goes to nh3.

// Which elements may appear where: "html" outside math and SVG (KaTeX's spans), "svg" and
// "math" inside an <svg> or <math>, each from the sanitizer's lists. Keeping each vocabulary
// to its own place means the parser never leaves foreign content early or moves an element:
// the tree a browser builds is the one the tags say.
var cleanTags = { html: {}, svg: {}, math: {} };
var cleanAttributes = {}; // tag -> {name: true}; "*" for every tag
var cleanStyleProperties = {};
var urlAttributes = { href: true, src: true, "xlink:href": true, action: true, formaction: true, background: true, poster: true };
// MathML token elements are text integration points: a tag inside one is read as HTML, so
// only text may be inside them here.
var mathTokens = { mi: true, mo: true, mn: true, ms: true, mtext: true };

function asSet(names) {
  var set = {};
  names.forEach(function (name) { set[name] = true; });
  return set;
}

function loadAllowList(lists) {
  cleanTags = { html: asSet(lists.tags.html), svg: asSet(lists.tags.svg), math: asSet(lists.tags.math) };
  cleanAttributes = {};
  Object.keys(lists.attributes).forEach(function (tag) { cleanAttributes[tag] = asSet(lists.attributes[tag]); });
  cleanStyleProperties = asSet(lists.styleProperties);
  checkedTags = new Map();
  return Object.keys(cleanAttributes).length;
}

var textRun = /[^<&]+/y;
var reference = /&(?:[a-zA-Z][a-zA-Z0-9]{1,31}|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});/y;
var startTag = /<([a-z][a-z0-9]*)((?:\s+[a-zA-Z][a-zA-Z0-9:-]*\s*=\s*"[^"<]*")*)\s*(\/?)>/y;
var endTag = /<\/([a-z][a-z0-9]*)>/y;
var attribute = /\s+([a-zA-Z][a-zA-Z0-9:-]*)\s*=\s*"([^"<]*)"/g;
var attributeValue = /^(?:[^&]|&(?:[a-zA-Z][a-zA-Z0-9]{1,31}|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});)*$/;
var declaration = /^\s*([a-z-]+)\s*:\s*([-+.,#%\w\s()]*)$/;

function allowedAttribute(tag, name) {
  var own = cleanAttributes[tag];
  var all = cleanAttributes["*"];
  return (own !== undefined && own[name] === true) || (all !== undefined && all[name] === true);
}

function cleanStyle(value) {
  var declarations = value.split(";");
  for (var i = 0; i < declarations.length; i++) {
    if (!/\S/.test(declarations[i])) continue;
    var found = declaration.exec(declarations[i]);
    if (!found || cleanStyleProperties[found[1]] !== true || /url|expression|image|\\/i.test(found[2])) return false;
  }
  return true;
}

// Tags and their attributes repeat thousands of times in a note's math (class="mord"): each
// distinct one is checked once per engine.
var checkedTags = new Map();

function cleanStartTag(tag, text) {
  var key = tag + text;
  var known = checkedTags.get(key);
  if (known !== undefined) return known;
  var verdict = cleanAttributesOf(tag, text);
  if (checkedTags.size > 50000) checkedTags.clear();
  checkedTags.set(key, verdict);
  return verdict;
}

function cleanAttributesOf(tag, text) {
  var seen = {};
  var found;
  attribute.lastIndex = 0;
  while ((found = attribute.exec(text)) !== null) {
    var name = found[1], value = found[2];
    if (seen[name] === true || urlAttributes[name] === true || !allowedAttribute(tag, name)) return false;
    if (!attributeValue.test(value)) return false;
    if (name === "style" && !cleanStyle(value)) return false;
    seen[name] = true;
  }
  return true;
}

// Where a start tag opens: the place it is in, or false when it may not open there.
function placeOf(tag, parent, place) {
  if (parent !== undefined && mathTokens[parent] === true) return false;
  if (place === "html") {
    if (tag === "svg" && cleanTags.svg.svg === true) return "svg";
    if (tag === "math" && cleanTags.math.math === true) return "math";
    return cleanTags.html[tag] === true ? "html" : false;
  }
  return cleanTags[place][tag] === true && tag !== place ? place : false;
}

// One scanner over the whole string: text, a character reference, an end tag or a start tag
// at each step, or it is not proven.
function provedClean(html) {
  var open = []; // [tag, place] of the elements open
  var place = "html";
  var at = 0;
  while (at < html.length) {
    var found;
    var code = html.charCodeAt(at);
    if (code !== 60 /* < */) {
      var pattern = code === 38 /* & */ ? reference : textRun;
      pattern.lastIndex = at;
      if (pattern.exec(html) === null) return false;
      at = pattern.lastIndex;
      continue;
    }
    endTag.lastIndex = at;
    if ((found = endTag.exec(html)) !== null) {
      if (open.length === 0 || open[open.length - 1][0] !== found[1]) return false;
      open.pop();
      place = open.length ? open[open.length - 1][1] : "html";
      at = endTag.lastIndex;
      continue;
    }
    startTag.lastIndex = at;
    if ((found = startTag.exec(html)) === null) return false;
    var tag = found[1];
    var parent = open.length ? open[open.length - 1][0] : undefined;
    var opens = placeOf(tag, parent, place);
    if (opens === false || !cleanStartTag(tag, found[2])) return false;
    if (found[3]) {
      // "/>" closes only in foreign content (inside <svg> or <math>).
      if (opens === "html" || tag === "svg" || tag === "math") return false;
    } else {
      open.push([tag, opens]);
      place = opens;
    }
    at = startTag.lastIndex;
  }
  return open.length === 0;
}
