"""Numerical checks for notes/corpus/gans.md.

One check_<derivation id> function per derivation block. Each returns
(measured_error, tolerance) and passes when measured_error <= tolerance. Everything is
tested on 1-D densities: integrals by the trapezoidal rule on fine grids, derivatives by
central differences, and the optimal discriminator additionally against a logistic
regression fitted to samples (tolerance of several standard errors). The numbers_ functions
compute every number the note quotes.
"""

import numpy as np

X = np.linspace(-20.0, 20.0, 40_001)


def _lnorm(x, m, s):
    return -0.5 * np.log(2 * np.pi * s * s) - (x - m) ** 2 / (2 * s * s)


def _lmix(x, comps):
    """Log-density of a Gaussian mixture given as [(weight, mean, std), ...]."""
    return np.logaddexp.reduce([np.log(w) + _lnorm(x, m, s) for w, m, s in comps], axis=0)


DATA = [(0.3, -2.0, 0.6), (0.5, 1.0, 0.8), (0.2, 4.0, 0.5)]


def _sigmoid(a):
    return 0.5 * (1 + np.tanh(0.5 * a))


def _value(lpd, lpg, logit):
    """V(D, G) by quadrature for D = sigmoid(logit), log D and log(1 - D) from logits."""
    log_d = -np.logaddexp(0, -logit)
    log_1md = -np.logaddexp(0, logit)
    return np.trapezoid(np.exp(lpd) * log_d + np.exp(lpg) * log_1md, X)


def _js(lpd, lpg):
    lm = np.logaddexp(lpd, lpg) - np.log(2)
    return 0.5 * np.trapezoid(np.exp(lpd) * (lpd - lm), X) + 0.5 * np.trapezoid(np.exp(lpg) * (lpg - lm), X)


def _kl(lp, lq):
    return np.trapezoid(np.exp(lp) * (lp - lq), X)


def check_optimal_discriminator():
    """eq:value, eq:d-star, eq:d-star-logit. (a) a log y + b log(1 - y) is maximised over a fine
    grid of y at a / (a + b); (b) V(D*, G) exceeds V at smooth perturbations of the logit, and
    its directional derivative there is zero; (c) a logistic regression on quadratic features
    fitted to samples of two Gaussians recovers the logit log p_data - log p_g (5 SE)."""
    rng = np.random.default_rng(0)
    errs = []
    y = np.linspace(1e-6, 1 - 1e-6, 200_001)
    for _ in range(10):
        a, b = rng.uniform(0.01, 3.0, size=2)
        best = y[np.argmax(a * np.log(y) + b * np.log1p(-y))]
        maximiser = a / (a + b)  # formula: step 3
        errs.append(abs(best - maximiser) / 1e-5)
    lpd = _lmix(X, DATA)
    lpg = _lnorm(X, 0.5, 1.5)
    star = lpd - lpg  # formula: eq:d-star-logit
    v_star = _value(lpd, lpg, star)
    for _ in range(10):
        c = rng.normal(size=3)
        bump = c[0] + c[1] * np.sin(X) + c[2] * np.exp(-0.5 * X**2)
        errs.append(max(0.0, _value(lpd, lpg, star + bump) - v_star) / 1e-12)
        h = 1e-5
        slope = (_value(lpd, lpg, star + h * bump) - _value(lpd, lpg, star - h * bump)) / (2 * h)
        errs.append(abs(slope) / 1e-7)
    # (c) Logistic regression by Newton's method on features (1, x, x^2).
    n = 60_000
    md, sd, mg, sg = 0.3, 0.8, -0.4, 1.3
    xs = np.concatenate([rng.normal(md, sd, n), rng.normal(mg, sg, n)])
    labels = np.concatenate([np.ones(n), np.zeros(n)])
    w = _fit_logistic(xs, labels)
    grid = np.linspace(-2, 2, 9)
    feats = np.stack([np.ones_like(grid), grid, grid**2], axis=1)
    true_logit = _lnorm(grid, md, sd) - _lnorm(grid, mg, sg)
    # Sampling error of the fitted logit from the inverse Fisher information.
    f_all = np.stack([np.ones_like(xs), xs, xs**2], axis=1)
    p = _sigmoid(f_all @ w)
    cov = np.linalg.inv((f_all * (p * (1 - p))[:, None]).T @ f_all)
    se = np.sqrt(np.einsum("ij,jk,ik->i", feats, cov, feats))
    errs.append(np.max(np.abs(feats @ w - true_logit) / (5 * se)))
    return float(np.max(errs)), 1.0


