"""The nesting bound: how deeply KaTeX will recurse on a formula, measured before it runs.

KaTeX parses and builds a formula by recursion, one or more JavaScript frames per level of
nesting. Whether V8 runs out of stack at a given depth depends on the thread and on how warm
the JIT is, so a stack overflow is no limit: the same formula would be refused in one process
and accepted in another. Nesting is therefore bounded here, before KaTeX runs, by
NestingGauge: it reads a formula the way KaTeX's macro expander does (same tokens, same
macros, same argument rules) and counts how deeply the expanded formula nests. Macros carry
from formula to formula of a note, as they do in KaTeX, so a deep macro defined in one
formula counts where another uses it.

Long because NestingGauge is a small model of KaTeX's lexer and macro expander (Lexer.js,
MacroExpander.js, macros.js of 0.19): a per-macro summary of depth can be beaten (a
delimited parameter lets each use wrap the next), so the expansion itself is modelled, and
split across modules it would only be harder to check against KaTeX's source.
"""

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache

from .katex import KATEX_JS, SITE_MACROS

# Levels of nesting a note's formula may reach (see NestingGauge for what counts). KaTeX 0.19
# in mini-racer overflows its stack, at the cheapest, after about 480 levels of
# \begin{pmatrix} or \begin{cases} in an engine warmed up by earlier renders (530 in a fresh
# one, 1,600 to 3,000 for braces and \left); 100 keeps a margin of almost five.
MAX_NESTING_DEPTH = 100
# KaTeX refuses a formula whose macros expand more than 1000 times (maxExpand in
# katex_host.js). The gauge expands the same macros, and a few more (both branches of
# \TextOrMath), so it stops at twice that, in KaTeX's words: a formula it stops is one KaTeX
# refuses too.
MAX_MACRO_EXPANSIONS = 2000
# What a note's math may expand to, in tokens after macro expansion: per formula, and for all
# the formulas of a note together (the budget per document: KaTeX's maxExpand bounds one
# formula, so 1,000 formulas each just under it could still make KaTeX build gigabytes). The
# largest starter note expands to 11,094 tokens in all and its largest formula to under 1,000;
# these leave room over ten times, and bound both the gauge's work and KaTeX's (about 1 s and
# 200 MB at the note budget; past it, the note is not typeset at all: see `exhausted`).
MAX_EXPANDED_TOKENS = 50_000
MAX_EXPANDED_TOKENS_PER_NOTE = 150_000


# -- the nesting gauge ----------------------------------------------------------------------

# KaTeX's lexer (Lexer.js in 0.19): spaces, control space, characters, \verb, control words
# (eating the spaces after them), control symbols. `%` starts a comment except inside URL
# and raw arguments.
_SPACE = "[ \r\n\t]"
_COMBINING = "[\u0300-\u036f]*"
_NOT_EOL = "[^\n\r\u2028\u2029]"
_TOKEN = re.compile(
    f"({_SPACE}+)"
    r"|\\(\n|[ \r\t]+\n?)[ \r\t]*"
    f"|([!-\\[\\]-\u2027\u202a-\ud7ff\uf900-\uffff\U00010000-\U0010ffff]{_COMBINING}"
    rf"|\\verb\*([\s\S]){_NOT_EOL}*?\4"
    rf"|\\verb([^*a-zA-Z]){_NOT_EOL}*?\5"
    f"|(\\\\[a-zA-Z@]+){_SPACE}*"
    r"|\\[^\ud800-\udfff])"
)

_EXPANDED = 1  # the token comes out of a macro's body
_NOEXPAND = 2  # \noexpand or \let made it: do not expand it again
_RELAX = 4  # \noexpand'ed macro: the parser sees \relax

_EOF = ("\x00EOF", 0)
_OPTIONAL_END = ("\x00]", 0)  # where an optional [argument] that KaTeX parses ends


def _commands(names: str) -> frozenset[str]:
    return frozenset("\\" + name for name in names.split())


