"""Numerical checks for notes/corpus/gradient-descent-smooth.md.

One check_<derivation id> function per derivation block. Each returns
(measured_error, tolerance) and passes when measured_error <= tolerance. Everything runs in
float64 with np.random.default_rng(0); bounds are compared with trajectories of gradient
descent run independently of the closed forms, and Hessians with central differences.

practice_numbers() recomputes every number quoted in the note's practice section.
"""

import numpy as np


def _spd(rng, eigs):
    """Random symmetric matrix with the given eigenvalues."""
    q, _ = np.linalg.qr(rng.standard_normal((len(eigs), len(eigs))))
    return (q * np.asarray(eigs)) @ q.T


def _logistic(X, y, reg=0.0):
    """Mean logistic loss log(1 + exp(-y x^T theta)) plus (reg/2)|theta|^2, labels y in {-1, +1}."""
    B = X.shape[0]

    def loss(th):
        m = y * (X @ th)
        return np.mean(np.logaddexp(0.0, -m)) + 0.5 * reg * th @ th

    def grad(th):
        m = y * (X @ th)
        s = np.exp(-np.logaddexp(0.0, m))  # sigmoid(-m), computed stably
        return -(X.T @ (y * s)) / B + reg * th

    def hess(th):
        m = y * (X @ th)
        s = np.exp(-np.logaddexp(0.0, m))
        return (X.T * (s * (1 - s))) @ X / B + reg * np.eye(X.shape[1])

    smooth = np.linalg.eigvalsh(X.T @ X / B)[-1] / 4 + reg
    return loss, grad, hess, smooth


def _newton(grad, hess, th, iters=50):
    for _ in range(iters):
        th = th - np.linalg.solve(hess(th), grad(th))
    return th


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def check_descent_lemma():
    """eq:smooth -> eq:descent-lemma, eq:sufficient-decrease, the best step 1/M, and
    eq:stationarity-rate on a nonconvex function."""
    rng = np.random.default_rng(0)
    errors = []
    # Logistic regression: M = lambda_max(X^T X / B) / 4 is a valid smoothness constant.
    X = rng.standard_normal((40, 5))
    y = np.sign(rng.standard_normal(40))
    loss, grad, hess, M = _logistic(X, y)
    for _ in range(1000):
        th = rng.standard_normal(5) * 3
        d = rng.standard_normal(5) * rng.uniform(0.01, 5)
        lhs = loss(th + d)
        rhs = loss(th) + grad(th) @ d + 0.5 * M * d @ d
        errors.append(max(0.0, lhs - rhs))
        # Hessian eigenvalues lie in [-M, M] (here in [0, M]).
        errors.append(max(0.0, np.linalg.eigvalsh(hess(th))[-1] - M))
    # On a quadratic with top eigenvalue M the lemma is an equality along the top eigenvector,
    # and the decrease of one step is exactly eta (1 - M eta / 2) |g|^2.
    H = _spd(rng, [0.3, 1.0, 2.5, 4.0])
    M_q = 4.0
    lam, U = np.linalg.eigh(H)

    def q(th):
        return 0.5 * th @ H @ th

    th = U[:, -1] * 1.7
    g = H @ th
    for eta in [0.05, 0.25, 0.4, 0.49]:
        exact = q(th - eta * g)
        predicted = q(th) - eta * (1 - M_q * eta / 2) * g @ g
        errors.append(abs(exact - predicted))
    # eta (1 - M eta / 2) is maximised at eta = 1/M with value 1/(2M).
    etas = np.linspace(0, 2 / M_q, 200001)
    vals = etas * (1 - M_q * etas / 2)
    errors.append(abs(etas[np.argmax(vals)] - 1 / M_q))
    errors.append(abs(vals.max() - 1 / (2 * M_q)))
    # Nonconvex: L = sum_i cos(a_i^T theta) has -A^T A <= Hessian <= A^T A, so M = lambda_max(A^T A),
    # and L >= -(number of terms). GD with eta = 1/M satisfies eq:stationarity-rate.
    A = rng.standard_normal((6, 3))
    M_c = np.linalg.eigvalsh(A.T @ A)[-1]

    def f(th):
        return np.sum(np.cos(A @ th))

    def df(th):
        return -A.T @ np.sin(A @ th)

    th = rng.standard_normal(3)
    f0 = f(th)
    best = np.inf
    for t in range(1, 501):
        g = df(th)
        best = min(best, g @ g)
        th = th - g / M_c
        errors.append(max(0.0, best - 2 * M_c * (f0 - (-6.0)) / t))

    # No global M for the product model L(a, b) = (ab - 1)^2 / 2: eq:product-hessian agrees with
    # central differences, and its top eigenvalue at (s, s) grows like 3 s^2.
    def prod_loss(v):
        return 0.5 * (v[0] * v[1] - 1) ** 2

    for a, b in [(1.0, 1.0), (10.0, 0.1), (-0.7, 2.3)]:
        v = np.array([a, b])
        h = 1e-4
        fd = np.zeros((2, 2))
        for i in range(2):
            for j in range(2):
                ei = np.eye(2)[i] * h
                ej = np.eye(2)[j] * h
                fd[i, j] = (
                    prod_loss(v + ei + ej) - prod_loss(v + ei - ej) - prod_loss(v - ei + ej) + prod_loss(v - ei - ej)
                ) / (4 * h * h)
        exact = np.array([[b * b, 2 * a * b - 1], [2 * a * b - 1, a * a]])
        errors.append(np.abs(fd - exact).max() / np.abs(exact).max())
    for sc in [1.0, 10.0, 100.0]:
        top = np.linalg.eigvalsh(np.array([[sc * sc, 2 * sc * sc - 1], [2 * sc * sc - 1, sc * sc]]))[-1]
        errors.append(abs(top - (3 * sc * sc - 1)) / sc**2)
    return float(np.max(errors)), 1e-6


