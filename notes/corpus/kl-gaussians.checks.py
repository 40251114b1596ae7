"""Numerical checks for notes/corpus/kl-gaussians.md.

One check_<derivation id> function per derivation block. Each returns
(measured_error, tolerance) and passes when measured_error <= tolerance. Exact identities
are compared in float64 at seeded random points, gradients against central finite
differences, expectations against Monte Carlo with a tolerance of five standard errors and
against quadrature on fine grids. Where a check mixes tolerances, every error is divided by
its own tolerance and the function returns (largest ratio, 1.0).

Quadratic forms in marked formulas are written with einsum("i,ij,j->", ...): with @ and a
symmetric matrix, exchanging the operands gives the same number, a mutant no check can see.
The numbers_ functions recompute every number quoted in the note.
"""

import math

import numpy as np

EXACT = 1e-10


def _rand_spd(rng, d, jitter=0.3):
    A = rng.normal(size=(d, d))
    return A @ A.T / d + jitter * np.eye(d)


# Fixed-order linear algebra. The float32 figures of the warning on accuracy move with every
# rounding: LAPACK's and BLAS's kernels (blocked, with FMA) and numpy's vectorised log differ
# between CPUs (AVX2, AVX-512), and so did the figures. These textbook algorithms use only
# elementwise IEEE operations (each correctly rounded, so the same everywhere) and numpy sums in a
# fixed order, in the precision of their arguments; logs are the C library's float64 ones,
# rounded to float32 for float32 (correctly rounded there).


def _libm(x, function=math.log):
    """Elementwise log (or log1p, exp, expm1) in x's precision, as described above."""
    x = np.asarray(x)
    return np.asarray(np.frompyfunc(function, 1, 1)(x.astype(np.float64)), dtype=np.float64).astype(x.dtype)


def _matmul(A, B):
    """A @ B as elementwise products summed over the middle axis, in order."""
    return np.sum(A[:, :, None] * B[None, :, :], axis=1)


def _cholesky(S):
    """Lower Cholesky factor, column by column (Cholesky-Crout)."""
    L = np.zeros_like(S)
    for j in range(len(S)):
        L[j, j] = np.sqrt(S[j, j] - np.sum(L[j, :j] * L[j, :j]))
        L[j + 1 :, j] = (S[j + 1 :, j] - np.sum(L[j + 1 :, :j] * L[j, :j], axis=1)) / L[j, j]
    return L


def _tri_solve(L, B):
    """Forward substitution for lower-triangular L (B may be a vector or a matrix)."""
    B = np.asarray(B)
    X = np.zeros(B.shape, dtype=np.result_type(L, B))
    for i in range(L.shape[0]):
        X[i] = (B[i] - np.sum(L[i, :i].reshape((i,) + (1,) * (B.ndim - 1)) * X[:i], axis=0)) / L[i, i]
    return X


def _inv(A):
    """Inverse by Gauss-Jordan elimination with partial pivoting."""
    n = len(A)
    M = np.concatenate([A, np.eye(n, dtype=A.dtype)], axis=1)
    for j in range(n):
        p = j + int(np.argmax(np.abs(M[j:, j])))
        M[[j, p]] = M[[p, j]]
        M[j] = M[j] / M[j, j]
        factors = M[:, j].copy()
        factors[j] = 0
        M -= factors[:, None] * M[j]
    return M[:, n:]


def _logabsdet(A):
    """log |det A| as slogdet computes it: LU with partial pivoting, then the sum of the logs."""
    U = A.copy()
    for j in range(len(U)):
        p = j + int(np.argmax(np.abs(U[j:, j])))
        U[[j, p]] = U[[p, j]]
        U[j + 1 :, j:] -= (U[j + 1 :, j] / U[j, j])[:, None] * U[j, j:]
    return np.sum(_libm(np.abs(np.diag(U))))


