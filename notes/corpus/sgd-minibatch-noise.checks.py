"""Numerical checks for notes/corpus/sgd-minibatch-noise.md.

One check_<derivation id> function per derivation block. Each returns
(measured_error, tolerance) and passes when measured_error <= tolerance. Everything runs in
float64 with np.random.default_rng(0). Expectations over minibatch sampling are computed
exactly by enumerating every minibatch of a small data set where possible, and otherwise by
Monte Carlo with a tolerance of several standard errors.

The numbers_ functions recompute every number the note quotes.
"""

import itertools

import numpy as np


def _per_example_grads(rng, N, P, mean_scale=0.5):
    """A finite set of per-example gradients g_i (rows) with a nonzero mean."""
    return rng.standard_normal((N, P)) + mean_scale * rng.standard_normal(P)


def _pop_cov(G):
    D = G - G.mean(0)
    return D.T @ D / G.shape[0]


def _spd(rng, eigs):
    q, _ = np.linalg.qr(rng.standard_normal((len(eigs), len(eigs))))
    return (q * np.asarray(eigs)) @ q.T


def check_minibatch_variance():
    """eq:minibatch-unbiased, eq:cov-with-replacement, eq:cov-without-replacement by exact enumeration
    of every minibatch, and the second-moment identity behind eq:noise-estimator."""
    rng = np.random.default_rng(0)
    errors = []
    N, P = 7, 4
    G = _per_example_grads(rng, N, P)
    g = G.mean(0)
    Sig = _pop_cov(G)
    for B in [1, 2, 3, 5, 7]:
        # Without replacement: all C(N, B) subsets, equally likely.
        means = np.array([G[list(s)].mean(0) for s in itertools.combinations(range(N), B)])
        errors.append(np.abs(means.mean(0) - g).max())
        cov_formula = Sig / B * (N - B) / (N - 1)  # formula: eq:cov-without-replacement
        errors.append(np.abs(_pop_cov(means) - cov_formula).max())
        sec = np.mean(np.sum(means**2, axis=1))
        errors.append(abs(sec - (g @ g + np.trace(cov_formula))))
    second_moment = {}
    for B in [1, 2, 4]:
        # With replacement: all N^B ordered tuples, equally likely.
        means = np.array([G[list(s)].mean(0) for s in itertools.product(range(N), repeat=B)])
        errors.append(np.abs(means.mean(0) - g).max())
        cov_formula = Sig / B  # formula: eq:cov-with-replacement
        errors.append(np.abs(_pop_cov(means) - cov_formula).max())
        sec = np.mean(np.sum(means**2, axis=1))
        second_moment[B] = sec
        errors.append(abs(sec - (g @ g + np.trace(cov_formula))))
    # eq:noise-estimator: the two-batch-size estimators, fed the enumerated expectations of
    # |g_hat|^2 at B = 2 and B = 4, recover |grad L|^2 and sigma^2 (so they are unbiased).
    b_s, b_b = 2, 4
    e_small = second_moment[b_s]
    e_big = second_moment[b_b]
    est_g2 = (b_b * e_big - b_s * e_small) / (b_b - b_s)  # formula: eq:noise-estimator
    est_s2 = (e_small - e_big) / (1 / b_s - 1 / b_b)  # formula: eq:noise-estimator
    errors.append(abs(est_g2 - g @ g) + abs(est_s2 - np.trace(Sig)))
    return float(np.max(errors)), 1e-12


def _logreg_problem(rng, N=200, P=5, reg=0.1):
    X = rng.standard_normal((N, P)) * rng.uniform(0.5, 2.0, P)
    y = np.sign(X @ rng.standard_normal(P) + rng.standard_normal(N))
    M = np.linalg.eigvalsh(X.T @ X / N)[-1] / 4 + reg
    # |g_i - grad L|^2 averaged over i is at most the mean of |x_i|^2 (variance <= second moment).
    sigma2 = np.mean(np.sum(X**2, axis=1))

    def loss(th):  # th: (R, P)
        m = y[None, :] * (th @ X.T)
        return np.mean(np.logaddexp(0, -m), axis=1) + 0.5 * reg * np.sum(th**2, axis=1)

    def batch_grad(th, idx):  # idx: (R, B)
        Xb = X[idx]
        yb = y[idx]
        m = yb * np.einsum("rbp,rp->rb", Xb, th)
        s = np.exp(-np.logaddexp(0, m))
        return -np.einsum("rbp,rb->rp", Xb, yb * s) / idx.shape[1] + reg * th

    def full_grad(th):
        return batch_grad(th[None, :], np.arange(N)[None, :])[0]

    th = np.zeros(P)
    for _ in range(100):  # Newton's method for the minimiser
        m = y * (X @ th)
        s = np.exp(-np.logaddexp(0, m))
        Hs = (X.T * (s * (1 - s))) @ X / N + reg * np.eye(P)
        th = th - np.linalg.solve(Hs, full_grad(th))
    L_star = loss(th[None, :])[0]
    return loss, batch_grad, M, reg, sigma2, L_star, N, P


