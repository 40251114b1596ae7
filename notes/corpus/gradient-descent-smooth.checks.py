"""Numerical checks for notes/corpus/gradient-descent-smooth.md.

One check_<derivation id> function per derivation block. Each returns
(measured_error, tolerance) and passes when measured_error <= tolerance. Everything runs in
float64 with np.random.default_rng(0); bounds are compared with trajectories of gradient
descent run independently of the closed forms, and Hessians with central differences. Each
bound is also tested where it holds with equality (or at a known fraction of itself), so that a
mutant that loosens it fails. The numbers_ functions compute every number the note quotes.
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


def _descent_bound(loss0, g, d, M):  # formula: eq:descent-lemma
    """The right side of eq:descent-lemma at theta' = theta + d."""
    return loss0 + np.sum(g * d) + 0.5 * M * np.sum(d * d)


def _stationarity_bound(M, gap, t):  # formula: eq:stationarity-rate
    return 2 * M * gap / t


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
        errors.append(max(0.0, loss(th + d) - _descent_bound(loss(th), grad(th), d, M)))
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
    for step in [-0.8, 0.3, 2.0]:
        d = U[:, -1] * step
        errors.append(abs(q(th + d) - _descent_bound(q(th), g, d, M_q)))
    for eta in [0.05, 0.25, 0.4, 0.49]:
        exact = q(th - eta * g)
        predicted = q(th) - eta * (1 - M_q * eta / 2) * np.sum(g * g)  # formula: eq:sufficient-decrease
        errors.append(abs(exact - predicted))
    # eta (1 - M eta / 2) is maximised at eta = 1/M with value 1/(2M).
    etas = np.linspace(0, 2 / M_q, 200001)
    vals = etas * (1 - M_q * etas / 2)
    best_eta, best_value = 1 / M_q, 1 / (2 * M_q)  # formula: step 5
    errors.append(abs(etas[np.argmax(vals)] - best_eta))
    errors.append(abs(vals.max() - best_value))
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
    for t in range(1, 301):
        g = df(th)
        best = min(best, g @ g)
        th = th - g / M_c
        errors.append(max(0.0, best - _stationarity_bound(M_c, f0 - (-6.0), t)))
    # Summed before taking the minimum, the bound is an equality on L = M x^2 / 2 in one dimension:
    # the first step lands on the minimum, and sum_s |g_s|^2 = t * bound exactly.
    x, total = 1.3, 0.0
    for t in range(1, 4):
        total += (M_q * x) ** 2
        x = x - M_q * x / M_q
        errors.append(abs(total - t * _stationarity_bound(M_q, 0.5 * M_q * 1.3**2, t)))

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
        exact = _product_hessian(a, b)
        errors.append(np.abs(fd - exact).max() / np.abs(exact).max())
    for sc in [1.0, 10.0, 100.0]:
        top = np.linalg.eigvalsh(_product_hessian(sc, sc))[-1]
        errors.append(abs(top - (3 * sc * sc - 1)) / sc**2)
    return float(np.max(errors)), 1e-6


def _product_hessian(a, b):  # formula: eq:product-hessian
    return np.array([[b * b, 2 * a * b - 1], [2 * a * b - 1, a * a]])


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
        closed = U @ ((1 - eta * lam) ** 30 * c0)  # formula: eq:quadratic-error
        errors.append(np.abs((th - th_star) - closed).max())
        # Step 5: the loss gap in the eigenbasis
        c = U.T @ (th - th_star)
        gap_eig = 0.5 * np.sum(lam * c**2)  # formula: step 5
        errors.append(abs(gap_eig - 0.5 * (th - th_star) @ H @ (th - th_star)))
    # Stability threshold 2/lambda_max: half a percent below it converges, half a percent above diverges.
    limit = 2 / M  # formula: eq:stability
    for factor, should_converge in [(0.995, True), (1.005, False)]:
        th = th0.copy()
        for _ in range(3000):
            th = th - factor * limit * H @ (th - th_star)
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
    eta_opt = 2 / (mu + M)  # formula: eq:optimal-fixed-step
    rho_opt = (kappa - 1) / (kappa + 1)  # formula: eq:optimal-fixed-step
    errors.append(abs((lo + hi) / 2 - eta_opt))
    errors.append(abs(rho((lo + hi) / 2) - rho_opt))
    # Loss decays like rho^(2t): L - L* = 1/2 sum lambda_i c_i^2.
    eta = 2 / (mu + M)
    th = th0.copy()
    for _ in range(40):
        th = th - eta * H @ (th - th_star)
    gap = 0.5 * (th - th_star) @ H @ (th - th_star)
    gap0 = 0.5 * (th0 - th_star) @ H @ (th0 - th_star)
    errors.append(max(0.0, gap - ((kappa - 1) / (kappa + 1)) ** 80 * gap0 * (1 + 1e-9)))
    return float(np.max(errors)), 1e-6


