"""Numerical checks for notes/corpus/scaled-dot-product-attention.md.

One check_<derivation id> function per derivation block. Each returns
(measured_error, tolerance) and passes when measured_error <= tolerance. Equations are
checked in float64 with seeded random inputs: gradients against central finite
differences, expectations by Monte Carlo with a tolerance of several standard errors,
the online-softmax recurrence against the direct formula. Numbers quoted in the note are
compared after rounding to the precision quoted.

practice_numbers() recomputes every number quoted in the note's practice sections.
"""

import numpy as np


def _softmax(s):
    e = np.exp(s - np.max(s, axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _attention(q, k, v, mask=None):
    """Direct attention O = softmax(Q K^T / sqrt(d_k) + M) V, one sequence."""
    s = q @ k.T / np.sqrt(q.shape[-1])
    if mask is not None:
        s = s + mask
    return _softmax(s) @ v


def _attention_backward(q, k, v, obar, mask=None):
    """The closed-form VJPs derived in the note."""
    dk = q.shape[-1]
    s = q @ k.T / np.sqrt(dk)
    if mask is not None:
        s = s + mask
    p = _softmax(s)
    o = p @ v
    vbar = p.T @ obar
    pbar = obar @ v.T
    delta = np.sum(obar * o, axis=-1, keepdims=True)
    sbar = p * (pbar - delta)
    qbar = sbar @ k / np.sqrt(dk)
    kbar = sbar.T @ q / np.sqrt(dk)
    return qbar, kbar, vbar, sbar, p, pbar


def _fd_grad(f, x, h=1e-6):
    """Central finite-difference gradient of a scalar function of an array."""
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        g[idx] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def _online(q, k, v, blocks, mask=None):
    """Blocked online-softmax attention: the recurrence of the note, row-vectorised."""
    n, dk = q.shape
    dt = q.dtype.type
    mu = np.full((n, 1), -np.inf, dtype=q.dtype)
    ell = np.zeros((n, 1), dtype=q.dtype)
    acc = np.zeros((n, v.shape[1]), dtype=q.dtype)
    start = 0
    top = -np.inf  # largest exponent evaluated, for the check that none is positive
    for size in blocks:
        sl = slice(start, start + size)
        s = q @ k[sl].T / dt(np.sqrt(dk))
        if mask is not None:
            s = s + mask[:, sl]
        mu_new = np.maximum(mu, s.max(axis=-1, keepdims=True))
        with np.errstate(invalid="ignore"):
            c = np.exp(mu - mu_new)
        e = np.exp(s - mu_new)
        with np.errstate(invalid="ignore"):
            top = max(top, float(np.nanmax(mu - mu_new)), float(np.max(s - mu_new)))
        ell = c * ell + e.sum(axis=-1, keepdims=True)
        acc = c * acc + e @ v[sl]
        mu = mu_new
        start += size
    return acc / ell, mu[:, 0] + np.log(ell[:, 0]), top


def _random_blocks(rng, m):
    cuts = np.sort(rng.choice(np.arange(1, m), size=int(rng.integers(0, m - 1)), replace=False))
    return np.diff(np.concatenate([[0], cuts, [m]])).astype(int).tolist()


def _saturation_table(m=256, rows=2000, dks=(16, 64, 256, 1024)):
    rng = np.random.default_rng(0)
    out = {}
    for dk in dks:
        q = rng.normal(size=(rows, dk))
        k = rng.normal(size=(m, dk))
        s = q @ k.T
        for name, sc in (("unscaled", s), ("scaled", s / np.sqrt(dk))):
            p = _softmax(sc)
            out[(dk, name)] = (
                float(sc.std()),
                float(p.max(axis=-1).mean()),
                float((1 - (p**2).sum(axis=-1)).mean()),
                float((p.max(axis=-1) > 0.99).mean()),
            )
    return out


def check_score_variance():
    """E[q.k] = 0 and Var[q.k] = d_k for iid unit-variance entries, unit variance after the
    1/sqrt(d_k) scaling (Monte Carlo, Gaussian and non-Gaussian entries), the trace identity
    tr J = 1 - ||p||^2 behind the saturation table, and the table's quoted values."""
    rng = np.random.default_rng(0)
    ratios = []
    n = 20_000
    for dk in (4, 16, 64):
        for dist in ("normal", "rademacher", "uniform"):
            if dist == "normal":
                q = rng.normal(size=(n, dk))
                k = rng.normal(size=(n, dk))
            elif dist == "rademacher":
                q = rng.choice([-1.0, 1.0], size=(n, dk))
                k = rng.choice([-1.0, 1.0], size=(n, dk))
            else:  # uniform on [-sqrt 3, sqrt 3] has unit variance
                q = rng.uniform(-np.sqrt(3), np.sqrt(3), size=(n, dk))
                k = rng.uniform(-np.sqrt(3), np.sqrt(3), size=(n, dk))
            x = np.sum(q * k, axis=1)
            se_mean = x.std() / np.sqrt(n)
            ratios.append(abs(x.mean()) / se_mean)
            sq = (x - x.mean()) ** 2
            se_var = sq.std() / np.sqrt(n)
            ratios.append(abs(x.var() - dk) / se_var)
            xs = x / np.sqrt(dk)
            se_var_s = ((xs - xs.mean()) ** 2).std() / np.sqrt(n)
            ratios.append(abs(xs.var() - 1.0) / se_var_s)
    # Measured as a multiple of the standard error; fail beyond 5 standard errors.
    mc = max(ratios) / 5.0

    errors = []
    # tr(diag p - p p^T) = 1 - ||p||^2, and the quoted saturation table.
    for _ in range(50):
        p = _softmax(rng.normal(scale=3.0, size=7))
        errors.append(abs(np.trace(np.diag(p) - np.outer(p, p)) - (1 - p @ p)))
    table = _saturation_table()
    quoted = {
        (16, "unscaled"): (4.06, 0.489, 0.656),
        (64, "unscaled"): (8.01, 0.739, 0.360),
        (256, "unscaled"): (15.98, 0.871, 0.182),
        (1024, "unscaled"): (31.99, 0.939, 0.088),
        (64, "scaled"): (1.00, 0.043, 0.990),
    }
    for key, (std_q, maxp_q, tr_q) in quoted.items():
        std, maxp, tr, _ = table[key]
        errors.append(abs(round(std, 2) - std_q))
        errors.append(abs(round(maxp, 3) - maxp_q))
        errors.append(abs(round(tr, 3) - tr_q))
    for dk, frac in ((16, 0.01), (64, 0.13), (256, 0.40), (1024, 0.66)):
        errors.append(abs(round(table[(dk, "unscaled")][3], 2) - frac))
    errors.append(table[(1024, "scaled")][3])
    # Scale-free: every scaled row stays near the same numbers whatever d_k.
    for dk in (16, 64, 256, 1024):
        std, maxp, tr, _ = table[(dk, "scaled")]
        errors.append(abs(round(tr, 2) - 0.99))
        errors.append(max(0.0, 1.00 - round(std, 2), round(std, 2) - 1.01))
        errors.append(max(0.0, 0.043 - round(maxp, 3), round(maxp, 3) - 0.045))
    errors.append(abs(1 - 0.99**2 - 0.0199))
    return float(np.max([mc, np.max(errors) * 1e3])), 1.0


def check_attention_backward():
    """eq:attn-vbar (V-bar and P-bar), eq:attn-sbar, eq:attn-delta, eq:attn-qbar, eq:attn-kbar
    against central finite differences, with and without a causal mask; masked entries
    receive exactly zero score gradient; the row-wise softmax VJP equals J^T p-bar."""
    rng = np.random.default_rng(0)
    errors = []
    for trial in range(6):
        n, m, dk, dv = 3 + trial % 2, 5, 4, 2 + trial % 3
        q = rng.normal(size=(n, dk))
        k = rng.normal(size=(m, dk))
        v = rng.normal(size=(m, dv))
        g = rng.normal(size=(n, dv))
        mask = None
        if trial % 2:
            mask = np.where(np.arange(m)[None, :] > np.arange(n)[:, None] + 1, -np.inf, 0.0)

        def loss(q, k, v, g=g, mask=mask):
            return float(np.sum(g * _attention(q, k, v, mask)))

        qbar, kbar, vbar, sbar, p, pbar = _attention_backward(q, k, v, g, mask)
        errors.append(np.abs(_fd_grad(lambda x, k=k, v=v: loss(x, k, v), q) - qbar).max())
        errors.append(np.abs(_fd_grad(lambda x, q=q, v=v: loss(q, x, v), k) - kbar).max())
        errors.append(np.abs(_fd_grad(lambda x, q=q, k=k: loss(q, k, x), v) - vbar).max())
        # Score gradient by finite differences on S directly.
        s0 = q @ k.T / np.sqrt(dk) + (0 if mask is None else mask)

        def loss_s(s, g=g, v=v):
            return float(np.sum(g * (_softmax(s) @ v)))

        if mask is None:
            errors.append(np.abs(_fd_grad(loss_s, s0) - sbar).max())
        else:
            # Masked entries get exactly zero; the finite ones match finite differences.
            errors.append(np.abs(sbar[np.isinf(mask)]).max())
            fin = np.isfinite(s0)
            fd = np.zeros_like(s0)
            for idx in zip(*np.nonzero(fin), strict=True):
                e = np.zeros_like(s0)
                e[idx] = 1e-6
                fd[idx] = (loss_s(s0 + e) - loss_s(s0 - e)) / 2e-6
            errors.append(np.abs(fd[fin] - sbar[fin]).max())
        # Row-wise J^T p-bar equals the closed form, and delta = rowsum(P * P-bar).
        for i in range(n):
            jac = np.diag(p[i]) - np.outer(p[i], p[i])
            errors.append(np.abs(jac.T @ pbar[i] - sbar[i]).max())
        o = p @ v
        errors.append(np.abs(np.sum(p * pbar, axis=1) - np.sum(g * o, axis=1)).max())
    # The fully masked row of the note: NaN rows of O, Qbar, Kbar, Vbar are 1, 1, 4, 4,
    # and zeroing that row's output adjoint leaves Kbar and Vbar NaN in every row.
    nums = practice_numbers(fast=True)
    for key in ("fully masked row: NaN rows of O, Qbar, Kbar, Vbar", "same, that row's obar = 0"):
        errors.append(float(np.abs(np.array(nums[key]) - np.array([1, 1, 4, 4])).sum()))
    return float(np.max(errors)), 1e-7


def check_online_softmax():
    """The online-softmax recurrence (eq:online-max, eq:online-ell, eq:online-acc) reproduces
    direct attention and the row log-sum-exp for random block partitions, with partially
    masked rows; every exponent it evaluates is <= 0; the recomputation identity
    P = exp(S - LSE) used by the backward pass."""
    rng = np.random.default_rng(0)
    errors = []
    for trial in range(24):
        n, m, dk, dv = 4, int(rng.integers(2, 40)), 8, 3
        q = rng.normal(scale=2.0, size=(n, dk))
        k = rng.normal(scale=2.0, size=(m, dk))
        v = rng.normal(size=(m, dv))
        mask = None
        if trial % 2:
            mask = np.where(rng.random((n, m)) < 0.3, -np.inf, 0.0)
            mask[:, 0] = 0.0  # at least one visible key in the first block
        blocks = _random_blocks(rng, m)
        o, lse, top = _online(q, k, v, blocks, mask)
        errors.append(np.abs(o - _attention(q, k, v, mask)).max())
        s = q @ k.T / np.sqrt(dk) + (0 if mask is None else mask)
        smax = s.max(axis=1, keepdims=True)
        lse_ref = smax[:, 0] + np.log(np.exp(s - smax).sum(axis=1))
        errors.append(np.abs(lse - lse_ref).max())
        errors.append(np.abs(np.exp(s - lse[:, None]) - _softmax(s)).max())
        # Every exponent evaluated by the recurrence is <= 0.
        errors.append(max(0.0, top))
    # Huge scores: still finite, and agrees with the stable direct formula.
    q = rng.normal(size=(2, 4)) * 40.0
    k = rng.normal(size=(9, 4)) * 40.0
    v = rng.normal(size=(9, 2))
    o, _, _ = _online(q, k, v, [3, 3, 3])
    errors.append(np.abs(o - _attention(q, k, v)).max())
    # Quoted float32 errors: in each of five trials, direct and online both lie in
    # [5e-8, 2e-7] and within a factor of two of each other; outputs are of size about 0.1.
    nums = practice_numbers(table=False)
    for e_direct, e_online, o_max in nums[
        "five trials, max abs error vs float64: direct fp32, online fp32 (blocks of 128), max |O|"
    ]:
        for e in (e_direct, e_online):
            errors.append(max(0.0, 5e-8 - e, e - 2e-7) * 1e3)
        errors.append(max(0.0, abs(np.log(e_online / e_direct)) - np.log(2.0)))
        errors.append(max(0.0, 0.1 - o_max, o_max - 0.12))
    # Neither is consistently closer: each of the two is the smaller error in some trial.
    wins = [
        e_o < e_d
        for e_d, e_o, _ in nums[
            "five trials, max abs error vs float64: direct fp32, online fp32 (blocks of 128), max |O|"
        ]
    ]
    errors.append(float(all(wins) or not any(wins)))
    # float32 spacing near 1e9 is 64: scores below 32 in magnitude vanish into -1e9.
    big = np.float32(-1e9)
    errors.append(float(np.spacing(np.float32(1e9)) != 64.0))
    errors.append(float(np.float32(31.9) + big != big or np.float32(-31.9) + big != big))
    errors.append(abs(nums["P per layer, bf16 (GiB)"] - 4.0) + abs(nums["P per layer, fp32 (GiB)"] - 8.0))
    errors.append(abs(nums["Q, K, V, O per layer, bf16 (MiB)"] - 256.0))
    errors.append(abs(nums["row statistics mu, ell in fp32 (MiB)"] - 2.0))
    errors.append(abs(nums["P at T = 2048 per layer, bf16 (MiB)"] - 256.0))
    f16 = nums["float16 q.k unscaled, scaled first"]
    errors.append(float(f16[0] != np.inf) + abs(f16[1] - 10184.0) + abs(f16[2] - 115200.0))
    errors.append(float(nums["float16(-1e9)"] != -np.inf))
    errors.append(nums["fully masked row with -1e9 added: max |p - 1/6| in float32"])
    errors.append(max(0.0, nums["same in float64: max |p - softmax(s)|"] - 1e-6))
    errors.append(abs(nums["float16 min + (-15), + (-16)"][0] + 65504.0))
    errors.append(float(nums["float16 min + (-15), + (-16)"][1] != -np.inf))
    return float(np.max(errors)), 1e-10


def practice_numbers(fast=False, table=True):
    """Every number quoted in the note's practice sections, recomputed."""
    out = {}
    if table and not fast:
        out["saturation table (std, mean max p, mean tr J, frac max p > 0.99)"] = _saturation_table()

    with np.errstate(all="ignore"):
        # Fully masked row: NaN in forward, and it spreads to every key and value gradient.
        rng = np.random.default_rng(0)
        n, m, dk = 4, 4, 8
        q, k, v = rng.normal(size=(n, dk)), rng.normal(size=(m, dk)), rng.normal(size=(m, dk))
        mask = np.where(np.arange(m)[None, :] > np.arange(n)[:, None], -np.inf, 0.0)
        mask[0, 0] = -np.inf  # query 0 can now see nothing
        qbar, kbar, vbar, *_ = _attention_backward(q, k, v, np.ones((n, dk)), mask)
        o = _attention(q, k, v, mask)
        out["fully masked row: NaN rows of O, Qbar, Kbar, Vbar"] = (
            int(np.isnan(o).any(axis=1).sum()),
            int(np.isnan(qbar).any(axis=1).sum()),
            int(np.isnan(kbar).any(axis=1).sum()),
            int(np.isnan(vbar).any(axis=1).sum()),
        )
        # Discarding the masked row's output (zero adjoint) does not help: 0 * nan = nan.
        obar = np.ones((n, dk))
        obar[0] = 0.0
        qbar, kbar, vbar, *_ = _attention_backward(q, k, v, obar, mask)
        out["same, that row's obar = 0"] = (
            int(np.isnan(o).any(axis=1).sum()),
            int(np.isnan(qbar).any(axis=1).sum()),
            int(np.isnan(kbar).any(axis=1).sum()),
            int(np.isnan(vbar).any(axis=1).sum()),
        )
        # A large finite constant added to a fully masked row: uniform in float32 (the
        # constant swallows the scores), the softmax of the raw scores in float64.
        s_row = rng.normal(size=6)
        out["fully masked row with -1e9 added: max |p - 1/6| in float32"] = float(
            np.abs(_softmax(s_row.astype(np.float32) + np.float32(-1e9)) - 1 / 6).max()
        )
        out["same in float64: max |p - softmax(s)|"] = float(np.abs(_softmax(s_row - 1e9) - _softmax(s_row)).max())
        out["exp(-inf - (-inf))"] = float(np.exp(np.float32(-np.inf) - np.float32(-np.inf)))

        # float16 and large negative mask constants.
        out["float16(-1e9)"] = float(np.float16(-1e9))
        fmin = np.finfo(np.float16).min
        out["float16 min"] = float(fmin)
        out["float16 min + (-15), + (-16)"] = (
            float(fmin + np.float16(-15)),
            float(fmin + np.float16(-16)),
        )

        # Unscaled score overflow in float16: entries 30, d_k = 128.
        x = np.full(128, 30.0, dtype=np.float16)
        out["float16 q.k unscaled, scaled first"] = (
            float(x @ x),
            float((x / np.float16(np.sqrt(128))) @ x),
            30.0 * 30.0 * 128,
        )

    if fast:
        return out
    # Memory of the score/probability tensor versus Q, K, V, O.
    t, d, h, b = 8192, 4096, 32, 1
    gib, mib = 2.0**30, 2.0**20
    out["P per layer, bf16 (GiB)"] = b * h * t * t * 2 / gib
    out["P per layer, fp32 (GiB)"] = b * h * t * t * 4 / gib
    out["Q, K, V, O per layer, bf16 (MiB)"] = 4 * b * t * d * 2 / mib
    out["row statistics mu, ell in fp32 (MiB)"] = 2 * b * h * t * 4 / mib
    out["P at T = 2048 per layer, bf16 (MiB)"] = b * h * 2048 * 2048 * 2 / mib

    # Online versus direct in float32, against a float64 reference, five random trials.
    rng = np.random.default_rng(1)
    n, m, dk = 128, 4096, 128
    f = np.float32
    trials = []
    for _ in range(5):
        q, k, v = rng.normal(size=(n, dk)), rng.normal(size=(m, dk)), rng.normal(size=(m, dk))
        ref = _attention(q, k, v)
        direct32 = _attention(q.astype(f), k.astype(f), v.astype(f))
        online32, _, _ = _online(q.astype(f), k.astype(f), v.astype(f), [128] * (m // 128))
        trials.append(
            (
                float(np.abs(direct32 - ref).max()),
                float(np.abs(online32 - ref).max()),
                float(np.abs(ref).max()),
            )
        )
    out["five trials, max abs error vs float64: direct fp32, online fp32 (blocks of 128), max |O|"] = trials
    return out


# ---------------------------------------------------------------- figures
def figure_largest_weight():
    """The distribution over rows of the largest attention weight, with and without the
    1/sqrt(d_k) scaling: d_k = 64, 2000 Gaussian query rows against m = 256 keys, the draws
    of _saturation_table() (seed 0, d_k = 16 drawn first)."""
    rng = np.random.default_rng(0)
    rng.normal(size=(2000, 16)), rng.normal(size=(256, 16))  # d_k = 16's draws, as in the table
    dk = 64
    q, k = rng.normal(size=(2000, dk)), rng.normal(size=(256, dk))
    s = q @ k.T
    edges = np.linspace(0, 1, 41)
    centres = (edges[:-1] + edges[1:]) / 2
    series = []
    for label, scores in (("scaled, S/√dₖ", s / np.sqrt(dk)), ("unscaled, S", s)):
        largest = _softmax(scores).max(axis=-1)
        counts, _ = np.histogram(largest, bins=edges)
        series.append({"label": label, "x": centres, "y": counts / len(largest)})
    return {
        "title": "Largest attention weight per row, dₖ = 64, m = 256 keys",
        "summary": "With the scaling no row's largest weight exceeds 0.26: attention spreads over many keys. "
        "Without it the largest weights spread over the whole range and pile up near 1, saturated rows.",
        "x": {"label": "largest weight in the row", "min": 0, "max": 1},
        "y": {"label": "fraction of rows (bins of 0.025)"},
        "series": series,
    }


if __name__ == "__main__":
    for name, fn in list(globals().items()):
        if name.startswith("check_"):
            print(name, fn())
    for key, val in practice_numbers().items():
        print(key, val)
