"""Numerical checks for notes/corpus/vae-elbo.md.

One check_<derivation id> function per derivation block. Each returns
(measured_error, tolerance) and passes when measured_error <= tolerance. Exact identities
are tested in float64 on a linear-Gaussian latent variable model, where log p(x), the
posterior and the ELBO all have closed forms that are computed independently of each
other. Monte Carlo claims are tested with a tolerance of several standard errors.

practice_numbers() recomputes every number quoted in the note.
"""

import numpy as np
from numpy.polynomial.hermite_e import hermegauss

LOG2PI = np.log(2 * np.pi)


# ---------------------------------------------------------------- linear-Gaussian model
def _model(rng, dz=3, dx=5):
    """p(z) = N(0, I), p(x | z) = N(W z + b, s2 I)."""
    w = rng.normal(size=(dx, dz))
    b = rng.normal(size=dx)
    s2 = float(rng.uniform(0.3, 1.5))
    return w, b, s2


def _gauss_logpdf(x, mean, cov):
    d = x.size
    sign, logdet = np.linalg.slogdet(cov)
    r = x - mean
    return -0.5 * (d * LOG2PI + logdet + r @ np.linalg.solve(cov, r))


def _log_marginal(x, w, b, s2):
    return _gauss_logpdf(x, b, w @ w.T + s2 * np.eye(b.size))


def _posterior(x, w, b, s2):
    dz = w.shape[1]
    cov = np.linalg.inv(np.eye(dz) + w.T @ w / s2)
    mean = cov @ w.T @ (x - b) / s2
    return mean, cov


def _elbo_closed(x, w, b, s2, m, logvar):
    """E_q[log p(x|z)] - KL(q || N(0, I)) for q = N(m, diag(exp(logvar)))."""
    var = np.exp(logvar)
    dx = b.size
    r = x - w @ m - b
    rec = -0.5 * dx * np.log(2 * np.pi * s2) - (r @ r + np.sum(w**2 * var)) / (2 * s2)
    kl = 0.5 * np.sum(var + m**2 - 1 - logvar)
    return rec, kl


def _kl_gauss_full(m0, cov0, m1, cov1):
    """KL(N(m0, cov0) || N(m1, cov1)), multivariate closed form."""
    d = m0.size
    inv1 = np.linalg.inv(cov1)
    r = m1 - m0
    return 0.5 * (np.trace(inv1 @ cov0) + r @ inv1 @ r - d + np.linalg.slogdet(cov1)[1] - np.linalg.slogdet(cov0)[1])


def _log_joint(x, z, w, b, s2):
    """log p(x, z) for a batch of z (rows)."""
    dx = b.size
    r = x[None, :] - z @ w.T - b[None, :]
    rec = -0.5 * dx * np.log(2 * np.pi * s2) - np.sum(r**2, axis=1) / (2 * s2)
    prior = -0.5 * z.shape[1] * LOG2PI - 0.5 * np.sum(z**2, axis=1)
    return rec + prior


def _log_q(z, m, logvar):
    return -0.5 * np.sum(LOG2PI + logvar + (z - m) ** 2 / np.exp(logvar), axis=1)