def _constant_step_bound(t, eta, mu, M, sigma2, B, gap0):  # formula: eq:sgd-constant
    return (1 - eta * mu) ** t * gap0 + eta * M * sigma2 / (2 * mu * B)


def _decaying_step_bound(t, t0, mu, M, sigma2, B, gap0):  # formula: eq:sgd-decay
    nu = max(2 * M * sigma2 / (mu**2 * B), t0 * gap0)
    return nu / (t + t0)


def check_sgd_convergence():
    """eq:sgd-constant and eq:sgd-decay: exact expected losses on a quadratic finite sum, and Monte
    Carlo averages (with 4 standard errors of slack) on L2-regularised logistic regression. The
    bounds are attained: with kappa = 1 and eta = 1/M the constant-step bound is an equality from
    t = 1 on, and the decaying-step bound is reached within a factor 1.5 at some t."""
    rng = np.random.default_rng(0)
    errors = []
    # (a) Quadratic finite sum with theta-independent noise: l_i = e^T H e / 2 + a_i^T e, sum a_i = 0.
    # Expected loss gap follows exactly from the mean and covariance recursions.
    # The case kappa = 1 with eta = 1/M makes the constant-step floor an equality and the
    # decaying-step bound tight within a factor 3, so a wrong constant in either bound fails here.
    cases = [(4, [0.2, 0.7, 1.5, 2.0], 1), (4, [0.2, 0.7, 1.5, 2.0], 4), (1, [1.3], 1), (1, [1.3], 8)]
    tightest = 0.0
    for P, eigs, B in cases:
        N = 9
        H = _spd(rng, eigs)
        A = rng.standard_normal((N, P)) * 2
        A -= A.mean(0)
        C = A.T @ A / N
        mu, M = min(eigs), max(eigs)
        sigma2 = np.trace(C)
        # constant steps
        for eta in [1 / M, 0.3 / M]:
            m = rng.standard_normal(P) * 3
            S = np.zeros((P, P))
            gap0 = 0.5 * m @ H @ m
            Aeta = np.eye(P) - eta * H
            for t in range(1, 300):
                m = Aeta @ m
                S = Aeta @ S @ Aeta.T + eta**2 * C / B
                gap = 0.5 * np.trace(H @ (S + np.outer(m, m)))
                bound = _constant_step_bound(t, eta, mu, M, sigma2, B, gap0)
                equality = P == 1 and eta == 1 / M
                errors.append(abs(gap - bound) if equality else max(0.0, gap - bound))
        # decaying steps eta_t = 2 / (mu (t + t0)), t0 >= 2 kappa
        t0 = 2 * M / mu
        m = rng.standard_normal(P) * 3
        S = np.zeros((P, P))
        gap0 = 0.5 * m @ H @ m
        for t in range(0, 600):
            eta = 2 / (mu * (t + t0))
            Aeta = np.eye(P) - eta * H
            m = Aeta @ m
            S = Aeta @ S @ Aeta.T + eta**2 * C / B
            gap = 0.5 * np.trace(H @ (S + np.outer(m, m)))
            bound = _decaying_step_bound(t + 1, t0, mu, M, sigma2, B, gap0)
            errors.append(max(0.0, gap - bound))
            tightest = max(tightest, gap / bound)
    errors.append(max(0.0, 1 / 1.5 - tightest))
    # (b) Logistic regression, Monte Carlo over R independent runs.
    loss, batch_grad, M, mu, sigma2, L_star, N, P = _logreg_problem(rng)
    R, B = 300, 4
    th0 = rng.standard_normal(P) * 2
    gap0 = loss(th0[None, :])[0] - L_star
    for eta in [1 / M, 0.25 / M]:
        th = np.tile(th0, (R, 1))
        for t in range(1, 201):
            th = th - eta * batch_grad(th, rng.integers(N, size=(R, B)))
            if t % 40 == 0:
                gaps = loss(th) - L_star
                bound = _constant_step_bound(t, eta, mu, M, sigma2, B, gap0)
                errors.append(max(0.0, gaps.mean() - 4 * gaps.std() / np.sqrt(R) - bound))
    t0 = np.ceil(2 * M / mu)
    th = np.tile(th0, (R, 1))
    for t in range(0, 250):
        th = th - 2 / (mu * (t + t0)) * batch_grad(th, rng.integers(N, size=(R, B)))
        if (t + 1) % 50 == 0:
            gaps = loss(th) - L_star
            bound = _decaying_step_bound(t + 1, t0, mu, M, sigma2, B, gap0)
            errors.append(max(0.0, gaps.mean() - 4 * gaps.std() / np.sqrt(R) - bound))
    return float(np.max(errors)), 1e-12


