"""The nesting bound (math.NestingGauge): deep formulas are refused before KaTeX runs, the same
way in every thread and engine state, and macros are no way around it. Real KaTeX throughout."""

import json
import re
import threading

import pytest

from notes.rendering import katex, render
from notes.rendering.nesting import (
    _OPTIONAL_MATH_ARG,
    MAX_NESTING_DEPTH,
    NestingGauge,
    katex_macros,
    nesting_depth,
)
from notes.rendering.untrusted import MAX_NESTING_DEPTH as UNTRUSTED_MAX_NESTING_DEPTH
from notes.rendering.untrusted import render_untrusted
from tests.conftest import note_source

KATEX_JS = katex.KATEX_JS


def rendered(body):
    return render(note_source(body=body), slug="here")


def messages(result):
    return [str(p) for p in result.errors]


def too_deep(depth, limit=MAX_NESTING_DEPTH):
    return (
        f"formula nests {depth} levels deep (braces, \\left…\\right, environments, macros); "
        f"the limit is {limit}: simplify it"
    )


def left_right(levels):
    return "\\left(" * levels + "x" + "\\right)" * levels


# -- the same answer in every process, thread and engine state ---------------------------------


def _warm_up_engine():
    ordinary = r"\frac{a_{%d}}{\sqrt{b}} + \left(\sum_i x_i\right) + \begin{pmatrix} a & b \\ c & d \end{pmatrix}"
    for i in range(40):
        body = "\n\n".join(f"$${ordinary % (i + j)}$$ and ${left_right(60 + j)}$" for j in range(10))
        assert rendered(body).ok


@pytest.mark.parametrize("levels", [1400, 1000])
def test_deep_left_right_is_refused_alike_in_the_main_thread_a_new_thread_and_a_warm_engine(levels):
    body = f"$${left_right(levels)}$$"
    expected = [f"7:3: math: {too_deep(levels)}"]

    katex.engine_pool().retire_all()  # a fresh engine
    assert messages(rendered(body)) == expected

    katex.engine_pool().retire_all()
    seen = {}
    thread = threading.Thread(target=lambda: seen.update(result=rendered(body)))
    thread.start()
    thread.join()
    assert messages(seen["result"]) == expected

    katex.engine_pool().retire_all()
    _warm_up_engine()
    assert messages(rendered(body)) == expected
    assert rendered("$x$").ok  # the engine still serves


def test_depth_at_the_limit_is_accepted_and_one_more_is_refused():
    limit = MAX_NESTING_DEPTH
    for make in (
        lambda n: "{" * n + "x" + "}" * n,
        left_right,
        lambda n: "\\begin{matrix}" * n + "x" + "\\end{matrix}" * n,  # the name group {matrix} is one more
        lambda n: "\\sqrt{" * n + "x" + "}" * n,
    ):
        at_limit = make(limit) if nesting_depth(make(limit)) == limit else make(limit - 1)
        assert nesting_depth(at_limit) == limit
        assert rendered(f"$${at_limit}$$").ok
        over = make(limit + 1)
        assert nesting_depth(over) > limit
        assert messages(rendered(f"$${over}$$")) == [f"7:3: math: {too_deep(nesting_depth(over))}"]


# -- what counts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tex, depth",
    [
        ("x", 0),
        (r"\{x\}", 0),
        ("{x}", 1),
        ("{a}{b}{c}", 1),
        (r"\left\{ a \middle| b \right\}", 1),
        (r"\begingroup x \endgroup", 1),
        (r"\bgroup x \egroup", 1),
        (r"\begin{matrix} a & b \\ c & d \end{matrix}", 2),  # the environment, and {matrix} in it
        (r"\sqrt[3]{x}", 1),  # the optional argument is a level, like the braces
        (r"\sqrt[{\sqrt[{x}]{y}}]{z}", 2),
        (r"\text{$\text{$x$}$}", 4),  # math inside text nests
        (r"\displaystyle a \displaystyle b", 2),  # a switch runs to the end of its group
        (r"{\displaystyle a} {\displaystyle b}", 2),
        (r"\begin{aligned} \displaystyle a &= b \\ \displaystyle c &= d \end{aligned}", 2),  # ends at & and \\
        (r"\color{red} a \color{blue} b", 3),
        (r"\verb|{{{|", 0),
        ("{%}}}}\n}", 1),  # a comment
        (r"\url{a%}{{x}}", 2),  # but in a URL % is a character
        (r"\boxed{x}", 4),  # \fbox{$\displaystyle{#1}$}
        (r"\norm{\norm{x}}", 2),  # site macros expand
        (r"\KL(p \| q) + \E[\bx] + \KL(q \| p)", 2),
    ],
)
def test_what_nests(tex, depth):
    assert nesting_depth(tex) == depth