# ---------------------------------------------------------------- checks
def check_elbo_jensen():
    """eq:marginal, eq:importance-identity, eq:elbo. (a) E_q[p(x,z)/q(z|x)] = p(x) by Monte
    Carlo; (b) the ELBO never exceeds log p(x) for random q; (c) the Monte Carlo average of
    log p(x,z) - log q(z|x) matches the closed-form ELBO. Errors are in units of the
    tolerance: 5 standard errors for (a), (c); for (b) any excess of the ELBO over log p(x)
    beyond 1e-12 fails."""
    rng = np.random.default_rng(0)
    worst = 0.0
    for _ in range(5):
        w, b, s2 = _model(rng)
        z0 = rng.normal(size=w.shape[1])
        x = w @ z0 + b + np.sqrt(s2) * rng.normal(size=b.size)
        logpx = _log_marginal(x, w, b, s2)
        pm, pc = _posterior(x, w, b, s2)
        # (a) importance identity, q slightly wider than the posterior for finite variance.
        m, logvar = pm + 0.05 * rng.normal(size=pm.size), np.log(1.3 * np.diag(pc))
        n = 50_000
        z = m + np.exp(0.5 * logvar) * rng.normal(size=(n, m.size))
        ratio = np.exp(_log_joint(x, z, w, b, s2) - _log_q(z, m, logvar) - logpx)
        worst = max(worst, abs(ratio.mean() - 1) / (ratio.std() / np.sqrt(n)) / 5)
        # (c) Monte Carlo ELBO against the closed form.
        terms = _log_joint(x, z, w, b, s2) - _log_q(z, m, logvar)
        rec, kl = _elbo_closed(x, w, b, s2, m, logvar)
        worst = max(worst, abs(terms.mean() - (rec - kl)) / (terms.std() / np.sqrt(n)) / 5)
        # (b) Jensen: the bound holds for arbitrary q.
        for _ in range(100):
            m = rng.normal(scale=2.0, size=pm.size)
            logvar = rng.normal(scale=1.5, size=pm.size)
            rec, kl = _elbo_closed(x, w, b, s2, m, logvar)
            worst = max(worst, max(0.0, (rec - kl) - logpx) / 1e-12)
    return float(worst), 1.0


def check_elbo_gap():
    """eq:elbo-gap, eq:elbo-rec-kl: log p(x) - ELBO equals KL(q || p(z|x)), with the three
    quantities computed from three separate closed forms (relative error); and when q is the
    exact (full-covariance) posterior, log p(x, z) - log q(z | x) equals log p(x) at every
    sampled z, so the bound is tight."""
    rng = np.random.default_rng(0)
    errs = []
    for _ in range(200):
        w, b, s2 = _model(rng, dz=int(rng.integers(1, 5)), dx=int(rng.integers(2, 7)))
        x = rng.normal(size=b.size) * 2
        m = rng.normal(size=w.shape[1])
        logvar = rng.normal(size=w.shape[1])
        rec, kl = _elbo_closed(x, w, b, s2, m, logvar)
        gap = _log_marginal(x, w, b, s2) - (rec - kl)
        pm, pc = _posterior(x, w, b, s2)
        kl_post = _kl_gauss_full(m, np.diag(np.exp(logvar)), pm, pc)
        errs.append(abs(gap - kl_post) / (1 + abs(gap)))
    # With a full-covariance q equal to the posterior the gap is zero.
    w, b, s2 = _model(rng)
    x = rng.normal(size=b.size)
    pm, pc = _posterior(x, w, b, s2)
    z = pm + rng.normal(size=(2000, pm.size)) @ np.linalg.cholesky(pc).T
    lq = np.array([_gauss_logpdf(zi, pm, pc) for zi in z])
    lj = _log_joint(x, z, w, b, s2)
    errs.append(np.max(np.abs(lj - lq - _log_marginal(x, w, b, s2))))
    return float(np.max(errs)), 1e-9