def _noise_floor(eta, B, s2, lam):  # formula: eq:noise-floor
    return np.sum(eta * s2 / (2 * B * (2 - eta * lam)))


def check_quadratic_noise_floor():
    """eq:noise-floor: stationary loss gap of SGD on a quadratic with additive minibatch noise, against
    (a) the stationary covariance from a Kronecker-product linear solve, (b) Monte Carlo with real
    minibatch sampling from a finite sum."""
    rng = np.random.default_rng(0)
    errors = []
    P = 3
    eigs = np.array([0.5, 2.0, 6.0])
    H = _spd(rng, eigs)
    lam, U = np.linalg.eigh(H)
    N = 11
    A = rng.standard_normal((N, P)) @ rng.standard_normal((P, P))
    A -= A.mean(0)
    C = A.T @ A / N  # not diagonal in the eigenbasis of H
    for eta, B in [(0.05, 1), (0.2, 4), (0.3, 2)]:
        # (a) Stationary covariance S = T S T^T + eta^2 C / B, solved as a linear system.
        T = np.eye(P) - eta * H
        K = np.eye(P * P) - np.kron(T, T)
        S = np.linalg.solve(K, (eta**2 * C / B).reshape(-1)).reshape(P, P)
        exact = 0.5 * np.trace(H @ S)
        s2 = np.einsum("pi,pq,qi->i", U, C, U)  # formula: s_i^2 = u_i^T C u_i
        formula = _noise_floor(eta, B, s2, lam)
        errors.append(abs(exact - formula) / formula)
    # (b) Monte Carlo: e_{t+1} = e_t - eta (H e_t + mean of a_i over a minibatch drawn with replacement).
    eta, B, R = 0.2, 4, 4000
    e = np.zeros((R, P))
    for _ in range(120):  # from zero: the remaining transient is (1 - 0.2 * 0.5)^240 ~ 1e-11 of the gap
        noise = A[rng.integers(N, size=(R, B))].mean(1)
        e = e - eta * (e @ H + noise)
    gaps = 0.5 * np.einsum("rp,pq,rq->r", e, H, e)
    formula = _noise_floor(eta, B, np.einsum("pi,pq,qi->i", U, C, U), lam)
    se = gaps.std() / np.sqrt(R)
    errors.append(max(0.0, abs(gaps.mean() - formula) - 4 * se) / formula)
    return float(np.max(errors)), 1e-9


def _scaling_gap_bound(eta, M_ex, G, k):  # formula: eq:linear-scaling-gap
    return eta**2 * M_ex * G * k * (k - 1) / 2


