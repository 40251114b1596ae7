"""Numerical checks for notes/corpus/momentum-nesterov.md.

One check_<derivation id> function per derivation block. Each returns
(measured_error, tolerance) and passes when measured_error <= tolerance; where a function
combines quantities with different natural tolerances, each entry is divided by its own
tolerance and the function returns (max ratio, 1.0). Everything runs in float64 with
np.random.default_rng(0).

numbers_<name>() return the numbers the note quotes, keyed by the excerpt of the note around
each; the runner compares them with the note's text.
"""

import numpy as np


def _spd(rng, eigs):
    q, _ = np.linalg.qr(rng.standard_normal((len(eigs), len(eigs))))
    return (q * np.asarray(eigs)) @ q.T


def _two_by_two(top_left, top_right):
    """Matrices [[top_left, top_right], [1, 0]], one per entry of the broadcast arguments."""
    top_left, top_right = np.broadcast_arrays(np.asarray(top_left, float), np.asarray(top_right, float))
    T = np.zeros(top_left.shape + (2, 2))
    T[..., 0, 0], T[..., 0, 1], T[..., 1, 0] = top_left, top_right, 1.0
    return T


def _hb_matrix(eta, beta, lam):  # formula: eq:hb-matrix (an array of matrices for an array lam)
    return _two_by_two(1 + beta - eta * lam, -beta)


def _nag_matrix(eta, beta, lam):  # formula: eq:nag-matrix
    q = 1 - eta * lam
    return _two_by_two((1 + beta) * q, -beta * q)


def _hb_optimal(mu, M):  # formula: eq:hb-optimal
    k = M / mu
    return (
        4 / (np.sqrt(M) + np.sqrt(mu)) ** 2,
        ((np.sqrt(k) - 1) / (np.sqrt(k) + 1)) ** 2,
        (np.sqrt(k) - 1) / (np.sqrt(k) + 1),
    )


def _radius(T):
    """Spectral radius of a 2 x 2 matrix, or the largest over an array of them."""
    return float(np.max(np.abs(np.linalg.eigvals(T))))


def _logistic(rng, N=80, P=5, reg=0.05):
    X = rng.standard_normal((N, P)) * rng.uniform(0.3, 2.0, P)
    y = np.sign(X @ rng.standard_normal(P) + rng.standard_normal(N))

    def loss(th):
        return np.mean(np.logaddexp(0, -y * (X @ th))) + 0.5 * reg * th @ th

    def grad(th):
        s = np.exp(-np.logaddexp(0, y * (X @ th)))
        return -(X.T @ (y * s)) / N + reg * th

    def hess(th):
        s = np.exp(-np.logaddexp(0, y * (X @ th)))
        return (X.T * (s * (1 - s))) @ X / N + reg * np.eye(P)

    M = np.linalg.eigvalsh(X.T @ X / N)[-1] / 4 + reg
    th = np.zeros(P)
    for _ in range(60):
        th = th - np.linalg.solve(hess(th), grad(th))
    return loss, grad, M, reg, th


def _lessard_grad(x):
    """Gradient of the 1-D piecewise quadratic of Lessard, Recht and Packard (mu = 1, M = 25)."""
    if x < 1:
        return 25 * x
    if x < 2:
        return x + 24
    return 25 * x - 24


def _lessard_runs(x0=3.3, steps=3000):
    kappa = 25.0
    eta = 4 / (np.sqrt(25.0) + 1) ** 2
    beta = ((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)) ** 2
    x_prev = x = x0
    hb = []
    for _ in range(steps):
        x, x_prev = x - eta * _lessard_grad(x) + beta * (x - x_prev), x
        hb.append(x)
    b2 = (np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)
    x_prev = x = x0
    for _ in range(steps):
        yv = x + b2 * (x - x_prev)
        x, x_prev = yv - _lessard_grad(yv) / 25.0, x
    return hb[-3:], x


