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
  knownTags = new Map();
  return Object.keys(cleanAttributes).length;
}

var reference = /&(?:[a-zA-Z][a-zA-Z0-9]{1,31}|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});/y;
var startTag = /<([a-z][a-z0-9]*)((?:\s+[a-zA-Z][a-zA-Z0-9:-]*\s*=\s*"[^"<]*")*)\s*(\/?)>/y;
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

// Start tags repeat thousands of times in a note's math (<span class="mord">): each distinct one
// is parsed and checked once per engine, then looked up by its whole text, from "<" to the first
// ">": [name, self-closing, attributes clean, length]. Only a tag whose text ends at its first
// ">" is kept; its quotes then all delimit attribute values (which hold no quote), so the same
// text anywhere is the same tag, and a ">" inside a value can never make a shorter text look
// like a known tag (its quotes would not pair).
var knownTags = new Map();

function startTagAt(html, at) {
  var gt = html.indexOf(">", at);
  if (gt < 0) return null;
  var text = html.slice(at, gt + 1);
  var known = knownTags.get(text);
  if (known !== undefined) return known;
  startTag.lastIndex = at;
  var found = startTag.exec(html);
  if (found === null) return null;
  var tag = [found[1], found[3] !== "", cleanAttributesOf(found[1], found[2]), startTag.lastIndex - at];
  if (tag[3] === text.length) {
    if (knownTags.size > 50000) knownTags.clear();
    knownTags.set(text, tag);
  }
  return tag;
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

// One scanner over the whole string: text (up to the next "<", each "&" in it a character
// reference), an end tag or a start tag at each step, or it is not proven. indexOf and a
// lookup of known tags do most of the work: the proof runs on every formula typeset.
function provedClean(html) {
  var open = []; // the names of the elements open, and the place each opened in
  var places = [];
  var place = "html";
  var at = 0;
  var length = html.length;
  // The next "&" in the text, -1 when none is left. Found once and carried along: looking
  // for it afresh from every tag would scan to the end of a formula that has none, at every
  // tag of it.
  var amp = html.indexOf("&");
  while (at < length) {
    var lt = html.indexOf("<", at);
    if (lt < 0) lt = length;
    if (amp >= 0 && amp < at) amp = html.indexOf("&", at); // it was in a tag, checked there
    while (amp >= 0 && amp < lt) {
      reference.lastIndex = amp;
      if (!reference.test(html)) return false;
      amp = html.indexOf("&", reference.lastIndex);
    }
    at = lt;
    if (at === length) break;
    if (html.charCodeAt(at + 1) === 47 /* / */) {
      // an end tag closes the element open last, by its very name
      var last = open.length - 1;
      if (last < 0) return false;
      var name = open[last];
      if (!html.startsWith(name, at + 2) || html.charCodeAt(at + 2 + name.length) !== 62 /* > */) return false;
      open.pop();
      places.pop();
      place = last > 0 ? places[last - 1] : "html";
      at += name.length + 3;
      continue;
    }
    var found = startTagAt(html, at);
    if (found === null || found[2] === false) return false;
    var tag = found[0];
    var opens = placeOf(tag, open.length ? open[open.length - 1] : undefined, place);
    if (opens === false) return false;
    if (found[1]) {
      // "/>" closes only in foreign content (inside <svg> or <math>).
      if (opens === "html" || tag === "svg" || tag === "math") return false;
    } else {
      open.push(tag);
      places.push(opens);
      place = opens;
    }
    at += found[3];
  }
  return open.length === 0;
}
