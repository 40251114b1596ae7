"""Numerical checks for notes/corpus/entropy-cross-entropy-kl.md.

One check_<derivation id> function per derivation block. Each returns
(measured_error, tolerance) and passes when measured_error <= tolerance. Every labelled
equation of the note is exercised by one of them, in float64 with seeded random inputs;
the derived right-hand sides are marked `# formula` and compared with the definitions
[[#eq:entropy]], [[#eq:cross-entropy]] and [[#eq:kl]], which are not marked. Claims about
densities are checked by trapezoidal quadrature on fine grids. The numbers_ functions compute
every number the note quotes.
"""

import numpy as np

TOL = 1e-9


def _entropy(p):
    s = p > 0
    return -np.sum(p[s] * np.log(p[s]))


def _cross_entropy(p, q):
    s = p > 0
    if np.any(q[s] == 0):
        return np.inf
    return -np.sum(p[s] * np.log(q[s]))


def _kl(p, q):
    s = p > 0
    if np.any(q[s] == 0):
        return np.inf
    return np.sum(p[s] * np.log(p[s] / q[s]))


def _random_pair(rng, k_max=20, zeros_in_p=True):
    """Random p, q in the simplex; p may have zeros, q is strictly positive."""
    k = int(rng.integers(2, k_max + 1))
    p = rng.dirichlet(np.full(k, 0.7))
    if zeros_in_p and k > 2:
        drop = rng.random(k) < 0.3
        drop[int(np.argmax(p))] = False
        p[drop] = 0.0
        p /= p.sum()
    q = rng.dirichlet(np.full(k, 0.7))
    return p, q


def _grid(mu, sigma, n=100_001, width=40.0):
    x = np.linspace(mu - width * sigma, mu + width * sigma, n)
    return x


def _log_normal_pdf(x, mu, var):
    return -0.5 * np.log(2 * np.pi * var) - (x - mu) ** 2 / (2 * var)


def _gauss_entropy(var):  # formula: eq:gauss-entropy
    return 0.5 * np.log(2 * np.pi * np.e * var)


def _gauss_kl(mu1, var1, mu2, var2):  # formula: eq:gauss-kl
    return 0.5 * np.log(var2 / var1) + (var1 + (mu1 - mu2) ** 2) / (2 * var2) - 0.5


def _quad_entropy_ce_kl(mu1, var1, mu2, var2):
    """h(p), h(p, q), KL(p || q) for two univariate Gaussians by trapezoidal quadrature."""
    x = _grid(mu1, np.sqrt(var1))
    lp = _log_normal_pdf(x, mu1, var1)
    lq = _log_normal_pdf(x, mu2, var2)
    p = np.exp(lp)
    h = -np.trapezoid(p * lp, x)
    ce = -np.trapezoid(p * lq, x)
    kl = np.trapezoid(p * (lp - lq), x)
    return h, ce, kl