def _eigvalsh(A):
    """Eigenvalues of a symmetric matrix by cyclic Jacobi rotations, until a sweep finds every
    off-diagonal entry negligible against its diagonal pair (the Demmel-Veselic test)."""
    A, n, eps = A.copy(), len(A), float(np.finfo(A.dtype).eps)
    dtype = A.dtype.type
    for _ in range(60):
        rotated = False
        for p in range(n - 1):
            for q in range(p + 1, n):
                apq = float(A[p, q])
                if abs(apq) <= eps * math.sqrt(abs(float(A[p, p]) * float(A[q, q]))):
                    continue
                rotated = True
                theta = (float(A[q, q]) - float(A[p, p])) / (2 * apq)
                t = math.copysign(1.0, theta) / (abs(theta) + math.hypot(theta, 1.0))
                c = 1 / math.sqrt(t * t + 1)
                c, s = dtype(c), dtype(t * c)
                rp, rq = A[p].copy(), A[q].copy()
                A[p], A[q] = c * rp - s * rq, s * rp + c * rq
                cp, cq = A[:, p].copy(), A[:, q].copy()
                A[:, p], A[:, q] = c * cp - s * cq, s * cp + c * cq
        if not rotated:
            break
    return np.sort(np.diag(A))


def _kl_closed(mu0, S0, mu1, S1):  # formula: eq:kl-gauss
    """eq:kl-gauss, literally: explicit inverse and log-determinants."""
    d = len(mu0)
    S1i = _inv(S1)
    delta = mu0 - mu1
    mahalanobis = np.einsum("i,ij,j->", delta, S1i, delta)  # optimize=False: no BLAS
    return 0.5 * (np.sum(S1i * S0.T) + mahalanobis - d + _logabsdet(S1) - _logabsdet(S0))  # tr(S1i S0)


def _kl_cholesky(mu0, S0, mu1, S1):  # formula: eq:kl-cholesky
    """eq:kl-cholesky."""
    d = len(mu0)
    L0, L1 = _cholesky(S0), _cholesky(S1)
    A = _tri_solve(L1, L0)
    v = _tri_solve(L1, mu0 - mu1)
    return 0.5 * (np.sum(A * A) + np.sum(v * v) - d) + np.sum(_libm(np.diag(L1))) - np.sum(_libm(np.diag(L0)))