# What nests. Frames: "g" group ({ }, \begingroup), "e" environment, "b" optional argument
# (those three open a macro scope in KaTeX), "l" \left…\right, "$" math inside \text,
# "s" a style, size, font or colour switch, which KaTeX parses as a nested expression
# running to the end of the enclosing group.
_OPEN = {"{": "g", "\\begingroup": "g", "\\begin": "e", "\\left": "l", "\\(": "$"}
_CLOSE = {"}", "\\endgroup", "\\end", "\\right", "\\)"}
_SCOPES = frozenset("geb")
_SWITCHES = _commands(
    """displaystyle textstyle scriptstyle scriptscriptstyle color rm sf tt bf it cal tiny sixptsize
    scriptsize footnotesize small normalsize large Large LARGE huge Huge"""
)
# Functions whose optional [argument] KaTeX parses as math (numOptionalArgs in 0.19).
_OPTIONAL_MATH_ARG = _commands(
    """sqrt smash rule xleftarrow xrightarrow xLeftarrow xRightarrow xleftrightarrow xLeftrightarrow
    xhookleftarrow xhookrightarrow xmapsto xrightharpoondown xrightharpoonup xleftharpoondown
    xleftharpoonup xrightleftharpoons xleftrightharpoons xlongequal xtwoheadrightarrow
    xtwoheadleftarrow xtofrom xrightleftarrows xrightequilibrium xleftequilibrium"""
)
# Functions whose first argument is lexed with % as a character, not a comment.
_URL_ARG = frozenset(("\\href", "\\url"))
_RAW_ARG = frozenset(("\\htmlClass", "\\htmlId", "\\htmlStyle", "\\htmlData"))
_DEFS = {"\\def": False, "\\edef": False, "\\gdef": True, "\\xdef": True}
_PREFIXES = frozenset(("\\global", "\\long"))
_NOT_A_NAME = frozenset(("\\", "{", "}", "$", "&", "#", "^", "_"))


class _OverBudget(Exception):
    pass


def _lex(src: str, pos: int, percent_comments: bool = True) -> tuple[tuple[str, int], int]:
    """The next token of src from pos, and the position after it."""
    while pos < len(src):
        match = _TOKEN.match(src, pos)
        if match is None:  # KaTeX: "Unexpected character"
            return (src[pos], 0), pos + 1
        pos = match.end()
        text = match.group(6) or match.group(3) or ("\\ " if match.group(2) else " ")
        if text == "%" and percent_comments:
            newline = src.find("\n", pos)
            pos = len(src) if newline < 0 else newline + 1
            continue
        return (text, 0), pos
    return _EOF, pos


def _tokens(tex: str) -> tuple:
    out = []
    token, pos = _lex(tex, 0)
    while token is not _EOF:
        out.append(token)
        token, pos = _lex(tex, pos)
    return tuple(out)


@dataclass(frozen=True)
class _Macro:
    nargs: int
    delimiters: tuple | None  # KaTeX's: tokens before #1, after #1, ...; None for \newcommand
    body: tuple
    unexpandable: bool = False  # \let to a primitive: \edef leaves it alone


@dataclass
class Nesting:
    """What NestingGauge.measure found: the depth, and the problem if the formula is refused."""

    depth: int
    problem: str | None = None
    definitions: dict = field(default_factory=dict, repr=False)
    source: str = field(default="", repr=False)  # the formula measured


def nesting_depth(tex: str) -> int:
    """How deeply KaTeX will nest this formula, with only the site and KaTeX macros defined."""
    return NestingGauge().measure(tex).depth