def check_ce_decomposition():
    """H(p, q) = H(p) + KL(p || q), discrete (with zeros) and continuous; eq:entropy,
    eq:cross-entropy, eq:kl, eq:ce-decomposition, eq:bits, eq:batch-ce, eq:gauss-entropy."""
    rng = np.random.default_rng(0)
    errors = []

    # eq:ce-decomposition on random pairs, p with zeros.
    for _ in range(200):
        p, q = _random_pair(rng)
        decomposed = _entropy(p) + _kl(p, q)  # formula: eq:ce-decomposition
        errors.append(abs(_cross_entropy(p, q) - decomposed))

    # Step 4: support mismatch makes both sides +inf.
    p = np.array([0.2, 0.3, 0.5])
    q = np.array([0.5, 0.5, 0.0])
    errors.append(0.0 if (_cross_entropy(p, q) == np.inf and _kl(p, q) == np.inf) else 1.0)

    # eq:bits: entropy with log2 equals entropy in nats divided by log 2.
    p, _ = _random_pair(rng)
    s = p > 0
    bits = _entropy(p) / np.log(2)  # formula: eq:bits
    errors.append(abs(-np.sum(p[s] * np.log2(p[s])) - bits))

    # eq:batch-ce: matrix form equals the mean of per-row cross-entropies.
    b, k = 7, 5
    pm = rng.dirichlet(np.ones(k), size=b)
    qm = rng.dirichlet(np.ones(k), size=b)
    loop = np.mean([_cross_entropy(pm[i], qm[i]) for i in range(b)])
    matrix = -np.ones(b) @ (pm * np.log(qm)) @ np.ones(k) / b  # formula: eq:batch-ce
    errors.append(abs(loop - matrix))
    # Hard labels: the same formula is the mean negative log-likelihood of the labels.
    labels = rng.integers(0, k, size=b)
    onehot = np.eye(k)[labels]
    nll = -np.mean(np.log(qm[np.arange(b), labels]))  # formula: hard labels
    errors.append(abs(-np.ones(b) @ (onehot * np.log(qm)) @ np.ones(k) / b - nll))

    # The closed forms of the two-outcome example (its table is compared by numbers_asymmetry).
    p = np.array([0.5, 0.5])
    q = np.array([0.9, 0.1])
    closed = np.log(5 / 3), 0.5 * np.log(25 / 9), 0.9 * np.log(1.8) + 0.1 * np.log(0.2)  # formula
    errors += [abs(_kl(p, q) - closed[0]), abs(_kl(p, q) - closed[1]), abs(_kl(q, p) - closed[2])]

    # Continuous: eq:gauss-entropy by quadrature, and the decomposition for densities.
    for _ in range(5):
        mu1, mu2 = rng.normal(size=2)
        var1, var2 = np.exp(rng.normal(size=2))
        h, ce, kl = _quad_entropy_ce_kl(mu1, var1, mu2, var2)
        errors.append(abs(h - _gauss_entropy(var1)))
        errors.append(abs(ce - (h + kl)))
    # Negative differential entropy below 1 / (2 pi e), by quadrature.
    threshold = 1 / (2 * np.pi * np.e)  # formula: the threshold
    for var, sign in [(0.9 * threshold, -1), (threshold, 0), (1.1 * threshold, 1)]:
        h = _quad_entropy_ce_kl(0.0, var, 0.0, 1.0)[0]
        errors.append(abs(h) if sign == 0 else (0.0 if np.sign(h) == sign else 1.0))
    # Uniform on [0, a] has h = log a (quadrature of -p log p with p = 1/a on [0, a]).
    for a in (0.3, 2.0):
        x = np.linspace(0.0, a, 1001)
        dens = np.full_like(x, 1 / a)
        h_uniform = np.log(a)  # formula
        errors.append(abs(-np.trapezoid(dens * np.log(dens), x) - h_uniform))

    # Scaling x -> a x on R^d adds d log|a|, checked by quadrature on non-Gaussian densities.
    def mix1(x):  # a two-component Gaussian mixture on R
        return 0.3 * np.exp(_log_normal_pdf(x, -1.0, 0.25)) + 0.7 * np.exp(_log_normal_pdf(x, 1.5, 0.6))

    def h_quad(dens, x):
        d = dens(x)
        return -np.trapezoid(np.where(d > 0, d * np.log(np.where(d > 0, d, 1)), 0), x)

    # Smooth integrands that vanish at the grid ends: the trapezoidal rule converges
    # geometrically, and 60 001 points (spacing 1e-3, a hundredth of the narrowest scaled
    # component's standard deviation) already give the identities to rounding (~1e-16).
    x = np.linspace(-30, 30, 60_001)
    for scale in (-2.5, 0.2):

        def scaled(y, s=scale):  # eq:density-change with d = 1
            return mix1(y / s) / abs(s)

        shifted = h_quad(mix1, x) + np.log(abs(scale))  # formula: h + d log|a| with d = 1
        errors.append(abs(h_quad(scaled, x) - shifted))

    def mix2(x1, x2):  # a correlated, non-product density on R^2
        r1 = np.exp(-0.5 * (x1**2 + x2**2 - 1.2 * x1 * x2) / 0.64) / (2 * np.pi * 0.8)
        r2 = np.exp(-0.5 * ((x1 - 2) ** 2 + (x2 + 1) ** 2) / 0.3) / (2 * np.pi * 0.3)
        return 0.5 * r1 + 0.5 * r2

    def h_quad2(dens, g):
        x1, x2 = np.meshgrid(g, g, indexing="ij")
        d = dens(x1, x2)
        f = np.where(d > 0, d * np.log(np.where(d > 0, d, 1)), 0)
        return -np.trapezoid(np.trapezoid(f, g, axis=1), g)

    # 801 x 801 points: to rounding the same as 1601 x 1601 (geometric convergence, as above;
    # even 401 x 401 gives 0.0), at a quarter of the cost.
    g = np.linspace(-16, 16, 801)
    scale = 1.7
    h0 = h_quad2(mix2, g)
    h1 = h_quad2(lambda y1, y2: mix2(y1 / scale, y2 / scale) / scale**2, g)
    shifted = h0 + 2 * np.log(scale)  # formula: h + d log|a| with d = 2
    errors.append(abs(h1 - shifted))

    # Quantising N(0, 1) with bins of width delta: the discrete entropy is close to h - log(delta).
    for delta in (1e-1, 1e-2):
        centres = np.arange(-12, 12, delta) + delta / 2
        mass = np.exp(_log_normal_pdf(centres, 0.0, 1.0)) * delta
        mass /= mass.sum()
        quantised = _gauss_entropy(1.0) - np.log(delta)  # formula: h - log(delta)
        errors.append(abs(_entropy(mass) - quantised))
    return float(np.max(errors)), TOL