def check_reparam_variance():
    """eq:score-estimator, eq:reparam-estimator, eq:var-score, eq:var-baseline, eq:var-reparam,
    and the d_z-dimensional extension eq:var-baseline-dz. The estimators of d/dmu_1 E[sum z_j^2]
    are polynomials in eps, so their mean and variance under N(0, I) are computed exactly by
    Gauss-Hermite quadrature (independent of the moment algebra in the note) and compared with
    the true gradient 2 mu_1 and the closed-form variances; in d_z = 3 by a tensor-product rule
    with distinct mu_j. A small Monte Carlo run confirms the estimators as sampled. Relative
    errors; quadrature to 1e-9, Monte Carlo at 5 standard errors."""
    rng = np.random.default_rng(0)
    nodes, weights = hermegauss(40)
    weights = weights / weights.sum()
    errs = []

    def moments(values, w):
        mean = np.sum(w * values)
        return mean, np.sum(w * values**2) - mean**2

    for mu1, sig in [(1.0, 0.1), (1.0, 0.5), (-0.7, 1.3), (2.3, 0.05), (0.0, 2.0)]:
        z = mu1 + sig * nodes
        estimators = [
            (z**2 * nodes / sig, mu1**4 / sig**2 + 14 * mu1**2 + 15 * sig**2),
            ((z**2 - (mu1**2 + sig**2)) * nodes / sig, 8 * mu1**2 + 10 * sig**2),
            (2 * z, 4 * sig**2),
        ]
        for values, var in estimators:
            mean, v = moments(values, weights)
            errs.append(abs(mean - 2 * mu1) / (1 + abs(2 * mu1)) / 1e-9)
            errs.append(abs(v - var) / var / 1e-9)
    # d_z = 3 with the baseline c = E[f]: tensor-product quadrature over (eps_1, eps_2, eps_3).
    n3, w3 = hermegauss(12)
    w3 = w3 / w3.sum()
    e1, e2, e3 = np.meshgrid(n3, n3, n3, indexing="ij")
    wt = (w3[:, None, None] * w3[None, :, None] * w3[None, None, :]).ravel()
    eps = np.stack([e1.ravel(), e2.ravel(), e3.ravel()], axis=1)
    for mu, sig in [(np.array([0.8, -1.1, 0.4]), 0.5), (np.array([-0.3, 2.0, 0.0]), 1.2)]:
        f = np.sum((mu + sig * eps) ** 2, axis=1)
        base = (f - np.sum(mu**2 + sig**2)) * eps[:, 0] / sig
        mean, v = moments(base, wt)
        target = 8 * mu[0] ** 2 + 10 * sig**2 + np.sum(4 * mu[1:] ** 2 + 2 * sig**2)
        errs.append(abs(mean - 2 * mu[0]) / (1 + abs(2 * mu[0])) / 1e-9)
        errs.append(abs(v - target) / target / 1e-9)
    # Monte Carlo: the sampled estimators have the stated mean and variance (d_z = 20).
    dz, sig, n = 20, 0.5, 200_000
    mu = rng.normal(size=dz)
    eps = rng.standard_normal((n, dz))
    f = np.sum((mu + sig * eps) ** 2, axis=1)
    base = (f - np.sum(mu**2 + sig**2)) * eps[:, 0] / sig
    target = 8 * mu[0] ** 2 + 10 * sig**2 + np.sum(4 * mu[1:] ** 2 + 2 * sig**2)
    c = base - base.mean()
    errs.append(abs(base.mean() - 2 * mu[0]) / (5 * base.std() / np.sqrt(n)))
    errs.append(abs(c.var() - target) / (5 * np.sqrt((np.mean(c**4) - np.mean(c**2) ** 2) / n)))
    return float(np.max(errs)), 1.0


def check_gaussian_kl_logvar():
    """eq:reparam-map, eq:kl-standard, eq:kl-grads: the closed-form KL against a Monte Carlo
    estimate (5 standard errors), its gradients against central differences, and the
    pathwise derivative dz/dl = sigma * eps / 2 against central differences (1e-6).
    Errors are in units of the tolerance."""
    rng = np.random.default_rng(0)
    errs = []

    def kl(mu, lv):
        return 0.5 * np.sum(np.exp(lv) + mu**2 - 1 - lv)

    for _ in range(20):
        dz = int(rng.integers(1, 9))
        mu, lv = rng.normal(size=dz), rng.normal(size=dz)
        n = 50_000
        eps = rng.standard_normal((n, dz))
        z = mu + np.exp(0.5 * lv) * eps
        logq = -0.5 * np.sum(LOG2PI + lv + eps**2, axis=1)
        logp = -0.5 * np.sum(LOG2PI + z**2, axis=1)
        t = logq - logp
        errs.append(abs(t.mean() - kl(mu, lv)) / (5 * t.std() / np.sqrt(n)))
        h = 1e-6
        for j in range(dz):
            e = np.zeros(dz)
            e[j] = h
            g_mu = (kl(mu + e, lv) - kl(mu - e, lv)) / (2 * h)
            g_lv = (kl(mu, lv + e) - kl(mu, lv - e)) / (2 * h)
            errs.append(abs(g_mu - mu[j]) / 1e-6)
            errs.append(abs(g_lv - 0.5 * (np.exp(lv[j]) - 1)) / 1e-6)
            dz_dl = (np.exp(0.5 * (lv[j] + h)) - np.exp(0.5 * (lv[j] - h))) * eps[0, j] / (2 * h)
            errs.append(abs(dz_dl - 0.5 * np.exp(0.5 * lv[j]) * eps[0, j]) / 1e-6)
    return float(np.max(errs)), 1.0


