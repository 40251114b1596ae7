"""Numerical checks for notes/corpus/maximum-likelihood-kl.md.

One check_<derivation id> function per derivation block. Each returns
(measured_error, tolerance) and passes when measured_error <= tolerance. Exact identities
are compared in float64 at seeded random points; Monte Carlo statements are compared with
a tolerance of five standard errors. Where a check mixes both, every error is divided by
its own tolerance and the function returns (largest ratio, 1.0).

numbers_<name>() return the numbers the note quotes (tables, float16 and float32 experiments,
the I-projection and the sandwich simulation), keyed by the excerpt of the note around each; the
runner compares them with the note's text.
"""

import numpy as np

EXACT = 1e-10


def _softmax(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _log_softmax(z):
    s = z - np.max(z, axis=-1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))


def _entropy(p):
    s = p > 0
    return -np.sum(p[s] * np.log(p[s]))


def _kl(p, q):
    s = p > 0
    return np.sum(p[s] * np.log(p[s] / q[s]))


def _fd_grad(f, x, h=1e-5):
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def _npdf(x, mu, var):
    return np.exp(-((x - mu) ** 2) / (2 * var)) / np.sqrt(2 * np.pi * var)


# The bimodal example of the note: p = 0.5 N(-2, 0.5^2) + 0.5 N(2, 0.5^2).
M_SEP, S_COMP = 2.0, 0.5


def _mixture_grid(n=200001, half_width=15.0, sep=M_SEP, sd=S_COMP):
    x = np.linspace(-half_width, half_width, n)
    p = 0.5 * _npdf(x, -sep, sd**2) + 0.5 * _npdf(x, sep, sd**2)
    return x, x[1] - x[0], p


def _m_projection_variance(sep, sd):  # formula: eq:moment-matching for the mixture
    return sep**2 + sd**2


def _fourth_central_moment(sep, sd):  # formula: mu_4 of the mixture (its mean is zero)
    return sep**4 + 6 * sep**2 * sd**2 + 3 * sd**4


def _quad_kl(a, b, dx):
    """KL(a || b) for densities on a grid (rectangle rule; tails are negligible)."""
    s = a > 1e-300
    return np.sum(a[s] * (np.log(a[s]) - np.log(b[s]))) * dx


def _gaussian_nll(th, x, p, dx):
    """Population NLL of the Gaussian q(x) = exp(th1 x + th2 x^2 - A), th2 < 0, under the grid
    density p, with the closed-form log-normaliser A."""
    logq_unnorm = th[0] * x + th[1] * x**2
    A = np.log(np.sqrt(np.pi / -th[1])) + th[0] ** 2 / (-4 * th[1])
    return -np.sum(p * (logq_unnorm - A)) * dx


def _rkl_newton(x, dx, logp, mu, sd, steps=12):
    """I-projection of a grid density onto Gaussians: Newton's method on KL(q || p) in (mu, sd).

    The gradient is E_q[(log q - log p) * score] by quadrature; the Hessian is its central difference.
    Returns (mu, sd, KL(q || p), gradient norm, smallest Hessian eigenvalue)."""

    def grad(th):
        m, s = th
        logq = -((x - m) ** 2) / (2 * s * s) - 0.5 * np.log(2 * np.pi * s * s)
        w = np.exp(logq) * (logq - logp)
        g = np.array([np.sum(w * (x - m) / s**2), np.sum(w * ((x - m) ** 2 / s**3 - 1 / s))]) * dx
        return np.sum(w) * dx, g

    th = np.array([mu, sd])
    for _ in range(steps):
        h = 1e-6
        H = np.column_stack([(grad(th + h * e)[1] - grad(th - h * e)[1]) / (2 * h) for e in np.eye(2)])
        th = th - np.linalg.solve(H, grad(th)[1])
    f, g = grad(th)
    return th[0], th[1], f, np.linalg.norm(g), np.linalg.eigvalsh(0.5 * (H + H.T)).min()