class NestingGauge:
    """Bounds nesting depth across the formulas of one note (or one annotation) in render order.

    KaTeX renders a note's formulas in one batch with one macro table: a macro defined in one
    formula (\\def, \\gdef, \\edef, \\xdef, \\let, \\futurelet, \\newcommand, ...) is there in
    the later ones, on top of the site macros and KaTeX's own (read from katex.min.js). So the
    gauge keeps the same table, and measures each formula the way KaTeX reads it: macros are
    expanded with KaTeX's rules (delimited parameters, braces stripped from arguments, \\edef
    expanding at once, \\let copying the meaning of the moment), and nesting is counted on
    what comes out: braces, \\begingroup, \\left…\\right, environments, optional arguments
    such as \\sqrt[...], math inside \\text, and style/size/colour switches. A macro used many
    times side by side adds nothing; one that opens more than it closes, or nests inside
    itself through its arguments, is counted as deep as KaTeX would go.

    KaTeX undoes a definition at the end of the group it was made in; to keep the same table
    the gauge accepts non-global definitions only at the top level of a formula (not inside
    braces, environments or optional arguments, and not made by another macro); elsewhere
    \\gdef (or \\global) is needed.

    measure() changes nothing; adopt() takes in a measured formula's definitions once the
    formula is sure to be rendered.
    """

    def __init__(
        self,
        *,
        limit: int = MAX_NESTING_DEPTH,
        max_tokens: int = MAX_EXPANDED_TOKENS,
        max_total_tokens: int = MAX_EXPANDED_TOKENS_PER_NOTE,
        macros: dict | None = None,
    ):
        self.limit = limit
        self.max_tokens = max_tokens
        self.max_total_tokens = self.total_left = max_total_tokens
        self.macros: dict = dict(_site_macros() if macros is None else macros)
        # The table is the site's and KaTeX's plus what the adopted formulas defined, so it is
        # named by the text of those formulas in order; with the formula's own text and the
        # limits, that decides the measure, which every gauge of the process can then share
        # (notes are re-rendered whole: on every save, preview and rerender). None: a table
        # given by the caller, measured afresh every time.
        self._table: str | None = "" if macros is None else None

    def is_site_meaning(self, name: str) -> bool:
        """`name` is a site macro that no formula measured here has redefined."""
        site = _site_macros()
        return name in site and self.macros.get(name) is site[name]

    @property
    def exhausted(self) -> bool:
        """The formulas measured so far used the whole budget of the note."""
        return self.total_left <= 0

    def measure(self, tex: str) -> Nesting:
        key = None
        if self._table is not None and self.total_left >= self.max_tokens:
            key = (tex, self._table, self.limit, self.max_tokens)
            if key in _MEASURED:
                measured, read = _MEASURED[key]
                self.total_left -= read
                return measured
        measured, read = self._measure(tex)
        self.total_left -= read
        if key is not None:
            _remember(key, measured, read)
        return measured

    def _measure(self, tex: str) -> tuple[Nesting, int]:
        if self.total_left < self.max_tokens:
            budget = max(self.total_left, 0)
            over = (
                f"the formulas here expand to more than {self.max_total_tokens:,} tokens in all "
                "through their macros; simplify the macros"
            )
        else:
            budget = self.max_tokens
            over = f"formula expands to more than {self.max_tokens:,} tokens through its macros; simplify them"
        run = _Run(tex, self.macros, budget, over)
        problem = None
        try:
            run.run()
        except _OverBudget as exc:
            problem = str(exc)
        if run.peak > self.limit:
            at_least = "at least " if problem else ""
            problem = (
                f"formula nests {at_least}{run.peak} levels deep (braces, \\left…\\right, environments, "
                f"macros); the limit is {self.limit}: simplify it"
            )
        elif problem is None and run.local_problem:
            problem = run.local_problem
        return Nesting(run.peak, problem, run.defined, tex), run.read

    def adopt(self, measured: Nesting) -> None:
        """Keep the definitions of a formula that is going to be rendered."""
        if measured.definitions:
            self.macros.update(measured.definitions)
            if self._table is not None:
                self._table = hashlib.sha256(f"{self._table}\0{measured.source}".encode()).hexdigest()


# Measures shared by the gauges of a process: (tex, table, limit, max tokens) -> (Nesting,
# tokens read). A Nesting is never changed once made (adopt only reads its definitions).
# Bounded by the formulas' total length (many times the starter notes' formulas), then started
# afresh: a flood of long formulas costs memory for a moment, never without end.
MEASURED_CACHE_CHARS = 16_000_000
_MEASURED: dict[tuple, tuple[Nesting, int]] = {}
_measured_chars = 0


def _remember(key: tuple, measured: Nesting, read: int) -> None:
    global _measured_chars
    if _measured_chars + len(key[0]) > MEASURED_CACHE_CHARS:
        _MEASURED.clear()
        _measured_chars = 0
    _MEASURED[key] = (measured, read)
    _measured_chars += len(key[0])


