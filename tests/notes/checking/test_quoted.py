"""Quoted numbers: how a note's printed number is read and judged against a computed one."""

import math

import pytest

from notes.checking.quoted import compare, parse, verdict

NOTE = """The step is $3.16$ times larger, and the bound is
    $7.27\\,\\eta$ (an indented, wrapped line).

| $t$ | 1 | 50 |
| --- | --- | --- |
| measured | 0.9999 | −2.46 |

It underflows below $5.46 \\times 10^{-3}$, moves to about $10^{-11}$, costs 60,000 steps,
rounds to exactly $1$ and overflows to $-\\infty$.
"""


@pytest.mark.parametrize(
    "printed, value, half_unit",
    [
        ("0.0993", 0.0993, 5e-5),
        ("−2.46", -2.46, 5e-3),
        ("-2.46", -2.46, 5e-3),
        ("60,000", 60000.0, 0.5),
        ("4.04 \\times 10^{-5}", 4.04e-5, 5e-8),
        ("10^{-11}", 1e-11, 5e-12),
        ("-10^9", -1e9, 5e8),
        ("\\infty", math.inf, 0.0),
    ],
)
def test_a_printed_number_is_read_with_half_a_unit_in_its_last_digit(printed, value, half_unit):
    shown, half = parse(printed)
    assert shown == pytest.approx(value) and half == pytest.approx(half_unit)


def test_numbers_within_the_printed_precision_agree():
    quoted = {
        "The step is ${}$ times larger, and the bound is ${}\\,\\eta$": (3.1623, 7.2703),
        "| measured | {} | {} |": [0.99994, -2.4649],
        "underflows below ${}$, moves to about ${}$, costs {} steps": (5.455e-3, 0.977e-11, 60000),
        "rounds to exactly ${=}$ and overflows to ${}$": (1.0, -math.inf),
    }
    results = compare(NOTE, quoted)
    assert len(results) == 9 and all(r.ratio <= 1 for r in results), [r.message for r in results]


@pytest.mark.parametrize(
    "excerpt, value, message",
    [
        ("The step is ${}$ times", 3.17, "the note says 3.16, the code computes 3.17 (needs within ±0.005)"),
        ("| measured | {} | {} |", [0.9999, -2.47], "number 2: the note says −2.46, the code computes -2.47"),
        ("rounds to exactly ${=}$", 0.9999, "the note says 1, the code computes 0.9999 (needs exactly)"),
        ("overflows to ${}$", -1e300, "the note says -\\infty"),
        ("The step is ${}$ times smaller", 3.16, "does not occur in the note"),
        ("| {} |", 1, "occurs 4 times in the note"),
        ("The step is ${}$ times", (3.16, 2.0), "has 1 placeholder(s) but the code gives 2 value(s)"),
    ],
)
def test_a_difference_on_either_side_fails_naming_the_number(excerpt, value, message):
    error, detail = verdict(NOTE, {excerpt: value})
    assert error > 1 and message in detail, detail


def test_a_numbers_function_must_quote_something():
    error, detail = verdict(NOTE, {})
    assert math.isinf(error) and "quotes no numbers" in detail