def check_mle_empirical_kl():
    """eq:empirical, eq:avg-nll, eq:population-nll, eq:mle-empirical-kl, eq:population-kl,
    step 5 (categorical MLE = frequencies, through the gradient softmax(z) - p_hat),
    eq:conditional-kl and its chain-rule reading."""
    rng = np.random.default_rng(0)
    ratios = []
    for _ in range(50):
        K = int(rng.integers(2, 12))
        p = rng.dirichlet(np.full(K, 0.5))
        q = rng.dirichlet(np.ones(K))
        N = int(rng.integers(5, 60))
        x = rng.choice(K, size=N, p=p)
        # eq:avg-nll computed sample by sample ...
        nll = -np.mean(np.log(q[x]))
        # ... against eq:mle-empirical-kl computed from the counts.
        p_hat = np.bincount(x, minlength=K) / N  # formula: eq:empirical
        decomposed = _entropy(p_hat) + _kl(p_hat, q)  # formula: eq:mle-empirical-kl
        ratios.append(abs(nll - decomposed) / EXACT)
        # Step 5: the NLL as a function of logits has gradient softmax(z) - p_hat, which vanishes at
        # z = log p_hat (where defined), and p_hat beats random competitors.
        z = rng.normal(size=K)
        g = _fd_grad(lambda v, x=x: -np.mean(_log_softmax(v)[x]), z)
        grad = _softmax(z) - p_hat  # formula: step 5
        ratios.append(np.abs(g - grad).max() / 1e-8)
        for _ in range(5):
            q2 = rng.dirichlet(np.ones(K))
            ratios.append(max(0.0, np.mean(np.log(q2[x])) - np.mean(np.log(p_hat[x]))) / EXACT)
    # Step 3: E[L_N(theta)] = H(p, q) = H(p) + KL(p || q), by Monte Carlo over data sets.
    K, N, R = 6, 20, 20000
    p = rng.dirichlet(np.ones(K))
    q = rng.dirichlet(np.ones(K))
    xs = rng.choice(K, size=(R, N), p=p)
    L = -np.log(q[xs]).mean(axis=1)
    se = L.std() / np.sqrt(R)
    population = _entropy(p) + _kl(p, q)  # formula: eq:population-kl
    ratios.append(abs(L.mean() - population) / (5 * se))
    # eq:conditional-kl on a random joint table p(x, y), model q(y | x).
    for _ in range(20):
        nx, ny = int(rng.integers(2, 6)), int(rng.integers(2, 6))
        pxy = rng.dirichlet(np.ones(nx * ny)).reshape(nx, ny)
        qyx = rng.dirichlet(np.ones(ny), size=nx)
        lhs = -np.sum(pxy * np.log(qyx))
        px = pxy.sum(axis=1)
        pyx = pxy / px[:, None]
        h_cond = sum(px[i] * _entropy(pyx[i]) for i in range(nx))  # formula: eq:conditional-kl
        ekl = sum(px[i] * _kl(pyx[i], qyx[i]) for i in range(nx))  # formula: eq:conditional-kl
        rhs = h_cond + ekl  # formula: eq:conditional-kl
        ratios.append(abs(lhs - rhs) / EXACT)
        # Chain-rule reading: KL between the joints p(x)p(y|x) and p(x)q(y|x).
        joint_kl = _kl(pxy.ravel(), (px[:, None] * qyx).ravel())
        ratios.append(abs(joint_kl - ekl) / EXACT)
    return float(np.max(ratios)), 1.0