def _convex_bound(M, R2, t):  # formula: eq:convex-rate
    return M * R2 / (2 * t)


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
    for t in range(1, 1001):
        th = th - (A.T @ (A @ th - b) / 8) / M
        errors.append(max(0.0, (ls(th) - L_star) - _convex_bound(M, R2, t)))
    # Logistic regression with overlapping classes (a minimiser exists).
    X = rng.standard_normal((60, 4))
    y = np.sign(X @ rng.standard_normal(4) + 1.5 * rng.standard_normal(60))
    loss, grad, hess, M = _logistic(X, y)
    th_star = _newton(grad, hess, np.zeros(4))
    th0 = rng.standard_normal(4) * 2
    R2 = (th0 - th_star) @ (th0 - th_star)
    th = th0.copy()
    prev = loss(th)
    for t in range(1, 1001):
        th = th - grad(th) / M
        cur = loss(th)
        errors.append(max(0.0, (cur - loss(th_star)) - _convex_bound(M, R2, t)))
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
            errors.append(max(0.0, huber(x) - _convex_bound(M, R * R, t)))
        fraction = t_end / (2 * t_end + 1)  # formula: the Huber fraction
        errors.append(abs(huber(x) / _convex_bound(M, R * R, t_end) - fraction))
    # Tightness: for fixed t the quadratic with eigenvalue M/(2t+1) reaches a fraction
    # t/(2t+1) (2t/(2t+1))^(2t) -> 1/(2e) of the bound.
    M = 1.0
    for t in [10, 100, 1000]:
        lam = M / (2 * t + 1)
        c = 1.0
        for _ in range(t):
            c = c - lam / M * c
        ratio = (0.5 * lam * c**2) / _convex_bound(M, 1.0, t)
        quad_fraction = t / (2 * t + 1) * (2 * t / (2 * t + 1)) ** (2 * t)  # formula: the quadratic fraction
        errors.append(abs(ratio - quad_fraction))
    # ... and the fraction tends to 1/(2e) (within 1e-4 at t = 1000, and not within 1e-4 at t = 10).
    limit = 1 / (2 * np.e)  # formula: the limit of the fraction
    errors.append(max(0.0, abs(quad_fraction - limit) - 1e-4))
    errors.append(0.0 if abs(10 / 21 * (20 / 21) ** 20 - limit) > 1e-4 else 1.0)
    return float(np.max(errors)), 1e-10


def _pl_bound(mu, gap):  # formula: eq:pl
    return 2 * mu * gap


def _linear_rate(mu, M, t):  # formula: eq:linear-rate
    return (1 - mu / M) ** t


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
    for _ in range(500):
        th = rng.standard_normal(6) * rng.uniform(0.1, 10)
        g = grad(th)
        errors.append(max(0.0, _pl_bound(mu, loss(th) - L_star) - g @ g))
    # eq:pl is an equality for a quadratic along the eigenvector of its smallest eigenvalue mu_q,
    # so no constant larger than 2 mu can replace 2 mu.
    mu_q = 0.4
    Hq = (lambda q: (q * np.array([mu_q, 1.0, 3.0])) @ q.T)(np.linalg.qr(rng.standard_normal((3, 3)))[0])
    u = np.linalg.eigh(Hq)[1][:, 0] * 2.3
    errors.append(abs((Hq @ u) @ (Hq @ u) - _pl_bound(mu_q, 0.5 * u @ Hq @ u)))
    th = rng.standard_normal(6) * 5
    gap0 = loss(th) - L_star
    for t in range(1, 1001):
        th = th - grad(th) / M
        errors.append(max(0.0, (loss(th) - L_star) - _linear_rate(mu, M, t) * gap0 - 1e-15))
    # On a quadratic the gap along the flattest direction shrinks by exactly (1 - mu/M)^2 per step with
    # eta = 1/M: the square of the bound's factor, as the note says (the bound is loose but has the
    # right dependence on kappa).
    M_q = 3.0
    for t in [1, 5]:
        x = 2.3 * (1 - mu_q / M_q) ** t  # the error along the mu_q-eigenvector after t steps
        errors.append(abs(0.5 * mu_q * x**2 / (0.5 * mu_q * 2.3**2) - _linear_rate(mu_q, M_q, t) ** 2))
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
            smooth = lam_x / 2  # formula: eq:softmax-head-smoothness
            errors.append(max(0.0, ev[-1] - smooth - 1e-6))
            errors.append(max(0.0, -ev[0] - 1e-6))
            if scale == 0.0:
                at_zero = lam_x / K  # formula: the top eigenvalue at W = 0
                errors.append(abs(ev[-1] - at_zero))
                if K == 2:  # the bound is attained
                    errors.append(abs(ev[-1] - smooth))
    # Exact Hessian formula (1/B) sum_i (H_i kron x_i x_i^T) agrees with finite differences.
    K, n, B = 3, 2, 5
    X = rng.standard_normal((B, n))
    Y = np.eye(K)[rng.integers(K, size=B)]
    w = rng.standard_normal(K * n)
    P = _softmax(X @ w.reshape(K, n).T)
    Hx = sum(np.kron(np.diag(p) - np.outer(p, p), np.outer(x, x)) for p, x in zip(P, X)) / B  # formula: step 1
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


