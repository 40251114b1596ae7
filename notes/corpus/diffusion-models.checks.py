"""Numerical checks for notes/corpus/diffusion-models.md.

One check_<derivation id> function per derivation block. Each returns
(measured_error, tolerance) and passes when measured_error <= tolerance. Everything runs in
float64 with seeded inputs. Closed forms are compared with independent computations: Monte Carlo
simulation of the forward chain (tolerance several standard errors), Gaussian conditioning by the
Schur complement, exact Gaussian moments of the whole chain for the ELBO, central finite
differences for scores, and quadrature for posterior expectations.

numbers_<name>() return the numbers the note quotes, keyed by the excerpt of the note around each;
the runner compares them with the note's text.
"""

import numpy as np


def _random_schedule(rng, T):
    beta = rng.uniform(0.01, 0.3, T)
    alpha = 1 - beta
    abar = np.cumprod(alpha)
    return beta, alpha, abar


def _abar_prev(abar, t):
    """abar_{t-1} for 1-based t, with abar_0 = 1."""
    return 1.0 if t == 1 else abar[t - 2]


def linear_schedule(T=1000, beta_1=1e-4, beta_T=0.02):
    beta = np.linspace(beta_1, beta_T, T)
    return beta, np.cumprod(1 - beta)


def cosine_schedule(T=1000, s=0.008, max_beta=0.999):
    t = np.arange(T + 1) / T
    f = np.cos((t + s) / (1 + s) * np.pi / 2) ** 2
    abar_raw = f / f[0]
    beta = np.minimum(1 - abar_raw[1:] / abar_raw[:-1], max_beta)
    return beta, np.cumprod(1 - beta)


def _posterior(beta, alpha, abar, t, xt, x0):  # formula
    """Closed forms eq:posterior-mean and eq:posterior-var (1-based t)."""
    ap = _abar_prev(abar, t)
    b, a, ab = beta[t - 1], alpha[t - 1], abar[t - 1]
    mean = np.sqrt(ap) * b / (1 - ab) * x0 + np.sqrt(a) * (1 - ap) / (1 - ab) * xt
    var = (1 - ap) * b / (1 - ab)
    return mean, var


def _kl_gauss_1d(m0, v0, m1, v1):
    return 0.5 * (np.log(v1 / v0) + (v0 + (m0 - m1) ** 2) / v1 - 1)


# --------------------------------------------------------------------------------------------
# Derivation: forward-marginal
# --------------------------------------------------------------------------------------------


def check_forward_marginal():
    """eq:forward-step, eq:forward-marginal, eq:forward-reparam.

    (a) Simulate the chain x_t = sqrt(alpha_t) x_{t-1} + sqrt(beta_t) eps_t for 100,000 samples
        from a fixed x_0 in R^3 under a random 12-step schedule; at every t the sample mean and
        variance of each coordinate must match sqrt(abar_t) x_0 and 1 - abar_t within 5 standard
        errors, and the cross-covariances must vanish within 5 standard errors.
    (b) The moment recursion m_t = sqrt(alpha_t) m_{t-1}, v_t = alpha_t v_{t-1} + beta_t, run
        step by step, equals the product formula to rounding.
    (c) Variance preservation: with Var(x_0) = 1 every Var(x_t) = 1.
    Returns the worst error/tolerance ratio against tolerance 1.
    """
    rng = np.random.default_rng(0)
    T, n, d = 12, 100_000, 3
    beta, alpha, abar = _random_schedule(rng, T)
    x0 = np.array([1.5, -0.7, 0.2])
    x = np.tile(x0, (n, 1))
    ratios = []
    m, v = x0.copy(), np.zeros(d)
    for t in range(1, T + 1):
        x = np.sqrt(alpha[t - 1]) * x + np.sqrt(beta[t - 1]) * rng.standard_normal((n, d))
        mean_cf, var_cf = np.sqrt(abar[t - 1]) * x0, 1 - abar[t - 1]  # formula: eq:forward-marginal
        se_m = np.sqrt(var_cf / n)
        se_v = var_cf * np.sqrt(2.0 / (n - 1))
        ratios.append(np.max(np.abs(x.mean(0) - mean_cf)) / (5 * se_m))
        ratios.append(np.max(np.abs(x.var(0, ddof=1) - var_cf)) / (5 * se_v))
        c = np.cov(x.T)
        off = c[~np.eye(d, dtype=bool)]
        ratios.append(np.max(np.abs(off)) / (5 * var_cf / np.sqrt(n)))
        m = np.sqrt(alpha[t - 1]) * m
        v = alpha[t - 1] * v + beta[t - 1]
        ratios.append(max(np.max(np.abs(m - mean_cf)), np.max(np.abs(v - var_cf))) / 1e-12)
    # (c) by simulation: unit-variance data stay unit-variance
    y = rng.standard_normal(n)
    for t in range(1, T + 1):
        y = np.sqrt(alpha[t - 1]) * y + np.sqrt(beta[t - 1]) * rng.standard_normal(n)
    ratios.append(abs(y.var(ddof=1) - 1) / (5 * np.sqrt(2.0 / n)))
    return float(np.max(ratios)), 1.0