def _fit_logistic(xs, labels, iters=8):
    f = np.stack([np.ones_like(xs), xs, xs**2], axis=1)
    w = np.zeros(3)
    for _ in range(iters):
        p = _sigmoid(f @ w)
        grad = f.T @ (labels - p)
        hess = (f * (p * (1 - p))[:, None]).T @ f
        w = w + np.linalg.solve(hess, grad)
    return w


def _c_of_js(js):  # formula: eq:v-js
    return 2 * js - np.log(4)


_JS_MAX = np.log(2)  # eq:js-bounds, the upper end (checked with disjoint supports)


def check_value_at_optimum():
    """eq:v-js, eq:js-bounds: V(D*, G) = 2 JS - log 4 by quadrature for random mixtures; the
    bounds 0 <= JS <= log 2; and an independent Monte Carlo check in which D is a logistic
    regression fitted on one sample set and V is estimated on a fresh one (5 SE)."""
    rng = np.random.default_rng(0)
    errs = []
    for _ in range(10):
        k = int(rng.integers(1, 4))
        comps = [(w, m, s) for w, m, s in zip(rng.dirichlet(np.ones(k)), rng.normal(0, 3, k), rng.uniform(0.3, 2, k))]
        lpd = _lmix(X, DATA)
        lpg = _lmix(X, comps)
        v = _value(lpd, lpg, lpd - lpg)
        js = _js(lpd, lpg)
        errs.append(abs(v - _c_of_js(js)) / 1e-9)
        errs.append(max(0.0, -js, js - _JS_MAX) / 1e-12)
    # The two ends: p_g = p_data (JS = 0, D* = 1/2, C = -log 4) and disjoint supports (JS = log 2, C = 0).
    errs.append(abs(_value(_lmix(X, DATA), _lmix(X, DATA), np.zeros_like(X)) - _c_of_js(0.0)) / 1e-9)
    lpd, lpg = _lnorm(X, -8.0, 0.5), _lnorm(X, 8.0, 0.5)
    js = _js(lpd, lpg)
    errs.append(abs(js - _JS_MAX) / 1e-9)
    errs.append(abs(_value(lpd, lpg, lpd - lpg) - _c_of_js(js)) / 1e-9)
    errs.append(abs(_c_of_js(js)) / 1e-9)
    # Fitted discriminator, fresh samples.
    md, sd, mg, sg = 0.3, 0.8, -0.4, 1.3
    n = 60_000
    xs = np.concatenate([rng.normal(md, sd, n), rng.normal(mg, sg, n)])
    w = _fit_logistic(xs, np.concatenate([np.ones(n), np.zeros(n)]))
    xd, xg = rng.normal(md, sd, n), rng.normal(mg, sg, n)

    def logit(x):
        return w[0] + w[1] * x + w[2] * x**2

    td = -np.logaddexp(0, -logit(xd))
    tg = -np.logaddexp(0, logit(xg))
    v_hat = td.mean() + tg.mean()
    se = np.sqrt(td.var() / n + tg.var() / n)
    js = _js(_lnorm(X, md, sd), _lnorm(X, mg, sg))
    errs.append(abs(v_hat - _c_of_js(js)) / (5 * se))
    return float(np.max(errs)), 1.0