def check_gibbs_inequality():
    """KL >= 0 with equality iff p = q; eq:log-bound, eq:gibbs, eq:kl-nonneg-terms,
    eq:entropy-bounds, the Jensen route, eq:gauss-kl."""
    rng = np.random.default_rng(0)
    errors = []

    # eq:log-bound on a wide grid, with equality only at x = 1.
    x = np.concatenate([np.logspace(-12, 12, 20_001), [1.0]])
    gap = x - 1 - np.log(x)  # formula: eq:log-bound
    errors.append(max(0.0, -gap.min()))
    errors.append(abs(gap[-1]))
    away = np.abs(x - 1) > 1e-3
    errors.append(0.0 if gap[away].min() > 0 else 1.0)

    # eq:gibbs: non-negative on random pairs (p with zeros), zero at q = p. A wrong KL goes
    # negative on a sizeable fraction of random pairs, not one in thousands, so 2000 pairs (as
    # in the loops below) catch it as surely as 10 000 did, in a fifth of the time.
    kls, dists = [], []
    for _ in range(300):
        p, q = _random_pair(rng)
        kls.append(_kl(p, q))
        dists.append(np.abs(p - q).sum())
        errors.append(abs(_kl(p, p)))
    kls, dists = np.array(kls), np.array(dists)
    errors.append(max(0.0, -kls.min()))
    errors.append(0.0 if kls[dists > 0.05].min() > 0 else 1.0)

    # Step 3 then step 4: -KL <= sum_S q_k - 1 <= 0, with q allowed mass outside S.
    for _ in range(200):
        p, q = _random_pair(rng)
        s = p > 0
        bound = q[s].sum() - 1  # formula: step 3
        errors.append(max(0.0, -_kl(p, q) - bound))
        # The slack of step 3 is exactly the sum of the non-negative terms p (x - 1 - log x)
        ratio = q[s] / p[s]
        errors.append(abs(bound + _kl(p, q) - np.sum(p[s] * (ratio - 1 - np.log(ratio)))))

    # eq:kl-nonneg-terms: exact identity with non-negative pieces.
    for _ in range(300):
        p, q = _random_pair(rng)
        s = p > 0
        r = q[s] / p[s]  # formula: eq:kl-nonneg-terms
        pieces = p[s] * (r - 1 - np.log(r))  # formula: eq:kl-nonneg-terms
        total = pieces.sum() + q[~s].sum()  # formula: eq:kl-nonneg-terms
        errors.append(abs(_kl(p, q) - total))
        errors.append(max(0.0, -pieces.min()))

    # Jensen route: E_p[log(q/p)] <= log E_p[q/p] = log sum_S q <= 0.
    for _ in range(200):
        p, q = _random_pair(rng)
        s = p > 0
        lhs = np.sum(p[s] * np.log(q[s] / p[s]))
        mid = np.log(np.sum(p[s] * q[s] / p[s]))  # formula: Jensen
        errors.append(max(0.0, lhs - mid))
        errors.append(abs(mid - np.log(q[s].sum())))
        errors.append(max(0.0, mid))

    # eq:entropy-bounds, KL to the uniform, and the extremes.
    for _ in range(300):
        p, _ = _random_pair(rng)
        k = p.size
        u = np.full(k, 1 / k)
        to_uniform = np.log(k) - _entropy(p)  # formula: KL(p || u)
        errors.append(abs(_kl(p, u) - to_uniform))
        errors.append(max(0.0, -_entropy(p)))
        errors.append(max(0.0, _entropy(p) - np.log(k)))
    errors.append(abs(_entropy(np.eye(6)[2])))
    errors.append(abs(_entropy(np.full(6, 1 / 6)) - np.log(6)))
    # Each entropy term lies in [0, 1/e].
    t = np.linspace(0, 1, 100_001)[1:]
    errors.append(max(0.0, (-t * np.log(t)).max() - 1 / np.e))

    # Support asymmetry example: KL(p || (1, 0)) = inf, KL((1, 0) || p) = log 2.
    p = np.array([0.5, 0.5])
    q = np.array([1.0, 0.0])
    errors.append(0.0 if _kl(p, q) == np.inf else 1.0)
    errors.append(abs(_kl(q, p) - np.log(2)))

    # eq:gauss-kl against quadrature, non-negative, invariant under a shared affine map.
    for _ in range(5):
        mu1, mu2 = rng.normal(size=2)
        var1, var2 = np.exp(rng.normal(size=2))
        _, _, kl = _quad_entropy_ce_kl(mu1, var1, mu2, var2)
        closed = _gauss_kl(mu1, var1, mu2, var2)
        errors.append(abs(kl - closed))
        errors.append(max(0.0, -closed))
        a, c = rng.normal(), rng.normal()
        moved = _gauss_kl(a * mu1 + c, a**2 * var1, a * mu2 + c, a**2 * var2)  # formula: invariance
        errors.append(abs(moved - closed))
        # The form (t - 1 - log t) / 2 + (mu1 - mu2)^2 / (2 var2), t = var1 / var2.
        t = var1 / var2
        t_form = 0.5 * (t - 1 - np.log(t)) + (mu1 - mu2) ** 2 / (2 * var2)  # formula
        errors.append(abs(closed - t_form))
        # The route through the cross-entropy: h(p, q) - h(p).
        ce = 0.5 * np.log(2 * np.pi * var2) + (var1 + (mu1 - mu2) ** 2) / (2 * var2)  # formula
        errors.append(abs(closed - (ce - _gauss_entropy(var1))))
    errors.append(abs(_gauss_kl(0.3, 0.8, 0.3, 0.8)))
    errors.append(0.0 if min(_gauss_kl(0.3, 0.8, 0.31, 0.8), _gauss_kl(0.3, 0.8, 0.3, 0.81)) > 0 else 1.0)

    # KL is unchanged by a shared smooth invertible (non-linear) map y = x + x^3 / 3.
    def mix_a(x):
        return 0.4 * np.exp(_log_normal_pdf(x, -0.5, 0.3)) + 0.6 * np.exp(_log_normal_pdf(x, 0.8, 0.5))

    def mix_b(x):
        return np.exp(_log_normal_pdf(x, 0.2, 0.9))

    def inv(y):  # solve x + x^3 / 3 = y by Newton's method (the map is strictly increasing)
        x = np.cbrt(3 * y) * (np.abs(y) > 1) + y * (np.abs(y) <= 1)
        for _ in range(15):  # quadratic convergence from this start: 15 steps reach rounding
            x = x - (x + x**3 / 3 - y) / (1 + x**2)
        return x

    def kl_quad(pa, pb, x):
        a, b = pa(x), pb(x)
        return np.trapezoid(a * (np.log(a) - np.log(b)), x)

    # Both integrands are smooth and decay to ~0 at the ends of their grids, so the trapezoidal
    # rule converges geometrically in the number of points: at these sizes it already agrees
    # with 100x finer grids to ~1e-17, and what is left (~8e-11) is the tail mass outside
    # y in [-60, 60], well below TOL. Finer grids only cost time (Newton steps on 2e6 points
    # take seconds).
    x = np.linspace(-8, 8, 4_001)
    y = np.linspace(-60, 60, 20_001)
    xy = inv(y)
    jac = 1 + xy**2
    kl_x = kl_quad(mix_a, mix_b, x)
    a_y, b_y = mix_a(xy) / jac, mix_b(xy) / jac  # densities of y = g(x), sampled on a grid in y
    kl_y = np.trapezoid(a_y * (np.log(a_y) - np.log(b_y)), y)
    errors.append(abs(kl_x - kl_y))
    return float(np.max(errors)), TOL


