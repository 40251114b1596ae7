"""Numbers a note quotes, compared with the numbers its checks file computes.

A checks file may define `numbers_<name>()` functions besides its `check_<derivation>()`
functions. Each returns a dict: every key is an excerpt of the note's source, copied from the
note, with `{}` where a number stands; its value is the computed number (or a sequence of them,
one per `{}`, in order). The note itself carries no markup: a table row or a sentence reads as it
always did, and the excerpt around the number is what names it:

    def numbers_first_step():
        return {
            "is $(1 - \\beta_1)/\\sqrt{1 - \\beta_2} = {}$ times larger": (1 - B1) / np.sqrt(1 - B2),
            "| measured mean of $u$ | {} | {} | {} |": [0.0, 0.0993, 0.288],
        }

Matching collapses every run of whitespace to one space (so line breaks and the indentation of
admonitions do not matter), and each excerpt must occur exactly once in the note. A number is
written as the note prints it: `0.0993`, `−2.46` or `-2.46`, `60,000`, `4.04 \\times 10^{-5}`,
`10^{-11}`, `\\infty`. `{}` accepts the computed value within half a unit in the last printed
digit (0.0993 covers [0.09925, 0.09935]; 4600 covers [4599.5, 4600.5], so "about 4600" is
rounded to hundreds in the code, where the rounding can be read). `{=}` asks for equality with
the printed value (a count, "rounds to exactly 1"). A changed number on either side, or an
excerpt that no longer occurs once, fails with a message naming the excerpt, the note's value
and the computed one.

Pure Python, no Django: the check's child process imports it.
"""

import math
import re
from dataclasses import dataclass

NUMBERS_PREFIX = "numbers_"  # the functions of a checks file that return quoted numbers

_MANTISSA = r"[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_POWER = r"10\^(?:\{[-−]?\d+\}|\d)"
NUMBER = rf"(?:{_MANTISSA}(?:\s*\\times\s*{_POWER})?|[-−]?{_POWER}|[-−]?\\infty)"
_PLACEHOLDER = re.compile(r"\{=?\}")


@dataclass
class Quoted:
    excerpt: str
    index: int  # which number of the excerpt, from 1
    printed: str
    computed: float
    ratio: float  # |computed - printed| / tolerance; above 1 fails, inf for a missing excerpt
    message: str = ""


def parse(printed: str) -> tuple[float, float]:
    """The value of a printed number and half a unit in its last digit (0 for infinities)."""
    text = re.sub(r"\s", "", printed.replace("−", "-").replace(",", ""))
    sign = -1.0 if text.startswith("-") else 1.0
    text = text.removeprefix("-")
    if text == "\\infty":
        return sign * math.inf, 0.0
    mantissa, _, power = text.partition("\\times")
    if mantissa.startswith("10^"):
        mantissa, power = "1", mantissa
    exponent = int(power.removeprefix("10^").strip("{}")) if power else 0
    decimals = len(mantissa.partition(".")[2])
    return sign * float(mantissa) * 10.0**exponent, 0.5 * 10.0 ** (exponent - decimals)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _pattern(excerpt: str) -> tuple[re.Pattern, list[bool]]:
    pieces = _PLACEHOLDER.split(_squash(excerpt))
    exact = [p == "{=}" for p in _PLACEHOLDER.findall(excerpt)]
    regex = f"({NUMBER})".join(re.escape(piece) for piece in pieces)
    return re.compile(regex), exact


def _occurrences(pattern: re.Pattern, text: str) -> list[re.Match]:
    """Every match, overlapping ones included: an excerpt must be unique wherever it starts."""
    found, position = [], 0
    while (match := pattern.search(text, position)) is not None:
        found.append(match)
        position = match.start() + 1
    return found


def compare(note_text: str, quoted: dict) -> list[Quoted]:
    """Every number of every excerpt, judged; an excerpt that does not occur exactly once gives
    one entry with ratio inf and a message saying what to fix."""
    text = _squash(note_text)
    results = []
    for excerpt, value in quoted.items():
        pattern, exact = _pattern(excerpt)
        several = isinstance(value, (list, tuple)) or getattr(value, "ndim", 0) > 0  # a numpy array
        values = list(value) if several else [value]
        matches = _occurrences(pattern, text)
        problem = ""
        if len(values) != len(exact):
            problem = f"has {len(exact)} placeholder(s) but the code gives {len(values)} value(s)"
        elif not matches:
            problem = "does not occur in the note (with a number at each {})"
        elif len(matches) > 1:
            problem = f"occurs {len(matches)} times in the note; quote more context to make it unique"
        if problem:
            results.append(Quoted(excerpt, 0, "", math.nan, math.inf, f"{excerpt!r} {problem}"))
            continue
        for index, (printed, computed, equal) in enumerate(zip(matches[0].groups(), values, exact, strict=True), 1):
            results.append(_judge(excerpt, index, printed, float(computed), equal))
    return results


def _judge(excerpt: str, index: int, printed: str, computed: float, equal: bool) -> Quoted:
    shown, half_unit = parse(printed)
    if equal or math.isinf(shown) or not math.isfinite(computed):
        ratio = 0.0 if computed == shown else math.inf
        bound = "exactly"
    else:
        # The slack covers the binary representation of a decimal on the boundary.
        ratio = abs(computed - shown) / (half_unit * (1 + 1e-9))
        bound = f"within ±{half_unit:.3g}"
    message = ""
    if ratio > 1:
        message = (
            f"{excerpt!r}, number {index}: the note says {printed}, the code computes {computed:.6g} (needs {bound})"
        )
    return Quoted(excerpt, index, printed, computed, ratio, message)


def verdict(note_text: str, quoted: dict) -> tuple[float, str]:
    """(the largest ratio, a message naming every number that fails) for a numbers_ function."""
    results = compare(note_text, quoted)
    if not results:
        return math.inf, "quotes no numbers: a numbers_ function must return at least one excerpt"
    failures = [r.message for r in results if r.ratio > 1]
    worst = max(r.ratio for r in results)
    if failures:
        return worst, f"{len(failures)} of {len(results)} quoted numbers differ: " + "; ".join(failures)
    return worst, f"{len(results)} quoted numbers agree"