def _generator_setup():
    """A linear generator G(z) = th0 + th1 z and a fixed nonlinear discriminator logit."""
    rng = np.random.default_rng(1)
    z = rng.normal(size=64)
    c = rng.normal(size=4)

    def logit(x):
        return c[0] + c[1] * x + c[2] * np.sin(x) + c[3] * x**2 / 4

    def dlogit(x):
        return c[1] + c[2] * np.cos(x) + c[3] * x / 2

    return z, logit, dlogit


def check_generator_gradients():
    """eq:gen-losses, eq:gen-grads: derivatives of log(1 - sigmoid(a)) and -log sigmoid(a) with
    respect to the logit, by central differences, and the batch gradients with respect to
    the parameters of a linear generator through a fixed discriminator."""
    rng = np.random.default_rng(0)
    errs = []
    a = rng.normal(scale=4, size=200)
    h = 1e-6

    def mm(a):
        return -np.logaddexp(0, a)

    def ns(a):
        return np.logaddexp(0, -a)

    d_mm, d_ns = -_sigmoid(a), -(1 - _sigmoid(a))  # formula: step 2
    errs.append(np.max(np.abs((mm(a + h) - mm(a - h)) / (2 * h) - d_mm)))
    errs.append(np.max(np.abs((ns(a + h) - ns(a - h)) / (2 * h) - d_ns)))
    z, logit, dlogit = _generator_setup()
    theta = np.array([0.3, 1.2])

    def loss(th, kind):
        x = th[0] + th[1] * z
        return np.mean(mm(logit(x)) if kind == "mm" else ns(logit(x)))

    x = theta[0] + theta[1] * z
    d = _sigmoid(logit(x))
    g_vec = np.stack([dlogit(x), dlogit(x) * z], axis=1)  # formula: J_G^T grad_x a, per sample
    predicted = {  # formula: eq:gen-grads
        "mm": -np.mean(d[:, None] * g_vec, axis=0),
        "ns": -np.mean((1 - d)[:, None] * g_vec, axis=0),
    }
    for kind in ("mm", "ns"):
        fd = np.array([(loss(theta + e, kind) - loss(theta - e, kind)) / (2 * h) for e in np.eye(2) * h])
        errs.append(np.max(np.abs(fd - predicted[kind])))
    return float(np.max(errs)), 1e-7


def check_nonsaturating_reverse_kl():
    """eq:mm-gradient, eq:ns-gradient: with D fixed at the optimum for theta_0, the gradients of
    E_{p_theta}[log(1 - D)] and E_{p_theta}[-log D] (quadrature, central differences) equal
    the gradients of 2 JS and of KL(p_theta || p_data) - 2 JS at theta_0, for a Gaussian
    generator p_theta = N(mu, exp(2 rho)) and a three-component data mixture."""
    rng = np.random.default_rng(0)
    lpd = _lmix(X, DATA)
    errs = []

    def lpg(th):
        return _lnorm(X, th[0], np.exp(th[1]))

    for _ in range(10):
        th0 = np.array([rng.normal(0, 2), rng.normal(0, 0.4)])
        lp0 = lpg(th0)
        log_d0 = lpd - np.logaddexp(lpd, lp0)  # log D*_0
        log_1md0 = lp0 - np.logaddexp(lpd, lp0)  # log(1 - D*_0)

        def f_mm(th, log_1md0=log_1md0):
            return np.trapezoid(np.exp(lpg(th)) * log_1md0, X)

        def f_ns(th, log_d0=log_d0):
            return np.trapezoid(np.exp(lpg(th)) * (-log_d0), X)

        def two_js(th):  # formula: eq:mm-gradient
            return 2 * _js(lpd, lpg(th))

        def rkl_minus(th):  # formula: eq:ns-gradient
            return _kl(lpg(th), lpd) - 2 * _js(lpd, lpg(th))

        h = 1e-5
        for e in np.eye(2) * h:
            for a, b in ((f_mm, two_js), (f_ns, rkl_minus)):
                ga = (a(th0 + e) - a(th0 - e)) / (2 * h)
                gb = (b(th0 + e) - b(th0 - e)) / (2 * h)
                errs.append(abs(ga - gb) / (1 + abs(gb)))
    return float(np.max(errs)), 1e-6