def check_kl_additivity():
    """eq:kl-additivity for product distributions (and entropy, cross-entropy), eq:kl-chain."""
    rng = np.random.default_rng(0)
    errors = []
    for _ in range(200):
        p1, q1 = _random_pair(rng, k_max=8)
        p2, q2 = _random_pair(rng, k_max=8)
        p = np.outer(p1, p2).ravel()
        q = np.outer(q1, q2).ravel()
        kl_sum = _kl(p1, q1) + _kl(p2, q2)  # formula: eq:kl-additivity
        h_sum = _entropy(p1) + _entropy(p2)  # formula: step 4
        ce_sum = _cross_entropy(p1, q1) + _cross_entropy(p2, q2)  # formula: step 4
        errors.append(abs(_kl(p, q) - kl_sum))
        errors.append(abs(_entropy(p) - h_sum))
        errors.append(abs(_cross_entropy(p, q) - ce_sum))
        # Step 4: for cross-entropy only q must factorise; any joint target with marginals p1, p2.
        joint = np.outer(p1, p2) + 0.0
        if p1.size > 1 and p2.size > 1:
            i, j = np.argsort(-p1)[:2], np.argsort(-p2)[:2]
            eps = 0.5 * min(joint[i[0], j[1]], joint[i[1], j[0]])
            joint[i[0], j[0]] += eps
            joint[i[1], j[1]] += eps
            joint[i[0], j[1]] -= eps
            joint[i[1], j[0]] -= eps
        errors.append(abs(joint.sum(1) - p1).max() + abs(joint.sum(0) - p2).max())
        errors.append(abs(_cross_entropy(joint.ravel(), q) - ce_sum))

    # eq:kl-chain for general (non-product) joints.
    for _ in range(200):
        k1, k2 = rng.integers(2, 7, size=2)
        pj = rng.dirichlet(np.full(k1 * k2, 0.7)).reshape(k1, k2)
        qj = rng.dirichlet(np.full(k1 * k2, 0.7)).reshape(k1, k2)
        pj[rng.random((k1, k2)) < 0.2] = 0.0
        pj /= pj.sum()
        p1, q1 = pj.sum(1), qj.sum(1)
        cond = sum(p1[i] * _kl(pj[i] / p1[i], qj[i] / q1[i]) for i in range(k1) if p1[i] > 0)  # formula
        chain = _kl(p1, q1) + cond  # formula: eq:kl-chain
        errors.append(abs(_kl(pj.ravel(), qj.ravel()) - chain))
    return float(np.max(errors)), TOL