def check_linear_scaling():
    """k steps with batch B and rate eta versus one step with batch kB (the union) and rate k eta:
    the gap is at most eta^2 M_ex G k(k-1)/2 and shrinks like eta^2; the two updates have the same
    mean and covariance to leading order in eta (exact enumeration of minibatches)."""
    rng = np.random.default_rng(0)
    errors = []
    N, P = 50, 4
    X = rng.standard_normal((N, P))
    y = np.sign(rng.standard_normal(N))
    M_ex = np.max(np.sum(X**2, axis=1)) / 4  # smoothness of every per-example logistic loss

    def grad(th, idx):
        m = y[idx] * (X[idx] @ th)
        s = np.exp(-np.logaddexp(0, m))
        return -(X[idx].T @ (y[idx] * s)) / len(idx)

    th0 = rng.standard_normal(P)
    for k, B in [(2, 5), (4, 8), (8, 4)]:
        idx = rng.integers(N, size=(k, B))
        gaps = []
        for eta in [0.1, 0.05, 0.025]:
            th = th0.copy()
            G = 0.0
            for j in range(k):
                gj = grad(th, idx[j])
                G = max(G, np.linalg.norm(gj))
                th = th - eta * gj
            big = th0 - k * eta * grad(th0, idx.reshape(-1))
            gap = np.linalg.norm(th - big)
            errors.append(max(0.0, gap - _scaling_gap_bound(eta, M_ex, G, k)) / 1e-12)
            gaps.append(gap)
        # second order in eta: halving eta divides the gap by about 4 (within 10 percent)
        errors.append(abs(gaps[1] / gaps[2] - 4) / 4 / 0.1)
    # The bound is attained as eta -> 0 when every batch has the same loss (M_ex/2)|theta|^2 + a^T theta:
    # then the k gradients point the same way and each differs from its value at the start by M_ex j eta G.
    a = rng.standard_normal(P)
    for k in (2, 3, 5):
        eta = 1e-3
        th = np.zeros(P)
        for _ in range(k):
            th = th - eta * (M_ex * th + a)
        ratio = np.linalg.norm(th - (-k * eta * a)) / _scaling_gap_bound(eta, M_ex, np.linalg.norm(a), k)
        errors.append(max(ratio - 1, 0.99 - ratio) / 1e-12)
    # Step 5, by exact enumeration of every sequence of k single-example batches drawn with
    # replacement (N = 5, B = 1, k = 3): the k small steps really move theta, so their result differs
    # from the big step. The big step has mean theta - k eta grad L and covariance k eta^2 Sigma / B
    # exactly; the two updates differ by O(eta^2) in mean and O(eta^3) in covariance, so halving eta
    # divides those differences by about 4 and 8 (within 5 percent).
    k, n5 = 3, 5
    tuples = list(itertools.product(range(n5), repeat=k))
    g5 = np.array([grad(th0, [i]) for i in range(n5)])
    diffs = []
    for eta in [0.02, 0.01]:
        small, big = [], []
        for s in tuples:
            th = th0.copy()
            for j in s:
                th = th - eta * grad(th, [j])
            small.append(th)
            big.append(th0 - k * eta * grad(th0, list(s)))
        small, big = np.array(small), np.array(big)
        mean_formula = th0 - k * eta * g5.mean(0)  # formula: step 5
        cov_formula = k * eta**2 * _pop_cov(g5)  # formula: step 5, with B = 1
        errors.append(np.abs(big.mean(0) - mean_formula).max() / 1e-12)
        errors.append(np.abs(_pop_cov(big) - cov_formula).max() / 1e-15)
        diffs.append(
            (
                np.linalg.norm(small.mean(0) - big.mean(0)),
                np.abs(_pop_cov(small) - _pop_cov(big)).max(),
            )
        )
    errors.append(abs(diffs[0][0] / diffs[1][0] - 4) / 4 / 0.05)
    errors.append(abs(diffs[0][1] / diffs[1][1] - 8) / 8 / 0.05)
    # Each entry is (error / its own tolerance), so the check passes when the maximum is <= 1.
    return float(np.max(errors)), 1.0