class _Run:
    """One formula through the gauge: a token stack over a lazy lexer, as in KaTeX's gullet."""

    def __init__(self, tex: str, macros: dict, budget: int, over_budget: str):
        self.macros = macros
        self.defined: dict = {}  # this formula's definitions, over macros
        self.src = tex
        self.pos = 0
        self.percent_comments = True
        self.stack: list = []
        self.frames: list[str] = []
        self.scopes = 0  # open frames that are a macro scope in KaTeX
        self.peak = 0
        self.read = 0
        self.budget = budget
        self.over_budget = over_budget
        self.expansions = 0
        self.prefixes = 0  # \global and \long just read
        self.prefixed_global = False
        self.local_problem: str | None = None

    # -- tokens ---------------------------------------------------------------------------

    def lex(self):
        token, self.pos = _lex(self.src, self.pos, self.percent_comments)
        self.charge(1)
        return token

    def future(self):
        if not self.stack:
            self.stack.append(self.lex())
        return self.stack[-1]

    def pop(self):
        if not self.stack:
            return self.lex()
        return self.stack.pop()

    def push_all(self, tokens) -> None:
        self.stack.extend(reversed(tokens))

    def consume_spaces(self) -> None:
        while self.future()[0] == " ":
            self.stack.pop()

    def lookup(self, text: str):
        found = self.defined.get(text)
        return self.macros.get(text) if found is None else found

    def consume_arg(self, delimiters=None) -> list:
        """KaTeX's MacroExpander.consumeArg: one argument, unexpanded, outer braces stripped."""
        tokens = []
        delimited = bool(delimiters)
        if not delimited:
            self.consume_spaces()
        start = self.future()
        depth = matched = 0
        while True:
            token = self.pop()
            if token is _EOF:
                self.stack.append(token)
                break  # KaTeX: "Unexpected end of input in a macro argument"
            text = token[0]
            if text == "}" and depth == 0:
                self.stack.append(token)
                break  # KaTeX: "Extra }"
            tokens.append(token)
            if text == "{":
                depth += 1
            elif text == "}":
                depth -= 1
            if delimited:
                wanted = delimiters[matched]
                if (depth == 0 or (depth == 1 and wanted == "{")) and text == wanted:
                    matched += 1
                    if matched == len(delimiters):
                        del tokens[-matched:]
                        break
                else:
                    matched = 0
            elif depth == 0:
                break
        if start[0] == "{" and tokens and tokens[-1][0] == "}":
            tokens = tokens[1:-1]
        return tokens

    def consume_args(self, nargs: int, delimiters=None) -> list[list]:
        if delimiters:
            for wanted in delimiters[0]:
                token = self.pop()
                if token[0] != wanted:  # KaTeX: "Use of the macro doesn't match its definition"
                    self.stack.append(token)
                    break
        return [self.consume_arg(delimiters[i + 1] if delimiters else None) for i in range(nargs)]

    # -- expansion --------------------------------------------------------------------------

    def count_expansions(self, n: int) -> None:
        self.expansions += n
        if self.expansions > MAX_MACRO_EXPANSIONS:
            raise _OverBudget("Too many expansions: infinite loop or need to increase maxExpand setting")

    def expand(self, token, macro) -> None:
        self.count_expansions(1)
        if callable(macro):
            macro(self, token)
            return
        args = self.consume_args(macro.nargs, macro.delimiters)
        out = []
        body = macro.body
        i = 0
        while i < len(body):
            text, flags = body[i]
            if text == "#" and macro.nargs and i + 1 < len(body):  # as KaTeX: only with arguments
                following = body[i + 1][0]
                if following == "#":
                    out.append(("#", flags | _EXPANDED))
                    i += 2
                    continue
                if len(following) == 1 and "1" <= following <= "9" and int(following) <= len(args):
                    out.extend(args[int(following) - 1])
                    i += 2
                    continue
            out.append((text, flags | _EXPANDED))
            i += 1
        self.charge(len(out))
        self.push_all(out)

    def expand_once(self) -> None:
        token = self.pop()
        macro = None if token[1] & _NOEXPAND else self.lookup(token[0])
        if macro is None:
            self.stack.append(token)
        else:
            self.expand(token, macro)

    def expand_tokens(self, tokens) -> list:
        """KaTeX's expandTokens (\\edef): expand everything that expands, keep the rest."""
        out = []
        floor = len(self.stack)
        self.push_all(tokens)
        while len(self.stack) > floor:
            token = self.stack.pop()
            macro = None if token[1] & _NOEXPAND else self.lookup(token[0])
            if macro is None or (not callable(macro) and macro.unexpandable):
                # KaTeX forgets a \noexpand here (the macro expands when the result is used)
                # but keeps the mark \let put on a primitive.
                out.append((token[0], token[1] & _EXPANDED) if token[1] & _RELAX else token)
            else:
                self.expand(token, macro)
        self.count_expansions(len(out))
        return out

    def charge(self, tokens: int) -> None:
        """Count tokens read from the formula or put out by a macro, against the budget."""
        self.read += tokens
        if self.read > self.budget:
            raise _OverBudget(self.over_budget)

    # -- definitions ------------------------------------------------------------------------

    def define(self, name: str, meaning, token, command: str, is_global: bool) -> None:
        if not is_global and (self.scopes or token[1] & _EXPANDED) and self.local_problem is None:
            where = "inside a macro" if token[1] & _EXPANDED else "inside braces, an environment or [...]"
            self.local_problem = (
                f"{command}{name} is defined {where}, where KaTeX keeps it local: define macros at the "
                "top level of a formula, or make them global with \\gdef"
            )
        self.defined[name] = meaning

    def meaning_of(self, token) -> _Macro:
        macro = self.lookup(token[0])
        if macro is None:
            return _Macro(0, None, ((token[0], token[1] | _NOEXPAND),), unexpandable=True)
        return macro

    def do_def(self, token, command: str, is_global: bool) -> None:
        name = self.pop()
        if name is _EOF or name[0] in _NOT_A_NAME:
            return  # KaTeX: "Expected a control sequence"
        nargs = 0
        delimiters: list[list[str]] = [[]]
        brace = None
        while self.future()[0] != "{":
            part = self.pop()
            if part is _EOF:
                return  # KaTeX: "Expected a macro definition"
            if part[0] == "#":
                if self.future()[0] == "{":
                    brace = self.future()
                    delimiters[nargs].append("{")
                    break
                number = self.pop()
                if number[0] != str(nargs + 1):
                    return  # KaTeX: invalid or out-of-order argument number
                nargs += 1
                delimiters.append([])
            else:
                delimiters[nargs].append(part[0])
        body = self.consume_arg()
        if brace is not None:
            body.insert(0, brace)
        if command in ("\\edef", "\\xdef"):
            body = self.expand_tokens(body)
        frozen = tuple(tuple(d) for d in delimiters)
        self.define(name[0], _Macro(nargs, frozen, tuple(body)), token, command, is_global or _DEFS[command])

    def do_let(self, token, is_global: bool) -> None:
        name = self.pop()
        if name is _EOF or name[0] in _NOT_A_NAME:
            return
        self.consume_spaces()
        target = self.pop()
        if target[0] == "=":
            target = self.pop()
            if target[0] == " ":
                target = self.pop()
        self.define(name[0], self.meaning_of(target), token, "\\let", is_global)

    def do_futurelet(self, token, is_global: bool) -> None:
        name = self.pop()
        if name is _EOF or name[0] in _NOT_A_NAME:
            return
        first, second = self.pop(), self.pop()
        self.define(name[0], self.meaning_of(second), token, "\\futurelet", is_global)
        self.stack.append(second)
        self.stack.append(first)

    # -- the walk ---------------------------------------------------------------------------

    def open(self, kind: str) -> None:
        self.frames.append(kind)
        if kind in _SCOPES:
            self.scopes += 1
        if len(self.frames) > self.peak:
            self.peak = len(self.frames)

    def close_switches(self) -> None:
        frames = self.frames
        while frames and frames[-1] == "s":
            frames.pop()

    def close(self) -> None:
        self.close_switches()
        if self.frames and self.frames.pop() in _SCOPES:
            self.scopes -= 1

    def run(self) -> None:
        while True:
            token = self.pop()
            if token is _EOF:
                return
            if not token[1] & _NOEXPAND:
                macro = self.lookup(token[0])
                if macro is not None:
                    self.expand(token, macro)
                    continue
            elif token[1] & _RELAX:
                continue
            if self.prefixes and self.after_prefix(token):
                continue
            if not self.structure(token):
                self.command(token)

    def structure(self, token) -> bool:
        """Open or close frames for token; False if it does neither."""
        text = token[0]
        kind = _OPEN.get(text)
        if kind is not None:
            self.open(kind)
        elif text in _CLOSE or token is _OPTIONAL_END:
            self.close()
        elif text in _SWITCHES:
            self.open("s")
        elif text == "$":
            if self.top_frame() == "$":
                self.close()
            else:
                self.open("$")
        elif text == "&":
            self.close_switches()
        elif text in ("\\\\", "\\cr"):
            if self.top_frame() == "e":
                self.close_switches()
        else:
            return False
        return True

    def top_frame(self) -> str:
        """The innermost frame that is not a switch."""
        for kind in reversed(self.frames):
            if kind != "s":
                return kind
        return ""

    def command(self, token) -> None:
        text = token[0]
        if text in _OPTIONAL_MATH_ARG:
            self.consume_spaces()
            if self.future()[0] == "[":
                self.pop()
                inside = self.consume_arg(["]"])
                self.stack.append(_OPTIONAL_END)
                self.push_all(inside)
                self.open("b")
        elif text in _PREFIXES:
            self.prefix(text)
        elif text in _URL_ARG:
            self.push_all(self.percent_argument())
        elif text in _RAW_ARG:
            self.consume_spaces()
            self.push_all(self.percent_argument())
        elif text == "\\includegraphics":
            self.consume_spaces()
            self.percent_comments = False
            optional = []
            if self.future()[0] == "[":
                optional = [self.pop(), *self.consume_arg(["]"]), ("]", 0)]
            self.percent_comments = True
            self.push_all(optional + self.percent_argument())
        else:
            self.definition(token, is_global=False)

    def prefix(self, text: str) -> None:
        """\\global or \\long: KaTeX parses what follows one level deeper."""
        self.prefixes += 1
        self.prefixed_global = self.prefixed_global or text == "\\global"
        self.peak = max(self.peak, len(self.frames) + self.prefixes)

    def after_prefix(self, token) -> bool:
        """The token after a prefix; True if it is used up here."""
        if token[0] == " ":
            return True
        if token[0] in _PREFIXES:
            self.prefix(token[0])
            return True
        is_global, self.prefixes, self.prefixed_global = self.prefixed_global, 0, False
        # anything but a definition is KaTeX's "Invalid token after macro prefix": read on
        return self.definition(token, is_global)

    def definition(self, token, is_global: bool) -> bool:
        text = token[0]
        if text in _DEFS:
            self.do_def(token, text, is_global)
        elif text == "\\let":
            self.do_let(token, is_global)
        elif text == "\\futurelet":
            self.do_futurelet(token, is_global)
        else:
            return False
        return True

    def percent_argument(self) -> list:
        """An argument KaTeX lexes with % as a character (URL, raw), to be read on as tokens."""
        self.percent_comments = False
        argument = self.consume_arg()
        self.percent_comments = True
        return argument