def check_heavy_ball_quadratic():
    """eq:hb-matrix against direct iteration, eq:hb-charpoly (product of roots beta, modulus sqrt(beta)
    in the complex regime), eq:hb-stability on a grid, eq:hb-optimal over a dense grid of eigenvalues,
    and eq:lower-bound against a random search over (eta, beta)."""
    rng = np.random.default_rng(0)
    errs = []  # (error, tolerance)
    eigs = np.array([1.0, 3.0, 10.0, 40.0, 100.0])
    H = _spd(rng, eigs)
    lam, U = np.linalg.eigh(H)
    th_star = rng.standard_normal(5)
    th0 = rng.standard_normal(5)
    eta, beta = 0.012, 0.7
    prev = th = th0.copy()
    for _ in range(25):
        th, prev = th - eta * H @ (th - th_star) + beta * (th - prev), th
    c0 = U.T @ (th0 - th_star)
    pred = np.array(
        [(np.linalg.matrix_power(_hb_matrix(eta, beta, li), 25) @ np.array([c, c]))[0] for li, c in zip(lam, c0)]
    )
    errs.append((np.abs(U.T @ (th - th_star) - pred).max(), 1e-10))
    # Roots: product beta; complex exactly when (1 - sqrt b)^2 < eta lam < (1 + sqrt b)^2, then modulus sqrt b.
    for _ in range(300):
        eta, beta, lv = rng.uniform(0.01, 1), rng.uniform(0, 0.99), rng.uniform(0.01, 10)
        z = np.linalg.eigvals(_hb_matrix(eta, beta, lv))
        errs.append((abs(np.prod(z) - beta), 1e-12))
        a = 1 + beta - eta * lv
        roots = np.roots([1, -a, beta])
        errs.append((np.abs(np.sort_complex(roots) - np.sort_complex(z)).max(), 1e-9))
        complex_pred = (1 - np.sqrt(beta)) ** 2 < eta * lv < (1 + np.sqrt(beta)) ** 2  # formula: step 5
        if complex_pred:
            errs.append((np.abs(np.abs(z) - np.sqrt(beta)).max(), 1e-9))
        errs.append((float(complex_pred != (abs(z[0].imag) > 1e-12)), 0.5))
    # Stability region: radius < 1 iff 0 < eta lam < 2 (1 + beta) for 0 <= beta < 1 (batched eigvals).
    el, bt = np.meshgrid(np.linspace(-0.5, 4.5, 101), np.linspace(0, 0.98, 50))
    el, bt = el.ravel(), bt.ravel()
    mats = np.stack([np.stack([1 + bt - el, -bt], -1), np.stack([np.ones_like(bt), np.zeros_like(bt)], -1)], -2)
    r = np.max(np.abs(np.linalg.eigvals(mats)), axis=-1)
    pred = (el > 0) & (el < 2 * (1 + bt))  # formula: eq:hb-stability
    away = (np.abs(el) > 1e-6) & (np.abs(el - 2 * (1 + bt)) > 1e-6)
    errs.append((float(np.sum((pred != (r < 1)) & away)), 0.5))
    # Optimal parameters: worst radius over [mu, M] equals (sqrt k - 1)/(sqrt k + 1).
    for mu, M in [(1.0, 100.0), (0.3, 7.0), (2.0, 2.5)]:
        eta, beta, rho = _hb_optimal(mu, M)
        worst = _radius(_hb_matrix(eta, beta, np.linspace(mu, M, 2001)))
        # at the endpoints the root is double, and eigvals of a Jordan block lose half the digits
        errs.append((abs(worst - rho), 1e-6))
        # and the parameters are optimal: any other beta, or eta, gives a larger worst radius
        for d_eta, d_beta in ((1.02, 1.0), (0.98, 1.0), (1.0, 0.97), (1.0, 1.03)):
            other = _radius(_hb_matrix(eta * d_eta, beta * d_beta, np.linspace(mu, M, 201)))
            errs.append((max(0.0, rho + 1e-4 - other), 1e-12))
    # Lower bound: no (eta, beta) beats it at the two endpoints (random search).
    mu, M = 1.0, 50.0
    k = M / mu
    bound = (np.sqrt(k) - 1) / (np.sqrt(k) + 1)  # formula: eq:lower-bound
    eta, beta = rng.uniform(0, 0.1, 50000), rng.uniform(-0.5, 0.99, 50000)

    def radii(lv):
        # roots of z^2 - a z + beta by the quadratic formula (complex square root), larger modulus
        a = 1 + beta - eta * lv
        disc = np.sqrt(a * a - 4 * beta + 0j)
        return np.maximum(np.abs(a + disc), np.abs(a - disc)) / 2

    best = float(np.min(np.maximum(radii(mu), radii(M))))
    errs.append((max(0.0, bound - best), 1e-9))
    errs.append((best - bound, 0.05))  # the search does come close to the bound
    return float(np.max([e / t for e, t in errs])), 1.0


