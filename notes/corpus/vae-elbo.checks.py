"""Numerical checks for notes/corpus/vae-elbo.md.

One check_<derivation id> function per derivation block. Each returns
(measured_error, tolerance) and passes when measured_error <= tolerance. Exact identities
are tested in float64 on a linear-Gaussian latent variable model, where log p(x), the
posterior and the ELBO all have closed forms that are computed independently of each
other. Monte Carlo claims are tested with a tolerance of several standard errors.

The numbers_ functions recompute every number the note quotes.
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


def _elbo_closed(x, w, b, s2, m, logvar):  # formula: eq:elbo-rec-kl for the linear-Gaussian model
    """E_q[log p(x|z)] - KL(q || N(0, I)) for q = N(m, diag(exp(logvar)))."""
    var = np.exp(logvar)
    dx = b.size
    r = x - w @ m - b
    rec = -0.5 * dx * np.log(2 * np.pi * s2) - (np.sum(r**2) + np.sum(w**2 * var)) / (2 * s2)
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
        n = 20_000
        z = m + np.exp(0.5 * logvar) * rng.normal(size=(n, m.size))
        ratio = np.exp(_log_joint(x, z, w, b, s2) - _log_q(z, m, logvar) - logpx)  # formula: eq:importance-identity
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
        gap = _log_marginal(x, w, b, s2) - (rec - kl)  # formula: eq:elbo-gap
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


def _one_dimensional_variances(mu, sig):  # formula: eq:var-score, eq:var-baseline, eq:var-reparam
    return mu**4 / sig**2 + 14 * mu**2 + 15 * sig**2, 8 * mu**2 + 10 * sig**2, 4 * sig**2


def _var_baseline_dz(mu, sig):  # formula: eq:var-baseline-dz
    return 8 * mu[0] ** 2 + 10 * sig**2 + np.sum(4 * mu[1:] ** 2 + 2 * sig**2)


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
        estimators = [z**2 * nodes / sig, (z**2 - (mu1**2 + sig**2)) * nodes / sig, 2 * z]  # formula: step 3
        for values, var in zip(estimators, _one_dimensional_variances(mu1, sig)):
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
        target = _var_baseline_dz(mu, sig)
        errs.append(abs(mean - 2 * mu[0]) / (1 + abs(2 * mu[0])) / 1e-9)
        errs.append(abs(v - target) / target / 1e-9)
    # Monte Carlo: the sampled estimators have the stated mean and variance (d_z = 20).
    dz, sig, n = 20, 0.5, 100_000
    mu = rng.normal(size=dz)
    eps = rng.standard_normal((n, dz))
    f = np.sum((mu + sig * eps) ** 2, axis=1)
    base = (f - np.sum(mu**2 + sig**2)) * eps[:, 0] / sig
    target = _var_baseline_dz(mu, sig)
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

    def kl(mu, lv):  # formula: eq:kl-standard
        return 0.5 * np.sum(np.exp(lv) + mu**2 - 1 - lv)

    for _ in range(10):
        dz = int(rng.integers(1, 9))
        mu, lv = rng.normal(size=dz), rng.normal(size=dz)
        n = 20_000
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
            grad_mu, grad_lv = mu[j], 0.5 * (np.exp(lv[j]) - 1)  # formula: eq:kl-grads
            errs.append(abs(g_mu - grad_mu) / 1e-6)
            errs.append(abs(g_lv - grad_lv) / 1e-6)
            dz_dl = (np.exp(0.5 * (lv[j] + h)) - np.exp(0.5 * (lv[j] - h))) * eps[0, j] / (2 * h)
            pathwise = 0.5 * np.exp(0.5 * lv[j]) * eps[0, j]  # formula: step 1
            errs.append(abs(dz_dl - pathwise) / 1e-6)
    return float(np.max(errs)), 1.0


def _beta_objective(w, a, v, lam, s2, beta):  # formula: eq:linear-objective
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
    n = 100_000
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
    expected = 0.5 * dx * (beta * np.log(2 * np.pi * beta * s2) - np.log(2 * np.pi * s2))  # formula: eq:beta-rescale
    errs.append(np.max(np.abs(np.array(consts) - expected)) / 1e-9)
    # eq:linear-encoder and eq:linear-reduced at arbitrary w: the encoder (a*, v*) is a
    # stationary point in (a, v) (central differences) and J there equals the reduced form.
    for lam, s2, beta in [(1.3, 0.4, 1.7), (0.6, 0.9, 0.8)]:
        c = beta * s2
        for w in rng.normal(scale=1.5, size=10):
            u = w**2 + c
            a, v = w / u, c / u  # formula: eq:linear-encoder
            j = _beta_objective(w, a, v, lam, s2, beta)
            reduced = -0.5 * np.log(2 * np.pi * s2) - 0.5 * beta * (lam / u + np.log(u) - np.log(c))  # formula
            errs.append(abs(j - reduced) / 1e-12)
            h = 1e-6
            ga = (_beta_objective(w, a + h, v, lam, s2, beta) - _beta_objective(w, a - h, v, lam, s2, beta)) / (2 * h)
            gv = (_beta_objective(w, a, v + h, lam, s2, beta) - _beta_objective(w, a, v - h, lam, s2, beta)) / (2 * h)
            errs.append(max(abs(ga), abs(gv)) / 1e-7)
    # Direct maximisation against the closed form.
    for lam, s2, beta in [(1.3, 0.4, 1.7), (1.0, 0.5, 1.0), (1.0, 0.5, 2.5), (2.0, 0.3, 3.0)]:
        p = np.array([0.5, 0.1, 0.0])
        h = 1e-6
        steps = np.concatenate([h * np.eye(3), -h * np.eye(3)])  # the six central-difference points
        for _ in range(3000):
            q = p + steps
            f = _beta_objective(q[:, 0], q[:, 1], np.exp(q[:, 2]), lam, s2, beta)
            p += (0.4 / beta) * (f[:3] - f[3:]) / (2 * h)
        w, a, v = p[0], p[1], np.exp(p[2])
        c = beta * s2
        w2 = max(lam - c, 0.0)  # formula: eq:collapse-threshold
        errs.append(abs(w**2 - w2) / 1e-4)
        errs.append(abs(abs(a) - np.sqrt(w2) / (w2 + c)) / 1e-4)
        errs.append(abs(v - c / (w2 + c)) / 1e-4)
        rate = 0.5 * (a**2 * lam + v - 1 - np.log(v))
        rate_formula = 0.5 * max(np.log(lam / c), 0.0)  # formula: eq:collapse-threshold
        errs.append(abs(rate - rate_formula) / 1e-4)
        # Reduced objective: -beta/2 (lam/u + log u - log c) + const at u = w^2 + c.
        u = w2 + c
        const = -0.5 * np.log(2 * np.pi * s2)
        reduced = const - 0.5 * beta * (lam / u + np.log(u) - np.log(c))
        errs.append(abs(_beta_objective(w, a, v, lam, s2, beta) - reduced) / 1e-4)
    return float(np.max(errs)), 1.0


# ---------------------------------------------------------------- quoted numbers
def numbers_estimator_variances():
    """'Gradients through a sampling step': eq:var-baseline-dz at mu_j = 1, sigma = 0.5, with a
    Monte Carlo measurement of 50,000 samples per dimension, and the 1-D variances at sigma = 0.1."""
    rng = np.random.default_rng(0)
    formula, measured = [], []
    for d in (1, 10, 100):
        mu = np.ones(d)
        formula.append(_var_baseline_dz(mu, 0.5))
        eps = rng.standard_normal((50_000, d))
        f = np.sum((mu + 0.5 * eps) ** 2, axis=1)
        measured.append(np.var((f - np.sum(mu**2 + 0.25)) * eps[:, 0] / 0.5))
    score, baseline, reparam = _one_dimensional_variances(1.0, 0.1)
    return {
        "this is ${}$, ${}$ and ${}$ for $d_z = 1, 10, 100$ (measured by Monte Carlo with 50,000 samples each: ${}$, ${}$, ${}$), against a constant ${}$ for reparameterization": (
            *formula,
            *measured,
            _one_dimensional_variances(1.0, 0.5)[2],
        ),
        "in one dimension the variances are ${}$, ${}$ and ${}$: the plain score function needs about ${}$ times": (
            score,
            baseline,
            reparam,
            score / reparam,
        ),
    }


def numbers_oscillating_integrand():
    """'Not a theorem for every integrand': exact variances for f(z) = sin(10 z), q = N(0.3, 1),
    from the Gaussian expectations E[e^{itz}] = phi(t), E[e^{itz} eps] = i sigma t phi(t) and
    E[e^{itz} eps^2] = (1 - sigma^2 t^2) phi(t)."""
    k, mu, sig = 10.0, 0.3, 1.0

    def phi(t):
        return np.exp(1j * t * mu - 0.5 * t**2 * sig**2)

    # Reparameterization: k cos(k z).
    mean_r = k * np.real(phi(k))
    var_r = k**2 * (0.5 + 0.5 * np.real(phi(2 * k))) - mean_r**2
    # Score function with the exact baseline c = E[sin(k z)]: (sin(k z) - c) eps / sigma.
    c = np.imag(phi(k))
    f2_eps2 = 0.5 - 0.5 * np.real((1 - 4 * sig**2 * k**2) * phi(2 * k))
    f_eps2 = np.imag((1 - sig**2 * k**2) * phi(k))
    second = (f2_eps2 - 2 * c * f_eps2 + c**2) / sig**2
    var_s = second - (k * np.real(phi(k))) ** 2
    return {"its single-sample variance is ${}$, against ${}$ for the score-function estimator": (var_r, var_s)}


def numbers_collapse_and_units():
    """'Beta and posterior collapse' and 'Units'."""
    D = 784
    ln2 = np.log(2)
    lam, s2 = 1.0, 0.5
    return {
        "for $D = 784$, a noise variance of ${=}$ on data": D / 2,
        "at most $D/4 = {=}$ for $D = 784$, well below the implied $s^2 = {=}$": (D / 4, D / 2),
        "give a rate of $\\tfrac12 \\log 2 = {}$ nats, which drops to zero for every $\\beta \\ge {=}$": (
            0.5 * max(np.log(lam / (1.0 * s2)), 0.0),
            lam / s2,
        ),
        "a model reporting $90$ nats per example is at ${}$ nats or ${}$ bits per dimension": (90 / D, 90 / (D * ln2)),
        "In bits per dimension the correction is $+{}$": np.log(256) / ln2,
        "$-5000/(3072\\log 2) + 8 = {}$ bits per dimension": -5000 / (3072 * ln2) + np.log(256) / ln2,
        "$3.0$ bits per dimension at $D = 3072$ is ${}$ nats per image": 3.0 * 3072 * ln2,
    }


def numbers_float32():
    """'Practice: where float32 bites': overflow of exp and the sigmoid's tails in float32."""
    last = []
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        for dtype, lo in ((np.float32, 88.72), (np.float16, 11.0)):
            x = np.array(lo, dtype=dtype)
            while np.isfinite(np.exp(x)):
                previous = x.copy()
                x = np.nextafter(x, np.array(np.inf, dtype=dtype))
            last.append(float(previous))
        f32 = np.float32
        eta = f32(-89.0)
        naive_low = np.log(f32(1) / (f32(1) + np.exp(-eta)))
        stable_low = -np.logaddexp(f32(0), -eta)
        e = f32(16.63)  # just below the float32 value from which the sigmoid is 1
        while f32(1) / (f32(1) + np.exp(-e)) < f32(1):
            e = np.nextafter(e, f32(np.inf))
        eta = f32(17.0)
        naive_high = np.log(f32(1) - f32(1) / (f32(1) + np.exp(-eta)))
        stable_high = -np.logaddexp(f32(0), eta)
    return {
        "In float32, $\\exp(\\ell)$ is finite up to $\\ell = {}$; in float16 only up to ${}$": last,
        "pushes an encoder output past ${}$ in a float16 region": last[1],
        "$\\log \\pi$ at $\\eta = -89$ evaluates to ${}$ because $e^{89}$ overflows, while the true value is ${}$": (
            naive_low,
            stable_low,
        ),
        "$\\pi$ rounds to exactly ${=}$ from $\\eta = {}$ upward, so $\\log(1 - \\pi)$ at $\\eta = 17$ is ${}$ instead of ${}$": (
            1.0,
            float(e),
            naive_high,
            stable_high,
        ),
        "written with a stable softplus returns ${}$ and ${}$": (stable_low, stable_high),
    }


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
    for name, fn in list(globals().items()):
        if name.startswith("check_"):
            print(name, fn())
        if name.startswith("numbers_"):
            for excerpt, value in fn().items():
                print(f"  {excerpt}: {value}")