# -- KaTeX's function-like macros, as the gauge needs them ----------------------------------


def _first_of_two(run: _Run, token) -> None:
    run.push_all(run.consume_args(2)[0])


def _second_of_two(run: _Run, token) -> None:
    run.push_all(run.consume_args(2)[1])


def _if_next_char(run: _Run, token) -> None:
    char, yes, no = run.consume_args(3)
    run.consume_spaces()
    run.push_all(yes if len(char) == 1 and char[0][0] == run.future()[0] else no)


def _text_or_math(run: _Run, token) -> None:
    # KaTeX takes one branch by mode; the gauge does not follow modes and reads both.
    text, math = run.consume_args(2)
    run.push_all(text + math)


def _expandafter(run: _Run, token) -> None:
    held = run.pop()
    run.expand_once()
    run.stack.append(held)


def _noexpand(run: _Run, token) -> None:
    following = run.pop()
    macro = run.lookup(following[0])
    if macro is not None and (callable(macro) or not macro.unexpandable):
        following = (following[0], following[1] | _NOEXPAND | _RELAX)
    run.stack.append(following)


def _newcommand(replace: bool, create: bool, provide: bool):
    command = "\\providecommand" if provide else "\\renewcommand" if replace and not create else "\\newcommand"

    def define(run: _Run, token) -> None:
        name = run.consume_arg()
        if len(name) != 1:
            return  # KaTeX: "\newcommand's first argument must be a macro name"
        name = name[0][0]
        exists = run.lookup(name) is not None
        if exists and not replace:
            return  # KaTeX: "attempting to redefine"; KaTeX's own functions are not known here
        nargs = 0
        body = run.consume_arg()
        if len(body) == 1 and body[0][0] == "[":
            digits = ""
            while (part := run.pop()) is not _EOF and part[0] != "]":
                digits += part[0]
            nargs = int(digits) if digits.strip().isdigit() else 0
            body = run.consume_arg()
        if exists and provide:
            return
        run.define(name, _Macro(nargs, None, tuple(body)), token, command, False)

    return define