def check_m_projection_moments():
    """eq:m-projection, eq:expfam-grad, convexity (step 3), eq:moment-matching, the Gaussian and
    categorical instances, an exponential fit to a gamma density, the I-projection of the table as
    a minimum of KL(q || p), and the sandwich variance of the warning by simulation."""
    rng = np.random.default_rng(0)
    ratios = []
    x, dx, p = _mixture_grid(n=48001, half_width=12.0)
    Ep_t = np.array([np.sum(x * p) * dx, np.sum(x**2 * p) * dx])

    def L(th):
        return _gaussian_nll(th, x, p, dx)

    for _ in range(10):
        th = np.array([rng.normal(), -rng.uniform(0.05, 1.0)])
        mean, var = -th[0] / (2 * th[1]), -1 / (2 * th[1])
        Eq_t = np.array([mean, var + mean**2])
        g = _fd_grad(L, th, h=1e-6)
        grad = Eq_t - Ep_t  # formula: eq:expfam-grad
        ratios.append(np.abs(g - grad).max() / 1e-6)
        # Convexity: finite-difference Hessian is positive definite.
        H = np.column_stack([_fd_grad(lambda v, j=j: _fd_grad(L, v, h=1e-4)[j], th, h=1e-4) for j in range(2)])
        ratios.append(max(0.0, -np.linalg.eigvalsh(0.5 * (H + H.T)).min()) / 1e-6)
    # Moment matching gives mean 0 and the mixture's variance, the gradient vanishes there and
    # nearby parameters are worse; on the note's mixture and on a second one (where sep^2 != 2 sep).
    for sep, sd in ((M_SEP, S_COMP), (1.3, 0.7)):
        xm, dxm, pm = _mixture_grid(n=48001, half_width=12.0, sep=sep, sd=sd)
        var_star = _m_projection_variance(sep, sd)
        th_star = np.array([0.0, -1 / (2 * var_star)])
        ratios.append(abs(np.sum(xm**2 * pm) * dxm - var_star) / 1e-8)
        ratios.append(
            np.abs(_fd_grad(lambda th, xm=xm, pm=pm, dxm=dxm: _gaussian_nll(th, xm, pm, dxm), th_star)).max() / 1e-6
        )
        for _ in range(10):
            d = rng.normal(size=2) * np.array([0.05, 0.01])
            worse = _gaussian_nll(th_star + d, xm, pm, dxm) - _gaussian_nll(th_star, xm, pm, dxm)
            ratios.append(max(0.0, -worse) / EXACT)
        # Sandwich: mu_4 (closed form) against quadrature.
        ratios.append(abs(_fourth_central_moment(sep, sd) - np.sum(xm**4 * pm) * dxm) / 1e-6)
    ratios.append(abs(Ep_t[0]) / 1e-9)
    # Categorical instance: L(z) = H(p, softmax(z)) has gradient softmax(z) - p.
    for _ in range(10):
        K = int(rng.integers(2, 8))
        pk = rng.dirichlet(np.ones(K))
        z = rng.normal(size=K)
        g = _fd_grad(lambda v, pk=pk: -np.sum(pk * _log_softmax(v)), z)
        grad = _softmax(z) - pk  # formula: step 5
        ratios.append(np.abs(g - grad).max() / 1e-8)
    # Exponential family q(x) = lam exp(-lam x) on x > 0, fitted to a gamma(3, 1) density:
    # moment matching predicts lam = 1 / E_p[x] = 1/3. Minimise the quadrature NLL by golden section.
    xg = np.linspace(0.0, 80.0, 400001)
    pg = xg**2 * np.exp(-xg) / 2.0
    dxg = xg[1] - xg[0]
    mass, m1 = np.sum(pg) * dxg, np.sum(xg * pg) * dxg

    def nll_exp(lam):  # -E_p[log lam - lam x], expectation by quadrature
        return -(mass * np.log(lam) - lam * m1)

    a, b = 0.01, 3.0
    r = (np.sqrt(5) - 1) / 2
    for _ in range(80):
        c, d = b - r * (b - a), a + r * (b - a)
        if nll_exp(c) < nll_exp(d):
            b = d
        else:
            a = c
    lam_star = mass / m1  # formula: eq:moment-matching with t(x) = -x
    ratios.append(abs(0.5 * (a + b) - lam_star) / 1e-6)
    # The I-projection of the table: Newton from the left component converges to a stationary
    # point with positive-definite Hessian, and a coarse scan over (mu, sd) finds nothing lower.
    mu_i, sd_i, rkl_i, gnorm, hmin = _rkl_newton(x, dx, np.log(p), -M_SEP, S_COMP)
    ratios.append(gnorm / 1e-9)
    ratios.append(max(0.0, -hmin) / 1e-9)
    xc = x[::8]
    logpc = np.log(p[::8])
    for m in np.linspace(-3.0, 3.0, 25):
        for s in np.linspace(0.25, 3.0, 23):
            logq = -((xc - m) ** 2) / (2 * s * s) - 0.5 * np.log(2 * np.pi * s * s)
            val = np.sum(np.exp(logq) * (logq - logpc)) * dx * 8
            ratios.append(max(0.0, rkl_i - val) / 1e-6)
    # Sandwich: N Var(sigma2_hat) -> mu4 - sigma^4 (model-based: 2 sigma^4), by simulation.
    var_star = _m_projection_variance(M_SEP, S_COMP)
    sandwich = _fourth_central_moment(M_SEP, S_COMP) - var_star**2  # formula: the sandwich entry
    N, R = 500, 3000
    xs = (rng.integers(0, 2, size=(R, N)) * 2 - 1) * M_SEP + S_COMP * rng.normal(size=(R, N))
    v = N * xs.var(axis=1)  # N * sigma2_hat, whose variance / N is the quantity
    est = v.var() / N
    se = np.sqrt(np.mean((v - v.mean()) ** 4) - v.var() ** 2) / np.sqrt(R) / N
    # Allow five standard errors plus the O(1/N) finite-sample correction.
    ratios.append(abs(est - sandwich) / (5 * se + sandwich * 4 / N))
    return float(np.max(ratios)), 1.0