def check_quadratic_gd():
    """eq:quadratic-error against direct iteration, eq:stability (1.99/M converges, 2.01/M diverges),
    and eq:optimal-fixed-step against a grid search over eta."""
    rng = np.random.default_rng(0)
    errors = []
    eigs = np.array([0.5, 1.0, 3.0, 7.0, 10.0])
    mu, M = eigs[0], eigs[-1]
    H = _spd(rng, eigs)
    lam, U = np.linalg.eigh(H)
    th_star = rng.standard_normal(5)
    th0 = rng.standard_normal(5)
    for eta in [0.05, 0.15, 0.19]:
        th = th0.copy()
        for _ in range(30):
            th = th - eta * H @ (th - th_star)
        c0 = U.T @ (th0 - th_star)
        closed = U @ ((1 - eta * lam) ** 30 * c0)
        errors.append(np.abs((th - th_star) - closed).max())
    # Stability threshold 2/lambda_max.
    for factor, should_converge in [(1.99, True), (2.01, False)]:
        th = th0.copy()
        for _ in range(3000):
            th = th - factor / M * H @ (th - th_star)
        dist = np.linalg.norm(th - th_star)
        converged = dist < 1e-3 * np.linalg.norm(th0 - th_star)
        errors.append(0.0 if converged == should_converge else 1.0)

    # Best fixed step: ternary search of the convex contraction factor max_i |1 - eta lambda_i|
    # over all eigenvalues (not only the extreme ones).
    def rho(eta):
        return np.max(np.abs(1 - eta * eigs))

    lo, hi = 0.0, 2 / M
    for _ in range(200):
        a, b = lo + (hi - lo) / 3, hi - (hi - lo) / 3
        if rho(a) < rho(b):
            hi = b
        else:
            lo = a
    kappa = M / mu
    errors.append(abs((lo + hi) / 2 - 2 / (mu + M)))
    errors.append(abs(rho((lo + hi) / 2) - (kappa - 1) / (kappa + 1)))
    # Loss decays like rho^(2t): L - L* = 1/2 sum lambda_i c_i^2.
    eta = 2 / (mu + M)
    th = th0.copy()
    for _ in range(40):
        th = th - eta * H @ (th - th_star)
    gap = 0.5 * (th - th_star) @ H @ (th - th_star)
    gap0 = 0.5 * (th0 - th_star) @ H @ (th0 - th_star)
    errors.append(max(0.0, gap - ((kappa - 1) / (kappa + 1)) ** 80 * gap0 * (1 + 1e-9)))
    return float(np.max(errors)), 1e-6