_DIGITS = {c: int(c, 16) for c in "0123456789abcdefABCDEF"}


def _char(run: _Run, token) -> None:
    # \char reads its number raw (\char`\x, \char"338, \char'17, \char65): nothing in it expands.
    first = run.pop()
    base = {"'": 8, '"': 16}.get(first[0], 10)
    if first[0] == "`":
        run.pop()
    else:
        if base != 10:
            first = run.pop()
        if _DIGITS.get(first[0], base) < base:
            while _DIGITS.get(run.future()[0], base) < base:
                run.pop()
    run.push_all([("\\@char", _EXPANDED), ("{", _EXPANDED), ("0", _EXPANDED), ("}", _EXPANDED)])


def _show(run: _Run, token) -> None:
    run.pop()  # \show prints the next token's meaning to the console


def _message(run: _Run, token) -> None:
    run.consume_args(1)  # \message and \errmessage print their argument


_FUNCTION_MACROS = {
    "\\char": _char,
    "\\show": _show,
    "\\message": _message,
    "\\errmessage": _message,
    "\\@firstoftwo": _first_of_two,
    "\\@secondoftwo": _second_of_two,
    "\\@ifnextchar": _if_next_char,
    "\\TextOrMath": _text_or_math,
    "\\expandafter": _expandafter,
    "\\noexpand": _noexpand,
    "\\newcommand": _newcommand(replace=False, create=True, provide=False),
    "\\renewcommand": _newcommand(replace=True, create=False, provide=False),
    "\\providecommand": _newcommand(replace=True, create=True, provide=True),
}