def check_nesterov_quadratic():
    """eq:nag-matrix against direct iteration; with eta = 1/M and beta = (sqrt k - 1)/(sqrt k + 1) the
    worst radius over [mu, M] is 1 - 1/sqrt k, with a double root at mu; p(1) = eta lam (eq:lower-bound
    applies); the general-loss guarantee on logistic regression; heavy ball cycles on the
    Lessard-Recht-Packard function while Nesterov converges."""
    rng = np.random.default_rng(0)
    errs = []
    eigs = np.array([1.0, 4.0, 20.0, 64.0])
    H = _spd(rng, eigs)
    lam, U = np.linalg.eigh(H)
    th_star = rng.standard_normal(4)
    th0 = rng.standard_normal(4)
    eta, beta = 1 / 64.0, 0.6
    prev = th = th0.copy()
    for _ in range(30):
        yv = th + beta * (th - prev)
        th, prev = yv - eta * H @ (yv - th_star), th
    c0 = U.T @ (th0 - th_star)
    pred = np.array(
        [(np.linalg.matrix_power(_nag_matrix(eta, beta, li), 30) @ np.array([c, c]))[0] for li, c in zip(lam, c0)]
    )
    errs.append((np.abs(U.T @ (th - th_star) - pred).max(), 1e-10))
    for mu, M in [(1.0, 100.0), (0.5, 3.0), (1.0, 1e4)]:
        k = M / mu
        eta, beta = 1 / M, (np.sqrt(k) - 1) / (np.sqrt(k) + 1)
        radii = np.max(np.abs(np.linalg.eigvals(_nag_matrix(eta, beta, np.linspace(mu, M, 3001)))), axis=-1)
        rate = 1 - 1 / np.sqrt(k)  # formula: eq:nag-rate
        errs.append((abs(max(radii) - rate), 1e-6))
        errs.append((abs(radii[0] - rate), 1e-6))
        q = 1 - eta * mu
        disc = (1 + beta) ** 2 * q**2 - 4 * beta * q  # formula: step 3, zero at mu
        errs.append((abs(disc), 1e-12))
        q_top = 4 * beta / (1 + beta) ** 2  # formula: step 3
        errs.append((abs(q_top - (1 - 1 / k)), 1e-12))
    for _ in range(200):
        eta, beta, lv = rng.uniform(0.01, 1), rng.uniform(0, 0.99), rng.uniform(0.01, 10)
        q = 1 - eta * lv
        # p(1) = eta lam for both polynomials; their coefficients are checked against the matrices
        nag_poly = [1, -(1 + beta) * q, beta * q]  # formula: eq:nag-matrix
        hb_poly = [1, -(1 + beta - eta * lv), beta]  # formula: eq:hb-charpoly
        errs.append((abs(np.polyval(nag_poly, 1.0) - eta * lv), 1e-12))
        errs.append((abs(np.polyval(hb_poly, 1.0) - eta * lv), 1e-12))
        errs.append((np.abs(np.poly(_nag_matrix(eta, beta, lv)) - nag_poly).max(), 1e-12))
        errs.append((np.abs(np.poly(_hb_matrix(eta, beta, lv)) - hb_poly).max(), 1e-12))
    # General smooth strongly convex loss: gap <= (1 - 1/sqrt k)^t (L0 - L* + mu/2 |theta0 - theta*|^2).
    loss, grad, M, mu, th_star = _logistic(rng)
    k = M / mu
    beta = (np.sqrt(k) - 1) / (np.sqrt(k) + 1)
    th0 = rng.standard_normal(th_star.size) * 3
    c = loss(th0) - loss(th_star) + 0.5 * mu * (th0 - th_star) @ (th0 - th_star)
    prev = th = th0.copy()
    for t in range(1, 401):
        yv = th + beta * (th - prev)
        th, prev = yv - grad(yv) / M, th
        errs.append((max(0.0, loss(th) - loss(th_star) - (1 - 1 / np.sqrt(k)) ** t * c), 1e-12))
    # Heavy ball with its quadratic-optimal parameters cycles; Nesterov converges.
    cycle, x_nag = _lessard_runs()
    errs.append((max(0.0, 0.5 - min(abs(v) for v in cycle)), 1e-12))
    errs.append((abs(x_nag), 1e-12))
    return float(np.max([e / t for e, t in errs])), 1.0