def check_convex_rate():
    """eq:convex-rate on a rank-deficient least-squares problem, on logistic regression and on a
    near-worst-case Huber function, plus the fraction of the bound reached by the Huber function and by
    a quadratic chosen for a given t."""
    rng = np.random.default_rng(0)
    errors = []
    # Rank-deficient least squares: convex, not strongly convex.
    A = rng.standard_normal((8, 3)) @ rng.standard_normal((3, 6))
    b = rng.standard_normal(8)

    def ls(th):
        r = A @ th - b
        return 0.5 * r @ r / 8

    M = np.linalg.eigvalsh(A.T @ A / 8)[-1]
    th0 = rng.standard_normal(6) * 3
    # Nearest minimiser to th0: minimum-norm solution plus the null-space part of th0.
    th_mn = np.linalg.pinv(A) @ b
    P_null = np.eye(6) - np.linalg.pinv(A) @ A
    th_star = th_mn + P_null @ th0
    L_star = ls(th_star)
    th = th0.copy()
    R2 = (th0 - th_star) @ (th0 - th_star)
    for t in range(1, 3001):
        th = th - (A.T @ (A @ th - b) / 8) / M
        errors.append(max(0.0, (ls(th) - L_star) - M * R2 / (2 * t)))
    # Logistic regression with overlapping classes (a minimiser exists).
    X = rng.standard_normal((60, 4))
    y = np.sign(X @ rng.standard_normal(4) + 1.5 * rng.standard_normal(60))
    loss, grad, hess, M = _logistic(X, y)
    th_star = _newton(grad, hess, np.zeros(4))
    th0 = rng.standard_normal(4) * 2
    R2 = (th0 - th_star) @ (th0 - th_star)
    th = th0.copy()
    prev = loss(th)
    for t in range(1, 2001):
        th = th - grad(th) / M
        cur = loss(th)
        errors.append(max(0.0, (cur - loss(th_star)) - M * R2 / (2 * t)))
        errors.append(max(0.0, cur - prev))  # monotone decrease
        prev = cur
    # A near-worst case: the Huber function with threshold R/(2t+1) reaches t/(2t+1) of the bound after t
    # steps from theta_0 = R, so a bound smaller by a factor of about 2 would fail here.
    M, R = 3.0, 2.0
    for t_end in [5, 50, 500]:
        d = R / (2 * t_end + 1)

        def huber(x, d=d):
            return 0.5 * M * x * x if abs(x) <= d else M * d * abs(x) - 0.5 * M * d * d

        def huber_grad(x, d=d):
            return M * x if abs(x) <= d else M * d * np.sign(x)

        x = R
        for t in range(1, t_end + 1):
            x = x - huber_grad(x) / M
            errors.append(max(0.0, huber(x) - M * R * R / (2 * t)))
        errors.append(abs(huber(x) / (M * R * R / (2 * t_end)) - t_end / (2 * t_end + 1)))
    # Tightness: for fixed t the quadratic with eigenvalue M/(2t+1) reaches a fraction
    # t/(2t+1) (2t/(2t+1))^(2t) -> 1/(2e) of the bound.
    M = 1.0
    for t in [10, 100, 1000]:
        lam = M / (2 * t + 1)
        c = 1.0
        for _ in range(t):
            c = c - lam / M * c
        ratio = (0.5 * lam * c**2) / (M * 1.0 / (2 * t))
        errors.append(abs(ratio - t / (2 * t + 1) * (2 * t / (2 * t + 1)) ** (2 * t)))
    # ... and the fraction tends to 1/(2e) (within 1e-4 at t = 1000).
    errors.append(max(0.0, abs(t / (2 * t + 1) * (2 * t / (2 * t + 1)) ** (2 * t) - 1 / (2 * np.e)) - 1e-4))
    return float(np.max(errors)), 1e-10