# Numbers quoted in the note: each numbers_ function returns excerpts of the note with {} where a
# number stands, and the runner compares the computed values with the printed ones.


def numbers_generator_factors():
    """|d loss / d a| of the two generator losses where D(G(z)) is 0.1 and 0.001 (central differences)."""
    values, h = [], 1e-6
    for d in (0.1, 1e-3):
        a = np.log(d / (1 - d))
        values += [
            abs(np.logaddexp(0, a + h) - np.logaddexp(0, a - h)) / (2 * h),
            abs(np.logaddexp(0, -a - h) - np.logaddexp(0, -a + h)) / (2 * h),
        ]
    return {
        "At $D(G(\\bz)) = 0.1$ the scalar factors are ${}$ and ${}$; at $10^{-3}$ they are ${}$ and ${}$": values,
        "Its global minimum over all distributions $p_g$ is $-\\log 4 \\approx {}$": -np.log(4),
    }


def numbers_vanishing():
    """p_data = N(0, 0.1^2), p_g = N(mu, 0.1^2): log 2 - JS and the minimax gradient d(2 JS)/d mu,
    by quadrature in the log domain (log 2 - JS reaches 1e-50)."""
    s = 0.1
    x = np.linspace(-2, 5, 70_001)

    def log_softplus(t):
        return np.where(t < -30, t, np.log(np.logaddexp(0, np.maximum(t, -30))))

    def log2_minus_js(mu):
        lp, lq = _lnorm(x, 0, s), _lnorm(x, mu, s)
        return 0.5 * np.trapezoid(np.exp(lp + log_softplus(lq - lp)) + np.exp(lq + log_softplus(lp - lq)), x)

    gaps, grads, h = [], [], 1e-5
    for mu in (0.5, 1.0, 3.0):
        gaps.append(log2_minus_js(mu))
        grads.append(-2 * (log2_minus_js(mu + h) - log2_minus_js(mu - h)) / (2 * h))
    tiny = float(np.finfo(np.float32).smallest_subnormal)
    return {
        "$\\log 2 - \\JS$ is ${}$ at $\\mu = 0.5$, ${}$ at $\\mu = 1$ and ${}$ at $\\mu = 3$": gaps,
        # the last gradient is quoted only if float32 rounds it to zero, as the note says
        "receives $\\partial_\\mu (2\\JS) = {}$, ${}$ and ${}$: in float32, whose smallest positive number is "
        "about ${}$": (*grads[:2], grads[2] if np.float32(grads[2]) == 0 else np.nan, tiny),
        "$\\partial_\\mu \\KL = \\mu/0.01 = {}$ at $\\mu = 3$": 3.0 / s**2,
    }


def _gaussian_fits():
    """Gaussian fits N(mu, sigma^2) to the two-mode target under four objectives: grid search
    refined by compass search in (mu, log sigma); integrals by quadrature."""
    xx = np.linspace(-25, 25, 5_001)
    lpd = np.logaddexp(np.log(0.5) + _lnorm(xx, -3, 0.5), np.log(0.5) + _lnorm(xx, 3, 0.5))

    def divs(mu, sd):
        lpg = _lnorm(xx, mu, sd)
        lm = np.logaddexp(lpd, lpg) - np.log(2)
        fkl = np.trapezoid(np.exp(lpd) * (lpd - lpg), xx)
        rkl = np.trapezoid(np.exp(lpg) * (lpg - lpd), xx)
        js = 0.5 * np.trapezoid(np.exp(lpd) * (lpd - lm), xx) + 0.5 * np.trapezoid(np.exp(lpg) * (lpg - lm), xx)
        return np.array([fkl, rkl, js, rkl - 2 * js])

    mus = np.linspace(-4, 4, 17)
    sds = np.linspace(0.25, 4, 16)
    vals = np.array([[divs(m, sd) for sd in sds] for m in mus])
    fits = []
    for i in range(4):
        a, b = np.unravel_index(np.argmin(vals[:, :, i]), vals.shape[:2])
        p, best, step = np.array([mus[a], np.log(sds[b])]), vals[a, b, i], 0.1
        while step > 1e-4:
            for d in np.array([[1, 0], [-1, 0], [0, 1], [0, -1]]) * step:
                v = divs(p[0] + d[0], np.exp(p[1] + d[1]))[i]
                if v < best:
                    p, best = p + d, v
                    break
            else:
                step /= 2
        # The target is symmetric about 0, so a fit and its mirror image have the same value; the note
        # reports the one with mu <= 0, whichever of the two the search happened to find.
        fits.append((-abs(p[0]), np.exp(p[1]), best))
    return fits, divs(0.0, np.sqrt(9.25)), divs(-3.0, 0.5)