def check_critical_batch():
    """eq:expected-decrease exactly (enumerating every minibatch of a least-squares problem), the
    optimal step eq:critical-batch against a minimisation over eta, and eq:best-decrease."""
    rng = np.random.default_rng(0)
    errors = []
    N, P = 6, 3
    X = rng.standard_normal((N, P)) + 0.3
    yv = rng.standard_normal(N)
    H = X.T @ X / N

    def loss(th):
        r = X @ th - yv
        return 0.5 * np.mean(r**2)

    th = rng.standard_normal(P) * 2
    G = X * (X @ th - yv)[:, None]  # per-example gradients
    g = G.mean(0)
    Sig = _pop_cov(G)
    slope, curvature, noise = g @ g, g @ H @ g, np.trace(H @ Sig)
    eta_max = slope / curvature  # formula: eq:critical-batch
    B_noise = noise / curvature  # formula: eq:critical-batch
    dL_max = slope**2 / (2 * curvature)  # formula: eq:best-decrease
    for B in [1, 2, 3]:
        batches = np.array([G[list(s)].mean(0) for s in itertools.product(range(N), repeat=B)])

        def expected_change(eta, batches=batches):
            r = (th - eta * batches) @ X.T - yv  # residuals for every minibatch at once
            return np.mean(0.5 * np.mean(r**2, axis=1)) - loss(th)

        for eta in [0.01, 0.1, 0.3]:
            formula = -eta * slope + 0.5 * eta**2 * (curvature + noise / B)  # formula: eq:expected-decrease
            errors.append(abs(expected_change(eta) - formula) / 1e-12)
        # golden-section search for the best eta on the enumerated expectation
        lo, hi = 0.0, 2 * eta_max
        for _ in range(100):
            a, b = lo + 0.382 * (hi - lo), hi - 0.382 * (hi - lo)
            if expected_change(a) < expected_change(b):
                hi = b
            else:
                lo = a
        eta_best = (lo + hi) / 2
        # The minimum is flat, so a numerical argmin is only accurate to about sqrt(machine eps).
        eta_opt = eta_max / (1 + B_noise / B)  # formula: eq:critical-batch
        dL_opt = dL_max / (1 + B_noise / B)  # formula: eq:best-decrease
        errors.append(abs(eta_best - eta_opt) / eta_max / 1e-6)
        errors.append(abs(-expected_change(eta_best) - dL_opt) / dL_max / 1e-10)
    # Each entry is (error / its own tolerance), so the check passes when the maximum is <= 1.
    return float(np.max(errors)), 1.0


def _grouped_thin(n):
    """An integer as the note prints it in math, thousands separated by thin spaces; an excerpt built
    with it occurs in the note only while the note's integer and the code's agree."""
    return f"{n:,}".replace(",", "\\,")


def numbers_finite_population():
    """'Noise in numbers': the finite-population factor of eq:cov-without-replacement."""
    imagenet = 1_281_167
    return {
        "is ${}$ for $B = 4096$ out of $N = 50000$, ${}$ for half of that data set, and ${}$ for $B = 4096$": (
            (50000 - 4096) / (50000 - 1),
            (50000 - 25000) / (50000 - 1),
            (imagenet - 4096) / (imagenet - 1),
        ),
        f"out of the ${_grouped_thin(imagenet)}$ images": [],
    }


def _regression():
    """The regression of 'Noise in numbers': N = 50000, d = 20, noise of standard deviation 0.5."""
    rng = np.random.default_rng(0)
    N, d = 50000, 20
    X = rng.standard_normal((N, d))
    y = X @ rng.standard_normal(d) + 0.5 * rng.standard_normal(N)
    th_star = np.linalg.lstsq(X, y, rcond=None)[0]
    return X, y, th_star, X.T @ X / N


def numbers_noise_scale():
    """'Noise in numbers': the noise scale along full-batch gradient descent, the relative noise at
    the start, tr C at the optimum and the spread of H's eigenvalues."""
    X, y, th_star, H = _regression()
    N = len(X)

    def stats(th):
        r = X @ th - y
        G = X * r[:, None]
        g = G.mean(0)
        Sig = _pop_cov(G)
        return 0.5 * np.mean(r**2), g @ g, np.trace(Sig), np.trace(H @ Sig) / (g @ H @ g)

    L_star = stats(th_star)[0]
    th = np.zeros(X.shape[1])
    rows = {}
    for t in range(81):
        if t in (0, 20, 40, 80):
            L, g2, s2, bn = stats(th)
            rows[t] = [L - L_star, g2, s2, bn]
        th = th - 0.05 * (X.T @ (X @ th - y) / N)
    g2, s2 = rows[0][1], rows[0][2]
    eigs = np.linalg.eigvalsh(H)
    return {
        "| 0 | {} | {} | {} | {} |": rows[0],
        "| 20 | {} | {} | {} | {} |": rows[20],
        "| 40 | {} | {} | {} | {} |": rows[40],
        "| 80 | {} | {} | {} | {} |": rows[80],
        "a batch of 32 has relative noise $\\sigma/(\\sqrt B\\norm{\\nabla L}) = {}$ and a batch of 4096 has ${}$": (
            np.sqrt(s2 / 32 / g2),
            np.sqrt(s2 / 4096 / g2),
        ),
        "$\\tr\\mathbf{C} = \\tr\\bSigma(\\btheta^\\star) = {}$": stats(th_star)[2],
        "every eigenvalue of $\\bH$ lies between ${}$ and ${}$": (eigs[0], eigs[-1]),
        "(${}$ relative for $B = 32$ in the regression above)": np.sqrt(s2 / 32 / g2),
    }