def _macro_from_text(body: str) -> _Macro:
    """A macro given as text, counting its parameters as KaTeX does (#1, #2, ... present)."""
    nargs = 0
    plain = body.replace("##", "")
    while f"#{nargs + 1}" in plain:
        nargs += 1
    return _Macro(nargs, None, _tokens(body))


_JS_STRING = r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'"""
_JS_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)")


def _js_string(literal: str) -> str:
    def unescape(match: re.Match) -> str:
        code = match.group(1)
        return chr(int(code[1:], 16)) if len(code) > 1 else {"n": "\n", "r": "\r", "t": "\t"}.get(code, code)

    return _JS_ESCAPE.sub(unescape, literal[1:-1])


@lru_cache(maxsize=1)
def katex_macros() -> dict[str, str]:
    """KaTeX's built-in macros that are plain text (defineMacro(name, "body")), read from the
    vendored katex.min.js, so that the gauge expands them as KaTeX does: a note may redefine
    what they are made of (\\renewcommand{\\textcolor}... changes \\red)."""
    source = KATEX_JS.read_text(encoding="utf-8")
    define = re.search(r'(\w+)\("\\\\bgroup","\{"\)', source)  # defineMacro, under its minified name
    found = {}
    if define:
        for name, body in re.findall(rf"\b{define.group(1)}\(({_JS_STRING}),({_JS_STRING})\)", source):
            found[_js_string(name)] = _js_string(body)
    if len(found) < 200:  # a KaTeX update changed the file's shape: make this function find them again
        raise RuntimeError(f"found {len(found)} of KaTeX's macros in {KATEX_JS.name}, expected about 300")
    return found


@lru_cache(maxsize=1)
def _site_macros() -> dict:
    """KaTeX's built-in macros and the site macros, as every note starts with them."""
    builtins = {name: _macro_from_text(body) for name, body in katex_macros().items()}
    gauge = NestingGauge(macros={**builtins, **_FUNCTION_MACROS})
    gauge.adopt(gauge.measure(SITE_MACROS.read_text(encoding="utf-8")))
    return gauge.macros