def check_strongly_convex_rate():
    """eq:pl at random points and eq:linear-rate along a GD trajectory on L2-regularised
    logistic regression."""
    rng = np.random.default_rng(0)
    errors = []
    X = rng.standard_normal((50, 6)) * rng.uniform(0.2, 3.0, 6)
    y = np.sign(rng.standard_normal(50))
    mu = 0.05
    loss, grad, hess, M = _logistic(X, y, reg=mu)
    th_star = _newton(grad, hess, np.zeros(6))
    L_star = loss(th_star)
    errors.append(np.linalg.norm(grad(th_star)))
    for _ in range(2000):
        th = rng.standard_normal(6) * rng.uniform(0.1, 10)
        g = grad(th)
        errors.append(max(0.0, 2 * mu * (loss(th) - L_star) - g @ g))
    # eq:pl is an equality for a quadratic along the eigenvector of its smallest eigenvalue mu_q,
    # so no constant larger than 2 mu can replace 2 mu.
    mu_q = 0.4
    Hq = (lambda q: (q * np.array([mu_q, 1.0, 3.0])) @ q.T)(np.linalg.qr(rng.standard_normal((3, 3)))[0])
    u = np.linalg.eigh(Hq)[1][:, 0] * 2.3
    errors.append(abs((Hq @ u) @ (Hq @ u) - 2 * mu_q * 0.5 * u @ Hq @ u))
    th = rng.standard_normal(6) * 5
    gap0 = loss(th) - L_star
    for t in range(1, 1501):
        th = th - grad(th) / M
        errors.append(max(0.0, (loss(th) - L_star) - (1 - mu / M) ** t * gap0 - 1e-15))
    return float(np.max(errors)), 1e-12


def check_softmax_head_smoothness():
    """eq:softmax-head-smoothness: Hessian of the mean cross-entropy of a linear softmax classifier
    (by central differences of the loss) has eigenvalues in [0, lambda_max(X^T X / B) / 2]; the bound
    is attained at W = 0 for K = 2; at W = 0 with K classes the top eigenvalue is lambda_max / K."""
    rng = np.random.default_rng(0)
    errors = []

    def loss_fn(X, Y):
        def loss(w_flat, K=Y.shape[1], n=X.shape[1]):
            Z = X @ w_flat.reshape(K, n).T
            m = Z.max(axis=1, keepdims=True)
            lse = (m + np.log(np.exp(Z - m).sum(axis=1, keepdims=True)))[:, 0]
            return np.mean(lse - np.sum(Y * Z, axis=1))

        return loss

    def fd_hessian(f, w, h=1e-4):
        P = w.size
        Hm = np.zeros((P, P))
        for a in range(P):
            for b in range(a, P):
                ea = np.zeros(P)
                eb = np.zeros(P)
                ea[a] = h
                eb[b] = h
                v = (f(w + ea + eb) - f(w + ea - eb) - f(w - ea + eb) + f(w - ea - eb)) / (4 * h * h)
                Hm[a, b] = Hm[b, a] = v
        return Hm

    for K, n, B in [(2, 3, 7), (3, 3, 6), (4, 2, 9)]:
        X = rng.standard_normal((B, n)) + rng.standard_normal(n)
        Y = np.eye(K)[rng.integers(K, size=B)]
        f = loss_fn(X, Y)
        lam_x = np.linalg.eigvalsh(X.T @ X / B)[-1]
        for scale in [0.0, 0.5, 2.0]:
            w = rng.standard_normal(K * n) * scale
            ev = np.linalg.eigvalsh(fd_hessian(f, w))
            errors.append(max(0.0, ev[-1] - lam_x / 2 - 1e-6))
            errors.append(max(0.0, -ev[0] - 1e-6))
            if scale == 0.0:
                errors.append(abs(ev[-1] - lam_x / K))
    # Exact Hessian formula (1/B) sum_i (H_i kron x_i x_i^T) agrees with finite differences.
    K, n, B = 3, 2, 5
    X = rng.standard_normal((B, n))
    Y = np.eye(K)[rng.integers(K, size=B)]
    w = rng.standard_normal(K * n)
    P = _softmax(X @ w.reshape(K, n).T)
    Hx = sum(np.kron(np.diag(p) - np.outer(p, p), np.outer(x, x)) for p, x in zip(P, X)) / B
    errors.append(np.abs(Hx - fd_hessian(loss_fn(X, Y), w)).max())
    return float(np.max(errors)), 1e-5