# --------------------------------------------------------------------------------------------
# Derivation: forward-posterior
# --------------------------------------------------------------------------------------------


def check_forward_posterior():
    """eq:posterior-mean, eq:posterior-var, eq:posterior-mean-eps.

    The joint of (x_{t-1}, x_t) given x_0 is Gaussian with means sqrt(abar_{t-1}) x_0 and
    sqrt(abar_t) x_0, variances 1 - abar_{t-1} and 1 - abar_t, covariance
    sqrt(alpha_t)(1 - abar_{t-1}); conditioning by the Schur complement must reproduce the closed
    forms, for every t including t = 1 (where the posterior variance is 0). The eps form of the
    mean is compared after substituting x_0 = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t).
    A Monte Carlo regression of x_{t-1} on x_t from simulated pairs is also compared.
    """
    rng = np.random.default_rng(0)
    errs = []
    T = 15
    beta, alpha, abar = _random_schedule(rng, T)
    for t in range(1, T + 1):
        ap = _abar_prev(abar, t)
        x0, xt = rng.normal(size=2)
        c11, c22 = 1 - ap, 1 - abar[t - 1]
        c12 = np.sqrt(alpha[t - 1]) * (1 - ap)
        m1, m2 = np.sqrt(ap) * x0, np.sqrt(abar[t - 1]) * x0
        mean_schur = m1 + c12 / c22 * (xt - m2)
        var_schur = c11 - c12**2 / c22
        mean_cf, var_cf = _posterior(beta, alpha, abar, t, xt, x0)
        errs.append(abs(mean_schur - mean_cf))
        errs.append(abs(var_schur - var_cf))
        eps = (xt - np.sqrt(abar[t - 1]) * x0) / np.sqrt(1 - abar[t - 1])
        mean_eps = (xt - beta[t - 1] / np.sqrt(1 - abar[t - 1]) * eps) / np.sqrt(alpha[t - 1])  # formula
        errs.append(abs(mean_eps - mean_cf))
    # Monte Carlo: regress x_{t-1} on x_t at t = 6 with x_0 fixed
    t, n, x0 = 6, 400_000, 0.8
    ap = _abar_prev(abar, t)
    xprev = np.sqrt(ap) * x0 + np.sqrt(1 - ap) * rng.standard_normal(n)
    xt = np.sqrt(alpha[t - 1]) * xprev + np.sqrt(beta[t - 1]) * rng.standard_normal(n)
    A = np.stack([np.ones(n), xt], axis=1)
    coef, *_ = np.linalg.lstsq(A, xprev, rcond=None)
    resid = xprev - A @ coef
    _, var_cf = _posterior(beta, alpha, abar, t, 0.0, x0)
    slope_cf = np.sqrt(alpha[t - 1]) * (1 - ap) / (1 - abar[t - 1])
    se = np.sqrt(var_cf / n) / np.std(xt)
    mc_ratio = max(abs(coef[1] - slope_cf) / (5 * se), abs(resid.var() - var_cf) / (5 * var_cf * np.sqrt(2.0 / n)))
    return float(np.max([np.max(errs) / 1e-12, mc_ratio])), 1.0


# --------------------------------------------------------------------------------------------
# Derivation: elbo-decomposition
# --------------------------------------------------------------------------------------------


def _chain_moments(alpha, beta, x0):
    """Exact mean vector and covariance of (x_1, ..., x_T) given x_0, from the forward recursion
    alone (no posterior formulas): x_t = sqrt(alpha_t) x_{t-1} + sqrt(beta_t) eps_t."""
    T = len(alpha)
    mean = np.zeros(T)
    cov = np.zeros((T, T))
    m_prev, v_prev = x0, 0.0
    for t in range(T):
        mean[t] = np.sqrt(alpha[t]) * m_prev
        cov[t, t] = alpha[t] * v_prev + beta[t]
        for s in range(t):
            cov[t, s] = cov[s, t] = np.sqrt(alpha[t]) * cov[t - 1, s]
        m_prev, v_prev = mean[t], cov[t, t]
    return mean, cov