def check_nesterov_reformulation():
    """Sutskever's look-ahead form and PyTorch's form generate the same iterates (the stored parameters
    are the look-ahead points), PyTorch's plain momentum is the heavy ball, and with a changing
    learning rate the two velocity conventions differ exactly by the factor eta_t / eta_{t-1}."""
    rng = np.random.default_rng(0)
    errs = []
    loss, grad, M, mu, _ = _logistic(rng)
    P = 5
    th0 = rng.standard_normal(P)
    for beta in [0.5, 0.9, 0.99]:
        eta = 0.5 / M
        # Sutskever et al.: v <- beta v - eta grad(theta + beta v); theta <- theta + v.
        th, v = th0.copy(), np.zeros(P)
        looks, thetas = [], []
        for _ in range(200):
            v = beta * v - eta * grad(th + beta * v)
            th = th + v
            looks.append(th + beta * v)  # formula: the look-ahead point phi_t
            thetas.append(th)
        # PyTorch, nesterov=True, dampening=0: b <- beta b + g (b = g at the first step); p <- p - eta (g + beta b).
        p, b = th0.copy(), None
        for t in range(200):
            g = grad(p)
            b = g.copy() if b is None else beta * b + g
            p = p - eta * (g + beta * b)
            errs.append((np.abs(p - looks[t]).max(), 1e-12))
            theta = p + eta * beta * b  # formula: theta_t = phi_t + eta beta m_t
            errs.append((np.abs(theta - thetas[t]).max(), 1e-12))
        # PyTorch plain momentum equals the heavy ball with theta_{-1} = theta_0.
        p, b = th0.copy(), None
        hb, hb_prev = th0.copy(), th0.copy()
        for _ in range(200):
            g = grad(p)
            b = g.copy() if b is None else beta * b + g
            p = p - eta * b
            hb, hb_prev = hb - eta * grad(hb) + beta * (hb - hb_prev), hb
            errs.append((np.abs(p - hb).max(), 1e-12))
    # Changing learning rate: PyTorch's buffer form equals the velocity form with momentum beta eta_t/eta_{t-1}.
    beta = 0.9
    etas = np.where(np.arange(120) < 60, 0.5 / M, 0.05 / M)
    p, b = th0.copy(), None
    th, v = th0.copy(), np.zeros(P)
    th_s, v_s = th0.copy(), np.zeros(P)
    for t in range(120):
        g = grad(p)
        b = g.copy() if b is None else beta * b + g
        p = p - etas[t] * b
        ratio = etas[t] / etas[t - 1] if t > 0 else 1.0  # formula: beta eta_t / eta_{t-1}
        v = beta * ratio * v - etas[t] * grad(th)  # formula
        th = th + v
        v_s = beta * v_s - etas[t] * grad(th_s)  # Sutskever's convention, no rescaling
        th_s = th_s + v_s
        errs.append((np.abs(p - th).max(), 1e-12))
    errs.append((max(0.0, 1e-6 - np.abs(p - th_s).max()), 1e-12))  # the conventions really differ
    return float(np.max([e / t for e, t in errs])), 1.0