def _round_bf16(x):
    """Round float64 values to bfloat16 (8 significant bits, round half to even); no overflow handling."""
    x = np.asarray(x, dtype=np.float64)
    m, e = np.frexp(x)
    return np.ldexp(np.rint(m * 256.0) / 256.0, e)


def _rounder(name):
    if name == "bfloat16":
        return _round_bf16
    dt = getattr(np, name)
    return lambda x: np.asarray(x, dtype=np.float64).astype(dt).astype(np.float64)


def _gd_in_precision(name, eta=1e-3, steps=20000, P=1000):
    """GD on L = |theta - theta*|^2 / 2 with every operation rounded to the given format."""
    rnd = _rounder(name)
    rng = np.random.default_rng(0)
    t_star = rnd(rng.uniform(0.5, 2.0, P))
    th = np.zeros(P)
    e = rnd(eta)
    for _ in range(steps):
        g = rnd(th - t_star)
        th = rnd(th - rnd(e * g))
    return float(np.abs(th - t_star).max())


def practice_numbers():
    """Every number quoted in the note's practice section, recomputed."""
    out = {}
    # Smallest update that moves a weight equal to 1.0: half the spacing above 1.
    for name, bits in [("float16", 11), ("bfloat16", 8), ("float32", 24)]:
        rnd = _rounder(name)
        spacing = 2.0 ** (1 - bits)
        half = spacing / 2
        lost = float(rnd(1.0 + half)) == 1.0 and float(rnd(1.0 + 0.999 * half)) == 1.0
        kept = float(rnd(1.0 + 1.001 * half)) != 1.0
        out[f"{name}: spacing at 1, largest lost update, (lost, kept) verified"] = (spacing, half, (lost, kept))
        # Below 1 the spacing halves: decreases are lost only up to a quarter of the spacing above 1.
        quarter = spacing / 4
        lost_dn = float(rnd(1.0 - 0.999 * quarter)) == 1.0
        kept_dn = float(rnd(1.0 - 1.001 * quarter)) != 1.0
        out[f"{name}: largest lost decrease of 1, (lost, kept) verified"] = (quarter, (lost_dn, kept_dn))
    # eq:lost-update at random weights: lost below 2^(-p-1)|theta|, never lost above 2^(-p)|theta|.
    rng = np.random.default_rng(1)
    ok = True
    for name, bits in [("float16", 11), ("bfloat16", 8), ("float32", 24)]:
        rnd = _rounder(name)
        th = rnd(rng.uniform(0.01, 100, 20000) * rng.choice([-1, 1], 20000))
        frac = rng.uniform(0, 1, 20000)
        small = rng.choice([-1, 1], 20000) * frac * 2.0 ** (-bits - 1) * np.abs(th)
        large = rng.choice([-1, 1], 20000) * (1 + frac) * 2.0 ** (-bits) * np.abs(th) * 1.0001
        ok &= bool(np.all(rnd(th - small) == th)) and bool(np.all(rnd(th - large) != th))
    out["eq:lost-update verified at 20000 random weights per format"] = ok
    out["float16 demo: 1 - 1e-3*0.2, float32 demo"] = (
        float(np.float16(1.0) - np.float16(1e-3) * np.float16(0.2)),
        float(np.float32(1.0) - np.float32(1e-3) * np.float32(0.2)),
    )
    out["(1 - 1e-3)^20000, steps for 1.2^t > 3.4e38"] = ((1 - 1e-3) ** 20000, np.log(3.4028235e38) / np.log(1.2))
    out["max |theta - theta*| after 20000 GD steps, eta=1e-3"] = {
        n: _gd_in_precision(n) for n in ["float64", "float32", "float16", "bfloat16"]
    }
    # Steps to shrink the error by 1e-6 on a quadratic.
    steps = {}
    for kappa in [100.0, 1e4]:
        steps[kappa] = {
            "eta=1/M": int(np.ceil(np.log(1e-6) / np.log(1 - 1 / kappa))),
            "eta=2/(mu+M)": int(np.ceil(np.log(1e-6) / np.log((kappa - 1) / (kappa + 1)))),
        }
    out["steps to 1e-6"] = steps
    # Divergence just beyond 2/M: growth of the top component after 1000 steps.
    out["|1 - eta M|^1000 for eta = 2.01/M, 2.2/M"] = (1.01**1000, 1.2**1000)
    # Linear classifier on raw vs standardised 784-dimensional inputs.
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (2000, 784))
    lam_raw = np.linalg.eigvalsh(X.T @ X / 2000)[-1]
    Xs = (X - X.mean(0)) / X.std(0)
    lam_std = np.linalg.eigvalsh(Xs.T @ Xs / 2000)[-1]
    out["raw: lambda_max, M bound, 2/M"] = (lam_raw, lam_raw / 2, 4 / lam_raw)
    out["standardised: lambda_max, M bound, 2/M"] = (lam_std, lam_std / 2, 4 / lam_std)
    out["raw, K=10 at W=0: top Hessian eigenvalue, 2/it"] = (lam_raw / 10, 20 / lam_raw)

    # Two-parameter product model L(a, b) = (ab - 1)^2 / 2: sharpness of two minima, and where GD goes.
    def hess(a, b):
        return np.array([[b * b, 2 * a * b - 1], [2 * a * b - 1, a * a]])

    out["sharpness at (1,1), (10,0.1)"] = (np.linalg.eigvalsh(hess(1, 1))[-1], np.linalg.eigvalsh(hess(10, 0.1))[-1])
    runs = {}
    with np.errstate(all="ignore"):
        for eta in [0.019, 0.025, 0.03, 0.04]:
            a, b = 10.0, 0.1001
            for _ in range(20000):
                r = a * b - 1
                a, b = a - eta * r * b, b - eta * r * a
            sharp = np.linalg.eigvalsh(hess(a, b))[-1] if np.isfinite(a) and np.isfinite(b) else np.nan
            runs[eta] = (a, b, sharp, 2 / eta)
    out["GD from (10, 0.1001): final a, b, sharpness, 2/eta"] = runs
    return out