def numbers_mode_dropping():
    """The table of Gaussian fits and the prose after it."""
    fits, cover, one_mode = _gaussian_fits()
    rows = [
        "| $\\KL(p_{\\text{data}} \\Vert p_g)$, maximum likelihood |",
        "| $\\KL(p_g \\Vert p_{\\text{data}})$ |",
        "| $\\JS(p_{\\text{data}}, p_g)$ |",
        "| $\\KL(p_g \\Vert p_{\\text{data}}) - 2\\JS$ |",
    ]
    quoted = {f"{row} $({{}}, {{}})$ | ${{}}$ | ${{}}$ |": (*fits[i], cover[i]) for i, row in enumerate(rows)}
    quoted |= {
        "value at the covering fit $({}, {})$ |": (0.0, np.sqrt(9.25)),
        "the moment-matched $\\sigma = \\sqrt{9.25} = {}$": np.sqrt(9.25),
        "whereas covering costs ${}$ nats": cover[1],
        "The maximum-likelihood fit in turn has forward KL ${}$, while the one-mode fit has ${}$": (
            cover[0],
            one_mode[0],
        ),
    }
    return quoted


def numbers_game_and_logits():
    """The bilinear game min_x max_y xy with eta = 0.1 for 1000 steps from (1, 0), and float32 log-sigmoid."""
    eta = 0.1
    xs, ys = 1.0, 0.0
    xa, ya = 1.0, 0.0
    radius_max = 0.0
    for _ in range(1000):
        xs, ys = xs - eta * ys, ys + eta * xs
        xa = xa - eta * ya
        ya = ya + eta * xa
        radius_max = max(radius_max, np.hypot(xa, ya))
    simultaneous = np.array([[1, -eta], [eta, 1]])
    alternating = np.array([[1, -eta], [eta, 1 - eta**2]])
    f32 = np.float32
    with np.errstate(over="ignore", divide="ignore"):
        naive = float(np.log(f32(1) / (f32(1) + np.exp(f32(89)))))
    return {
        "With $\\eta = 0.1$ that is ${}$ per step, and from $(1, 0)$ the distance from the equilibrium is ${}$": (
            np.abs(np.linalg.eigvals(simultaneous)).max(),
            np.hypot(xs, ys),
        ),
        "give a matrix with determinant ${}$": np.linalg.det(alternating),
        # both eigenvalues of modulus 1: quoted through the largest radius, returned only if they are
        "(largest radius ${}$ over $1000$ steps)": radius_max
        if np.allclose(np.abs(np.linalg.eigvals(alternating)), 1)
        else np.nan,
        "computed through the sigmoid is ${=}$": naive,
        "while $-\\operatorname{softplus}(89)$ returns ${}$": float(-np.logaddexp(f32(0), f32(89))),
    }


if __name__ == "__main__":
    for name, fn in list(globals().items()):
        if name.startswith("check_"):
            print(name, fn())
        if name.startswith("numbers_"):
            for excerpt, value in fn().items():
                print(f"  {excerpt}: {value}")