def test_brace_free_chains_of_functions_do_not_nest_in_katex():
    # KaTeX 0.19 refuses a function as the unbraced argument of another, so \sqrt\sqrt x or
    # \frac\frac... need no counting; style switches do nest and are counted.
    out = katex.render_batch([(r"\sqrt\sqrt x", False), (r"\mathbf\mathbf x", False), (r"\frac\frac 1 2 3 4", False)])
    assert "Got function '\\sqrt' with no arguments as argument to '\\sqrt'" in out[0]["error"]
    assert "error" in out[1] and "error" in out[2]
    assert nesting_depth(r"\displaystyle " * 150 + "x") == 150
    assert nesting_depth(r"\Large " * 150 + "x") == 150


# -- macros --------------------------------------------------------------------------------------


def test_macro_amplified_nesting_across_formulas_is_refused():
    braces = "{" * 90 + "#1" + "}" * 90
    body = (
        f"Define $\\gdef\\a#1{{{braces}}}$, then $\\gdef\\b#1{{\\a{{\\a{{\\a{{#1}}}}}}}}$.\n\n"
        "Use them: $\\b{\\b{x}}$ and $\\a{x}$."
    )
    result = rendered(body)
    assert messages(result) == [f"9:12: math: {too_deep(2 * 3 * 90)}"]  # each formula alone stays shallow


@pytest.mark.parametrize(
    "definition, use, depth",
    [
        (r"\def\l{\left(}", r"\l" * 500 + " x" + r"\right)" * 500, 500),  # opens more than it closes
        (r"\newcommand{\w}[1]{{{#1}}}", r"\w{" * 60 + "x" + "}" * 60, 120),  # KaTeX strips outer braces
        (r"\let\o\left", r"\o(" * 150 + "x" + r"\right)" * 150, 150),
        (r"\global\def\l{\left(}", r"\l " * 150 + "x", 150),
        (r"\def\d{{{{{{{{{{x}}}}}}}}}}\edef\e{\d\d}\def\d{}", "{" * 95 + r"\e" + "}" * 95, 95 + 9),
        (r"\renewcommand{\E}{\left(\mathbb{E}}", r"\E " * 150 + "x", 151),  # 150 \left, then {E}
        (r"\def\m#1.{{{{#1.}}}}", r"\m" * 40 + " x.", 120),  # delimited: each \m wraps the next
        (r"\def({\bgroup}", "(" * 150 + "x", 150),  # any character can be a macro
        (r"\def\x{\bgroup}", r"\x " * 150 + "x", 150),
    ],
)
def test_macros_are_no_way_around_the_limit(definition, use, depth):
    # The definition in one formula, the use in a later one, as KaTeX shares them in a note.
    result = rendered(f"Define ${definition}$ first.\n\nThen $${use}$$")
    assert [e.message for e in result.errors] == [f"math: {too_deep(depth)}"]


def test_a_long_ordinary_formula_using_site_macros_many_times_is_accepted():
    term = r"\KL(p \| q) + \E_{\bx \sim p}[\norm{\bW\T \bx}^2] + \ip{\bx}{\by} + \softmax(\bz)_i + \abs{\R}"
    tex = " + ".join([term] * 25)  # KaTeX allows 1000 macro expansions per formula
    assert nesting_depth(tex) <= 3
    uses = " + ".join([r"\w{\bx}"] * 300)
    result = rendered(f"$${tex}$$\n\n$$\\newcommand{{\\w}}[1]{{{{#1}}}}{uses}$$")
    assert result.ok, messages(result)


def test_a_refused_formulas_macros_do_not_reach_later_formulas():
    # KaTeX never sees the refused formula, so the gauge forgets its definitions too.
    result = rendered(f"$\\gdef\\q{{x}}{left_right(150)}$ and $\\q$")
    assert len(result.errors) == 2
    assert "nests 150 levels deep" in result.errors[0].message
    assert "Undefined control sequence: \\q" in result.errors[1].message


def test_a_local_definition_must_be_at_the_top_level_of_a_formula():
    # KaTeX drops a definition at the end of its group (but not of \left...\right), so the gauge
    # would lose track of the macro table; it asks for \gdef there instead.
    out = katex.render_batch([(r"{\def\q{x}}\q", False), (r"\left(\def\q{x}\right)\q", False)])
    assert out[0]["error"] == "Undefined control sequence: \\q"
    assert "html" in out[1]
    result = rendered(r"$\frac{\def\q{x}}{2}$, $\newcommand{\r}{\def\q{x}}\r$ and $\frac{\gdef\q{x}}{2}\q$")
    assert [e.message for e in result.errors] == [
        "math: \\def\\q is defined inside braces, an environment or [...], where KaTeX keeps it local: "
        "define macros at the top level of a formula, or make them global with \\gdef",
        "math: \\def\\q is defined inside a macro, where KaTeX keeps it local: "
        "define macros at the top level of a formula, or make them global with \\gdef",
    ]