def _beta_objective(w, a, v, lam, s2, beta):
    """Expected beta-ELBO of the 1-D linear VAE (eq:linear-objective): data variance lam,
    decoder noise variance s2."""
    rec = -0.5 * np.log(2 * np.pi * s2) - ((1 - w * a) ** 2 * lam + w**2 * v) / (2 * s2)
    kl = 0.5 * (a**2 * lam + v - 1 - np.log(v))
    return rec - beta * kl


def check_linear_collapse():
    """eq:beta-rescale (exact, with a random nonlinear decoder), eq:linear-objective
    (against Monte Carlo over x and eps), eq:linear-encoder,
    eq:linear-reduced (stationarity and value at random w) and eq:collapse-threshold
    (against direct numerical maximisation of
    the unreduced objective over w, a and log v by gradient ascent, 1e-4). Errors are in
    units of the tolerance; Monte Carlo at 5 standard errors."""
    rng = np.random.default_rng(0)
    errs = []
    # The expected objective against Monte Carlo, at a random point.
    lam, s2, beta = 1.3, 0.4, 1.7
    w, a, v = 0.7, 0.3, 0.5
    n = 1_000_000
    x = rng.normal(0, np.sqrt(lam), n)
    eps = rng.standard_normal(n)
    z = a * x + np.sqrt(v) * eps
    rec = -0.5 * np.log(2 * np.pi * s2) - (x - w * z) ** 2 / (2 * s2)
    kl = -0.5 * np.log(v) - eps**2 / 2 + z**2 / 2
    vals = rec - beta * kl
    se = vals.std() / np.sqrt(n)
    errs.append(abs(vals.mean() - _beta_objective(w, a, v, lam, s2, beta)) / (5 * se))
    # eq:beta-rescale: beta-ELBO(s^2) - beta * ELBO(beta s^2) is the stated constant, for an
    # arbitrary nonlinear decoder mean, data point and encoder.
    consts = []
    dx, dz = 6, 3
    hid, out = rng.normal(size=(8, dz)), rng.normal(size=(dx, 8))
    for _ in range(20):
        x = rng.normal(size=dx)
        m, lv = rng.normal(size=dz), rng.normal(size=dz)
        eps = rng.standard_normal((50, dz))
        z = m + np.exp(0.5 * lv) * eps
        mean = np.tanh(z @ hid.T) @ out.T
        sq = np.sum((x - mean) ** 2, axis=1)
        kl = 0.5 * np.sum(np.exp(lv) + m**2 - 1 - lv)

        def elbo(var, b=1.0, sq=sq, kl=kl):
            return np.mean(-0.5 * dx * np.log(2 * np.pi * var) - sq / (2 * var)) - b * kl

        consts.append(elbo(s2, beta) - beta * elbo(beta * s2))
    expected = -0.5 * dx * np.log(2 * np.pi * s2) + 0.5 * beta * dx * np.log(2 * np.pi * beta * s2)
    errs.append(np.max(np.abs(np.array(consts) - expected)) / 1e-9)
    # eq:linear-encoder and eq:linear-reduced at arbitrary w: the encoder (a*, v*) is a
    # stationary point in (a, v) (central differences) and J there equals the reduced form.
    for lam, s2, beta in [(1.3, 0.4, 1.7), (0.6, 0.9, 0.8)]:
        c = beta * s2
        for w in rng.normal(scale=1.5, size=10):
            u = w**2 + c
            a, v = w / u, c / u
            j = _beta_objective(w, a, v, lam, s2, beta)
            reduced = -0.5 * np.log(2 * np.pi * s2) - 0.5 * beta * (lam / u + np.log(u) - np.log(c))
            errs.append(abs(j - reduced) / 1e-12)
            h = 1e-6
            ga = (_beta_objective(w, a + h, v, lam, s2, beta) - _beta_objective(w, a - h, v, lam, s2, beta)) / (2 * h)
            gv = (_beta_objective(w, a, v + h, lam, s2, beta) - _beta_objective(w, a, v - h, lam, s2, beta)) / (2 * h)
            errs.append(max(abs(ga), abs(gv)) / 1e-7)
    # Direct maximisation against the closed form.
    for lam, s2, beta in [(1.3, 0.4, 1.7), (1.0, 0.5, 1.0), (1.0, 0.5, 2.5), (2.0, 0.3, 3.0)]:
        p = np.array([0.5, 0.1, 0.0])
        h = 1e-6
        for _ in range(3000):
            g = np.zeros(3)
            for i in range(3):
                d = np.zeros(3)
                d[i] = h
                fp = _beta_objective(p[0] + d[0], p[1] + d[1], np.exp(p[2] + d[2]), lam, s2, beta)
                fm = _beta_objective(p[0] - d[0], p[1] - d[1], np.exp(p[2] - d[2]), lam, s2, beta)
                g[i] = (fp - fm) / (2 * h)
            p += (0.4 / beta) * g
        w, a, v = p[0], p[1], np.exp(p[2])
        c = beta * s2
        w2 = max(lam - c, 0.0)
        errs.append(abs(w**2 - w2) / 1e-4)
        errs.append(abs(abs(a) - np.sqrt(w2) / (w2 + c)) / 1e-4)
        errs.append(abs(v - c / (w2 + c)) / 1e-4)
        rate = 0.5 * (a**2 * lam + v - 1 - np.log(v))
        errs.append(abs(rate - 0.5 * max(np.log(lam / c), 0.0)) / 1e-4)
        # Reduced objective: -beta/2 (lam/u + log u - log c) + const at u = w^2 + c.
        u = w2 + c
        const = -0.5 * np.log(2 * np.pi * s2)
        reduced = const - 0.5 * beta * (lam / u + np.log(u) - np.log(c))
        errs.append(abs(_beta_objective(w, a, v, lam, s2, beta) - reduced) / 1e-4)
    return float(np.max(errs)), 1.0