# ---------------------------------------------------------------- figures
def figure_step_size_rate():
    """The per-step factor rho(eta) = max_i |1 - eta lambda_i| of eq:quadratic-error on a
    quadratic with mu = 1, M = 10, against the rate measured by running gradient descent
    from a random start: (||e_T|| / ||e_0||)^(1/T), T = 400."""
    rng = np.random.default_rng(0)
    eigs = np.array([1.0, 2.5, 4.0, 7.0, 10.0])
    H = _spd(rng, eigs)
    e0 = rng.standard_normal(len(eigs))
    etas = np.linspace(0.005, 0.25, 50)
    rho = np.max(np.abs(1 - np.outer(etas, eigs)), axis=1)
    measured_etas = etas[::3]
    measured = []
    for eta in measured_etas:
        e = e0.copy()
        for _ in range(400):
            e = e - eta * (H @ e)
        measured.append((np.linalg.norm(e) / np.linalg.norm(e0)) ** (1 / 400))
    return {
        "title": "Per-step contraction of gradient descent against the step size, μ = 1, M = 10",
        "summary": "The factor falls until η = 2/(μ + M), where the slowest and the fastest directions "
        "contract equally, rises after it, and passes 1, divergence, at η = 2/M.",
        "x": {"label": "step size η"},
        "y": {"label": "error factor per step", "min": 0.0, "max": 1.6},
        "series": [
            {"label": "ρ(η) = max |1 − ηλᵢ|", "x": etas, "y": rho},
            {"label": "measured over 400 steps", "x": measured_etas, "y": np.array(measured), "style": "points"},
        ],
        "rules": [
            {"axis": "x", "at": 0.1, "label": "1/M"},
            {"axis": "x", "at": 2 / 11, "label": "2/(μ+M)"},
            {"axis": "x", "at": 0.2, "label": "2/M"},
            {"axis": "y", "at": 1.0, "label": "ρ = 1"},
        ],
    }
