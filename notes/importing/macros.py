"""A site's macros (`--macros FILE`) given to the notes that use them, the platform's way.

The file is a LaTeX preamble (`\\newcommand`, `\\renewcommand`, `\\def`, `\\DeclareMathOperator`
lines: notes.rendering.macros reads it) or a MathJax/KaTeX macros JSON: MathJax's
`{"R": "\\\\mathbb{R}", "norm": ["\\\\left\\\\lVert #1 \\\\right\\\\rVert", 1]}` (also inside
`{"tex": {"macros": ...}}`) or KaTeX's `{"\\\\R": "\\\\mathbb{R}"}`.

A note defines its macros with `\\newcommand` in a formula, from which they reach every later
formula of the note; a formula holding only definitions renders as nothing. So each converted
note gets the definitions of the macros it uses (and of the macros those use), in the order of
the file, at the start of its first formula that uses one; a bare environment cannot hold them
(KaTeX keeps definitions made inside it local), so before one a `$$` block of definitions is put.
A name KaTeX has (`\\N`, `\\epsilon`) is redefined with `\\def`, which `\\newcommand` refuses.
A macro the site defines with the same meaning is not repeated; one it defines otherwise
overrides the site's for that note (the page warns); one the note defines itself is left to it.
"""

import json
import re

from notes.rendering.macros import MacroDefinition, katex_names, parse_preamble, site_definitions

from .report import CONVERTED, LEFT, Context
from .scan import DISPLAY, ENV, INLINE, line_prefix, scan


class MacrosFileError(ValueError):
    """The file cannot be read as macros; the message says what to fix."""


def read_macros(text: str) -> tuple[list[MacroDefinition], list[str]]:
    """The definitions in a macros file, and what of it could not be read (as messages)."""
    if text.lstrip().startswith("{"):
        return _from_json(text)
    definitions, problems = parse_preamble(text)
    if not definitions:
        raise MacrosFileError("no \\newcommand, \\renewcommand, \\def or \\DeclareMathOperator found")
    return definitions, [f"line {line}: {message}" for line, message in problems]