def _gd_in_precision(name, eta=1e-2, steps=2000, P=1000):
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


# Numbers quoted in the note: each numbers_ function returns excerpts of the note with {} where a
# number stands, and the runner compares the computed values with the printed ones.


def numbers_step_sizes():
    """Steps needed at two condition numbers, and divergence just past 2/M."""
    steps = []
    for kappa in [100.0, 1e4]:
        steps += [
            int(np.ceil(np.log(1e-6) / np.log(1 - 1 / kappa))),
            int(np.ceil(np.log(1e-6) / np.log((kappa - 1) / (kappa + 1)))),
        ]
    big = float(np.finfo(np.float32).max)
    return {
        "needs {=} steps at $\\eta = 1/M$ and {=} steps at $\\eta_{\\mathrm{opt}}$ when $\\kappa = 100$; for "
        "$\\kappa = 10^4$ the counts are {=} and {=}.": steps,
        "the top coordinate is multiplied by ${}$ per step and grows by a factor of ${}$ in 1000 steps": (
            1 - 2.01,
            abs(1 - 2.01) ** 1000,
        ),
        "At $\\eta = 2.2/M$ it is multiplied by ${}$ per step, and an error of order one exceeds the float32 range "
        "(${}$) after {=} steps": (1 - 2.2, big, int(np.ceil(np.log(big) / np.log(1.2)))),
    }


def numbers_input_scaling():
    """The smoothness constant of a linear softmax classifier on raw and standardised inputs."""
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (2000, 784))
    raw = np.linalg.eigvalsh(X.T @ X / 2000)[-1]
    Xs = (X - X.mean(0)) / X.std(0)
    std = np.linalg.eigvalsh(Xs.T @ Xs / 2000)[-1]
    return {
        "\\lambda_{\\max}(\\tfrac1B\\bX\\T\\bX) = {}$, so [[#eq:softmax-head-smoothness]] gives $M = {}$ and a "
        "guaranteed-stable step below $2/M = {}$": (raw, raw / 2, 4 / raw),
        "$\\lambda_{\\max} = {}$, $M = {}$ and $2/M = {}$, a step {} times larger": (std, std / 2, 4 / std, raw / std),
        "the raw inputs give a top Hessian eigenvalue of ${}$, so the initial point is locally stable for $\\eta$ up "
        "to ${}$; the guarantee $2/M$ is ${}$ times smaller": (raw / 10, 20 / raw, (20 / raw) / (4 / raw)),
    }


def _gd_product(eta, steps=20000):
    """Gradient descent on L(a, b) = (ab - 1)^2 / 2 from (10, 0.1001)."""
    a, b = 10.0, 0.1001
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            r = a * b - 1
            a, b = a - eta * r * b, b - eta * r * a
    return a, b