# Numbers quoted in the note: each numbers_ function returns excerpts of the note with {} where a
# number stands, and the runner compares the computed values with the printed ones.


def numbers_asymmetry():
    """The two-outcome example: its table in nats and bits, and the six-decimal sums after it."""
    p, q = np.array([0.5, 0.5]), np.array([0.9, 0.1])
    rows = {
        "$H(\\bp)$": _entropy(p),
        "$H(\\bq)$": _entropy(q),
        "$\\DKL{\\bp}{\\bq}$": _kl(p, q),
        "$\\DKL{\\bq}{\\bp}$": _kl(q, p),
        "$H(\\bp, \\bq)$": _cross_entropy(p, q),
        "$H(\\bq, \\bp)$": _cross_entropy(q, p),
    }
    quoted = {f"| {label} | {{}} | {{}} |": (value, value / np.log(2)) for label, value in rows.items()}
    quoted["to six decimals, ${} + {} = {}$ and ${} + {} = {}$"] = (
        _entropy(p),
        _kl(p, q),
        _cross_entropy(p, q),
        _entropy(q),
        _kl(q, p),
        _cross_entropy(q, p),
    )
    return quoted


def numbers_units_and_densities():
    """The unit conversion, the threshold for negative differential entropy, and the Gaussian example
    (by quadrature, independently of the closed forms)."""
    h, ce, kl = _quad_entropy_ce_kl(0.0, 0.01, 0.0, 1.0)
    return {
        "\\approx {}\\, H(\\bp)": 1 / np.log(2),
        "One bit is $\\log 2 \\approx {}$ nats": np.log(2),
        "as soon as $\\sigma^2 < 1/(2\\pi e) \\approx {}$": 1 / (2 * np.pi * np.e),
        "$h(p) \\approx {}$ nats, $\\KL(p \\Vert q) \\approx {}$, and $h(p, q) \\approx {}$": (h, kl, ce),
    }