def _neg_elbo_exact(alpha, beta, a, b, v, x0):
    """E_q[log q(x_{1:T}|x_0) - log p(x_{0:T})] from exact Gaussian moments of the chain.
    Reverse model: p(x_T) = N(0, 1), p(x_{t-1} | x_t) = N(a_t x_t + b_t, v_t), t = 1..T."""
    T = len(alpha)
    mean, cov = _chain_moments(alpha, beta, x0)
    # log q(x_{1:T}|x_0) = sum_t log N(x_t; sqrt(alpha_t) x_{t-1}, beta_t); the residual is
    # sqrt(beta_t) eps_t, so its expectation is -1/2 log(2 pi beta_t) - 1/2 per step.
    e_log_q = np.sum(-0.5 * np.log(2 * np.pi * beta) - 0.5)
    e_log_p = -0.5 * np.log(2 * np.pi) - 0.5 * (cov[T - 1, T - 1] + mean[T - 1] ** 2)
    for t in range(1, T + 1):
        # E[(x_{t-1} - a_t x_t - b_t)^2], with x_0 deterministic
        i = t - 1
        if t == 1:
            m_r = x0 - a[i] * mean[0] - b[i]
            v_r = a[i] ** 2 * cov[0, 0]
        else:
            m_r = mean[t - 2] - a[i] * mean[t - 1] - b[i]
            v_r = cov[t - 2, t - 2] - 2 * a[i] * cov[t - 2, t - 1] + a[i] ** 2 * cov[t - 1, t - 1]
        e_log_p += -0.5 * np.log(2 * np.pi * v[i]) - 0.5 * (v_r + m_r**2) / v[i]
    return e_log_q - e_log_p


def _neg_elbo_decomposed(alpha, beta, abar, a, b, v, x0):  # formula
    """L_T + sum_{t>=2} L_{t-1} + L_0 of eq:elbo-decomposition, with the Gaussian KL formula."""
    T = len(alpha)
    L_T = _kl_gauss_1d(np.sqrt(abar[-1]) * x0, 1 - abar[-1], 0.0, 1.0)
    total = L_T
    for t in range(2, T + 1):
        ap = abar[t - 2]
        # posterior mean = c0 + c1 x_t, posterior variance vt
        c0 = np.sqrt(ap) * beta[t - 1] / (1 - abar[t - 1]) * x0
        c1 = np.sqrt(alpha[t - 1]) * (1 - ap) / (1 - abar[t - 1])
        vt = (1 - ap) * beta[t - 1] / (1 - abar[t - 1])
        # E over x_t ~ N(m, s2) of KL(N(c0 + c1 x_t, vt) || N(a x_t + b, v))
        m, s2 = np.sqrt(abar[t - 1]) * x0, 1 - abar[t - 1]
        k0, k1 = c0 - b[t - 1], c1 - a[t - 1]  # mean difference = k0 + k1 x_t
        e_diff2 = (k0 + k1 * m) ** 2 + k1**2 * s2
        total += 0.5 * (np.log(v[t - 1] / vt) + (vt + e_diff2) / v[t - 1] - 1)
    # L_0 = -E_{x_1 | x_0} log N(x_0; a_1 x_1 + b_1, v_1)
    m1, s1 = np.sqrt(abar[0]) * x0, 1 - abar[0]
    e_r2 = (x0 - a[0] * m1 - b[0]) ** 2 + a[0] ** 2 * s1
    total += 0.5 * np.log(2 * np.pi * v[0]) + 0.5 * e_r2 / v[0]
    return total


def _log_marginal(a, b, v, x0):
    """log p_theta(x_0) of the linear-Gaussian reverse chain, by pushing N(0, 1) down from x_T."""
    m, s2 = 0.0, 1.0
    for t in range(len(a), 0, -1):
        m, s2 = a[t - 1] * m + b[t - 1], a[t - 1] ** 2 * s2 + v[t - 1]
    return -0.5 * np.log(2 * np.pi * s2) - 0.5 * (x0 - m) ** 2 / s2


