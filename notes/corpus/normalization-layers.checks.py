"""Numerical checks for notes/corpus/normalization-layers.md.

One function per derivation block, named check_<derivation id with - replaced by _>.
Each returns (measured_error, tolerance); the check passes when measured_error <= tolerance.
Where a check combines several sub-checks, each sub-error is divided by its own tolerance and the
function returns (max ratio, 1.0). Gradients are compared with central differences in float64.
numbers_<name>() return the numbers the note quotes, keyed by the excerpt of the note around
each; the runner compares them with the note's text.
"""

import numpy as np


def _rel(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), 1e-300))


def _central_diff(f, x, h=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        g[idx] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def _normalize(x, eps, axis):
    """x-hat of eq:group-normalize along `axis` (two-pass, biased variance)."""
    mu = x.mean(axis=axis, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axis, keepdims=True)
    return (x - mu) / np.sqrt(var + eps)


# The code block of the note, verbatim apart from comments.
def batchnorm_forward(X, gamma, beta, eps=1e-5):
    mu = X.mean(axis=0)
    var = ((X - mu) ** 2).mean(axis=0)
    inv_s = 1.0 / np.sqrt(var + eps)
    Xhat = (X - mu) * inv_s
    return gamma * Xhat + beta, (Xhat, inv_s)


def batchnorm_backward(Ybar, gamma, cache):  # formula: eq:norm-backward in the batch layout
    Xhat, inv_s = cache
    B = Ybar.shape[0]
    G = gamma * Ybar
    Xbar = inv_s / B * (B * G - G.sum(axis=0) - Xhat * (G * Xhat).sum(axis=0))
    return Xbar, (Ybar * Xhat).sum(axis=0), Ybar.sum(axis=0)


def _code_block_errors(rng, eps=1e-5, B=6, d=4):
    X = rng.standard_normal((B, d)) * rng.uniform(0.5, 3, d) + rng.standard_normal(d)
    gamma = rng.standard_normal(d)
    beta = rng.standard_normal(d)
    C = rng.standard_normal((B, d))

    def L(Xv, gv, bv):
        return float(np.sum(C * np.sin(batchnorm_forward(Xv, gv, bv, eps)[0])))

    Y, cache = batchnorm_forward(X, gamma, beta, eps)
    Ybar = C * np.cos(Y)
    dX, dg, db = batchnorm_backward(Ybar, gamma, cache)
    return (
        _rel(dX, _central_diff(lambda Z: L(Z, gamma, beta), X.copy())),
        _rel(dg, _central_diff(lambda z: L(X, z, beta), gamma.copy())),
        _rel(db, _central_diff(lambda z: L(X, gamma, z), beta.copy())),
    )


def check_normalization_backward():
    """eq:norm-jacobian and eq:norm-backward against central differences, with eps > 0 and a group
    variance comparable to eps (so that eps matters); the BN code block (eq:bn-def); layer norm on a
    (B, T, d) tensor with per-feature gamma shared over positions (eq:ln-def); RMSNorm (eq:rmsnorm-backward)."""
    rng = np.random.default_rng(0)
    ratios = []
    # Generic group, eps comparable to the variance
    N, eps = 7, 0.05
    x = 0.3 * rng.standard_normal(N) + 2.0
    g = rng.standard_normal(N)
    mu = x.mean()
    s = np.sqrt(((x - mu) ** 2).mean() + eps)
    xh = (x - mu) / s
    J = (np.eye(N) - np.ones((N, N)) / N - np.outer(xh, xh) / N) / s  # formula: eq:norm-jacobian
    J_fd = np.array([_central_diff(lambda v, i=i: _normalize(v, eps, 0)[i], x.copy()) for i in range(N)])
    ratios.append(_rel(J, J_fd) / 1e-8)
    xbar = (N * g - g.sum() - xh * (g * xh).sum()) / (N * s)  # formula: eq:norm-backward
    xbar_fd = _central_diff(lambda v: float(g @ _normalize(v, eps, 0)), x.copy())
    ratios.append(_rel(xbar, xbar_fd) / 1e-8)
    # The code block (batch norm with gamma, beta)
    ratios.extend(e / 1e-8 for e in _code_block_errors(rng))
    # Layer norm on (B, T, d): eq:norm-backward per position with ghat = gamma * ybar
    Bs, T, d = 2, 3, 5
    X3 = rng.standard_normal((Bs, T, d)) * 2 + 1
    gam = rng.standard_normal(d)
    bet = rng.standard_normal(d)
    C3 = rng.standard_normal((Bs, T, d))

    def ln(Xv, gv, bv):
        return gv * _normalize(Xv, 1e-5, -1) + bv

    def L3(Xv, gv, bv):
        return float(np.sum(C3 * np.tanh(ln(Xv, gv, bv))))

    Yb = C3 * (1 - np.tanh(ln(X3, gam, bet)) ** 2)
    Xh = _normalize(X3, 1e-5, -1)
    s3 = np.sqrt(X3.var(axis=-1, keepdims=True) + 1e-5)
    G3 = gam * Yb
    Xbar3 = (d * G3 - G3.sum(-1, keepdims=True) - Xh * (G3 * Xh).sum(-1, keepdims=True)) / (d * s3)  # formula
    ratios.append(_rel(Xbar3, _central_diff(lambda Z: L3(Z, gam, bet), X3.copy())) / 1e-8)
    ratios.append(_rel((Yb * Xh).sum(axis=(0, 1)), _central_diff(lambda z: L3(X3, z, bet), gam.copy())) / 1e-8)
    ratios.append(_rel(Yb.sum(axis=(0, 1)), _central_diff(lambda z: L3(X3, gam, z), bet.copy())) / 1e-8)

    # RMSNorm
    def rms(v, eps_=1e-3):
        return v / np.sqrt(np.mean(v**2) + eps_)

    v = rng.standard_normal(6)
    gv = rng.standard_normal(6)
    r = np.sqrt(np.mean(v**2) + 1e-3)
    vh = v / r
    vbar = (gv - vh * (gv * vh).sum() / 6) / r  # formula: eq:rmsnorm-backward
    ratios.append(_rel(vbar, _central_diff(lambda u: float(gv @ rms(u)), v.copy())) / 1e-8)
    # Dropping the correction terms must fail the same comparison by a wide margin (the check can fail)
    naive = g / s
    ratios.append(0.0 if _rel(naive, xbar_fd) > 1e3 * 1e-8 else 2.0)
    return float(np.max(ratios)), 1.0


def check_normalization_invariance():
    """With eps = 0: P is a symmetric idempotent projection of rank N - 2, 1^T xbar = 0 and
    xhat^T xbar = 0 (eq:norm-orthogonal); with eps > 0 the leak is eps/(sigma^2 + eps) xhat^T g / s.
    For weights feeding BN: zero bias gradient, w^T grad = 0, grad(a w) = grad(w)/a, and the
    norm growth of eq:weight-norm-growth, all against finite differences."""
    rng = np.random.default_rng(0)
    ratios = []
    N = 9
    x = rng.standard_normal(N) * 1.7 + 0.4
    xh = _normalize(x, 0.0, 0)
    P = np.eye(N) - np.ones((N, N)) / N - np.outer(xh, xh) / N  # formula: step 2
    ratios.append(np.max(np.abs(P @ P - P)) / 1e-12)
    ratios.append(np.max(np.abs(P - P.T)) / 1e-12)
    ratios.append(abs(np.trace(P) - (N - 2)) / 1e-12)
    ratios.append(2.0 * abs(np.linalg.matrix_rank(P) - (N - 2)))
    g = rng.standard_normal(N)
    xbar = _central_diff(lambda v: float(g @ _normalize(v, 0.0, 0)), x.copy())  # independent of the formula
    s = x.std()
    ratios.append(_rel(xbar, P @ g / s) / 1e-8)
    ratios.append(abs(np.ones(N) @ xbar) / 1e-8)
    ratios.append(abs(xh @ xbar) / 1e-8)
    # eps > 0: sum still zero, leak along xhat as predicted
    eps = 0.3
    xbar_e = _central_diff(lambda v: float(g @ _normalize(v, eps, 0)), x.copy())
    s_e = np.sqrt(x.var() + eps)
    xh_e = _normalize(x, eps, 0)
    ratios.append(abs(np.ones(N) @ xbar_e) / 1e-8)
    leak = eps / (x.var() + eps) * np.sum(xh_e * g) / s_e  # formula: the leak with eps > 0
    ratios.append(abs(xh_e @ xbar_e - leak) / 1e-8)
    ratios.append(0.0 if abs(leak) > 1e-3 else 2.0)  # the leak is really there
    # Weights feeding one BN feature: x = H w + b 1, loss through the normalised column (eps = 0)
    B, n = 8, 5
    H = rng.standard_normal((B, n))
    c = rng.standard_normal(B)

    def loss(w, b=0.3):
        return float(c @ np.tanh(_normalize(H @ w + b, 0.0, 0)))

    w = rng.standard_normal(n)
    gw = _central_diff(loss, w.copy())
    gb = (loss(w, 0.3 + 1e-6) - loss(w, 0.3 - 1e-6)) / 2e-6
    ratios.append(abs(gb) / 1e-8)
    ratios.append(abs(w @ gw) / (1e-8 * np.linalg.norm(w) * np.linalg.norm(gw)))
    a = 3.7
    scaled = gw / a  # formula: step 6, grad L(a w) = grad L(w) / a
    ratios.append(_rel(_central_diff(loss, a * w), scaled) / 1e-7)
    eta = 0.5
    w1 = w - eta * gw
    grown = np.sum(w**2) + eta**2 * np.sum(gw**2)  # formula: eq:weight-norm-growth
    ratios.append(abs(np.sum(w1**2) - grown) / 1e-8)
    # B = 2: the normalised pair is +-(1, -1) sqrt(sigma^2 / (sigma^2 + eps)) whatever the inputs.
    for _ in range(5):
        pair = rng.standard_normal(2) * 3
        var2 = pair.var()
        expected = np.array([1.0, -1.0]) * np.sqrt(var2 / (var2 + 1e-2))  # formula: the B = 2 case
        larger_first = _normalize(pair, 1e-2, 0) * np.sign(pair[0] - pair[1])
        ratios.append(np.abs(larger_first - expected).max() / 1e-12)
    return float(np.max(ratios)), 1.0


def _one_pass_bound(mu, var, delta):  # formula: eq:one-pass-error
    return (1 + 3 * mu**2 / var) * delta


def check_variance_cancellation():
    """eq:shift-identity at random points; first-order error of the one-pass formula under relative
    perturbations of the two means (step 1-2) against exact evaluation; the two-pass error is second
    order; the bound eq:one-pass-error holds for real float32 computations with delta taken as the
    measured relative errors of the two float32 means."""
    rng = np.random.default_rng(0)
    ratios = []
    for _ in range(5):
        N = int(rng.integers(3, 50))
        x = rng.standard_normal(N) * rng.uniform(0.1, 3) + rng.uniform(-10, 10)
        cst = rng.uniform(-20, 20)
        mu, var = x.mean(), x.var()
        shifted = var + (mu - cst) ** 2  # formula: eq:shift-identity
        ratios.append(abs(np.mean((x - cst) ** 2) - shifted) / (1e-12 * (1 + cst**2)))
    # First-order error model in float64 with injected relative errors
    x = 50.0 + rng.standard_normal(100)
    mu, var = x.mean(), x.var()
    m2 = np.mean(x**2)
    for d1, d2 in [(1e-7, -2e-7), (-3e-8, 5e-8), (2e-7, 2e-7)]:
        one = m2 * (1 + d1) - (mu * (1 + d2)) ** 2
        first_order = var + m2 * d1 - 2 * mu**2 * d2  # formula: step 2
        ratios.append(abs(one - first_order) / (10 * mu**2 * d2**2 + 1e-12))
        # the two-pass error is (mu delta_2)^2, tested with a delta_2 large enough to see it
        two = np.mean((x - mu * (1 + 1e3 * d2)) ** 2)
        two_pass = var + (mu * 1e3 * d2) ** 2  # formula: step 3
        ratios.append(abs(two - two_pass) / 1e-9)
        # first-order one-pass error really is amplified (about 1e-7 * 3 * 2500 relative)
        ratios.append(0.0 if abs(one - var) / var > 1e-5 else 2.0)
    # The bound is attained to first order when the two errors have opposite signs; the data have
    # variance 9, so a bound that confused sigma^2 with 1 / sigma^2 would fail.
    x = 50.0 + 3 * rng.standard_normal(200)
    mu, var, m2 = x.mean(), x.var(), np.mean(x**2)
    for delta in (1e-7, 1e-8):
        one = m2 * (1 + delta) - (mu * (1 - delta)) ** 2
        ratios.append(abs(abs(one - var) / var / _one_pass_bound(mu, var, delta) - 1) / 1e-4)
    # Real float32 computations: measured error within the bound with the measured deltas
    for off in (10.0, 100.0, 1000.0):
        x64 = off + rng.standard_normal(4096)
        x32 = x64.astype(np.float32)
        xe = x32.astype(np.float64)  # exact values of the float32 data
        mu_e, m2_e, var_e = xe.mean(), np.mean(xe**2), xe.var()
        mu_32 = np.mean(x32, dtype=np.float32)
        m2_32 = np.mean(x32 * x32, dtype=np.float32)
        one_32 = float(m2_32 - mu_32 * mu_32)
        delta = max(abs(float(mu_32) / mu_e - 1), abs(float(m2_32) / m2_e - 1), 2.0**-24)
        bound = _one_pass_bound(mu_e, var_e, delta) + 2 * 2.0**-24 * m2_e / var_e  # plus the final rounding
        ratios.append(abs(one_32 - var_e) / var_e / bound)
    return float(np.max(ratios)), 1.0


def numbers_epsilon():
    return {"PyTorch's default is $\\epsilon = {}$ for both layers below, a bound of ${}$": (1e-5, 1 / np.sqrt(1e-5))}


def numbers_train_versus_population():
    """Train-mode (batch statistics) against population normalisation of a standard normal
    feature: the RMS difference per batch size, and B times the mean squared difference."""
    rng = np.random.default_rng(0)
    rms, scaled = [], []
    for B in TABLE_BATCHES:
        X = rng.standard_normal((BATCHES, B))
        mse = float(np.mean((_normalize(X, 1e-5, 1) - X / np.sqrt(1 + 1e-5)) ** 2))
        rms.append(np.sqrt(mse))
        scaled.append(B * mse)
    return {
        "| batch size $B$ |" + " {=} |" * len(TABLE_BATCHES): TABLE_BATCHES,
        "| RMS difference |" + " {} |" * len(TABLE_BATCHES): rms,
        "the measured $B$ times mean squared difference lies between {} and {}": (min(scaled), max(scaled)),
        "each size is measured on {=} batches": BATCHES,
        "approaching {} as $B$ grows": 1.5 if abs(scaled[-1] - 1.5) < abs(scaled[0] - 1.5) else np.nan,
    }


TABLE_BATCHES = (2, 4, 8, 32, 128, 512)
BATCHES = 20000


def numbers_float32_variance():
    """The one-pass variance in float32, N = 4096, x = mu + z: pairwise (NumPy) and one term at a
    time, against the two-pass formula and the exact variance of the float32 data."""
    rng = np.random.default_rng(0)
    n = 4096
    rows = {}
    for off in (0.0, 1e2, 3e2, 1e3, 3e3, 1e4):
        x = (off + rng.standard_normal(n)).astype(np.float32)
        ref = np.var(x.astype(np.float64))
        m = np.mean(x, dtype=np.float32)
        one_pairwise = float(np.mean(x * x, dtype=np.float32) - m * m)
        s1 = s2 = np.float32(0)
        for v in x:  # a running sum, one term at a time
            s1 += v
            s2 += v * v
        one_seq = float(s2 / np.float32(n) - (s1 / np.float32(n)) ** 2)
        two = float(np.mean((x - m) ** 2, dtype=np.float32))
        rows[off] = (ref, one_pairwise, one_seq, two)

    def rel(off, i):
        return 100 * abs(rows[off][i] - rows[off][0]) / rows[off][0]

    two_pass_worst = max(abs(r[3] - r[0]) / r[0] for r in rows.values())
    return {
        "A check in float32 with $N = {=}$ values": n,
        "the one-pass relative error is ${}\\%$ at $\\mu = {=}$, ${}\\%$ at $\\mu = {=}$, and at $\\mu = {=}$ the computed variance is ${}$ where the true value is ${}$": (
            rel(1e2, 1),
            100,
            rel(1e3, 1),
            1000,
            1e4,
            rows[1e4][1],
            rows[1e4][0],
        ),
        "the relative error is ${}\\%$ already at $\\mu = {=}$, and at $\\mu = {=}$ the result is ${}$ instead of ${}$": (
            rel(1e2, 2),
            100,
            1000,
            rows[1e3][2],
            rows[1e3][0],
        ),
        "The two-pass result stays within ${}$ relative error in every case": 5e-7 if two_pass_worst < 5e-7 else np.nan,
        "the unit roundoff $2^{-24} \\approx {}$ of float32": 2.0**-24,
    }


def numbers_float16_overflow():
    """The sum of squares of 4096 values of size 4 in float16."""
    x16 = np.full(4096, 4.0, dtype=np.float16)
    with np.errstate(over="ignore"):
        ss = np.sum(x16 * x16, dtype=np.float16)
    return {
        "The sum of squares of $d = {=}$ values of size ${=}$ is ${=}$, beyond the float16 maximum ${=}$, so an accumulation in float16 returns ${=}$": (
            x16.size,
            4,
            x16.size * 16,
            float(np.finfo(np.float16).max),
            float(ss),
        ),
    }


def numbers_code_block():
    """The code block against central differences on a random 6 x 4 batch."""
    return {
        "on a random ${=} \\times {=}$ batch, the three gradients agree to a relative error of at most ${}$": (
            6,
            4,
            max(_code_block_errors(np.random.default_rng(1), B=6, d=4)),
        ),
    }