def check_effective_learning_rate():
    """eq:buffer-closed-form against the recursion (with PyTorch's first step), the limit
    eq:effective-lr, tau = beta giving b_t = g, the slow root 1 - eta lam / (1 - beta), and the
    stability limit on the effective rate, eq:effective-stability."""
    rng = np.random.default_rng(0)
    errs = []
    g = rng.standard_normal(3)
    for beta, tau in [(0.9, 0.0), (0.99, 0.0), (0.9, 0.5), (0.9, 0.9), (0.5, 0.2)]:
        b = None
        for t in range(1, 400):
            b = g.copy() if b is None else beta * b + (1 - tau) * g
            closed = (beta ** (t - 1) + (1 - tau) * (1 - beta ** (t - 1)) / (1 - beta)) * g  # formula: step 1
            errs.append((np.abs(b - closed).max(), 1e-12))
        limit = (1 - tau) / (1 - beta) * g  # formula: eq:effective-lr
        if beta < 0.95:
            errs.append((np.abs(b - limit).max(), 1e-10))
        if tau == beta:
            errs.append((0.0 if np.all(np.abs(b - g) < 1e-15) else 1.0, 0.5))
        # Nesterov variant of the step: g + beta b -> (1 + beta (1 - tau)/(1 - beta)) g
        nesterov_limit = (1 + beta * (1 - tau) / (1 - beta)) * g  # formula: step 2
        if beta < 0.95:
            errs.append((np.abs(g + beta * b - nesterov_limit).max(), 1e-10))
    # Slow directions: the largest root is 1 - eta lam/(1 - beta) to first order in eta lam.
    for beta in [0.5, 0.9, 0.99]:
        for el in [1e-4, 1e-5, 1e-6]:
            el_s = el * (1 - beta) ** 2
            z = np.max(np.abs(np.roots([1, -(1 + beta - el_s), beta])))
            approx = 1 - el_s / (1 - beta)  # formula: step 4
            # the error is second order: |z - approx| / (el_s / (1 - beta)) = O(el_s / (1 - beta)^2)
            errs.append((abs(z - approx) / (el_s / (1 - beta)), 10 * el))
    # Stability on the effective rate: eta_eff lam < 2 (1 + beta)/(1 - beta).
    for beta in [0.0, 0.5, 0.9, 0.99]:
        limit = 2 * (1 + beta) / (1 - beta)  # formula: eq:effective-stability
        for f, stable in [(0.999, True), (1.001, False)]:
            eta_lam = f * limit * (1 - beta)
            r = _radius(_hb_matrix(eta_lam / 2, beta, 2.0))  # lam = 2, so that eta * lam and eta / lam differ
            errs.append((float((r < 1) != stable), 0.5))
    return float(np.max([e / t for e, t in errs])), 1.0


RATES = {
    "gradient descent, $\\eta = 1/M$ | $1 - 1/\\kappa$": lambda k: 1 - 1 / k,
    "gradient descent, $\\eta = 2/(\\mu + M)$ | $\\frac{\\kappa - 1}{\\kappa + 1}$": lambda k: (k - 1) / (k + 1),
    "heavy ball, [[#eq:hb-optimal]] | $\\frac{\\sqrt\\kappa - 1}{\\sqrt\\kappa + 1}$": lambda k: _hb_optimal(1.0, k)[2],
    "Nesterov, $\\eta = 1/M$ | $1 - 1/\\sqrt\\kappa$": lambda k: 1 - 1 / np.sqrt(k),
}


def _predicted_steps(rho, tol=1e-6):
    return int(np.ceil(np.log(tol) / np.log(rho)))


def _measured_steps(method, kappa, P=50, tol=1e-6):
    """Steps until |e_t| <= tol |e_0| on 50 eigenvalues evenly spaced in [1, kappa], e_0 = ones.
    Gradient descent multiplies each coordinate by 1 - eta lam per step, so its error norm is
    evaluated in closed form (it decreases in t) and the first step below tol found by bisection;
    the two momentum methods are iterated."""
    lam = np.linspace(1.0, kappa, P)
    e = np.ones(P)
    n0 = np.linalg.norm(e)
    if method < 2:
        factor = np.abs(1 - lam / kappa) if method == 0 else np.abs(1 - 2 * lam / (1 + kappa))
        lo, hi = 0, 10**7
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if np.linalg.norm(factor**mid * e) > tol * n0 else (lo, mid)
        return hi
    e_prev = e.copy()
    eta, beta_hb, _ = _hb_optimal(1.0, kappa)
    beta_nag = (np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)
    for t in range(1, 10**5):
        if method == 2:
            e, e_prev = e - eta * lam * e + beta_hb * (e - e_prev), e
        else:
            yv = e + beta_nag * (e - e_prev)
            e, e_prev = yv - lam * yv / kappa, e
        if np.linalg.norm(e) <= tol * n0:
            return t
    raise AssertionError("no convergence")