def _from_json(text: str) -> tuple[list[MacroDefinition], list[str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MacrosFileError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from exc
    for key in ("tex", "TeX", "macros", "Macros"):  # a MathJax configuration around the macros
        while isinstance(data, dict) and isinstance(data.get(key), dict):
            data = data[key]
    if not isinstance(data, dict) or not data:
        raise MacrosFileError('expected an object of macros, such as {"R": "\\\\mathbb{R}"}')
    definitions, problems = [], []
    for raw_name, value in data.items():
        name = raw_name if raw_name.startswith("\\") else "\\" + raw_name
        if isinstance(value, str):
            body, nargs, default = value, _count_args(value), None
        elif (
            isinstance(value, list)
            and 1 <= len(value) <= 3
            and isinstance(value[0], str)
            and (len(value) < 2 or isinstance(value[1], int))
        ):
            body, nargs = value[0], value[1] if len(value) > 1 else _count_args(value[0])
            default = str(value[2]) if len(value) > 2 else None
        else:
            problems.append(f"{raw_name}: expected a string, or [body, number of arguments(, default)]")
            continue
        if not re.fullmatch(r"\\(?:[A-Za-z@]+|[^A-Za-z@\s])", name):
            problems.append(f"{raw_name}: not a macro name")
            continue
        definitions.append(MacroDefinition(name, nargs, body, default, 1))
    return definitions, problems


def _count_args(body: str) -> int:
    """As KaTeX counts a macro given as a string: the highest #n in it."""
    return max((int(n) for n in re.findall(r"(?<!#)#([1-9])", body)), default=0)


def _uses(tex: str, name: str) -> bool:
    tail = r"(?![A-Za-z@])" if name[1:].isalpha() else ""
    return re.search(re.escape(name) + tail, tex) is not None


def _own(tex: str, name: str) -> bool:
    """The note's TeX defines `name` itself."""
    tail = r"(?![A-Za-z@])" if name[1:].isalpha() else ""
    return re.search(r"\\(?:(?:re|provide|new)command\s*\{?|g?def\s*)" + re.escape(name) + tail, tex) is not None


def add_macros(text: str, ctx: Context, *, definitions: list[MacroDefinition]) -> str:
    """Long because which macros a note needs, and where their definitions go, are decided
    together, each decision reported.

    A pass (notes.importing.dialects): the definitions of the macros the note uses, put
    at the start of its first formula that uses one."""
    segments = [s for s in scan(text) if s.kind in (DISPLAY, INLINE, ENV)]
    tex = "\n".join(text[s.start : s.end] for s in segments)
    by_name = {d.name: d for d in definitions}
    needed, queue = set(), [n for n in by_name if _uses(tex, n)]
    while queue:
        name = queue.pop()
        if name not in needed:
            needed.add(name)
            queue += [n for n in by_name if n not in needed and _uses(by_name[name].body, n)]
    site = site_definitions()
    added, same, overriding, own, builtin = [], [], [], [], []
    for definition in definitions:
        name = definition.name
        if name not in needed:
            continue
        if _own(tex, name):
            own.append(name)
        elif name in site and site[name].same_meaning(definition):
            same.append(name)
        else:
            added.append(definition)
            overriding += [name] if name in site else []
            builtin += [name] if name not in site and name in katex_names() else []
    first = next((s for s in segments if any(_uses(text[s.start : s.end], d.name) for d in added)), None)
    where = first or next((s for s in segments if any(_uses(text[s.start : s.end], n) for n in needed)), None)
    if where is None:
        return text
    snippet = text[where.start : where.start + 2]
    if added:
        names = ", ".join(d.name for d in added)
        ctx.add(text, where.start, CONVERTED, "macros.added", f"macros from --macros defined here: {names}", snippet)
    for name in overriding:
        message = f"{name} differs from the site's {name}: the file's definition overrides it in this note"
        ctx.add(text, where.start, LEFT, "macros.override", message, snippet)
    if builtin:
        message = f"{', '.join(builtin)}: KaTeX has these; the file's definitions replace them in this note"
        ctx.add(text, where.start, LEFT, "macros.katex", message, snippet)
    if same:
        message = f"{', '.join(same)}: the site defines them alike, not repeated"
        ctx.add(text, where.start, CONVERTED, "macros.site", message, snippet)
    if own:
        message = f"{', '.join(own)}: the note defines them itself; the file's definitions not added"
        ctx.add(text, where.start, LEFT, "macros.own", message, snippet)
    return _define(text, first, [_as_tex(d) for d in added]) if first else text


def _as_tex(definition: MacroDefinition) -> str:
    """`\\newcommand`, which fails for a name KaTeX has: such a name is redefined with `\\def`.
    A site macro's name keeps `\\newcommand`, which overrides the site's with a warning."""
    name = definition.name
    if name in katex_names() and name not in site_definitions() and definition.default is None:
        return definition.def_tex()
    return definition.tex()


def _define(text: str, first, added: list[str]) -> str:
    """`text` with the definitions at the start of the formula `first` (or a block before it)."""
    line_start = text.rfind("\n", 0, first.start) + 1
    prefix = line_prefix(text[line_start : first.start])
    if first.kind == ENV:
        block = "\n".join(prefix + line for line in ["$$", *added, "$$", ""]) + "\n"
        return text[:line_start] + block + text[line_start:]
    mark = "$$" if first.kind == DISPLAY else "$"
    defs = "".join(added)
    if text.startswith("$$\n" + prefix, first.start):  # a display on lines of its own: one a line
        mark = "$$\n" + prefix
        defs = "\n".join(added) + "\n" + prefix
    return text[: first.start] + mark + defs + text[first.start + len(mark) :]