def check_elbo_decomposition():
    """eq:elbo, eq:elbo-decomposition with 1-D data, T = 6, random schedules and random
    linear-Gaussian reverse models.

    (a) The negative ELBO computed from exact moments of the whole forward chain equals the sum
        of the closed-form per-step terms (posterior from eq:posterior-mean/var, Gaussian KL).
    (b) A Monte Carlo estimate of the raw negative ELBO (100,000 chains) agrees within 5 SE.
    (c) -log p_theta(x_0) <= negative ELBO, with equality when the reverse conditionals are the
        true posteriors of a model whose forward chain matches (checked as a bound only).
    """
    rng = np.random.default_rng(0)
    errs, ratios = [], []
    T = 6
    for _ in range(20):
        beta, alpha, abar = _random_schedule(rng, T)
        a = rng.uniform(0.5, 1.5, T)
        b = rng.normal(scale=0.3, size=T)
        v = rng.uniform(0.05, 0.5, T)
        x0 = rng.normal()
        exact = _neg_elbo_exact(alpha, beta, a, b, v, x0)
        dec = _neg_elbo_decomposed(alpha, beta, abar, a, b, v, x0)
        errs.append(abs(exact - dec) / max(1.0, abs(exact)))
        ratios.append(max(0.0, -_log_marginal(a, b, v, x0) - exact) / 1e-12)
    # (b) Monte Carlo on the last configuration
    n = 100_000
    xs = [np.full(n, x0)]
    log_q = np.zeros(n)
    for t in range(T):
        eps = rng.standard_normal(n)
        xs.append(np.sqrt(alpha[t]) * xs[-1] + np.sqrt(beta[t]) * eps)
        log_q += -0.5 * np.log(2 * np.pi * beta[t]) - 0.5 * eps**2
    log_p = -0.5 * np.log(2 * np.pi) - 0.5 * xs[T] ** 2
    for t in range(1, T + 1):
        r = xs[t - 1] - a[t - 1] * xs[t] - b[t - 1]
        log_p += -0.5 * np.log(2 * np.pi * v[t - 1]) - 0.5 * r**2 / v[t - 1]
    samples = log_q - log_p
    ratios.append(abs(samples.mean() - exact) / (5 * samples.std() / np.sqrt(n)))
    return float(np.max([np.max(errs) / 1e-10, np.max(ratios)])), 1.0


# --------------------------------------------------------------------------------------------
# Derivation: eps-prediction-loss
# --------------------------------------------------------------------------------------------


def _mixture_floor(ab):
    """Minimum of E(eps - eps_hat(x_t))^2 for 1-D data 0.3 N(-1.5, 0.36) + 0.7 N(1.5, 0.36)
    by quadrature, and the Gaussian floor for the same variance."""
    w_m, mu_m, var_m = np.array([0.3, 0.7]), np.array([-1.5, 1.5]), np.array([0.36, 0.36])
    s2 = np.sum(w_m * (var_m + mu_m**2)) - np.sum(w_m * mu_m) ** 2
    x0g = np.linspace(-6, 6, 1201)
    p0 = np.sum(w_m * np.exp(-((x0g[:, None] - mu_m) ** 2) / (2 * var_m)) / np.sqrt(2 * np.pi * var_m), axis=1)
    xt = np.linspace(-10, 10, 2001)
    sd = np.sqrt(1 - ab)
    kern = np.exp(-((xt[:, None] - np.sqrt(ab) * x0g[None, :]) ** 2) / (2 * sd**2)) / np.sqrt(2 * np.pi * sd**2)
    jw = kern * p0[None, :]
    q = np.trapezoid(jw, x0g, axis=1)
    e_eps = np.trapezoid(jw * (xt[:, None] - np.sqrt(ab) * x0g[None, :]) / sd, x0g, axis=1) / np.maximum(q, 1e-300)
    snr = ab / (1 - ab)
    return float(1 - np.trapezoid(q * e_eps**2, xt)), float(snr * s2 / (1 + snr * s2))


