"""Numerical checks for notes/corpus/kl-gaussians.md.

One check_<derivation id> function per derivation block. Each returns
(measured_error, tolerance) and passes when measured_error <= tolerance. Exact identities
are compared in float64 at seeded random points, gradients against central finite
differences, expectations against Monte Carlo with a tolerance of five standard errors and
against quadrature on fine grids. Where a check mixes tolerances, every error is divided by
its own tolerance and the function returns (largest ratio, 1.0).

practice_numbers() recomputes every number quoted in the note.
"""

import numpy as np

EXACT = 1e-10


def _quoted(value, quoted, decimals):
    """Error of a number quoted to `decimals` places, in units of its last digit.

    Correct rounding gives at most 0.5; the checks accept up to 1 (one unit in the last place)."""
    return abs(value - quoted) / 10.0**-decimals


def _rand_spd(rng, d, jitter=0.3):
    A = rng.normal(size=(d, d))
    return A @ A.T / d + jitter * np.eye(d)


def _kl_closed(mu0, S0, mu1, S1):
    """eq:kl-gauss, literally: explicit inverse and slogdet."""
    d = len(mu0)
    S1i = np.linalg.inv(S1)
    delta = mu0 - mu1
    return 0.5 * (np.trace(S1i @ S0) + delta @ S1i @ delta - d + np.linalg.slogdet(S1)[1] - np.linalg.slogdet(S0)[1])


def _tri_solve(L, B):
    """Forward substitution for lower-triangular L (B may be a vector or a matrix)."""
    B = np.asarray(B)
    X = np.zeros(B.shape, dtype=np.result_type(L, B))
    for i in range(L.shape[0]):
        X[i] = (B[i] - L[i, :i] @ X[:i]) / L[i, i]
    return X


def _kl_cholesky(mu0, S0, mu1, S1):
    """eq:kl-cholesky."""
    d = len(mu0)
    L0, L1 = np.linalg.cholesky(S0), np.linalg.cholesky(S1)
    A = _tri_solve(L1, L0)
    v = _tri_solve(L1, mu0 - mu1)
    return 0.5 * (np.sum(A * A) + v @ v - d) + np.sum(np.log(np.diag(L1))) - np.sum(np.log(np.diag(L0)))


def _kl_pieces(mu0, D, mu1, S1):
    """eq:kl-pieces, from the covariance difference D = S0 - S1."""
    L1 = np.linalg.cholesky(S1)
    A = _tri_solve(L1, _tri_solve(L1, D).T).T
    u = np.linalg.eigvalsh(0.5 * (A + A.T))
    v = _tri_solve(L1, mu0 - mu1)
    return 0.5 * np.sum(u - np.log1p(u)) + 0.5 * v @ v


def _log_gauss(X, mu, S):
    """Log-density of N(mu, S) at the rows of X."""
    d = len(mu)
    L = np.linalg.cholesky(S)
    Z = _tri_solve(L, (X - mu).T)
    return -0.5 * np.sum(Z * Z, axis=0) - np.sum(np.log(np.diag(L))) - 0.5 * d * np.log(2 * np.pi)