def _floor_row(eta, B, seed, problem):
    """One row of the noise-floor table: the measured floor (loss gap averaged over steps 200 to 1000
    of 50 runs started at the optimum) with its standard error across runs, the exact stationary
    value and eta tr C / (4B).

    The exact value keeps what eta tr C / (4B) drops: the factor 2 - eta lambda_i and the part of the
    noise that grows with e = theta - theta*. The per-example gradient at theta* + e is
    x_i x_i^T e + x_i rho_i, so S = E[e e^T] solves S = T S T + (eta^2 / B) (K4[S] - H S H + C) with
    T = I - eta H and K4[S] = mean_i (x_i^T S x_i) x_i x_i^T. Its operator is close to
    S -> S - T S T, whose eigenvalues lie in [a, b] with a, b = 1 - (1 - eta lambda)^2 at the extreme
    eigenvalues of H, so Richardson iteration with step 2 / (a + b) converges fast."""
    X, y, th_star, H = problem
    N, d = X.shape
    rho = X @ th_star - y
    C = (X * rho[:, None] ** 2).T @ X / N
    T = np.eye(d) - eta * H

    def operator(S):
        k4 = (X * np.sum((X @ S) * X, axis=1)[:, None]).T @ X / N
        return S - T @ S @ T - eta**2 / B * (k4 - H @ S @ H)

    lam = np.linalg.eigvalsh(H)
    a, b = 1 - (1 - eta * lam[0]) ** 2, 1 - (1 - eta * lam[-1]) ** 2
    rhs = eta**2 / B * C
    S = np.zeros((d, d))
    for _ in range(12):  # the error shrinks by (b - a) / (b + a) < 0.05 per iteration
        S = S + 2 / (a + b) * (rhs - operator(S))
    rng = np.random.default_rng(seed)
    R = 50
    TH = np.tile(th_star, (R, 1))
    gaps = []
    for t in range(1000):
        idx = rng.integers(N, size=(R, B))
        Xb = X[idx]
        r = (Xb @ TH[:, :, None])[:, :, 0] - y[idx]
        TH = TH - eta * (r[:, None, :] @ Xb)[:, 0, :] / B
        if t >= 200:
            E = TH - th_star
            gaps.append(0.5 * np.sum((E @ H) * E, axis=1))
    per_run = np.mean(gaps, axis=0)  # time average of each of the R independent runs
    measured, se = per_run.mean(), per_run.std(ddof=1) / np.sqrt(R)
    exact = 0.5 * np.trace(H @ S)
    return [measured, se, exact, eta * np.trace(C) / (4 * B)], abs(measured - exact) / se


def numbers_noise_floor():
    """The noise-floor table, and the largest gap between measured and exact floors in standard
    errors (each row's simulation has its own seed)."""
    problem = _regression()
    rows, gaps = {}, []
    for seed, (eta, B) in enumerate([(0.01, 32), (0.02, 32), (0.02, 64)], 1):
        row, gap = _floor_row(eta, B, seed, problem)
        rows[(eta, B)] = [row[0] * 1e4, row[1] * 1e4, *row[2:]]
        gaps.append(gap)
    return {
        "| 0.01 | 32 | $({} \\pm {}) \\times 10^{-4}$ | ${}$ | ${}$ |": rows[(0.01, 32)],
        "| 0.02 | 32 | $({} \\pm {}) \\times 10^{-4}$ | ${}$ | ${}$ |": rows[(0.02, 32)],
        "| 0.02 | 64 | $({} \\pm {}) \\times 10^{-4}$ | ${}$ | ${}$ |": rows[(0.02, 64)],
        "up to differences of at most {} standard errors": max(gaps),
    }


def numbers_accumulation():
    """'Mean of means is not the mean': two micro-batches of 100 and 900 tokens."""
    tokens, means = np.array([100, 900]), np.array([2.0, 1.0])
    return {
        "give a mean of means of ${}$, while the mean over all {=} tokens is ${}$": (
            means.mean(),
            tokens.sum(),
            (tokens * means).sum() / tokens.sum(),
        ),
        "gets weight $1/{=} = {}$ instead of $1/{=}$, {=} times too much, and each token of the long one $1/{=} \\approx {}$": (
            2 * tokens[0],
            1 / (2 * tokens[0]),
            tokens.sum(),
            round(tokens.sum() / (2 * tokens[0])),
            2 * tokens[1],
            1 / (2 * tokens[1]),
        ),
    }