def check_eps_prediction_loss():
    """eq:reverse-mean-eps, eq:kl-eps, eq:elbo-weight-snr, eq:eps-score, eq:reverse-mean-score.

    (a) KL(N(mu_tilde, bt I) || N(mu_theta, s2 I)) in d = 4 dimensions, computed from the
        multivariate Gaussian KL with full matrices, changes between two eps_theta by exactly
        w_t (||eps - eps_1||^2 - ||eps - eps_2||^2), w_t = beta^2 / (2 s2 alpha (1 - abar)).
    (b) With s2 = posterior variance, w_t = (SNR(t-1)/SNR(t) - 1) / 2.
    (c) grad_{x_t} log q(x_t | x_0) by central differences equals -eps / sqrt(1 - abar_t), and
        the reverse mean equals (x_t + beta_t s_theta) / sqrt(alpha_t) for s_theta = -eps_theta /
        sqrt(1 - abar_t).
    (d) The optimal predictor E[eps | x_t] (quadrature, 1-D Gaussian-mixture data) equals
        -sqrt(1 - abar_t) times the score of the noisy marginal.
    (e) eq:gaussian-floor: for N(0, s^2 I) data the exact predictor's loss matches the floor
        (Monte Carlo, 5 standard errors), and a perturbed predictor does worse.
    (f) Non-Gaussian data of equal variance have a lower floor (ratio to the Gaussian floor < 1).
    """
    rng = np.random.default_rng(0)
    errs, fd_errs = [], []
    T, d = 10, 4
    beta, alpha, abar = _random_schedule(rng, T)
    for t in range(2, T + 1):
        x0 = rng.normal(size=d)
        eps = rng.normal(size=d)
        xt = np.sqrt(abar[t - 1]) * x0 + np.sqrt(1 - abar[t - 1]) * eps
        mu_tilde, bt = _posterior(beta, alpha, abar, t, xt, x0)
        for s2 in [beta[t - 1], bt]:
            kls, sq = [], []
            for _ in range(2):
                eps_th = rng.normal(size=d)
                mu_th = (xt - beta[t - 1] / np.sqrt(1 - abar[t - 1]) * eps_th) / np.sqrt(alpha[t - 1])  # formula
                S0, S1 = bt * np.eye(d), s2 * np.eye(d)
                S1inv = np.linalg.inv(S1)
                dm = mu_th - mu_tilde
                kl = 0.5 * (np.trace(S1inv @ S0) + dm @ S1inv @ dm - d + np.log(np.linalg.det(S1) / np.linalg.det(S0)))
                kls.append(kl)
                sq.append(np.sum((eps - eps_th) ** 2))
                # (c) reverse mean in score form
                s_th = -eps_th / np.sqrt(1 - abar[t - 1])  # formula
                mu_score = (xt + beta[t - 1] * s_th) / np.sqrt(alpha[t - 1])  # formula: eq:reverse-mean-score
                errs.append(np.max(np.abs(mu_th - mu_score)))
            w = beta[t - 1] ** 2 / (2 * s2 * alpha[t - 1] * (1 - abar[t - 1]))  # formula: eq:kl-eps
            errs.append(abs((kls[0] - kls[1]) - w * (sq[0] - sq[1])) / max(1.0, abs(kls[0])))
        # (b)
        snr = abar / (1 - abar)
        w_post = beta[t - 1] ** 2 / (2 * bt * alpha[t - 1] * (1 - abar[t - 1]))
        w_snr = 0.5 * (snr[t - 2] / snr[t - 1] - 1)  # formula: eq:elbo-weight-snr
        errs.append(abs(w_post - w_snr))
        # (c) conditional score by central differences
        h = 1e-6

        def logq(u, t=t, x0=x0):
            return -np.sum((u - np.sqrt(abar[t - 1]) * x0) ** 2) / (2 * (1 - abar[t - 1]))

        fd = np.array([(logq(xt + h * e) - logq(xt - h * e)) / (2 * h) for e in np.eye(d)])
        score = -eps / np.sqrt(1 - abar[t - 1])  # formula: eq:eps-score
        fd_errs.append(np.max(np.abs(fd - score)))
    # (d) optimal eps predictor by quadrature
    w_m, mu_m, var_m = np.array([0.3, 0.7]), np.array([-1.5, 1.5]), np.array([0.36, 0.36])
    x0g = np.linspace(-6, 6, 2001)
    p0 = np.sum(w_m * np.exp(-((x0g[:, None] - mu_m) ** 2) / (2 * var_m)) / np.sqrt(2 * np.pi * var_m), axis=1)
    for ab in [0.9, 0.5, 0.1]:
        xt = np.linspace(-3, 3, 61)
        sd = np.sqrt(1 - ab)
        kern = np.exp(-((xt[:, None] - np.sqrt(ab) * x0g[None, :]) ** 2) / (2 * sd**2))
        jw = kern * p0[None, :]
        eps_of = (xt[:, None] - np.sqrt(ab) * x0g[None, :]) / sd
        e_eps = np.trapezoid(jw * eps_of, x0g, axis=1) / np.trapezoid(jw, x0g, axis=1)
        vq = ab * var_m + 1 - ab
        lc = np.log(w_m) - 0.5 * np.log(vq) - (xt[:, None] - np.sqrt(ab) * mu_m) ** 2 / (2 * vq)
        r = np.exp(lc - lc.max(1, keepdims=True))
        r /= r.sum(1, keepdims=True)
        score = np.sum(r * (np.sqrt(ab) * mu_m - xt[:, None]) / vq, axis=1)
        eps_star = -sd * score  # formula: the optimum is -sqrt(1 - abar) times the score
        errs.append(np.max(np.abs(e_eps - eps_star)))
    # (e) eq:gaussian-floor for N(0, rho^2) data, by Monte Carlo: the predictor's loss matches the
    #     floor, and its residual is uncorrelated with every test function h(x_t) (x_t, x_t^2,
    #     x_t^3, sin x_t, 1), which holds for the best predictor over all functions and fails
    #     for any other: a scaled, shifted or bent predictor leaves a correlation.
    mc_ratios = []
    rho, n = 0.5, 200_000
    for ab in [0.999, 0.6, 0.05]:
        x0 = rho * rng.standard_normal((n, 2))
        e = rng.standard_normal((n, 2))
        xt = np.sqrt(ab) * x0 + np.sqrt(1 - ab) * e
        pred = np.sqrt(1 - ab) * xt / (ab * rho**2 + 1 - ab)  # formula: E[eps | x_t]
        loss = np.sum((e - pred) ** 2, axis=1)
        snr = ab / (1 - ab)
        floor = 2 * snr * rho**2 / (1 + snr * rho**2)  # formula: eq:gaussian-floor, d = 2
        mc_ratios.append(abs(loss.mean() - floor) / (5 * loss.std() / np.sqrt(n)))
        z = xt / np.sqrt(ab * rho**2 + 1 - ab)  # standardised input, so every h has unit scale
        for h in (z, z**2, z**3, np.sin(z), np.ones_like(z)):
            products = (e - pred) * h
            mc_ratios.append(np.max(np.abs(products.mean(0)) / (5 * products.std(0) / np.sqrt(n))))
    # (f) For mixture data of variance rho^2 = 2.25, the affine predictor has exactly the Gaussian
    #     floor as its error (only second moments enter); Monte Carlo, 5 standard errors. The
    #     best predictor's lower error is quoted in the note and compared by numbers_floor.
    w_m, mu_m, sd_m = np.array([0.3, 0.7]), np.array([-1.5, 1.5]), 0.6
    rho2 = float(np.sum(w_m * (sd_m**2 + mu_m**2)) - np.sum(w_m * mu_m) ** 2)
    for ab in [0.9, 0.5]:
        comp = rng.choice(2, size=n, p=w_m)
        x0 = mu_m[comp] + sd_m * rng.standard_normal(n)
        e = rng.standard_normal(n)
        xt = np.sqrt(ab) * x0 + np.sqrt(1 - ab) * e
        mean_xt = np.sqrt(ab) * np.sum(w_m * mu_m)
        affine = np.sqrt(1 - ab) * (xt - mean_xt) / (ab * rho2 + 1 - ab)  # formula
        snr = ab / (1 - ab)
        floor = snr * rho2 / (1 + snr * rho2)  # formula: eq:gaussian-floor, d = 1
        loss = (e - affine) ** 2
        # 2 % of the floor, about 6 standard errors; a fixed tolerance, because a wrong predictor
        # can have a heavy-tailed error whose own standard error would hide it
        mc_ratios.append(abs(loss.mean() - floor) / (0.02 * floor))
    return float(np.max([np.max(errs) / 1e-9, np.max(fd_errs) / 1e-6, np.max(mc_ratios)])), 1.0