def test_runaway_macros_are_refused_in_katex_words():
    result = rendered(r"$$\def\a{\a\a}\a$$")
    assert messages(result) == ["7:3: math: Too many expansions: infinite loop or need to increase maxExpand setting"]


def test_the_gauge_bounds_its_own_work():
    gauge = NestingGauge(max_tokens=1_000, max_total_tokens=5_000)
    gauge.adopt(gauge.measure(r"\gdef\a{" + "x" * 100 + "}"))
    assert gauge.measure(r"\a" * 20).problem == (
        "formula expands to more than 1,000 tokens through its macros; simplify them"
    )
    for _ in range(6):
        last = gauge.measure(r"\a" * 9)
    assert last.problem.startswith("the formulas here expand to more than 5,000 tokens in all")


# -- annotations ---------------------------------------------------------------------------------


def test_untrusted_bodies_use_the_same_measure_with_their_own_limit():
    limit = UNTRUSTED_MAX_NESTING_DEPTH
    # 1000 nested \left( fit an annotation only through macros (formulas are 2,000 characters)
    macros = "$\\gdef\\ten{" + "\\left(" * 10 + "}\\gdef\\net{" + "\\right)" * 10 + "}$"
    deep = r"\ten" * 100 + " x" + r"\net" * 100
    refused = render_untrusted(f"Deep: {macros} ${deep}$")
    assert refused.errors == [f"math: {too_deep(1000, limit)} in ${deep[:37]}...$"]
    # the note pipeline counts the same, against its own limit
    assert [e.message for e in rendered(f"{macros} ${deep}$").errors] == [f"math: {too_deep(1000)}"]

    assert render_untrusted(f"${'{' * limit}x{'}' * limit}$").ok
    over = render_untrusted(f"${'{' * (limit + 1)}x{'}' * (limit + 1)}$")
    assert over.errors == [f"math: {too_deep(limit + 1, limit)} in ${'{' * 37}...$"]
    assert rendered(f"${'{' * (limit + 1)}x{'}' * (limit + 1)}$").ok


# -- the gauge against the vendored KaTeX ------------------------------------------------------------


def test_the_gauge_expands_katexs_own_macros():
    macros = katex_macros()  # read from the vendored katex.min.js
    assert len(macros) > 250
    assert macros["\\bgroup"] == "{"
    assert macros["\\boxed"] == "\\fbox{$\\displaystyle{#1}$}"
    assert macros["\\red"] == "\\textcolor{##df0030}{#1}"
    # so a built-in made of something a note redefines nests as it does in KaTeX
    redefine = r"\renewcommand{\textcolor}[2]{\left(#2}"
    small = redefine + r"\red{x}" * 5 + r"\right)" * 5
    assert "html" in katex.render_batch([(small, True)])[0]
    assert nesting_depth(small) == 5
    result = rendered("$$" + redefine + r"\red{x}" * 150 + "$$")
    assert [e.message for e in result.errors] == [f"math: {too_deep(150)}"]
    # \char reads its character raw, as KaTeX does (≠ and ∉ are macros that end in \char`≠)
    assert nesting_depth(r"a \neq b \notin c \copyright \char`\x \char\"338 \char'17 \char65") <= 4


def test_optional_arguments_katex_parses_are_known():
    source = KATEX_JS.read_text(encoding="utf-8")
    names = set()
    for match in re.finditer(r"numOptionalArgs:[1-9]", source):
        listed = re.findall(r"names:\[([^\]]*)\]", source[: match.start()])[-1]
        names |= {json.loads(n) for n in re.findall(r'"(?:[^"\\]|\\.)*"', listed)}
    internal = {n for n in names if n.startswith("\\\\")}  # \\cdrightarrow and the like: not typeable
    assert names - internal - {"\\includegraphics"} == _OPTIONAL_MATH_ARG


def test_measures_are_shared_only_between_gauges_with_the_same_macros():
    # Gauges share measures of the same formula under the same macro table; a note whose
    # earlier formula defined a macro has another table, so the same text is measured anew.
    plain = NestingGauge()
    assert plain.measure(r"\deepm").depth == 0  # undefined here: KaTeX's error, not deep
    defining = NestingGauge()
    definition = defining.measure(r"\gdef\deepm{{{{{x}}}}}")
    defining.adopt(definition)
    assert defining.measure(r"\deepm").depth == 4  # the body inside the definition's braces
    assert NestingGauge().measure(r"\deepm").depth == 0
    too_deep = NestingGauge(limit=3)
    too_deep.adopt(too_deep.measure(r"\gdef\deepm{{{{{x}}}}}"))
    assert "nests 4 levels deep" in too_deep.measure(r"\deepm").problem