def numbers_steps_table():
    """The steps-to-convergence table and the step count of the introduction."""
    rows = {}
    for method, (lead, rate) in enumerate(RATES.items()):
        values = []
        for kappa in (100.0, 1e4):
            values += [_predicted_steps(rate(kappa)), _measured_steps(method, kappa)]
        rows[f"| {lead} | {{=}} / {{=}} | {{=}} / {{=}} |"] = values
    kappa, tol = 1e4, 1e-6
    return rows | {
        "For $\\kappa = {=}$ the best fixed step needs {=} steps per factor ${=}$ of error": (
            kappa,
            _predicted_steps((kappa - 1) / (kappa + 1), tol),
            1 / tol,
        ),
        "the number of steps needed to shrink the error by ${=}$": 1 / tol,
        "measured on a quadratic with {=} eigenvalues evenly spaced in $[{=}, \\kappa]$": (50, 1),
    }


def numbers_usual_settings():
    """What beta = 0.9 and 0.99 mean: the kappa they are optimal for, the effective-rate factor,
    the steps for an undampened buffer to reach 90% of its limit, and the stability limit."""

    def hb_kappa(b):  # sqrt(beta) = (sqrt k - 1)/(sqrt k + 1), solved for k
        return ((1 + np.sqrt(b)) / (1 - np.sqrt(b))) ** 2

    def nag_kappa(b):  # beta = (sqrt k - 1)/(sqrt k + 1), solved for k
        return ((1 + b) / (1 - b)) ** 2

    def to_90(b):  # (1 - b^t) >= 0.9
        return int(np.ceil(np.log(0.1) / np.log(b)))

    def stable(b):
        return 2 * (1 + b) / (1 - b)

    return {
        "$\\beta = {}$ is the heavy-ball optimum [[#eq:hb-optimal]] for $\\kappa \\approx {}$ and Nesterov's choice for $\\kappa = {}$; $\\beta = {}$ corresponds to $\\kappa \\approx {}$ and $\\kappa = {}$": (
            0.9,
            round(hb_kappa(0.9)),
            nag_kappa(0.9),
            0.99,
            round(hb_kappa(0.99)),
            nag_kappa(0.99),
        ),
        "multiplies $\\eta$ by {} for $\\beta = 0.9$ and by {} for $\\beta = 0.99$": (1 / (1 - 0.9), 1 / (1 - 0.99)),
        "takes {=} and {=} steps respectively to reach {}% of its limit": (to_90(0.9), to_90(0.99), 90),
        "up to $\\eta_{\\mathrm{eff}}\\lambda = {}$ for $\\beta = 0.9$ and ${}$ for $\\beta = 0.99$, against {} for": (
            stable(0.9),
            stable(0.99),
            2.0,
        ),
        "A run with $\\eta = {}$ and $\\beta = {}$ moves along flat directions like gradient descent with rate {}.": (
            0.1,
            0.9,
            0.1 / (1 - 0.9),
        ),
    }


def _round_bf16(x):
    """Round to bfloat16 (8 significant bits, ties to even), elementwise; the exponent range of
    float32 is never reached here."""
    m, e = np.frexp(np.asarray(x, dtype=np.float64))
    return np.ldexp(np.rint(m * 256.0) / 256.0, e)


STEPS = 20000
ROUNDERS = {
    "bfloat16": _round_bf16,
    "float16": lambda x: x.astype(np.float16).astype(np.float64),
    "float32": lambda x: x.astype(np.float32).astype(np.float64),
}