# --------------------------------------------------------------------------------------------
# Numbers quoted in the note: each numbers_ function returns excerpts of the note with {} where a
# number stands, and the runner compares them with the note's text (notes/checking/quoted.py).
# --------------------------------------------------------------------------------------------


def _log_snr(abar):
    return np.log(abar / (1 - abar))


def _elbo_weights(abar):
    """eq:elbo-weight-snr for t = 2..T."""
    snr = abar / (1 - abar)
    return 0.5 * (snr[:-1] / snr[1:] - 1)


def numbers_schedules():
    """The schedule table and the step counts after it (float64, T = 1000)."""
    _, ab_lin = linear_schedule()
    _, ab_cos = cosine_schedule()
    rows = {}
    for t in (1, 50, 250, 500, 750, 900):
        a, c = ab_lin[t - 1], ab_cos[t - 1]
        rows[f"| {t} | {{}} | {{}} | {{}} | {{}} |"] = (a, c, _log_snr(a), _log_snr(c))
    a, c = ab_lin[-1], ab_cos[-1]
    rows["| 1000 | ${}$ | ${}$ | {} | {} |"] = (a, c, _log_snr(a), _log_snr(c))
    lin, cos = _log_snr(ab_lin), _log_snr(ab_cos)
    return rows | {
        "the SNR falls below 1 at $t = {}$, and {} of the 1000 steps have $\\log\\mathrm{SNR} < -5$": (
            _first_below(ab_lin, 0.5),
            np.sum(lin < -5),
        ),
        "crosses $\\mathrm{SNR} = 1$ at $t = {}$, has only {} steps below $\\log\\mathrm{SNR} = -5$, and spends {} steps rather than {} above": (
            _first_below(ab_cos, 0.5),
            np.sum(cos < -5),
            np.sum(cos > 5),
            np.sum(lin > 5),
        ),
    }


