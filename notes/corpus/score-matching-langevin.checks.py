"""Numerical checks for notes/corpus/score-matching-langevin.md.

One check_<derivation id> function per derivation block. Each returns
(measured_error, tolerance) and passes when measured_error <= tolerance. Everything runs in
float64 with seeded inputs. Expectations under one- and two-dimensional densities are computed
by trapezoidal quadrature on fine grids (so the identities are tested to near machine
precision, independently of the algebra); divergences of model scores come from central
finite differences; Langevin chains are simulated and compared with the target density with a
tolerance several standard errors wide.

The numbers_ functions recompute every number the note quotes.
"""

import math

import numpy as np

# The running example: a two-component Gaussian mixture on the real line.
W_MIX = np.array([0.3, 0.7])
MU_MIX = np.array([-1.5, 1.5])
VAR_MIX = np.array([0.36, 0.36])


def _mix_logpdf(x, w, mu, var):
    """log of sum_k w_k N(x; mu_k, var_k), any shape of x, last axis = components."""
    lc = np.log(w) - 0.5 * np.log(2 * np.pi * var) - (x[..., None] - mu) ** 2 / (2 * var)
    m = lc.max(axis=-1, keepdims=True)
    return (m + np.log(np.exp(lc - m).sum(axis=-1, keepdims=True)))[..., 0]


def _mix_pdf(x, w, mu, var):
    return np.exp(_mix_logpdf(x, w, mu, var))


def _mix_score(x, w, mu, var):
    """d/dx log p(x) for a 1-D mixture: responsibilities times component scores."""
    lc = np.log(w) - 0.5 * np.log(var) - (x[..., None] - mu) ** 2 / (2 * var)
    lc = lc - lc.max(axis=-1, keepdims=True)
    r = np.exp(lc)
    r = r / r.sum(axis=-1, keepdims=True)
    return (r * (mu - x[..., None]) / var).sum(axis=-1)


def _score2(x, w, mu, var):
    """Fast score of a two-component 1-D mixture (for long Langevin runs)."""
    a = np.log(w[1] / w[0]) - 0.5 * np.log(var[1] / var[0])
    logit = a - (x - mu[1]) ** 2 / (2 * var[1]) + (x - mu[0]) ** 2 / (2 * var[0])
    r1 = 0.5 * (1 + np.tanh(0.5 * logit))
    return (1 - r1) * (mu[0] - x) / var[0] + r1 * (mu[1] - x) / var[1]


def _trap(y, x):
    return float(np.trapezoid(y, x))


def _model_score_1d(x, th):
    """A nonlinear model score s_theta(x) = a tanh(b x + c) - e x + f."""
    a, b, c, e, f = th
    return a * np.tanh(b * x + c) - e * x + f


def _model_score_1d_prime(x, th):
    a, b, c, e, _ = th
    return a * b / np.cosh(b * x + c) ** 2 - e


# --------------------------------------------------------------------------------------------
# Derivation: hyvarinen-score-matching
# --------------------------------------------------------------------------------------------