# ---------------------------------------------------------------- practice numbers
def practice_numbers():
    """Every number quoted in the note, recomputed."""
    out = {}
    # Estimator variances for d/dmu E[z^2], mu = 1.
    for sig in (0.1, 0.5):
        out[f"var score / baseline / reparam, sigma={sig}"] = (
            1 / sig**2 + 14 + 15 * sig**2,
            8 + 10 * sig**2,
            4 * sig**2,
        )
    out["ratio score/reparam and baseline/reparam at sigma=0.1"] = (
        (1 / 0.01 + 14 + 0.15) / 0.04,
        (8 + 0.1) / 0.04,
    )
    # d_z growth with baseline, mu = 1, sigma = 0.5: 10.5 + 4.5 (d_z - 1).
    out["baseline variance at d_z = 1, 10, 100"] = [10.5 + 4.5 * (d - 1) for d in (1, 10, 100)]
    rng = np.random.default_rng(0)
    measured = []
    for d in (1, 10, 100):
        mu = np.ones(d)
        eps = rng.standard_normal((200_000, d))
        z = mu + 0.5 * eps
        f = np.sum(z**2, axis=1)
        measured.append(float(np.var((f - np.sum(mu**2 + 0.25)) * eps[:, 0] / 0.5)))
    out["measured baseline variance at d_z = 1, 10, 100"] = measured
    # An oscillating integrand where reparameterization loses: f(z) = sin(10 z), q = N(0.3, 1).
    k, mu, sig = 10.0, 0.3, 1.0
    eps = rng.standard_normal(2_000_000)
    z = mu + sig * eps
    base = np.sin(k * mu) * np.exp(-0.5 * k**2 * sig**2)  # E_q[f], exact
    out["sin(10z): var reparam, var baselined score"] = (
        float(np.var(k * np.cos(k * z))),
        float(np.var((np.sin(k * z) - base) * eps / sig)),
    )
    # Collapse example: lambda = 1, s^2 = 0.5.
    out["rate at beta=1, lambda=1, s2=0.5"] = 0.5 * np.log(1 / 0.5)
    # float32 / float16 overflow of exp(logvar).
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        for dtype, lo in [(np.float16, 11.0), (np.float32, 88.0)]:
            x = np.array(lo, dtype=dtype)
            while np.isfinite(np.exp(x)):
                last = x.copy()
                x = np.nextafter(x, np.array(np.inf, dtype=dtype))
            out[f"exp finite up to, {dtype.__name__}"] = float(last)
        # Bernoulli log-likelihood: naive through the sigmoid versus from logits.
        f32 = np.float32
        eta = f32(-89.0)
        naive = np.log(f32(1) / (f32(1) + np.exp(-eta)))
        stable = -np.logaddexp(f32(0), -eta)
        out["log sigmoid(-89): naive, stable"] = (float(naive), float(stable))
        eta = f32(17.0)
        sig = f32(1) / (f32(1) + np.exp(-eta))
        out["float32 sigmoid(17) == 1"] = bool(sig == f32(1))
        out["log(1 - sigmoid(17)): naive, stable"] = (float(np.log(f32(1) - sig)), float(-np.logaddexp(f32(0), eta)))
        # Smallest positive eta at which float32 sigmoid rounds to 1.
        e = f32(16.5)
        while f32(1) / (f32(1) + np.exp(-e)) < f32(1):
            e = np.nextafter(e, f32(np.inf))
        out["float32 sigmoid(eta) == 1 from eta ="] = float(e)
    # Mean-over-pixels MSE + KL is the negative ELBO of a Gaussian decoder with sigma^2 = D/2;
    # for data in [0, 1]^D the largest covariance eigenvalue is at most the trace <= D/4.
    out["D=784: implied sigma^2, largest possible eigenvalue D/4"] = (784 / 2, 784 / 4)
    # Units.
    ln2 = np.log(2)
    out["binarized D=784, 90 nats: nats/dim, bits/dim"] = (90 / 784, 90 / (784 * ln2))
    out["D=3072, -ELBO=-5000 nats on [0,1] data: bits/dim"] = -5000 / (3072 * ln2) + 8
    out["D=3072, 3.0 bits/dim in nats per image"] = 3.0 * 3072 * ln2
    out["bits per dim of uniform 8-bit model"] = np.log(256) / ln2
    return out