def _first_below(values, level):
    return int(np.argmax(values < level)) + 1


def numbers_elbo_weights():
    """What the simple loss discards: the ELBO weights of the linear schedule."""
    _, ab = linear_schedule()
    w = _elbo_weights(ab)  # w[0] is t = 2
    late = w[48:]  # t >= 50
    return {
        "they fall from ${}$ at $t = 2$ to ${}$ at $t = 10$, and from $t = 50$ on they stay between ${}$ and ${}$ (${}$ at $t = 500$, ${}$ at $t = T$)": (
            w[0],
            w[8],
            late.min(),
            late.max(),
            w[498],
            w[-1],
        ),
        "$t = 2$ by a factor of about ${}$ against the median step, and weights all the other steps within a factor of about ${}$": (
            w[0] / np.median(w),
            late.max() / late.min(),
        ),
    }


def numbers_floor():
    """The floor of the simple loss: Gaussian data of scale rho = 0.5, and the two-component
    mixture of variance 2.25 at abar = 0.9."""
    _, ab = linear_schedule()
    snr = ab / (1 - ab)
    floor = snr * 0.25 / (1 + snr * 0.25)
    mmse, gaussian = _mixture_floor(0.9)
    return {
        "the floor per coordinate is ${}$ at $t = 1$, ${}$ at $t = 100$, ${}$ at $t = 500$ and ${}$ at $t = T$, and ${}$ averaged over uniform $t$": (
            floor[0],
            floor[99],
            floor[499],
            floor[-1],
            floor.mean(),
        ),
        "the floor per coordinate at $\\bar\\alpha_t = 0.9$ is ${}$ instead of the Gaussian ${}$": (mmse, gaussian),
    }


def numbers_near_T():
    """'Near t = T': the prior mismatch, the amplification of the noise error in x0-hat, the
    cosine schedule's last step with and without the clip of beta at 0.999."""
    b_lin, ab_lin = linear_schedule()
    b_cos, ab_cos = cosine_schedule()
    # L_T per coordinate for x_0 = 1: KL(N(sqrt(abar_T), 1 - abar_T) || N(0, 1))
    kl = 0.5 * (ab_lin[-1] + (1 - ab_lin[-1]) - 1 - np.log(1 - ab_lin[-1]))
    t = np.arange(1001) / 1000
    f = np.cos((t + 0.008) / (1 + 0.008) * np.pi / 2) ** 2
    ab_raw = f / f[0]
    beta_T_raw = 1 - ab_raw[-1] / ab_raw[-2]
    return {
        "The linear schedule leaves $\\sqrt{\\bar\\alpha_T} = {}$ of the signal": np.sqrt(ab_lin[-1]),
        "The mismatch $L_T$ is ${}$ nats for a coordinate with $x_0 = 1$, and ${}$ nats for a $3 \\times 256 \\times 256$ image": (
            kl,
            kl * 3 * 256 * 256,
        ),
        "by ${}$ at $t = T$ for the linear schedule and by ${}$ for the cosine one": (
            1 / np.sqrt(ab_lin[-1] / (1 - ab_lin[-1])),
            1 / np.sqrt(ab_cos[-1] / (1 - ab_cos[-1])),
        ),
        "Float64 returns ${}$ only because $\\pi/2$ is rounded": ab_raw[-1],
        "evaluates to exactly ${=}$, so $\\alpha_T = {=}$": (beta_T_raw, 1 - beta_T_raw),
        "With the clip, $\\beta_T = {}$ (only $t = {=}$ is clipped), so $1/\\sqrt{\\alpha_T} = {}$ amplifies": (
            b_cos[-1],
            *(np.flatnonzero(b_cos >= 0.999) + 1),
            1 / np.sqrt(1 - b_cos[-1]),
        ),
        "at $t = T$ is ${}$, against ${}$ at $t = 2$": (_elbo_weights(ab_cos)[-1], _elbo_weights(ab_cos)[0]),
    }