def numbers_float32():
    """Zero targets, zero model probabilities, clipping, and the printed results of the code block."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p32 = np.array([0.5, 0.5, 0.0], dtype=np.float32)
        naive = float(-np.sum(p32 * np.log(p32)))
    safe = np.where(p32 > 0, p32, 1)
    masked = float(-np.sum(np.where(p32 > 0, p32 * np.log(safe), 0)))
    q32 = np.array([0.25, 0.25, 0.5], dtype=np.float32)
    s = p32 > 0
    r = q32[s] / p32[s]
    kl_pq = float(np.sum(p32[s] * (r - 1 - np.log(r))) + np.sum(q32[~s]))
    # The largest float32 x at which np.exp returns 0, found by stepping down from -103
    x = np.float32(-103.0)
    while np.exp(x) != 0:
        x = np.nextafter(x, np.float32(-np.inf))
    tiny = float(np.finfo(np.float32).tiny)
    return {
        "the true entropy is $\\log 2 \\approx {}$": masked if np.isnan(naive) else np.nan,
        "print(entropy(p)) # {}": masked,
        "print(kl(p, q)) # {} = log 2, of which q(S^c) = {}": (kl_pq, float(np.sum(q32[~s]))),
        "a subnormal near ${}$, and anything": float(np.finfo(np.float32).smallest_subnormal),
        "true value drops below about ${}$, a log-probability of about ${}$": (2.0**-150, np.log(2.0**-150)),
        "returns $0$ from $x \\approx {}$ downwards": float(x),
        "the smallest normal float32, ${}$, a log-probability of about ${}$": (tiny, np.log(tiny)),
        "which is ${}$ nats for $\\varepsilon = 10^{-7}$": float(-np.log(np.float32(1e-7))),
        "and ${}$ for $\\varepsilon = 10^{-8}$": float(-np.log(np.float32(1e-8))),
        "the float32 spacing just below $1$ is ${}$": float(np.float32(1) - np.nextafter(np.float32(1), np.float32(0))),
        "`np.float32(1) - np.float32(1e-8)` is exactly `{=}`": float(np.float32(1) - np.float32(1e-8)),
    }


def numbers_nearby_kl():
    """The warning: KL of nearby distributions with K = 1000, in float64 and three float32 routes."""
    rng = np.random.default_rng(0)
    k = 1000
    p = rng.dirichlet(np.ones(k))
    q = p * np.exp(1e-3 * rng.standard_normal(k))
    q /= q.sum()
    truth = float(np.sum(p * np.log(p / q)))
    p32, q32 = p.astype(np.float32), q.astype(np.float32)
    h32 = float(-np.sum(p32 * np.log(p32)))
    ce32 = float(-np.sum(p32 * np.log(q32)))
    direct = float(np.sum(p32 * (np.log(p32) - np.log(q32))))
    r = q32 / p32
    pieces = float(np.sum(p32 * (r - 1 - np.log(r))))
    return {
        "the float64 divergence is ${}$": truth,
        # the same value: the note prints ce32, and the code requires h32 to be equal to it
        "round to the same value, ${}$, and their difference is exactly ${=}$": (
            ce32 if h32 == ce32 else np.nan,
            ce32 - h32,
        ),
        "gives ${}$, an error of ${}\\%$": (direct, 100 * abs(direct - truth) / truth),
        "[[#eq:kl-nonneg-terms]] gives ${}$, a relative error of ${}$": (pieces, abs(pieces - truth) / truth),
    }


if __name__ == "__main__":
    for name, fn in list(globals().items()):
        if name.startswith("check_"):
            print(name, fn())
        if name.startswith("numbers_"):
            for excerpt, value in fn().items():
                print(f"  {excerpt}: {value}")