# ---------------------------------------------------------------- figures
def figure_collapse_threshold():
    """The optimal rate KL* of the linear model against beta for lambda = 1, s^2 = 0.5: the
    closed form eq:collapse-threshold, and the rate at the maximiser found by gradient ascent
    on the unreduced objective _beta_objective over (w, a, log v), as in check_linear_collapse."""
    lam, s2 = 1.0, 0.5
    betas = np.linspace(0.2, 3.0, 57)
    closed = 0.5 * np.maximum(np.log(lam / (betas * s2)), 0.0)
    found_betas = np.array([0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.25, 2.5, 2.75, 3.0])
    found = []
    h = 1e-6
    for beta in found_betas:
        p = np.array([0.5, 0.1, 0.0])
        for _ in range(3000):
            g = np.zeros(3)
            for i in range(3):
                d = np.zeros(3)
                d[i] = h
                fp = _beta_objective(p[0] + d[0], p[1] + d[1], np.exp(p[2] + d[2]), lam, s2, beta)
                fm = _beta_objective(p[0] - d[0], p[1] - d[1], np.exp(p[2] - d[2]), lam, s2, beta)
                g[i] = (fp - fm) / (2 * h)
            p += (0.4 / max(beta, 1.0)) * g  # check_linear_collapse's step, capped for beta < 1
        a, v = p[1], np.exp(p[2])
        found.append(0.5 * (a**2 * lam + v - 1 - np.log(v)))
    return {
        "title": "Optimal rate of the linear VAE against β, for λ = 1 and s² = 0.5",
        "summary": "The rate falls as β grows and is exactly zero, posterior collapse, from β = λ/s² = 2 on; "
        "at β = 1 it is ½ log 2 = 0.347 nats.",
        "x": {"label": "β"},
        "y": {"label": "KL* (nats)"},
        "series": [
            {"label": "closed form, eq. collapse-threshold", "x": betas, "y": closed},
            {"label": "numerical maximisation", "x": found_betas, "y": np.array(found), "style": "points"},
        ],
        "rules": [{"axis": "x", "at": lam / s2, "label": "β = λ/s²"}],
    }


if __name__ == "__main__":
    for k, v in practice_numbers().items():
        print(k, v)