def numbers_summation_order():
    """'Summation order and nondeterminism': float32 sums of 4096 values per coordinate."""
    rng = np.random.default_rng(0)
    B, P = 4096, 1000
    G = (0.1 + rng.standard_normal((B, P))).astype(np.float32)
    ref = G.astype(np.float64).sum(0)

    def sequential(A):
        s = np.zeros(A.shape[1], np.float32)
        for row in A:
            s = s + row
        return s

    fwd = sequential(G)
    rev = sequential(G[::-1])
    pairwise = np.ascontiguousarray(G.T).sum(axis=1)  # numpy sums a contiguous axis pairwise
    accum = sequential(np.stack([G[k * 512 : (k + 1) * 512].sum(0) for k in range(8)]))

    def rel(v):
        return np.median(np.abs(v.astype(np.float64) - ref) / np.abs(ref))

    return {
        "(so the sum, about {}, is much smaller": round(B * 0.1, -1),
        "| one term at a time, forward | ${}$ |": rel(fwd),
        "| one term at a time, reversed | ${}$ |": rel(rev),
        "| pairwise (NumPy along a contiguous axis) | ${}$ |": rel(pairwise),
        "| 8 micro-batches of 512, accumulated | ${}$ |": rel(accum),
        "The forward and reversed sums differ in {}% of the coordinates, and the pairwise and accumulated sums in {}%": (
            100 * np.mean(fwd != rev),
            100 * np.mean(pairwise != accum),
        ),
        "the unit roundoff $2^{-24} \\approx {}$": 2.0**-24,
        "at every one of its {=} additions": B - 1,
    }


# ---------------------------------------------------------------- figures
def figure_noise_floor():
    """The expected loss gap of constant-step SGD on the quadratic of check_quadratic_noise_floor()
    (eigenvalues 0.5, 2, 6; the finite sum of 11 shifts; eta = 0.2), started at e_0 = (1, 1, 1)
    in the eigenbasis: exactly, from step 3 of the derivation (mean and variance per coordinate),
    for three batch sizes; Monte Carlo with real minibatches for B = 4; and each floor eq:noise-floor."""
    rng = np.random.default_rng(0)
    P, N, eta, steps = 3, 11, 0.2, 120
    H = _spd(rng, np.array([0.5, 2.0, 6.0]))
    lam, U = np.linalg.eigh(H)
    A = rng.standard_normal((N, P)) @ rng.standard_normal((P, P))
    A -= A.mean(0)
    C = A.T @ A / N
    s2 = np.einsum("pi,pq,qi->i", U, C, U)
    t = np.arange(steps + 1)
    series, rules = [], []
    for B in (1, 4, 16):
        mean, var, gaps = np.ones(P), np.zeros(P), []
        for _ in t:
            gaps.append(0.5 * np.sum(lam * (mean**2 + var)))
            mean, var = (1 - eta * lam) * mean, (1 - eta * lam) ** 2 * var + eta**2 * s2 / B
        series.append({"label": f"exact, B = {B}", "x": t, "y": np.array(gaps)})
        floor = _noise_floor(eta, B, s2, lam)
        rules.append({"axis": "y", "at": floor, "label": f"floor, B = {B}"})
    R, B = 4000, 4
    e = np.tile(U @ np.ones(P), (R, 1))
    mc = []
    for step in t:
        if step % 8 == 0:
            mc.append(np.mean(0.5 * np.einsum("rp,pq,rq->r", e, H, e)))
        e = e - eta * (e @ H + A[rng.integers(N, size=(R, B))].mean(1))
    series.append({"label": "Monte Carlo, B = 4", "x": t[::8], "y": np.array(mc), "style": "points"})
    return {
        "title": "Expected loss gap of constant-step SGD, η = 0.2, for three batch sizes",
        "summary": "The gap falls as for gradient descent until the noise takes over, then levels off at a floor "
        "proportional to 1/B; the simulation with real minibatches follows the exact curve for B = 4.",
        "x": {"label": "step t"},
        "y": {"label": "E[L(θₜ)] − L*", "scale": "log"},
        "series": series,
        "rules": rules,
    }


if __name__ == "__main__":
    for name, fn in list(globals().items()):
        if name.startswith("check_"):
            print(name, fn())
        if name.startswith("numbers_"):
            for excerpt, value in fn().items():
                print(f"  {excerpt}: {value}")