def check_hyvarinen_score_matching():
    """eq:fisher-divergence = eq:ism-objective + C, with C = 1/2 E||s_p||^2.

    (a) 1-D: non-Gaussian data (the mixture), nonlinear model score, quadrature, analytic s'.
    (b) 2-D: a Gaussian-mixture density, a small tanh network as the model score, quadrature on
        a grid, divergence tr(ds/dx) by central finite differences.
    (c) The worked example: p = N(0,1), s(x) = -x/v gives J(v) = -1/v + 1/(2 v^2) + 1/2.
    (d) The footnoted identity d/dt KL(p_t || q_t) = -D_F(p_t || q_t) under Gaussian smoothing.
    """
    rng = np.random.default_rng(0)
    errs = []
    # (a)
    x = np.linspace(-9, 9, 40_001)
    p = _mix_pdf(x, W_MIX, MU_MIX, VAR_MIX)
    sp = _mix_score(x, W_MIX, MU_MIX, VAR_MIX)
    const = 0.5 * _trap(p * sp**2, x)
    for _ in range(5):
        th = rng.normal(size=5) * np.array([1.0, 1.0, 0.5, 0.3, 0.5]) + np.array([0, 0, 0, 1.0, 0])
        s = _model_score_1d(x, th)
        fisher = 0.5 * _trap(p * (s - sp) ** 2, x)
        ism = _trap(p * (_model_score_1d_prime(x, th) + 0.5 * s**2), x) + const  # formula: eq:ism-objective
        errs.append(abs(fisher - ism) / max(1.0, abs(fisher)))
    # (b)
    g = np.linspace(-9, 9, 241)
    X1, X2 = np.meshgrid(g, g, indexing="ij")
    pts = np.stack([X1, X2], axis=-1)  # (n, n, 2)
    means = np.array([[-1.5, 0.5], [1.0, -1.0]])
    covs = np.array([[[1.0, 0.4], [0.4, 0.6]], [[0.5, -0.2], [-0.2, 0.8]]])
    wts = np.array([0.4, 0.6])
    dens = np.zeros(X1.shape)
    grad = np.zeros(pts.shape)
    for wk, mk, ck in zip(wts, means, covs):
        prec = np.linalg.inv(ck)
        diff = pts - mk
        quad = np.einsum("...i,ij,...j->...", diff, prec, diff)
        comp = wk * np.exp(-0.5 * quad) / (2 * np.pi * np.sqrt(np.linalg.det(ck)))
        dens += comp
        grad += comp[..., None] * (-(diff @ prec.T))
    sp2 = grad / dens[..., None]
    W1 = rng.normal(size=(8, 2))
    b1 = rng.normal(size=8)
    W2 = rng.normal(size=(2, 8)) * 0.5

    def s_net(z):
        return np.tanh(z @ W1.T + b1) @ W2.T - 0.7 * z

    s = s_net(pts)
    h = 1e-5
    div = np.zeros(X1.shape)
    for j in range(2):
        e = np.zeros(2)
        e[j] = h
        div += (s_net(pts + e)[..., j] - s_net(pts - e)[..., j]) / (2 * h)

    def integrate(f):
        return _trap(np.trapezoid(f, g, axis=1), g)

    fisher2 = 0.5 * integrate(dens * np.sum((s - sp2) ** 2, axis=-1))
    ism2 = integrate(dens * (div + 0.5 * np.sum(s**2, axis=-1))) + 0.5 * integrate(
        dens * np.sum(sp2**2, axis=-1)
    )  # formula
    errs.append(abs(fisher2 - ism2) / max(1.0, abs(fisher2)))
    # (c)
    xs = np.linspace(-12, 12, 100_001)
    phi = np.exp(-0.5 * xs**2) / np.sqrt(2 * np.pi)
    for v in [0.5, 1.0, 2.0]:
        direct = 0.5 * _trap(phi * (-xs / v + xs) ** 2, xs)
        closed = -1 / v + 1 / (2 * v**2) + 0.5  # formula: J_ISM(v) + C
        errs.append(abs(direct - closed))
    # (d) de Bruijn-type identity: d/dt KL(p_t || q_t) = -D_F(p_t || q_t) when both densities
    #     are convolved with N(0, t); p and q differ only in their mixture weights.
    x = np.linspace(-16, 16, 24_001)
    w_p, w_q = np.array([0.2, 0.8]), np.array([0.5, 0.5])
    mu, var = np.array([-4.0, 4.0]), np.array([0.25, 0.25])

    def kl_t(t):
        lp, lq = _mix_logpdf(x, w_p, mu, var + t), _mix_logpdf(x, w_q, mu, var + t)
        return _trap(np.exp(lp) * (lp - lq), x)

    for t in [0.5, 2.0, 4.0]:
        p_t = _mix_pdf(x, w_p, mu, var + t)
        fisher_t = 0.5 * _trap(p_t * (_mix_score(x, w_p, mu, var + t) - _mix_score(x, w_q, mu, var + t)) ** 2, x)
        rate = -fisher_t  # formula: the footnote's identity
        h = 1e-4
        errs.append(abs((kl_t(t + h) - kl_t(t - h)) / (2 * h) - rate))
    return float(np.max(errs)), 1e-8