def _kl_pieces(mu0, D, mu1, S1):  # formula: eq:kl-pieces
    """eq:kl-pieces, from the covariance difference D = S0 - S1."""
    L1 = _cholesky(S1)
    A = _tri_solve(L1, _tri_solve(L1, D).T).T
    u = _eigvalsh(0.5 * (A + A.T))
    v = _tri_solve(L1, mu0 - mu1)
    return 0.5 * np.sum(u - _libm(u, math.log1p)) + 0.5 * np.sum(v * v)


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
    M = 50000
    for trial in range(6):
        d = int(rng.integers(2, 6))
        mu0 = rng.normal(size=d)
        S0 = _rand_spd(rng, d)
        L0 = np.linalg.cholesky(S0)
        A = rng.normal(size=(d, d))  # not symmetric on purpose
        m = rng.normal(size=d)
        # tr(A S0) as a sum of entrywise products (S0 is symmetric), so no mutant is a cyclic shift
        pred = np.sum(A * S0) + np.einsum("i,ij,j->", mu0 - m, A, mu0 - m)  # formula: eq:quad-expectation
        # Exact: the 2d points mu0 +- sqrt(d) L0 e_i, equally weighted, have mean mu0 and covariance S0
        # and nothing else in common with a Gaussian; the lemma needs only those two moments.
        X = mu0 + np.sqrt(d) * np.concatenate([L0.T, -L0.T])
        exact = np.mean(np.einsum("ij,jk,ik->i", X - m, A, X - m))
        ratios.append(abs(exact - pred) / (1e-12 * (1 + abs(exact))))
        # Monte Carlo: Gaussian noise on even trials, standardised uniform noise on odd ones.
        E = rng.uniform(-np.sqrt(3), np.sqrt(3), size=(M, d)) if trial % 2 else rng.normal(size=(M, d))
        X = mu0 + E @ L0.T
        vals = np.einsum("ij,jk,ik->i", X - m, A, X - m)
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
        ratio_formula = (  # formula: eq:log-ratio
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
        eig_form = 0.5 * np.sum(lam - 1 - np.log(lam)) + 0.5 * np.sum(delta * np.linalg.solve(S1, delta))  # formula
        ratios.append(abs(eig_form - closed) / 1e-9)
        ratios.append(max(0.0, -closed) / EXACT)
        # eq:kl-cholesky and eq:kl-pieces.
        ratios.append(abs(_kl_cholesky(mu0, S0, mu1, S1) - closed) / 1e-9)
        ratios.append(abs(_kl_pieces(mu0, S0 - S1, mu1, S1) - closed) / 1e-9)
        # eq:kl-grad by finite differences, entries of S0 perturbed independently.
        gmu = _fd(lambda v, S0=S0, mu1=mu1, S1=S1: _kl_closed(v, S0, mu1, S1), mu0)
        grad_mu = np.linalg.solve(S1, delta)  # formula: eq:kl-grad
        ratios.append(np.abs(gmu - grad_mu).max() / 1e-7)
        gS = _fd(lambda V, mu0=mu0, mu1=mu1, S1=S1: _kl_closed(mu0, V, mu1, S1), S0)
        grad_S = 0.5 * (np.linalg.inv(S1) - np.linalg.inv(S0))  # formula: eq:kl-grad
        ratios.append(np.abs(gS - grad_S).max() / 1e-7)
        # eq:kl-diag against the general formula.
        v0, v1 = rng.uniform(0.2, 3.0, size=d), rng.uniform(0.2, 3.0, size=d)
        diag = 0.5 * np.sum((v0 + delta**2) / v1 - 1 + np.log(v1 / v0))  # formula: eq:kl-diag
        ratios.append(abs(diag - _kl_closed(mu0, np.diag(v0), mu1, np.diag(v1))) / 1e-9)
        # eq:kl-std-normal and its gradients.
        s = rng.normal(size=d)

        def f(mu, s):  # formula: eq:kl-std-normal
            return 0.5 * np.sum(np.exp(s) - 1 - s + mu**2)

        ratios.append(abs(f(mu0, s) - _kl_closed(mu0, np.diag(np.exp(s)), np.zeros(d), np.eye(d))) / 1e-9)
        ratios.append(np.abs(_fd(lambda v, s=s, f=f: f(v, s), mu0) - mu0).max() / 1e-7)
        grad_s = 0.5 * np.expm1(s)  # formula: eq:kl-std-normal
        ratios.append(np.abs(_fd(lambda v, mu0=mu0, f=f: f(mu0, v), s) - grad_s).max() / 1e-7)
        # sigma parametrisation: d/d sigma = sigma - 1/sigma.
        sig = np.exp(0.5 * s)
        gsig = _fd(lambda v, mu0=mu0, f=f: f(mu0, 2 * np.log(v)), sig)
        grad_sig = sig - 1 / sig  # formula
        ratios.append(np.abs(gsig - grad_sig).max() / 1e-6)
    # eq:kl-local: both directions match the quadratic form up to relative O(t), with the means and
    # the covariances perturbed together, and each alone (so that neither term can hide the other).
    d = 6
    S1 = _rand_spd(rng, d)
    L1 = np.linalg.cholesky(S1)
    for t in [1e-2, 1e-3]:
        P = rng.normal(size=(d, d))
        mu1 = rng.normal(size=d)
        step = t * rng.normal(size=d)
        for cov, mean in [(1, 1), (1, 0), (0, 1)]:
            S0 = S1 + cov * t * L1 @ (P + P.T) @ L1.T
            mu0 = mu1 + mean * step
            u = np.linalg.eigvals(np.linalg.solve(S1, S0)).real - 1
            delta = mu0 - mu1
            local = 0.25 * np.sum(u**2) + 0.5 * np.sum(delta * np.linalg.solve(S1, delta))  # formula: eq:kl-local
            fwd, rev = _kl_pieces(mu0, S0 - S1, mu1, S1), _kl_pieces(mu1, S1 - S0, mu0, S0)
            ratios.append(abs(fwd / local - 1) / (20 * t))
            ratios.append(abs(rev / local - 1) / (20 * t))
    return float(np.max(ratios)), 1.0


def _mc_variance(mu0, S0, mu1, S1):  # formula: eq:mc-variance
    """eq:mc-variance: the variance of one term log p(x) - log q(x), x ~ p."""
    lam = np.linalg.eigvals(np.linalg.solve(S1, S0)).real
    w = np.linalg.solve(S1, mu0 - mu1)
    return 0.5 * np.sum((lam - 1) ** 2) + np.einsum("i,ij,j->", w, S0, w)


def check_mc_kl_variance():
    """eq:mc-estimator and eq:mc-variance by Monte Carlo, the VAE special case, the mean of
    step 2, the small-divergence ratio Var / KL -> 2, and the integrability condition
    S0 > S1 / 2 for the k3 estimator (1-D quadrature)."""
    rng = np.random.default_rng(0)
    ratios = []
    M = 50000
    for _ in range(5):
        d = int(rng.integers(1, 6))
        mu0, mu1 = rng.normal(size=d), rng.normal(size=d)
        S0, S1 = _rand_spd(rng, d, 0.5), _rand_spd(rng, d, 0.5)
        X = mu0 + rng.normal(size=(M, d)) @ np.linalg.cholesky(S0).T
        k = _log_gauss(X, mu0, S0) - _log_gauss(X, mu1, S1)
        delta = mu0 - mu1
        S1i = np.linalg.inv(S1)
        var = _mc_variance(mu0, S0, mu1, S1)
        c = k - k.mean()
        se_var = np.sqrt(np.mean(c**4) - np.mean(c**2) ** 2) / np.sqrt(M)
        ratios.append(abs(k.var() - var) / (5 * se_var))
        ratios.append(abs(k.mean() - _kl_closed(mu0, S0, mu1, S1)) / (5 * np.sqrt(var / M)))
        # Mean of step 2: c + tr(N)/2 reproduces eq:kl-gauss.
        L0 = np.linalg.cholesky(S0)
        N = L0.T @ S1i @ L0 - np.eye(d)  # formula: step 2
        ratios.append(np.abs(N - N.T).max() / EXACT)  # symmetric, as step 4 needs
        const = (  # formula: the constant of step 2
            -np.sum(np.log(np.diag(L0)))
            + 0.5 * np.linalg.slogdet(S1)[1]
            + 0.5 * np.einsum("i,ij,j->", delta, S1i, delta)
        )
        mean = const + 0.5 * np.trace(N)  # formula: the mean of step 2
        ratios.append(abs(mean - _kl_closed(mu0, S0, mu1, S1)) / EXACT)
        # eq:mc-variance through N and b directly (step 4) equals the eigenvalue form (step 5).
        b = L0.T @ S1i @ delta  # formula: step 2
        step4 = 0.5 * np.sum(N * N.T) + np.sum(b * b)  # formula: step 4: tr(N^2) + b^T b
        ratios.append(abs(step4 - var) / 1e-9)
    # VAE special case.
    d = 6
    mu, sig = rng.normal(size=d), rng.uniform(0.3, 1.5, size=d)
    vae = np.sum(0.5 * (sig**2 - 1) ** 2 + mu**2 * sig**2)  # formula: the VAE case
    ratios.append(abs(_mc_variance(mu, np.diag(sig**2), np.zeros(d), np.eye(d)) - vae) / EXACT)
    # Near p = q, Var / KL -> 2.
    d = 8
    S1 = _rand_spd(rng, d)
    L1 = np.linalg.cholesky(S1)
    for t in [1e-2, 1e-3]:
        P = rng.normal(size=(d, d))
        S0 = S1 + t * L1 @ (P + P.T) @ L1.T
        mu1 = rng.normal(size=d)
        mu0 = mu1 + t * rng.normal(size=d)
        var = _mc_variance(mu0, S0, mu1, S1)
        ratios.append(abs(var / _kl_pieces(mu0, S0 - S1, mu1, S1) - 2) / (50 * t))
    # k3: E_p[r] = 1 always; int q^2/p converges iff s0^2 > s1^2 / 2 (1-D). The two variances
    # 0.55 and 0.45 (times s1^2) straddle the threshold 1/2 closely, so a wrong threshold would be caught.
    s1 = 1.3
    for s0 in [np.sqrt(0.55) * s1, np.sqrt(0.45) * s1]:
        finite = s0**2 > 0.5 * s1**2  # formula: the condition S0 > S1 / 2
        vals = []
        for R in [20.0, 40.0, 80.0]:
            x = np.linspace(-R, R, 100001)
            dx = x[1] - x[0]
            lp = -0.5 * ((x - 0.3) / s0) ** 2 - np.log(s0)
            lq = -0.5 * (x / s1) ** 2 - np.log(s1)
            ratios.append(abs(np.sum(np.exp(lq)) * dx / np.sqrt(2 * np.pi) - 1) / 1e-9)  # = E_p[r]
            vals.append(np.sum(np.exp(2 * lq - lp)) * dx / np.sqrt(2 * np.pi))
        growth = vals[-1] / vals[-2]
        # Finite: the integral has converged. Infinite: doubling the range multiplies it by > 1e6.
        ratios.append(abs(growth - 1) / 1e-9 if finite else 1e6 / growth)
    return float(np.max(ratios)), 1.0


# Numbers quoted in the note: each numbers_ function returns excerpts of the note with {} where a
# number stands, and the runner compares the computed values with the printed ones.


def numbers_asymmetry():
    """lambda - 1 - log(lambda) at 1/4 and 4."""
    return {
        "at $\\lambda = 1/4$ it is ${}$, at $\\lambda = 4$ it is ${}$": (0.25 - 1 - np.log(0.25), 4 - 1 - np.log(4)),
    }


def numbers_determinants():
    """Determinants that leave the floating-point range, and the log-determinant that does not."""
    with np.errstate(under="ignore", over="ignore"):
        det32 = float(np.linalg.det(np.float32(0.1) * np.eye(64, dtype=np.float32)))
        small64, large64 = np.linalg.det(0.1 * np.eye(400)), np.linalg.det(10 * np.eye(400))
    return {
        "In float32, $\\det(0.1\\,\\bI_{64}) = {}$ underflows to ${=}$": (0.1**64, det32),
        "in float64, $\\det(0.1\\,\\bI_{400})$ is ${=}$ as well, and $\\det(10\\,\\bI_{400})$ overflows to ${=}$": (
            small64,
            large64,
        ),
        "(${}$ for $0.1\\,\\bI_{400}$)": np.linalg.slogdet(0.1 * np.eye(400))[1],
    }


def _householder_q(A):
    """The orthogonal factor of A = QR as LAPACK's geqrf and orgqr form it (reflectors
    I - tau v v^T with v_0 = 1 and beta = -sign(alpha) |x|), in fixed-order operations."""
    n = len(A)
    R, reflectors = A.copy(), []
    for k in range(n):
        x = R[k:, k]
        alpha, norm = float(x[0]), math.sqrt(float(np.sum(x * x)))
        beta = -math.copysign(norm, alpha)
        v = x / (alpha - beta)
        v[0] = 1.0
        tau = (beta - alpha) / beta
        R[k:, k:] -= tau * v[:, None] * np.sum(v[:, None] * R[k:, k:], axis=0)
        reflectors.append((v, tau))
    Q = np.eye(n)
    for k in reversed(range(n)):
        v, tau = reflectors[k]
        Q[k:, :] -= tau * v[:, None] * np.sum(v[:, None] * Q[k:, :], axis=0)
    return Q


def _float32_cancellation(cond):
    """d = 64, Sigma_1 with condition number `cond`, Sigma_0 = Sigma_1 + D for two sizes of the
    whitened perturbation D: (reference KL, float32 KL through the explicit inverse, through the
    Cholesky form, through eq:kl-pieces, float64 KL through the inverse, through Cholesky) per size.
    The same seed gives the same Q, mu and P for every cond, hence the same divergences."""
    rng = np.random.default_rng(0)
    d = 64
    Q = _householder_q(rng.normal(size=(d, d)))
    spectrum = np.array([10.0**e for e in np.linspace(0, math.log10(cond), d)])  # the C library's pow
    S1 = _matmul(Q * spectrum, Q.T)
    L1 = _cholesky(S1)
    mu = rng.normal(size=d)
    rows = []
    for t in [1e-2, 1e-3]:
        P = rng.normal(size=(d, d)) * t / np.sqrt(d)
        D = _matmul(_matmul(L1, P + P.T), L1.T) / 2
        S0 = S1 + D
        f32 = [a.astype(np.float32) for a in (mu, S0, mu, S1)]
        rows.append(
            (
                _kl_pieces(mu, D, mu, S1),
                float(_kl_closed(*f32)),
                float(_kl_cholesky(*f32)),
                float(_kl_pieces(f32[0], D.astype(np.float32), f32[2], f32[3])),
                _kl_closed(mu, S0, mu, S1),
                _kl_cholesky(mu, S0, mu, S1),
            )
        )
    return rows


def numbers_float32():
    """The warning on float32: the log-variance term, and a full covariance near p = q."""
    quoted = {}
    errors = []
    for s in [1e-3, 1e-4]:
        true = math.expm1(s) - s
        s32 = np.float32(s)
        exp32, expm1_32 = _libm(s32, math.exp), _libm(s32, math.expm1)  # correctly rounded to float32
        errors.append((abs(float(exp32 - np.float32(1) - s32) - true) / true, abs(float(expm1_32 - s32) - true) / true))
    quoted["$e^{s} - 1 - s$ has relative error ${}$ at $s = 10^{-3}$ and ${}$ at $s = 10^{-4}$"] = (
        errors[0][0],
        errors[1][0],
    )
    quoted["$\\operatorname{expm1}(s) - s$ has ${}$ and ${}$"] = (errors[0][1], errors[1][1])
    (big, small), (big1, small1) = _float32_cancellation(1e4), _float32_cancellation(1.0)

    def pct(value, ref):
        return 100 * abs(value - ref) / ref

    quoted |= {
        "a divergence of ${}$ comes out of float32 as ${}$ through the explicit inverse and ${}$ through": big[:3],
        "errors of ${}\\%$ and ${}\\%$": (pct(big[1], big[0]), pct(big[2], big[0])),
        "A divergence of ${}$ comes out as ${}$ through the explicit inverse and as ${}$ through": small[:3],
        "(relative errors ${}\\%$ and ${}\\%$), while [[#eq:kl-pieces]] has relative error ${}$": (
            pct(small[1], small[0]),
            pct(small[2], small[0]),
            abs(small[3] - small[0]) / small[0],
        ),
        "consecutive float32 numbers are $2^{-17} \\approx {}$ apart": float(np.spacing(np.float32(64))),
        "quantised in steps of about ${}$": float(np.spacing(np.float32(64))) / 2,
        "drop to ${}\\%$ and ${}\\%$ for the larger one and to ${}\\%$ and ${}\\%$ for the smaller one": (
            pct(big1[1], big1[0]),
            pct(big1[2], big1[0]),
            pct(small1[1], small1[0]),
            pct(small1[2], small1[0]),
        ),
        # The worst float64 relative error, rounded up to a power of ten
        "In float64 every form was accurate to better than ${=}$ relative": 10.0
        ** np.ceil(np.log10(max(abs(r[k] - r[0]) / r[0] for r in (big, small, big1, small1) for k in (4, 5)))),
    }
    return quoted


def _vae_k(mu, sig, M, rng):
    """M single-sample terms k = log p(z) - log q(z), z ~ p = N(mu, diag(sig^2)), q = N(0, I)."""
    k = np.empty(M)
    for a in range(0, M, 10**5):  # chunks keep memory small
        eps = rng.normal(size=(min(10**5, M - a), len(mu)))
        z = mu + sig * eps
        k[a : a + len(eps)] = np.sum(-0.5 * eps**2 - np.log(sig) + 0.5 * z**2, axis=1)
    return k


def numbers_vae_examples():
    """The two d = 32 examples after the derivation, from eq:kl-std-normal and eq:mc-variance."""
    quoted, pairs = {}, []
    for m_, s_, tail in [(0.5, 0.6, ": a one-sample"), (0.02, 0.99, ", about")]:
        mu, sig = np.full(32, m_), np.full(32, s_)
        kl = 0.5 * np.sum(sig**2 + mu**2 - 1 - np.log(sig**2))
        sd = np.sqrt(_mc_variance(mu, np.diag(sig**2), np.zeros(32), np.eye(32)))
        quoted[f"the divergence is ${{}}$ and the single-sample standard deviation is ${{}}${tail}"] = (kl, sd)
        pairs.append((kl, sd))
    (kl_far, sd_far), (kl_near, sd_near) = pairs
    quoted["a standard deviation of {}% of the value it estimates"] = 100 * sd_far / kl_far
    quoted["settles at the true ${}$ with the standard deviation ${}$ predicted"] = (kl_far, sd_far)
    quoted["violates it ($\\sigma_j^2 = {} < {}$)"] = (0.6**2, 0.5 * 1.0**2)  # Sigma_0 > Sigma_1 / 2 fails
    quoted["about ${}$ times larger"] = sd_near / kl_near
    k = _vae_k(np.full(32, 0.02), np.full(32, 0.99), 10**6, np.random.default_rng(1))
    quoted["$10^6$ samples give it a standard deviation of ${}$ instead of ${}$"] = (np.std(np.expm1(-k) + k), sd)
    return quoted


def numbers_k3_table():
    """The table of the warning: k and k3 on the VAE example, one run per sample size."""
    rng = np.random.default_rng(0)
    quoted = {}
    for M, label in [(10**4, "10^4"), (10**5, "10^5"), (10**6, "10^6")]:
        k = _vae_k(np.full(32, 0.5), np.full(32, 0.6), M, rng)
        k3 = np.expm1(-k) + k
        quoted[f"| ${label}$ | {{}} | {{}} | {{}} | {{}} |"] = (k.mean(), k.std(), k3.mean(), k3.std())
    return quoted


def numbers_worked_example():
    """The three-dimensional worked example of the practice section, and the float16 overflow."""
    rng = np.random.default_rng(0)
    A, C = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    mu0, mu1 = np.array([0.3, -0.2, 0.5]), np.zeros(3)
    S0, S1 = A @ A.T + 0.5 * np.eye(3), C @ C.T + np.eye(3)
    M = 10**6
    X = mu0 + rng.normal(size=(M, 3)) @ np.linalg.cholesky(S0).T
    k = _log_gauss(X, mu0, S0) - _log_gauss(X, mu1, S1)
    return {
        "the closed form gives ${}$ and $10^6$ samples give ${}$, within the standard error of ${}$": (
            _kl_cholesky(mu0, S0, mu1, S1),
            k.mean(),
            np.sqrt(_mc_variance(mu0, S0, mu1, S1) / M),
        ),
        "overflows once $s > {}$": np.log(np.float64(np.finfo(np.float16).max)),
    }


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
        if name.startswith("numbers_"):
            for excerpt, value in fn().items():
                print(f"  {excerpt}: {value}")