def check_label_smoothing_mle():
    """Steps 1-2 (channel average = smoothed loss, by Monte Carlo), eq:smoothed-population
    (population minimiser by damped Newton steps), eq:ls-kl-uniform, eq:ls-logits and the margin."""
    rng = np.random.default_rng(0)
    ratios = []
    # Steps 1-2: sample the channel.
    K, eps, c = 7, 0.2, 3
    z = rng.normal(size=K)
    logq = _log_softmax(z)
    y_eps = np.full(K, eps / K)  # formula: step 1
    y_eps[c] += 1 - eps  # formula: step 1
    M = 400000
    keep = rng.random(M) > eps
    labels = np.where(keep, c, rng.integers(0, K, size=M))
    ratios.append(np.abs(np.bincount(labels, minlength=K) / M - y_eps).max() / (5 * np.sqrt(0.25 / M)))
    samples = -logq[labels]
    ratios.append(abs(samples.mean() - (-(y_eps @ logq))) / (5 * samples.std() / np.sqrt(M)))
    # eq:ls-kl-uniform at random points.
    for _ in range(100):
        K = int(rng.integers(2, 30))
        eps = rng.uniform(0.01, 0.99)
        c = int(rng.integers(K))
        z = rng.normal(scale=3.0, size=K)
        logq = _log_softmax(z)
        y_eps = np.full(K, eps / K)
        y_eps[c] += 1 - eps
        lhs = -(y_eps @ logq)
        u = np.full(K, 1 / K)
        rhs = (1 - eps) * (-logq[c]) + eps * _kl(u, np.exp(logq)) + eps * np.log(K)  # formula: eq:ls-kl-uniform
        ratios.append(abs(lhs - rhs) / EXACT)
    # eq:ls-logits and the margin: minimise l(z, y_eps) for one example by gradient descent.
    for K, eps in [(5, 0.1), (10, 0.3), (3, 0.05)]:
        c = 0
        y_eps = np.full(K, eps / K)
        y_eps[c] += 1 - eps
        z = np.zeros(K)
        for _ in range(200):  # Newton steps; the Hessian is singular along ones, hence pinv
            q = _softmax(z)
            step = np.linalg.pinv(np.diag(q) - np.outer(q, q)) @ (q - y_eps)
            z -= step / max(1.0, np.linalg.norm(step))  # damped
        z -= z.mean()
        delta = np.log1p(K * (1 - eps) / eps)  # formula: the margin
        z_c = (K - 1) / K * delta  # formula: eq:ls-logits
        z_l = -delta / K  # formula: eq:ls-logits
        norm = delta * np.sqrt((K - 1) / K)  # formula: eq:ls-logits
        ratios.append(abs(z[0] - z[1] - delta) / 1e-8)
        ratios.append(abs(z[0] - z_c) / 1e-8)
        ratios.append(np.abs(z[1:] - z_l).max() / 1e-8)
        ratios.append(abs(np.linalg.norm(z) - norm) / 1e-8)
    # eq:smoothed-population: minimise E_{c ~ p} l(z, y_eps(c)), computed label by label.
    for _ in range(3):
        K, eps = 4, 0.15
        p = rng.dirichlet(np.ones(K))
        Y = (1 - eps) * np.eye(K) + eps / K
        z = np.zeros(K)
        for _ in range(200):
            q = _softmax(z)
            grad = sum(p[c] * (q - Y[c]) for c in range(K))  # label by label, not via the mixed target
            step = np.linalg.pinv(np.diag(q) - np.outer(q, q)) @ grad
            z -= step / max(1.0, np.linalg.norm(step))
        smoothed = (1 - eps) * p + eps / K  # formula: eq:smoothed-population
        ratios.append(np.abs(_softmax(z) - smoothed).max() / 1e-8)
    return float(np.max(ratios)), 1.0