def _fd(f, x, h=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        g[idx] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def check_gaussian_quadratic_expectation():
    """eq:quad-expectation by Monte Carlo (Gaussian and a non-Gaussian with the same moments),
    and the Mahalanobis special case E = d."""
    rng = np.random.default_rng(0)
    ratios = []
    M = 200000
    for trial in range(6):
        d = int(rng.integers(1, 6))
        mu0 = rng.normal(size=d)
        S0 = _rand_spd(rng, d)
        L0 = np.linalg.cholesky(S0)
        A = rng.normal(size=(d, d))  # not symmetric on purpose
        m = rng.normal(size=d)
        # Odd trials: standardised uniform noise (mean 0, identity covariance, not Gaussian).
        E = rng.uniform(-np.sqrt(3), np.sqrt(3), size=(M, d)) if trial % 2 else rng.normal(size=(M, d))
        X = mu0 + E @ L0.T
        vals = np.einsum("ij,jk,ik->i", X - m, A, X - m)
        pred = np.trace(A @ S0) + (mu0 - m) @ A @ (mu0 - m)
        ratios.append(abs(vals.mean() - pred) / (5 * vals.std() / np.sqrt(M)))
        # Mahalanobis distance to the own mean has expectation d.
        Z = np.linalg.solve(L0, (X - mu0).T)
        maha = np.sum(Z * Z, axis=0)
        ratios.append(abs(maha.mean() - d) / (5 * maha.std() / np.sqrt(M)))
    return float(np.max(ratios)), 1.0


def check_gaussian_kl_closed_form():
    """eq:log-ratio, eq:kl-gauss (quadrature in 1-D and 2-D, Monte Carlo in 5-D), eq:kl-eigen,
    the univariate case, eq:kl-diag, eq:kl-std-normal and its gradients, eq:kl-grad,
    eq:kl-cholesky, eq:kl-pieces, and the quoted values of lambda - 1 - log lambda."""
    rng = np.random.default_rng(0)
    ratios = []
    # 1-D quadrature and the entropy note's univariate formula.
    x = np.linspace(-20, 20, 200001)
    dx = x[1] - x[0]
    for _ in range(5):
        m0, m1 = rng.normal(size=2)
        s0, s1 = rng.uniform(0.5, 2.0, size=2)
        lp = -0.5 * ((x - m0) / s0) ** 2 - np.log(s0) - 0.5 * np.log(2 * np.pi)
        lq = -0.5 * ((x - m1) / s1) ** 2 - np.log(s1) - 0.5 * np.log(2 * np.pi)
        quad = np.sum(np.exp(lp) * (lp - lq)) * dx
        closed = _kl_closed(np.array([m0]), np.array([[s0**2]]), np.array([m1]), np.array([[s1**2]]))
        ratios.append(abs(quad - closed) / 1e-9)
        entropy_note = np.log(s1 / s0) + (s0**2 + (m0 - m1) ** 2) / (2 * s1**2) - 0.5
        ratios.append(abs(entropy_note - closed) / EXACT)
    # 2-D quadrature, which also checks eq:log-ratio pointwise.
    g = np.linspace(-10, 10, 801)
    G = np.stack(np.meshgrid(g, g, indexing="ij"), axis=-1).reshape(-1, 2)
    for _ in range(2):
        mu0, mu1 = rng.normal(size=2), rng.normal(size=2)
        S0, S1 = _rand_spd(rng, 2, 0.5), _rand_spd(rng, 2, 0.5)
        lp, lq = _log_gauss(G, mu0, S0), _log_gauss(G, mu1, S1)
        quad = np.sum(np.exp(lp) * (lp - lq)) * (g[1] - g[0]) ** 2
        ratios.append(abs(quad - _kl_closed(mu0, S0, mu1, S1)) / 1e-8)
        S0i, S1i = np.linalg.inv(S0), np.linalg.inv(S1)
        r0, r1 = G[:50] - mu0, G[:50] - mu1
        ratio_formula = (
            0.5 * (np.linalg.slogdet(S1)[1] - np.linalg.slogdet(S0)[1])
            - 0.5 * np.einsum("ij,jk,ik->i", r0, S0i, r0)
            + 0.5 * np.einsum("ij,jk,ik->i", r1, S1i, r1)
        )
        ratios.append(np.abs(ratio_formula - (lp[:50] - lq[:50])).max() / EXACT)
    # 5-D Monte Carlo.
    d, M = 5, 200000
    mu0, mu1 = rng.normal(size=d), rng.normal(size=d)
    S0, S1 = _rand_spd(rng, d), _rand_spd(rng, d)
    X = mu0 + rng.normal(size=(M, d)) @ np.linalg.cholesky(S0).T
    k = _log_gauss(X, mu0, S0) - _log_gauss(X, mu1, S1)
    ratios.append(abs(k.mean() - _kl_closed(mu0, S0, mu1, S1)) / (5 * k.std() / np.sqrt(M)))
    for _ in range(30):
        d = int(rng.integers(1, 9))
        mu0, mu1 = rng.normal(size=d), rng.normal(size=d)
        S0, S1 = _rand_spd(rng, d), _rand_spd(rng, d)
        closed = _kl_closed(mu0, S0, mu1, S1)
        # eq:kl-eigen (eigenvalues of the non-symmetric S1^{-1} S0) and non-negativity.
        lam = np.linalg.eigvals(np.linalg.solve(S1, S0))
        ratios.append(np.abs(lam.imag).max() / 1e-9)
        lam = lam.real
        delta = mu0 - mu1
        eig_form = 0.5 * np.sum(lam - 1 - np.log(lam)) + 0.5 * delta @ np.linalg.solve(S1, delta)
        ratios.append(abs(eig_form - closed) / 1e-9)
        ratios.append(max(0.0, -closed) / EXACT)
        # eq:kl-cholesky and eq:kl-pieces.
        ratios.append(abs(_kl_cholesky(mu0, S0, mu1, S1) - closed) / 1e-9)
        ratios.append(abs(_kl_pieces(mu0, S0 - S1, mu1, S1) - closed) / 1e-9)
        # eq:kl-grad by finite differences, entries of S0 perturbed independently.
        gmu = _fd(lambda v, S0=S0, mu1=mu1, S1=S1: _kl_closed(v, S0, mu1, S1), mu0)
        ratios.append(np.abs(gmu - np.linalg.solve(S1, delta)).max() / 1e-7)
        gS = _fd(lambda V, mu0=mu0, mu1=mu1, S1=S1: _kl_closed(mu0, V, mu1, S1), S0)
        ratios.append(np.abs(gS - 0.5 * (np.linalg.inv(S1) - np.linalg.inv(S0))).max() / 1e-7)
        # eq:kl-diag against the general formula.
        v0, v1 = rng.uniform(0.2, 3.0, size=d), rng.uniform(0.2, 3.0, size=d)
        diag = 0.5 * np.sum((v0 + delta**2) / v1 - 1 + np.log(v1 / v0))
        ratios.append(abs(diag - _kl_closed(mu0, np.diag(v0), mu1, np.diag(v1))) / 1e-9)
        # eq:kl-std-normal and its gradients.
        s = rng.normal(size=d)

        def f(mu, s):
            return 0.5 * np.sum(np.exp(s) - 1 - s + mu**2)

        ratios.append(abs(f(mu0, s) - _kl_closed(mu0, np.diag(np.exp(s)), np.zeros(d), np.eye(d))) / 1e-9)
        ratios.append(np.abs(_fd(lambda v, s=s, f=f: f(v, s), mu0) - mu0).max() / 1e-7)
        ratios.append(np.abs(_fd(lambda v, mu0=mu0, f=f: f(mu0, v), s) - 0.5 * np.expm1(s)).max() / 1e-7)
        # sigma parametrisation: d/d sigma = sigma - 1/sigma.
        sig = np.exp(0.5 * s)
        gsig = _fd(lambda v, mu0=mu0, f=f: f(mu0, 2 * np.log(v)), sig)
        ratios.append(np.abs(gsig - (sig - 1 / sig)).max() / 1e-6)
    # eq:kl-local: both directions match the quadratic form up to relative O(t).
    d = 6
    S1 = _rand_spd(rng, d)
    L1 = np.linalg.cholesky(S1)
    for t in [1e-2, 1e-3]:
        P = rng.normal(size=(d, d))
        S0 = S1 + t * L1 @ (P + P.T) @ L1.T
        mu1 = rng.normal(size=d)
        mu0 = mu1 + t * rng.normal(size=d)
        u = np.linalg.eigvals(np.linalg.solve(S1, S0)).real - 1
        delta = mu0 - mu1
        local = 0.25 * np.sum(u**2) + 0.5 * delta @ np.linalg.solve(S1, delta)
        fwd, rev = _kl_pieces(mu0, S0 - S1, mu1, S1), _kl_pieces(mu1, S1 - S0, mu0, S0)
        ratios.append(abs(fwd / local - 1) / (20 * t))
        ratios.append(abs(rev / local - 1) / (20 * t))
    # Quoted values of lambda - 1 - log lambda.
    ratios.append(_quoted(0.25 - 1 - np.log(0.25), 0.6363, 4))
    ratios.append(_quoted(4 - 1 - np.log(4), 1.6137, 4))
    return float(np.max(ratios)), 1.0


def check_mc_kl_variance():
    """eq:mc-estimator and eq:mc-variance by Monte Carlo, the VAE special case, the mean of
    step 2, the small-divergence ratio Var / KL -> 2, and the integrability condition
    S0 > S1 / 2 for the k3 estimator (1-D quadrature)."""
    rng = np.random.default_rng(0)
    ratios = []
    M = 200000
    for _ in range(5):
        d = int(rng.integers(1, 6))
        mu0, mu1 = rng.normal(size=d), rng.normal(size=d)
        S0, S1 = _rand_spd(rng, d, 0.5), _rand_spd(rng, d, 0.5)
        X = mu0 + rng.normal(size=(M, d)) @ np.linalg.cholesky(S0).T
        k = _log_gauss(X, mu0, S0) - _log_gauss(X, mu1, S1)
        lam = np.linalg.eigvals(np.linalg.solve(S1, S0)).real
        delta = mu0 - mu1
        S1i = np.linalg.inv(S1)
        var = 0.5 * np.sum((lam - 1) ** 2) + delta @ S1i @ S0 @ S1i @ delta
        c = k - k.mean()
        se_var = np.sqrt(np.mean(c**4) - np.mean(c**2) ** 2) / np.sqrt(M)
        ratios.append(abs(k.var() - var) / (5 * se_var))
        ratios.append(abs(k.mean() - _kl_closed(mu0, S0, mu1, S1)) / (5 * np.sqrt(var / M)))
        # Mean of step 2: c + tr(N)/2 reproduces eq:kl-gauss.
        L0 = np.linalg.cholesky(S0)
        N = L0.T @ S1i @ L0 - np.eye(d)
        const = -np.sum(np.log(np.diag(L0))) + 0.5 * np.linalg.slogdet(S1)[1] + 0.5 * delta @ S1i @ delta
        ratios.append(abs(const + 0.5 * np.trace(N) - _kl_closed(mu0, S0, mu1, S1)) / EXACT)
        # eq:mc-variance through N and b directly (step 4) equals the eigenvalue form (step 5).
        b = L0.T @ S1i @ delta
        ratios.append(abs(0.5 * np.trace(N @ N) + b @ b - var) / 1e-9)
    # VAE special case.
    d = 6
    mu, sig = rng.normal(size=d), rng.uniform(0.3, 1.5, size=d)
    S1i = np.eye(d)
    lam = sig**2
    general = 0.5 * np.sum((lam - 1) ** 2) + mu @ np.diag(sig**2) @ mu
    ratios.append(abs(general - np.sum(0.5 * (sig**2 - 1) ** 2 + mu**2 * sig**2)) / EXACT)
    # Near p = q, Var / KL -> 2.
    d = 8
    S1 = _rand_spd(rng, d)
    L1 = np.linalg.cholesky(S1)
    for t in [1e-2, 1e-3]:
        P = rng.normal(size=(d, d))
        S0 = S1 + t * L1 @ (P + P.T) @ L1.T
        mu1 = rng.normal(size=d)
        mu0 = mu1 + t * rng.normal(size=d)
        lam = np.linalg.eigvals(np.linalg.solve(S1, S0)).real
        delta = mu0 - mu1
        S1i = np.linalg.inv(S1)
        var = 0.5 * np.sum((lam - 1) ** 2) + delta @ S1i @ S0 @ S1i @ delta
        ratios.append(abs(var / _kl_pieces(mu0, S0 - S1, mu1, S1) - 2) / (50 * t))
    # The two d = 32 examples after the derivation, from eq:kl-std-normal and the VAE case.
    for m_, s_, kl_q, sd_q in [(0.5, 0.6, (10.106, 3), (3.071, 3)), (0.02, 0.99, (0.00961, 5), (0.137, 3))]:
        kl = 32 * 0.5 * (s_**2 - 1 - np.log(s_**2) + m_**2)
        sd = np.sqrt(32 * (0.5 * (s_**2 - 1) ** 2 + m_**2 * s_**2))
        ratios.append(_quoted(kl, *kl_q))
        ratios.append(_quoted(sd, *sd_q))
    ratios.append(_quoted(100 * 3.0714166 / 10.1064200, 30, 0))  # "30% of the value"
    ratios.append(_quoted(0.1374098 / 0.0096107, 14, 0))  # "fourteen times larger"
    # The three-dimensional example of the practice section: closed form and predicted standard error.
    rng3 = np.random.default_rng(0)
    A, C = rng3.normal(size=(3, 3)), rng3.normal(size=(3, 3))
    mu0 = np.array([0.3, -0.2, 0.5])
    S0, S1 = A @ A.T + 0.5 * np.eye(3), C @ C.T + np.eye(3)
    lam = np.linalg.eigvals(np.linalg.solve(S1, S0)).real
    S1i = np.linalg.inv(S1)
    ratios.append(_quoted(_kl_closed(mu0, S0, np.zeros(3), S1), 1.60432, 5))
    se = np.sqrt((0.5 * np.sum((lam - 1) ** 2) + mu0 @ S1i @ S0 @ S1i @ mu0) / 10**6)
    ratios.append(_quoted(se, 0.00202, 5))
    # k3: E_p[r] = 1 always; int q^2/p converges iff s0^2 > s1^2 / 2 (1-D, s1 = 1). The two variances
    # 0.55 and 0.45 straddle the threshold 1/2 closely, so a wrong threshold would be caught.
    for s0, finite in [(np.sqrt(0.55), True), (np.sqrt(0.45), False)]:
        vals = []
        for R in [10.0, 20.0, 40.0]:
            x = np.linspace(-R, R, 100001)
            dx = x[1] - x[0]
            lp = -0.5 * ((x - 0.3) / s0) ** 2 - np.log(s0)
            lq = -0.5 * x**2
            ratios.append(abs(np.sum(np.exp(lq)) * dx / np.sqrt(2 * np.pi) - 1) / 1e-9)  # = E_p[r]
            vals.append(np.sum(np.exp(2 * lq - lp)) * dx / np.sqrt(2 * np.pi))
        growth = vals[-1] / vals[-2]
        # Finite: the integral has converged. Infinite: doubling the range multiplies it by > 1e6.
        ratios.append(abs(growth - 1) / 1e-9 if finite else 1e6 / growth)
    return float(np.max(ratios)), 1.0


def practice_numbers():
    """Recompute every number quoted in the note. Takes a few seconds."""
    out = {}
    with np.errstate(all="ignore"):
        out["det f32 0.1 I64"] = float(np.linalg.det(np.float32(0.1) * np.eye(64, dtype=np.float32)))
        out["det f64 0.1 I400, 10 I400"] = (np.linalg.det(0.1 * np.eye(400)), np.linalg.det(10 * np.eye(400)))
    out["slogdet 0.1 I400"] = np.linalg.slogdet(0.1 * np.eye(400))[1]
    out["lambda 1/4, 4"] = (0.25 - 1 - np.log(0.25), 4 - 1 - np.log(4))
    # float32 log-variance term.
    for s in [1e-3, 1e-4]:
        true = np.expm1(s) - s
        s32 = np.float32(s)
        naive = np.exp(s32) - np.float32(1) - s32
        stable = np.expm1(s32) - s32
        out[f"logvar term s={s}"] = (abs(naive - true) / true, abs(stable - true) / true)
    # float32 full-covariance cancellation, d = 64, condition number 1e4 (and 1 for comparison: the
    # same seed gives the same Q, mu and P, hence the same whitened perturbation and the same KL).
    for cond in [1e4, 1.0]:
        rng = np.random.default_rng(0)
        d = 64
        Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
        S1 = (Q * np.logspace(0, np.log10(cond), d)) @ Q.T
        L1 = np.linalg.cholesky(S1)
        mu = rng.normal(size=d)
        for t in [1e-2, 1e-3]:
            P = rng.normal(size=(d, d)) * t / np.sqrt(d)
            D = L1 @ (P + P.T) @ L1.T / 2
            S0 = S1 + D
            ref = _kl_pieces(mu, D, mu, S1)
            f32 = [a.astype(np.float32) for a in (mu, S0, mu, S1)]
            errs = [
                abs(_kl_closed(*f32) - ref) / ref,
                abs(_kl_cholesky(*f32) - ref) / ref,
                abs(_kl_pieces(f32[0], D.astype(np.float32), f32[2], f32[3]) - ref) / ref,
                abs(_kl_closed(mu, S0, mu, S1) - ref) / ref,
                abs(_kl_cholesky(mu, S0, mu, S1) - ref) / ref,
            ]
            key = f"cond={cond:g} t={t}"
            out[f"{key}: KL, f32 inv, f32 chol, f32 pieces, f64 inv, f64 chol"] = (ref, *errs)
            out[f"{key}: float32 values (inv, chol)"] = (float(_kl_closed(*f32)), float(_kl_cholesky(*f32)))
    out["float32 spacing at 64"] = float(np.spacing(np.float32(64)))
    # Monte Carlo examples, d = 32.
    for m_, s_ in [(0.5, 0.6), (0.02, 0.99)]:
        mu, sig = np.full(32, m_), np.full(32, s_)
        kl = 0.5 * np.sum(sig**2 + mu**2 - 1 - np.log(sig**2))
        var = np.sum(0.5 * (sig**2 - 1) ** 2 + mu**2 * sig**2)
        rows = []
        for M in [10**4, 10**5, 10**6]:
            k1 = np.empty(M)
            for a in range(0, M, 10**5):  # chunks keep memory small
                eps = rng.normal(size=(min(10**5, M - a), 32))
                z = mu + sig * eps
                k1[a : a + len(eps)] = np.sum(-0.5 * eps**2 - np.log(sig) + 0.5 * z**2, axis=1)
            k3 = np.expm1(-k1) + k1
            rows.append((M, k1.mean(), k1.std(), k3.mean(), k3.std()))
        out[f"MC mu={m_} sigma={s_}: KL, sd"] = (kl, np.sqrt(var), np.sqrt(var) / kl)
        out[f"MC mu={m_} sigma={s_}: (M, k1 mean, k1 sd, k3 mean, k3 sd)"] = rows
    # The three-dimensional worked example.
    rng = np.random.default_rng(0)
    A, C = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    mu0, mu1 = np.array([0.3, -0.2, 0.5]), np.zeros(3)
    S0, S1 = A @ A.T + 0.5 * np.eye(3), C @ C.T + np.eye(3)
    kl = _kl_cholesky(mu0, S0, mu1, S1)
    M = 10**6
    X = mu0 + rng.normal(size=(M, 3)) @ np.linalg.cholesky(S0).T
    k = _log_gauss(X, mu0, S0) - _log_gauss(X, mu1, S1)
    lam = np.linalg.eigvals(np.linalg.solve(S1, S0)).real
    S1i = np.linalg.inv(S1)
    var = 0.5 * np.sum((lam - 1) ** 2) + mu0 @ S1i @ S0 @ S1i @ mu0
    out["3-d example: closed, MC, predicted SE"] = (kl, k.mean(), np.sqrt(var / M))
    out["float16 exp overflow at"] = np.log(np.float64(np.finfo(np.float16).max))
    return out


# ---------------------------------------------------------------- figures
def figure_kl_asymmetry():
    """Both directions of the KL divergence between N(0, 1) and N(0, s^2), by _kl_closed."""
    s = np.logspace(-1, 1, 81)
    one = np.eye(1)
    forward = [_kl_closed(np.zeros(1), one, np.zeros(1), one * v**2) for v in s]
    reverse = [_kl_closed(np.zeros(1), one * v**2, np.zeros(1), one) for v in s]
    return {
        "title": "KL divergence between N(0, 1) and N(0, s²), both directions",
        "summary": "KL(N(0, 1) ‖ N(0, s²)) grows like 1/(2s²) when the second distribution is too narrow "
        "but only like log s when it is too wide; the reverse direction is its mirror image in s = 1.",
        "x": {"label": "standard deviation s", "scale": "log"},
        "y": {"label": "divergence (nats)", "min": 0, "max": 6},
        "series": [
            {"label": "KL(N(0, 1) ‖ N(0, s²))", "x": s, "y": np.array(forward)},
            {"label": "KL(N(0, s²) ‖ N(0, 1))", "x": s, "y": np.array(reverse)},
        ],
    }


if __name__ == "__main__":
    for name, fn in list(globals().items()):
        if name.startswith("check_"):
            print(name, fn())
    for k, v in practice_numbers().items():
        print(k, v)