def numbers_low_precision_buffer():
    """m <- fl(beta m + (1 - tau) g), computed exactly and rounded once, with g = 1, for 20000
    steps from m = 0, for the moving average (tau = beta) and the buffer (tau = 0)."""
    rows = {}
    # The three moving averages (tau = beta) and the three buffers (tau = 0) side by side.
    beta = np.tile([0.9, 0.99, 0.999], 2)
    g_weight = np.concatenate([1 - beta[:3], np.ones(3)])  # 1 - tau
    for name, rnd in ROUNDERS.items():
        m = np.zeros(6)
        for _ in range(STEPS):
            m = rnd(beta * m + g_weight * 1.0)
        ema_row, buf_row = m[:3].tolist(), m[3:].tolist()
        rows[f"| {name} | ${{}}$, ${{}}$, ${{}}$ | ${{}}$, ${{}}$, ${{}}$ |"] = ema_row + buf_row
        if name == "bfloat16":
            bf16_ema, bf16_buf = ema_row, buf_row
    # bfloat16 keeps 8 significant bits: in [2^(e-1), 2^e) its spacing is 2^(e-8).
    spacing = 2.0 ** (np.frexp(0.25)[1] - 8)
    increment = 0.001 * 0.75
    stalled = _round_bf16(0.25 + increment) == 0.25
    # The bfloat16 errors for beta >= 0.99, as fractions of the exact values, to the nearest 5%.
    exact = {"ema": 1.0, 0.99: 100.0, 0.999: 1000.0}
    errors = [1 - bf16_ema[i] for i in (1, 2)] + [1 - bf16_buf[i] / exact[b] for i, b in ((1, 0.99), (2, 0.999))]
    return rows | {
        "at $\\mathbf{m} = {}$ the increment ${} \\times {} = {}$ is below half the bfloat16 spacing above": (
            0.25,
            0.001,
            1 - 0.25,
            increment if stalled else np.nan,
        ),
        "half of it is $2^{-10} \\approx {}$": spacing / 2,
        "With a constant gradient $g = {=}$, computing each update exactly and rounding only the result, {=} steps from $\\mathbf{m} = {=}$ end at": (
            1,
            STEPS,
            0,
        ),
        "errors of about {}% to {}% in bfloat16 for $\\beta \\ge 0.99$": (
            5 * round(20 * min(errors)),
            5 * round(20 * max(errors)),
        ),
    }


def numbers_lessard():
    """The heavy ball cycles on the Lessard-Recht-Packard function from 3.3; Nesterov converges."""
    cycle, x_nag = _lessard_runs()
    order = np.argsort([abs(v - 0.647) for v in cycle])[0]
    cycle = cycle[order:] + cycle[:order]
    h = 1e-3
    curvatures = [round((_lessard_grad(x + h) - _lessard_grad(x - h)) / (2 * h), 9) for x in (0.5, 1.5, 2.5)]
    return {
        "with $\\mu = {=}$ and $M = {=}$, a quadratic with curvature {=}, then {=}, then {=} on three intervals": (
            min(curvatures),
            max(curvatures),
            *curvatures,
        ),
        "started at ${}$ never converges: it settles into a cycle through ${}$, ${}$ and ${}$": (3.3, *cycle),
        "converges to the minimum at {=}": round(x_nag, 12),
    }


# ---------------------------------------------------------------- figures
def figure_error_curves():
    """The relative error of the four methods of the steps table at kappa = 100: 50 eigenvalues
    evenly spaced in [1, kappa], e_0 = ones, each step as in _measured_steps()."""
    kappa, P, steps = 100.0, 50, 1200
    lam = np.linspace(1.0, kappa, P)
    # Nesterov's beta, (sqrt k - 1)/(sqrt k + 1), is the heavy ball's optimal rate.
    hb_eta, hb_beta, nag_beta = _hb_optimal(1.0, kappa)
    methods = {
        "gradient descent, η = 1/M": lambda e, ep: e - lam * e / kappa,
        "gradient descent, η = 2/(μ + M)": lambda e, ep: e - 2 / (1 + kappa) * lam * e,
        "heavy ball, optimal η and β": lambda e, ep: e - hb_eta * lam * e + hb_beta * (e - ep),
        "Nesterov, η = 1/M": lambda e, ep: (e + nag_beta * (e - ep)) * (1 - lam / kappa),
    }
    series = []
    for label, step in methods.items():
        e = e_prev = np.ones(P)
        norms = [1.0]
        for _ in range(steps):
            e, e_prev = step(e, e_prev), e
            norms.append(np.linalg.norm(e) / np.sqrt(P))
        t = np.arange(0, steps + 1, 4)
        series.append({"label": label, "x": t, "y": np.maximum(np.array(norms)[t], 1e-12)})
    return {
        "title": "Error against step on a quadratic with κ = 100",
        "summary": "Both momentum methods reach a relative error of one in a million in under 140 steps; "
        "gradient descent needs 611 or 1181.",
        "x": {"label": "step t"},
        "y": {"label": "‖θₜ − θ*‖ / ‖θ₀ − θ*‖", "scale": "log", "min": 1e-9, "max": 1.0},
        "series": series,
        "rules": [{"axis": "y", "at": 1e-6, "label": "10⁻⁶"}],
    }
