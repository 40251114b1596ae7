"""Every check can fail: mutate the formula each check tests and require the check to fail.

The machinery is in mutations.py: a checks file marks the derived formula with `# formula`, and
every mutant of the marked code (an operator swapped, an operand or factor dropped, a sign
flipped, a function dropped, arguments swapped) must make the check fail. A surviving mutant is
either a check too weak to notice the change, which must be strengthened, or an equivalent
mutant, listed in EQUIVALENT with the reason it cannot change the result.
"""

import pytest

from tests.conftest import on_sqlite_only
from tests.notes.checking.mutations import mutants, survivors
from tests.notes.checking.test_corpus_checks import CHECKS

# The most mutants run per check: one of each kind on each marked line first (mutations.choose).
LIMIT = 12

# (note, check) -> {mutant description: why it cannot change the result}. Keep it small.
SYMMETRIC = "x @ D @ x with D diagonal (or x @ x) is the same number whichever side D multiplies from"
CYCLIC = "tr(A B) = tr(B A): the trace is invariant under cyclic shifts"
EQUIVALENT: dict[tuple[str, str], dict[str, str]] = {
    ("adam-adamw", "check_adamw_versus_l2"): {
        "operands of @ exchanged in `0.5 * lam * x @ np.diag(1 / p) @ x`": SYMMETRIC,
        "operands of @ exchanged in `0.5 * lam * x @ np.diag(1 / p)`": SYMMETRIC,
        "operands of @ exchanged in `0.5 * lam * x @ x`": SYMMETRIC,
    },
    ("kl-gaussians", "check_gaussian_kl_closed_form"): {"operands of @ exchanged in `S1i @ S0`": CYCLIC},
    ("kl-gaussians", "check_mc_kl_variance"): {"operands of @ exchanged in `S1i @ S0`": CYCLIC},
    ("convolution-linear-map", "check_conv_input_gradient"): {
        "first two arguments swapped in `np.clip(idx, 0, n - 1)`": "clip(0, idx, n - 1) is min(max(0, idx), n - 1), "
        "the same array as clip(idx, 0, n - 1)",
    },
    ("entropy-cross-entropy-kl", "check_ce_decomposition"): {
        "operands of @ exchanged in `-np.ones(b) @ (pm * np.log(qm)) @ np.ones(k)`": "the last product is the inner "
        "product of two vectors, the same in either order",
    },
    ("gans", "check_nonsaturating_reverse_kl"): {
        "first two arguments swapped in `_js(lpd, lpg(th))`": "the Jensen-Shannon divergence is symmetric",
    },
    ("matrix-calculus", "check_least_squares_gradient"): {
        "operands of @ exchanged in `(np.eye(n) - eta * H) @ (x - x_star)`": "I - eta H is symmetric (H = 2 A^T A), "
        "so it multiplies the error vector the same from either side",
    },
}


@on_sqlite_only
@pytest.mark.parametrize("path, name", CHECKS)
def test_every_mutant_of_the_checked_formula_fails_its_check(path, name):
    slug = path.stem.removesuffix(".checks")
    assert mutants(name, path.read_text()), (
        f"{path.name}: {name} marks no formula; put `# formula` on the statements that compute "
        "the derived result (or on the def line of a function that does)"
    )
    left, seconds = survivors(path, name, limit=LIMIT, allowed=EQUIVALENT.get((slug, name), {}))
    assert not left, f"{len(left)} surviving mutant(s):\n" + "\n".join(left)