# --------------------------------------------------------------------------------------------
# Derivation: denoising-score-matching
# --------------------------------------------------------------------------------------------


def check_denoising_score_matching():
    """eq:dsm-target, eq:score-posterior-mean, eq:dsm-objective, eq:esm-dsm-constant, eq:tweedie.

    Data p = the 1-D mixture, sigma = 0.5. The noisy marginal q_sigma is the mixture with
    variances var_k + sigma^2 (closed form). ESM(theta) uses that closed-form score; DSM(theta)
    is a genuine double integral over (x, x_tilde) on a 2-D grid. Their difference must equal
    the constant of eq:esm-dsm-constant for every theta, and the posterior mean of x given
    x_tilde (by quadrature) must equal Tweedie's formula. The conditional score is also checked
    against a central finite difference of log N(x_tilde; x, sigma^2).
    """
    rng = np.random.default_rng(0)
    sig = 0.5
    # Grid spacing 0.015 in x and 0.016 in x_tilde, a thirtieth of sigma or less: the
    # trapezoidal rule on these smooth, decaying integrands has converged (1601 x 2001 points
    # gave the same errors, ~7e-8, at four times the cost). What is left is the data mass
    # beyond |x| = 6, seen in the posterior means where they divide by a small q; far below 1e-6.
    x = np.linspace(-6, 6, 801)
    xt = np.linspace(-8, 8, 1001)
    px = _mix_pdf(x, W_MIX, MU_MIX, VAR_MIX)
    XT, XX = np.meshgrid(xt, x, indexing="ij")  # axis 0: x_tilde, axis 1: x
    kern = np.exp(-((XT - XX) ** 2) / (2 * sig**2)) / np.sqrt(2 * np.pi * sig**2)
    joint = kern * px[None, :]
    g_target = -(XT - XX) / sig**2  # formula: eq:dsm-target

    errs = []
    # conditional score by finite differences
    xa, xb, h = 0.3, -0.4, 1e-5

    def logk(u):
        return -((u - xb) ** 2) / (2 * sig**2) - 0.5 * np.log(2 * np.pi * sig**2)

    cond_score = -(xa - xb) / sig**2  # formula: eq:dsm-target
    errs.append(abs((logk(xa + h) - logk(xa - h)) / (2 * h) - cond_score))

    q = _mix_pdf(xt, W_MIX, MU_MIX, VAR_MIX + sig**2)
    sq = _mix_score(xt, W_MIX, MU_MIX, VAR_MIX + sig**2)
    # marginal of the grid joint equals q (sanity of the grid)
    q_grid = np.trapezoid(joint, x, axis=1)
    errs.append(float(np.max(np.abs(q_grid - q))))
    # eq:score-posterior-mean: E[g | x_tilde] = d/dx_tilde log q
    post_mean_g = np.trapezoid(joint * g_target, x, axis=1) / q_grid
    mask = q > 1e-6
    errs.append(float(np.max(np.abs(post_mean_g - sq)[mask])))
    # eq:tweedie
    post_mean_x = np.trapezoid(joint * XX, x, axis=1) / q_grid
    tweedie = xt + sig**2 * sq  # formula: eq:tweedie
    errs.append(float(np.max(np.abs(post_mean_x - tweedie)[mask])))
    # eq:esm-dsm-constant
    const = 0.5 * _trap(q * sq**2, xt) - 1 / (2 * sig**2)  # formula: eq:esm-dsm-constant
    for _ in range(4):
        th = rng.normal(size=5) * np.array([1.0, 1.0, 0.5, 0.3, 0.5]) + np.array([0, 0, 0, 1.0, 0])
        s = _model_score_1d(xt, th)
        esm = 0.5 * _trap(q * (s - sq) ** 2, xt)
        dsm = 0.5 * _trap(np.trapezoid(joint * (s[:, None] - g_target) ** 2, x, axis=1), xt)
        errs.append(abs((esm - dsm) - const))
    return float(np.max(errs)), 1e-6


# --------------------------------------------------------------------------------------------
# Derivation: langevin-stationary
# --------------------------------------------------------------------------------------------