def _smoothed_target(K, eps=0.1):
    y = np.full(K, eps / K)
    y[0] += 1 - eps
    return y


def numbers_label_smoothing_floors():
    """The table of floors under label smoothing, eps = 0.1."""
    rows = {}
    for K, lead in ((10, "| 10 | {} |"), (1000, "| 1000 | {} |"), (50257, "| 50257 | {} |")):
        y = _smoothed_target(K)
        delta = np.log1p(K * 0.9 / 0.1)
        rows[lead + " {} | {} | {} |"] = (y[0], delta, _entropy(y), (K - 1) / K * delta)
    return rows | {"has a training loss floor of ${}$ nats per token": _entropy(_smoothed_target(50257))}


def numbers_projections():
    """The M- and I-projections of the bimodal mixture, with divergences by quadrature."""
    x, dx, p = _mixture_grid(n=48001, half_width=12.0)
    var_star = _m_projection_variance(M_SEP, S_COMP)
    qM = _npdf(x, 0.0, var_star)
    mu, sd, rkl, _, _ = _rkl_newton(x, dx, np.log(p), -1.8, 0.6)
    qI = _npdf(x, mu, sd * sd)
    p0 = 0.5 * _npdf(0.0, -M_SEP, S_COMP**2) + 0.5 * _npdf(0.0, M_SEP, S_COMP**2)
    return {
        "the M-projection is $\\mu = {=}$, $\\sigma^2 = 2^2 + 0.5^2 = {}$": (0.0, var_star),
        "one at $\\mu = {}$, $\\sigma = {}$.": (mu, sd),
        "| M-projection | ${=}$ | ${}$ | ${}$ | ${}$ |": (
            0.0,
            np.sqrt(var_star),
            _quad_kl(p, qM, dx),
            _quad_kl(qM, p, dx),
        ),
        "| I-projection | ${}$ | ${}$ | ${}$ | ${}$ |": (mu, sd, _quad_kl(p, qI, dx), rkl),
        "puts its peak density, ${}$, at $x = {=}$, where $p$ has density ${}$": (_npdf(0.0, 0.0, var_star), 0.0, p0),
        "at a cost of almost exactly $\\log 2 \\approx {}$": np.log(2),
    }


