"""Numerical checks for notes/corpus/normalization-layers.md.

One function per derivation block, named check_<derivation id with - replaced by _>.
Each returns (measured_error, tolerance); the check passes when measured_error <= tolerance.
Where a check combines several sub-checks, each sub-error is divided by its own tolerance and the
function returns (max ratio, 1.0). Gradients are compared with central differences in float64.
practice_numbers() reproduces every number quoted in the note's prose and tables.
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


def batchnorm_backward(Ybar, gamma, cache):
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
    J = (np.eye(N) - np.ones((N, N)) / N - np.outer(xh, xh) / N) / s
    J_fd = np.array([_central_diff(lambda v, i=i: _normalize(v, eps, 0)[i], x.copy()) for i in range(N)])
    ratios.append(_rel(J, J_fd) / 1e-8)
    xbar = (N * g - g.sum() - xh * (g * xh).sum()) / (N * s)
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
    Xbar3 = (d * G3 - G3.sum(-1, keepdims=True) - Xh * (G3 * Xh).sum(-1, keepdims=True)) / (d * s3)
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
    vbar = (gv - vh * (gv * vh).sum() / 6) / r
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
    P = np.eye(N) - np.ones((N, N)) / N - np.outer(xh, xh) / N
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
    leak = eps / (x.var() + eps) * (xh_e @ g) / s_e
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
    ratios.append(_rel(_central_diff(loss, a * w), gw / a) / 1e-7)
    eta = 0.5
    w1 = w - eta * gw
    ratios.append(abs(w1 @ w1 - (w @ w + eta**2 * gw @ gw)) / 1e-8)
    return float(np.max(ratios)), 1.0


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
        ratios.append(abs(np.mean((x - cst) ** 2) - (var + (mu - cst) ** 2)) / (1e-12 * (1 + cst**2)))
    # First-order error model in float64 with injected relative errors
    x = 50.0 + rng.standard_normal(100)
    mu, var = x.mean(), x.var()
    m2 = np.mean(x**2)
    for d1, d2 in [(1e-7, -2e-7), (-3e-8, 5e-8), (2e-7, 2e-7)]:
        one = m2 * (1 + d1) - (mu * (1 + d2)) ** 2
        first_order = var + m2 * d1 - 2 * mu**2 * d2
        ratios.append(abs(one - first_order) / (10 * mu**2 * d2**2 + 1e-12))
        two = np.mean((x - mu * (1 + d2)) ** 2)
        ratios.append(abs(two - var - (mu * d2) ** 2) / 1e-9)
        # first-order one-pass error really is amplified (about 1e-7 * 3 * 2500 relative)
        ratios.append(0.0 if abs(one - var) / var > 1e-5 else 2.0)
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
        bound = (1 + 3 * mu_e**2 / var_e) * delta + 2 * 2.0**-24 * m2_e / var_e  # plus the final rounding
        ratios.append(abs(one_32 - var_e) / var_e / bound)
    return float(np.max(ratios)), 1.0


def practice_numbers():
    """Every number quoted in the note's prose and tables (not a derivation check)."""
    rng = np.random.default_rng(0)
    out = {"1/sqrt(1e-5)": 1 / np.sqrt(1e-5)}
    # one-pass variance in float32, N = 4096, x = mu + z
    d = 4096
    rows = {}
    for off in (0.0, 1e2, 3e2, 1e3, 3e3, 1e4):
        x64 = off + rng.standard_normal(d)
        x = x64.astype(np.float32)
        ref = np.var(x.astype(np.float64))
        m = np.mean(x, dtype=np.float32)
        m2 = np.mean(x * x, dtype=np.float32)
        one_pairwise = float(m2 - m * m)
        s1 = np.float32(0)
        s2 = np.float32(0)
        for v in x:
            s1 += v
            s2 += v * v
        one_seq = float(s2 / np.float32(d) - (s1 / np.float32(d)) ** 2)
        two = float(np.mean((x - m) ** 2, dtype=np.float32))
        rows[off] = {
            "true": ref,
            "one-pass pairwise": one_pairwise,
            "rel err": abs(one_pairwise - ref) / ref,
            "one-pass sequential": one_seq,
            "rel err seq": abs(one_seq - ref) / ref,
            "two-pass rel err": abs(two - ref) / ref,
        }
    out["float32 variance, N = 4096"] = rows
    with np.errstate(invalid="ignore"):
        out["sqrt(-16 + 1e-5)"] = float(np.sqrt(np.float32(-16.0) + np.float32(1e-5)))
    out["delta^-1/2 for delta = 2^-24"] = 2.0**12
    # float16 overflow of the sum of squares
    x16 = np.full(4096, 4.0, dtype=np.float16)
    with np.errstate(over="ignore"):
        ss = np.sum(x16 * x16, dtype=np.float16)
        out["float16 sum of squares, max"] = (float(ss), float(np.finfo(np.float16).max))
        out["float16 normalised output"] = float((x16[0] - np.float16(0)) / np.sqrt(ss / np.float16(4096)))
    # train-mode versus population normalisation of a standard normal feature
    table = {}
    for B in (2, 4, 8, 16, 32, 128, 512):
        R = max(400000 // B, 1000)
        X = rng.standard_normal((R, B))
        Xt = _normalize(X, 1e-5, 1)
        mse = float(np.mean((Xt - X / np.sqrt(1 + 1e-5)) ** 2))
        table[B] = {"rms": np.sqrt(mse), "B * mse": B * mse}
    out["train vs population"] = table
    X = rng.standard_normal((4, 2)) * 3 + 1
    out["B = 2 outputs"] = _normalize(X, 1e-5, 1)
    errs = _code_block_errors(np.random.default_rng(1))
    out["code block gradient check, max relative error"] = max(errs)
    out["one-pass bound at mu/sigma = 300"] = (1 + 3 * 300**2) * 2.0**-24
    return out


if __name__ == "__main__":
    for name, fn in list(globals().items()):
        if name.startswith("check_"):
            err, tol = fn()
            print(f"{name}: error {err:.3e} <= {tol:.0e}: {'PASS' if err <= tol else 'FAIL'}")
    for key, val in practice_numbers().items():
        print(f"  {key}: {val}")