def _one_step_change(eta, f, x, p, n_gh=40):
    """E_p[f(x')] - E_p[f(x)] for one Langevin step, by quadrature in x and Gauss-Hermite in xi."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(n_gh)
    weights = weights / weights.sum()
    s = _mix_score(x, W_MIX, MU_MIX, VAR_MIX)
    # The noise's sign is not marked: xi and -xi have the same law, so flipping it changes nothing.
    drift, spread = eta * s, np.sqrt(2 * eta)  # formula: eq:langevin-update
    xn = x[:, None] + drift[:, None] + spread * nodes[None, :]
    ef = f(xn) @ weights
    return _trap(p * (ef - f(x)), x)


def check_langevin_stationary():
    """eq:langevin-update, eq:generator, eq:langevin-invariance, on the 1-D mixture.

    (a) E_p[L f] = 0 for smooth test functions f (quadrature, analytic derivatives).
    (b) The one-step change E_p[f(x')] - E_p[f] is O(eta^2): halving eta divides it by ~4,
        while E_xi[f(x')] - f(x) itself is O(eta) pointwise.
    (c) A sample histogram of 10,000 chains after 400 steps of size 0.05 matches the density
        in total variation within (step-size bias at this eta) + (multinomial noise, 99.9%).
    Returns the worst of the three error/tolerance ratios against tolerance 1.
    """
    rng = np.random.default_rng(0)
    x = np.linspace(-8, 8, 40_001)
    p = _mix_pdf(x, W_MIX, MU_MIX, VAR_MIX)
    s = _mix_score(x, W_MIX, MU_MIX, VAR_MIX)
    ratios = []
    tests = [
        (lambda u: np.sin(1.3 * u), lambda u: 1.3 * np.cos(1.3 * u), lambda u: -1.69 * np.sin(1.3 * u)),
        (
            lambda u: np.exp(-(u**2) / 4),
            lambda u: -u / 2 * np.exp(-(u**2) / 4),
            lambda u: (u**2 / 4 - 0.5) * np.exp(-(u**2) / 4),
        ),
    ]
    # (a)
    for _, f1, f2 in tests:
        gen = s * f1(x) + f2(x)  # formula: eq:generator
        scale = _trap(p * (np.abs(s * f1(x)) + np.abs(f2(x))), x)
        ratios.append((abs(_trap(p * gen, x)) / scale) / 1e-9)
    # (b)
    xb = np.linspace(-8, 8, 8001)
    pb = _mix_pdf(xb, W_MIX, MU_MIX, VAR_MIX)
    for f, _, _ in tests:
        d1 = _one_step_change(0.02, f, xb, pb)
        d2 = _one_step_change(0.01, f, xb, pb)
        order = np.log2(abs(d1 / d2))
        ratios.append(abs(order - 2.0) / 0.15)
    # (c)
    n, steps, eta = 10_000, 400, 0.05
    xs = rng.normal(0.0, 3.0, n)
    spread = np.sqrt(2 * eta)  # formula: the noise scale of eq:langevin-update
    for _ in range(steps):
        xs = xs + eta * _score2(xs, W_MIX, MU_MIX, VAR_MIX) + spread * rng.standard_normal(n)
    edges = np.linspace(-5, 5, 41)
    counts, _ = np.histogram(xs, edges)
    cdf = np.concatenate([[0.0], np.cumsum((p[1:] + p[:-1]) / 2 * np.diff(x))])
    binp = np.diff(np.interp(edges, x, cdf))
    tv = 0.5 * np.sum(np.abs(counts / n - binp)) + 0.5 * (1 - binp.sum())
    noise = [0.5 * np.sum(np.abs(rng.multinomial(n, binp / binp.sum()) / n - binp)) for _ in range(400)]
    tol = _ula_stationary_tv(eta) + float(np.quantile(noise, 0.999))
    ratios.append(tv / tol)
    return float(np.max(ratios)), 1.0


def _ula_stationary_tv(eta, n_grid=1201):
    """Total variation between the exact stationary law of the discrete chain and p.

    The Gaussian transition kernel is discretised on a grid and its stationary vector found by a
    linear solve; this is the step-size bias, free of sampling noise.
    """
    g = np.linspace(-6, 6, n_grid)
    h = g[1] - g[0]
    p = _mix_pdf(g, W_MIX, MU_MIX, VAR_MIX)
    m = g + eta * _mix_score(g, W_MIX, MU_MIX, VAR_MIX)
    K = np.exp(-((g[None, :] - m[:, None]) ** 2) / (4 * eta))
    K = K / K.sum(axis=1, keepdims=True)
    A = K.T - np.eye(n_grid)
    A[-1, :] = 1.0
    b = np.zeros(n_grid)
    b[-1] = 1.0
    pi = np.linalg.solve(A, b)
    return float(0.5 * np.sum(np.abs(pi / h - p)) * h)


# --------------------------------------------------------------------------------------------
# Derivation: ula-gaussian-bias
# --------------------------------------------------------------------------------------------


def _ula_gauss_var(eta, tau2):  # formula: eq:ula-gaussian-var
    return tau2 / (1 - eta / (2 * tau2))


def check_ula_gaussian_bias():
    """eq:ula-gaussian-var: simulate 40,000 independent chains on N(mu, tau^2) for three step
    sizes and compare the sample variance with the formula (tolerance 5 standard errors), and the
    sample mean with mu. The covariance recursion of step 2 is tested on the transient from a
    correlated 2-D Gaussian start. Also: the chain diverges for eta > 2 tau^2 (variance explodes)."""
    rng = np.random.default_rng(0)
    mu, tau2 = 0.7, 1.5
    n = 40_000
    ratios = []
    for eta, steps in [(0.1, 60), (0.5, 20), (1.5, 5)]:  # the transient decays like (1 - eta/tau2)^(2k)
        x = rng.normal(mu, 2.0, n)
        for _ in range(steps):
            x = x + eta * (-(x - mu) / tau2) + np.sqrt(2 * eta) * rng.standard_normal(n)
        v = _ula_gauss_var(eta, tau2)
        se_v = v * np.sqrt(2.0 / (n - 1))
        ratios.append(abs(x.var(ddof=1) - v) / (5 * se_v))
        ratios.append(abs(x.mean() - mu) / (5 * np.sqrt(v / n)))
    # Transient from a correlated Gaussian start in 2-D: Sigma_{k+1} = rho^2 Sigma_k + 2 eta I.
    eta, k_steps = 0.5, 4
    rho = 1 - eta / tau2  # formula: step 1
    sig0 = np.array([[4.0, 1.5], [1.5, 1.0]])
    x2 = rng.standard_normal((n, 2)) @ np.linalg.cholesky(sig0).T + np.array([2.0, -1.0])
    sig_pred = sig0.copy()
    for _ in range(k_steps):
        x2 = x2 - eta * (x2 - mu) / tau2 + np.sqrt(2 * eta) * rng.standard_normal((n, 2))
        sig_pred = rho**2 * sig_pred + 2 * eta * np.eye(2)  # formula: step 2
    emp = np.cov(x2.T)
    se = np.sqrt((np.outer(np.diag(sig_pred), np.diag(sig_pred)) + sig_pred**2) / n)
    ratios.append(float(np.max(np.abs(emp - sig_pred) / (5 * se))))
    x = rng.normal(mu, 1.0, 1000)
    eta = 2.2 * tau2
    for _ in range(100):
        x = x + eta * (-(x - mu) / tau2) + np.sqrt(2 * eta) * rng.standard_normal(1000)
    ratios.append(0.0 if x.var() > 1e6 else 10.0)
    return float(np.max(ratios)), 1.0


# --------------------------------------------------------------------------------------------
# Numbers quoted in the note
# --------------------------------------------------------------------------------------------


def _grouped(n):
    """An integer as the note prints it in math, thousands grouped with {,}; an excerpt built
    with it occurs in the note only while the note's integer and the code's agree."""
    return f"{n:,}".replace(",", "{,}")


# The separated mixture of 'The score and the Fisher divergence' and 'Mode weights', and the
# mixture with equal weights it is compared with.
W_SEP, W_EVEN = np.array([0.2, 0.8]), np.array([0.5, 0.5])
MU_SEP, VAR_SEP = np.array([-4.0, 4.0]), np.array([0.25, 0.25])


def _fisher_and_kl(sigma):
    """D_F and KL between the two separated mixtures, both convolved with N(0, sigma^2)."""
    x = np.linspace(-24, 24, 400_001)
    v = VAR_SEP + sigma**2
    lp, lq = _mix_logpdf(x, W_SEP, MU_SEP, v), _mix_logpdf(x, W_EVEN, MU_SEP, v)
    sp, sq = _mix_score(x, W_SEP, MU_SEP, v), _mix_score(x, W_EVEN, MU_SEP, v)
    return 0.5 * _trap(np.exp(lp) * (sp - sq) ** 2, x), _trap(np.exp(lp) * (lp - lq), x)


def numbers_fisher_blindness():
    """'The score and the Fisher divergence', the noisy versions under 'Annealing', the footnote,
    and the image dimension of 'Score matching without the data score'."""
    fisher0, kl0 = _fisher_and_kl(0.0)
    fisher2, _ = _fisher_and_kl(2.0)
    h = 1e-3
    slope = (_fisher_and_kl(np.sqrt(4 + h))[1] - _fisher_and_kl(np.sqrt(4 - h))[1]) / (2 * h)
    return {
        "where $p$ is of order $e^{{}}$": _mix_logpdf(np.zeros(1), W_SEP, MU_SEP, VAR_SEP)[0],
        "$\\KL(p \\,\\Vert\\, q) = {}$ nats while $D_F(p \\,\\Vert\\, q) = {}$": (kl0, fisher0),
        "the Fisher divergence between the noisy versions rises to ${}$ from ${}$": (fisher2, fisher0),
        "at $t = 4$ the derivative is ${}$": slope,
        "$d = 3 \\cdot 32 \\cdot 32 = {=}$": 3 * 32 * 32,
    }


def numbers_step_size_bias():
    """'Step-size bias': the Gaussian's stationary variance, by eq:ula-gaussian-var and by simulating
    100,000 chains for 60 steps from N(0, 1) (the variance's transient decays like 0.81^k), and the
    mixture's exact bias on a grid."""
    rng = np.random.default_rng(0)
    n, eta = 100_000, 0.1
    z = rng.standard_normal(n)
    for _ in range(60):
        z = z - eta * z + np.sqrt(2 * eta) * rng.standard_normal(n)
    tv = [_ula_stationary_tv(e) for e in (0.2, 0.1, 0.05, 0.02)]
    ratios = [b / e for b, e in zip(tv, (0.2, 0.1, 0.05, 0.02))]
    return {
        f"predicts a stationary variance of ${{}}$; ${_grouped(n)}$ chains run for 60 steps from $\\Normal(0, 1)$ give ${{}}$ (standard error ${{}}$)": (
            _ula_gauss_var(eta, 1.0),
            z.var(),
            _ula_gauss_var(eta, 1.0) * np.sqrt(2 / n),
        ),
        "| TV(stationary law, $p$) | {} | {} | {} | {} |": tv,
        "(the ratio lies between ${}$ and ${}$)": (min(ratios), max(ratios)),
    }


def _annealed_fraction_left(rng, steps_per_level, n):
    x = rng.uniform(-8, 8, n)
    for s in np.geomspace(10.0, 0.1, 10):
        eta = 0.2 * s**2
        for _ in range(steps_per_level):
            x = x + eta * _score2(x, W_SEP, MU_SEP, VAR_SEP + s**2) + np.sqrt(2 * eta) * rng.standard_normal(n)
    return float(np.mean(x < 0))


def numbers_mode_weights_few_steps():
    """'Mode weights': plain Langevin, and annealed Langevin with 10 and 30 steps per level."""
    rng = np.random.default_rng(0)
    n = 10_000
    xs = rng.uniform(-8, 8, n)
    for _ in range(500):
        xs = xs + 0.01 * _score2(xs, W_SEP, MU_SEP, VAR_SEP) + np.sqrt(0.02) * rng.standard_normal(n)
    rng = np.random.default_rng(1)
    return {
        f"$500$ steps from a uniform start on $[-8, 8]$ puts ${{}}$ of its ${_grouped(n)}$ samples": np.mean(xs < 0),
        "gives ${}$ with 10 steps per level, ${}$ with 30": (
            _annealed_fraction_left(rng, 10, 20_000),
            _annealed_fraction_left(rng, 30, 20_000),
        ),
    }


def numbers_mode_weights_many_steps():
    """'Mode weights': annealed Langevin with 100 steps per level, the standard error of a fraction
    near 0.2 from 20,000 chains, and the noisy marginals' mass left of 0 at two levels."""
    n = 20_000
    levels = np.geomspace(10.0, 0.1, 10)

    def left_mass(s):
        sd = np.sqrt(VAR_SEP[0] + s**2)
        return 0.2 * _phi(4.0 / sd) + 0.8 * (1.0 - _phi(4.0 / sd))

    return {
        f"run on ${_grouped(n)}$ chains (standard error ${{}}$)": np.sqrt(0.2 * 0.8 / n),
        "and ${}$ with 100": _annealed_fraction_left(np.random.default_rng(2), 100, n),
        "at $\\sigma = {}$ the noisy marginal still has ${}$ of its mass left of $0$, at $\\sigma = {}$ only ${}$": (
            levels[2],
            left_mass(levels[2]),
            levels[4],
            left_mass(levels[4]),
        ),
    }


def _phi(u):
    """Standard normal CDF."""
    return 0.5 * (1.0 + math.erf(u / math.sqrt(2.0)))


def numbers_loss_scale_and_floors():
    """'Loss scale and floors': min DSM = d/(2 sigma^2) - 1/2 E||grad log q||^2 with d = 1."""
    xt = np.linspace(-10, 10, 200_001)
    floors = []
    for sig in (1.0, 0.1):
        q = _mix_pdf(xt, W_MIX, MU_MIX, VAR_MIX + sig**2)
        sq = _mix_score(xt, W_MIX, MU_MIX, VAR_MIX + sig**2)
        floors.append(1 / (2 * sig**2) - 0.5 * _trap(q * sq**2, xt))
    return {
        "the scales differ by a factor ${}$": (50 / 0.01) ** 2,
        "a perfect model reaches ${}$ against ${}$ for the zero field, but at $\\sigma = 0.1$ it reaches ${}$ against ${}$, so learning the exact score lowers the loss by ${}\\%$": (
            floors[0],
            1 / (2 * 1.0**2),
            floors[1],
            1 / (2 * 0.1**2),
            100 * (1 - floors[1] / (1 / (2 * 0.1**2))),
        ),
    }


def numbers_precision():
    """'Half precision and the unweighted loss': float16 overflow of the squared targets, and the
    float32 error of recovering z from (x_tilde - x) / sigma for data uniform on [-1, 1]."""
    rng = np.random.default_rng(0)
    d = 3 * 32 * 32
    big = float(np.finfo(np.float16).max)
    zz = rng.standard_normal(d)
    with np.errstate(over="ignore"):
        tgt = (zz / 0.2).astype(np.float16)
        total = np.sum(tgt * tgt, dtype=np.float16)
    x0 = rng.uniform(-1, 1, 100_000)
    z0 = rng.standard_normal(100_000)
    x32 = x0.astype(np.float32)
    rms = []
    for sig in (1e-2, 1e-3, 1e-4):
        xt32 = x32 + np.float32(sig) * z0.astype(np.float32)
        rms.append(np.sqrt(np.mean(((xt32 - x32) / np.float32(sig) - z0) ** 2)))
    return {
        "exceeds the float16 maximum of ${=}$ once $\\sigma < {}$ for $d = 3072$": (big, np.sqrt(d / big)),
        f"at $\\sigma = 0.2$ a float16 sum of the squared targets is `{total}`": [],
        "gives a root-mean-square error of ${}$, ${}$ and ${}$": rms,
        "a rounding error of $\\tilde\\bx$ of about ${}$ divided by $\\sigma$": rms[1] * 1e-3,
    }


if __name__ == "__main__":
    for name, fn in list(globals().items()):
        if name.startswith("check_"):
            print(name, fn())
        if name.startswith("numbers_"):
            for excerpt, value in fn().items():
                print(f"  {excerpt}: {value}")