def numbers_sandwich():
    """The sandwich variance of sigma2-hat against the model-based one, and the simulation."""
    var_star = _m_projection_variance(M_SEP, S_COMP)
    mu4 = _fourth_central_moment(M_SEP, S_COMP)
    rng = np.random.default_rng(0)
    N, R = 1000, 4000
    xs = (rng.integers(0, 2, size=(R, N)) * 2 - 1) * M_SEP + S_COMP * rng.normal(size=(R, N))
    return {
        "$N \\Var(\\hat\\sigma^2) \\to \\mu_4 - \\sigma^4 = {}$, where $\\mu_4 = \\E_p[x^4] = {}$": (
            mu4 - var_star**2,
            mu4,
        ),
        "predicts $2\\sigma^4 = {}$, an overstatement by a factor of ${}$": (
            2 * var_star**2,
            2 * var_star**2 / (mu4 - var_star**2),
        ),
        "Four thousand simulated data sets of size $N = {=}$ give ${}$": (N, N * xs.var(axis=1).var()),
    }


def numbers_reductions():
    """The reductions example and the perplexities of the losses 2 and 3."""
    a, b = np.full(10, 4.0), np.full(1000, 2.0)
    return {
        "one sequence of {=} tokens at loss ${}$ and one of {=} tokens at loss ${}$, $L_{\\text{token}} = {}$ and $L_{\\text{seq}} = {}$": (
            a.size,
            a[0],
            b.size,
            b[0],
            (a.sum() + b.sum()) / (a.size + b.size),
            (a.mean() + b.mean()) / 2,
        ),
        "a loss of ${}$ nats per token is a perplexity of ${}$, and ${}$ is ${}$": (2.0, np.exp(2.0), 3.0, np.exp(3.0)),
    }


def numbers_float16_perplexity():
    """Perplexity computed in float16: overflow for 128256 tokens, rounding for 50257."""
    f16 = np.float16
    largest = float(np.finfo(f16).max)
    loss = f16(np.log(50257))
    with np.errstate(over="ignore"):
        overflow = float(np.exp(f16(np.log(128256))))
    return {
        "The largest float16 is {=}, whose logarithm is ${}$": (largest, np.log(largest)),
        "has loss close to $\\log 128256 = {}$, and `np.exp` of that loss in float16 overflows to ${=}$": (
            np.log(128256),
            overflow,
        ),
        "the loss ${}$ rounds to ${=}$, the nearest float16 (whose spacing there is $2^{-7} = {=}$)": (
            np.log(50257),
            float(loss),
            float(np.spacing(loss)),
        ),
        "comes out as ${=}$ instead of ${=}$": (float(np.exp(loss)), 50257),
    }


def numbers_accumulation():
    """10^7 per-token losses (gamma, mean 2.4) summed in float32: one at a time, and pairwise."""
    rng = np.random.default_rng(0)
    n = 10_000_000
    losses = rng.gamma(2.0, 1.2, size=n).astype(np.float32)
    exact = np.sum(losses.astype(np.float64))
    sequential = np.cumsum(losses, dtype=np.float32)[-1]  # a running total, one addition at a time
    pairwise = np.sum(losses, dtype=np.float32)
    return {
        "Summing ${=}$ per-token losses (drawn with mean ${}$)": (n, 2.0 * 1.2),
        "loses ${}\\%$ of the total": 100 * (exact - sequential) / exact,
        "the reported perplexity becomes ${}$ instead of ${}$": (np.exp(np.float64(sequential) / n), np.exp(exact / n)),
        "pairwise summation in float32 has relative error ${}$": abs(pairwise - exact) / exact,
    }