def numbers_product_model():
    """Sharpness of two minima of the product model, where gradient descent goes, and the code block."""

    def top(a, b):
        return np.linalg.eigvalsh(_product_hessian(a, b))[-1]

    def sharpness(grad, theta, iters=100, h=1e-5, seed=0):  # the code block of the note
        v = np.random.default_rng(seed).standard_normal(theta.shape)
        v /= np.linalg.norm(v)
        for _ in range(iters):
            hv = (grad(theta + h * v) - grad(theta - h * v)) / (2 * h)
            lam = v @ hv
            v = hv / np.linalg.norm(hv)
        return lam

    quoted = {
        "top Hessian eigenvalue ${}$ at $(1, 1)$ and ${}$ at $(10, 0.1)$": (top(1, 1), top(10, 0.1)),
        "# {}...": sharpness(lambda th: (th[0] * th[1] - 1) * np.array([th[1], th[0]]), np.array([10.0, 0.1])),
        "next to the minimum of sharpness ${}$": top(10, 0.1),
    }
    a, b = _gd_product(0.019)
    # "converges to that minimum": the end point is on ab = 1 and within 1e-5 of (10, 0.1)
    near = abs(a * b - 1) < 1e-12 and np.hypot(a - 10, b - 0.1) < 1e-5
    quoted["With $\\eta = {=}$ ($2/\\eta = {}$) it converges to that minimum"] = (0.019 if near else np.nan, 2 / 0.019)
    a, b = _gd_product(0.025)
    quoted["($2/\\eta = {}$) it leaves it and settles at $({}, {})$, sharpness ${}$"] = (2 / 0.025, a, b, top(a, b))
    a, b = _gd_product(0.03)
    quoted["with $\\eta = 0.03$ at $({}, {})$, sharpness ${}$"] = (a, b, top(a, b))
    a, b = _gd_product(0.04)
    quoted["With $\\eta = {=}$ it diverges"] = 0.04 if not np.isfinite(a * b) else np.nan
    return quoted


def numbers_lost_updates():
    """The smallest updates that move a weight equal to 1, verified by rounding, and eq:lost-update at
    random weights (each printed half-spacing is returned only if the rounding behaves as stated)."""
    rng = np.random.default_rng(1)
    spacings, ups, downs = [], [], []
    for name, bits in [("float16", 11), ("bfloat16", 8), ("float32", 24)]:
        rnd = _rounder(name)
        spacing = 2.0 ** (1 - bits)
        half, quarter = spacing / 2, spacing / 4
        up = rnd(1.0 + half) == 1.0 and rnd(1.0 + 0.999 * half) == 1.0 and rnd(1.0 + 1.001 * half) != 1.0
        down = rnd(1.0 - 0.999 * quarter) == 1.0 and rnd(1.0 - 1.001 * quarter) != 1.0
        # eq:lost-update: lost below 2^(-p-1)|theta|, never lost above 2^(-p)|theta|
        th = rnd(rng.uniform(0.01, 100, 20000) * rng.choice([-1, 1], 20000))
        frac = rng.uniform(0, 1, 20000)
        small = rng.choice([-1, 1], 20000) * frac * 2.0 ** (-bits - 1) * np.abs(th)
        large = rng.choice([-1, 1], 20000) * (1 + frac) * 2.0 ** (-bits) * np.abs(th) * 1.0001
        rule = bool(np.all(rnd(th - small) == th)) and bool(np.all(rnd(th - large) != th))
        spacings.append(spacing)
        ups.append(half if up and rule else np.nan)
        downs.append(quarter if down and rule else np.nan)
    return {
        "the spacing just above it is $2^{-10} \\approx {}$ in float16 ($p = 11$), $2^{-7} \\approx {}$ in bfloat16 "
        "($p = 8$) and $2^{-23} \\approx {}$ in float32": spacings,
        "increases up to half of that, ${}$, ${}$ and ${}$ respectively": ups,
        "so decreases are lost only up to ${}$, ${}$ and ${}$": downs,
        "# {}: the update": float(np.float16(1.0) - np.float16(1e-3) * np.float16(0.2)),
        "np.float32(0.2)) # {}": float(np.float32(1.0) - np.float32(1e-3) * np.float32(0.2)),
    }


def numbers_stall_table():
    """Gradient descent on |theta - theta*|^2 / 2 with every operation rounded to the format."""
    errors = {name: _gd_in_precision(name) for name in ["float64", "float32", "float16", "bfloat16"]}
    return {
        "| float64 | ${}$ (the exact contraction $(1 - 10^{-2})^{2000} \\approx {}$": (
            errors["float64"],
            (1 - 1e-2) ** 2000,
        ),
        "| float32 | ${}$ |": errors["float32"],
        "| float16 | ${}$ |": errors["float16"],
        "| bfloat16 | ${}$ |": errors["bfloat16"],
        "once the error is under $2^{-11}/10^{-2} \\approx {}$": 2.0**-11 / 1e-2,
        "Even float32 stalls at ${}$": errors["float32"],
        "bfloat16 at $2^{-8}/10^{-2} \\approx {}$": 2.0**-8 / 1e-2,
    }


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


if __name__ == "__main__":
    for name, fn in list(globals().items()):
        if name.startswith("check_"):
            print(name, fn())
        if name.startswith("numbers_"):
            for excerpt, value in fn().items():
                print(f"  {excerpt}: {value}")