def numbers_near_0():
    """'Near t = 0': the score scale at t = 1 and the substitute posterior variance."""
    b_lin, ab_lin = linear_schedule()
    _, ab_cos = cosine_schedule()
    return {
        "is ${}$ times the noise at $t = 1$ for the linear schedule and ${}$ times for the cosine one": (
            1 / np.sqrt(1 - ab_lin[0]),
            1 / np.sqrt(1 - ab_cos[0]),
        ),
        "substitute $\\tilde\\beta_2$ (${}$ for the linear schedule)": (1 - ab_lin[0]) * b_lin[1] / (1 - ab_lin[1]),
    }


def numbers_low_precision():
    """The warning on computing the schedule in float16 and float32."""
    b_lin, ab_lin = linear_schedule()
    _, ab_cos = cosine_schedule()
    ab16 = np.cumprod((1 - b_lin).astype(np.float16))
    ab32 = np.cumprod((1 - b_lin).astype(np.float32))
    stable = -np.expm1(np.cumsum(np.log1p(-b_lin.astype(np.float32))))
    exact = 1 - ab_lin[0]
    return {
        "In float16, $1 - \\beta_1 = {}$ rounds to exactly ${=}$, and the cumulative product of the linear schedule stays exactly ${=}$ for the first {=} steps": (
            1 - b_lin[0],
            float(np.float16(1 - b_lin[0])),
            float(ab16[0]),
            int(np.sum(np.cumprod(ab16 == 1))),
        ),
        "The cosine $\\bar\\alpha_T = {}$ is below the smallest float16 subnormal, ${}$, and becomes ${=}$": (
            ab_cos[-1],
            float(np.finfo(np.float16).smallest_subnormal),
            float(np.float16(ab_cos[-1])),
        ),
        "has relative error ${}$, while": abs(float(1 - ab32[0]) - exact) / exact,
        "in float32 has ${}$. Build": abs(float(stable[0]) - exact) / exact,
    }


# ---------------------------------------------------------------- figures
def figure_schedules():
    """abar_t of linear_schedule() and cosine_schedule(), T = 1000, in float64."""
    t = np.arange(1, 1001)
    (_, lin), (_, cos) = linear_schedule(), cosine_schedule()
    return {
        "title": "Signal fraction ᾱₜ of the linear and cosine schedules, T = 1000",
        "summary": "The linear schedule's ᾱₜ falls to one half by t = 260 and is near zero for the last "
        "third of the steps; the cosine schedule's falls to one half near t = 500 and reaches zero only at the end.",
        "x": {"label": "step t", "min": 0, "max": 1000},
        "y": {"label": "ᾱₜ", "min": 0, "max": 1},
        "series": [
            {"label": "linear β, 10⁻⁴ to 0.02", "x": t[::5], "y": lin[::5]},
            {"label": "cosine, δ = 0.008", "x": t[::5], "y": cos[::5]},
        ],
    }


def figure_log_snr():
    """log SNR(t) = log(abar_t / (1 - abar_t)) of both schedules, T = 1000, in float64."""
    t = np.arange(1, 1001)
    (_, lin), (_, cos) = linear_schedule(), cosine_schedule()
    pick = np.unique(np.concatenate([np.arange(0, 1000, 5), [999]]))
    return {
        "title": "Log signal-to-noise ratio of the linear and cosine schedules, T = 1000",
        "summary": "The linear schedule crosses SNR = 1 at t = 260 and spends 298 steps below log SNR = −5; "
        "the cosine schedule crosses at t = 497, falls nearly linearly through the middle, and plunges only "
        "in the last steps.",
        "x": {"label": "step t", "min": 0, "max": 1000},
        "y": {"label": "log SNR(t)"},
        "series": [
            {"label": "linear β, 10⁻⁴ to 0.02", "x": t[pick], "y": np.log(lin[pick] / (1 - lin[pick]))},
            {"label": "cosine, δ = 0.008", "x": t[pick], "y": np.log(cos[pick] / (1 - cos[pick]))},
        ],
        "rules": [{"axis": "y", "at": 0.0, "label": "SNR = 1"}, {"axis": "y", "at": -5.0, "label": "log SNR = −5"}],
    }


if __name__ == "__main__":
    for name, fn in list(globals().items()):
        if name.startswith("check_"):
            print(name, fn())
        if name.startswith("numbers_"):
            for excerpt, value in fn().items():
                print(f"  {excerpt}: {value}")
