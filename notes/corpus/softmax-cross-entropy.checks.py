"""Numerical checks for notes/corpus/softmax-cross-entropy.md.

One check_<derivation id> function per derivation block. Each returns
(measured_error, tolerance) and passes when measured_error <= tolerance. Every labelled
equation of the note is exercised by one of them, in float64 with seeded random inputs;
gradients are compared with central finite differences. Numbers quoted in the note are
compared with the note's text by the numbers_ functions.
"""

import numpy as np


def _softmax(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _lse(z):
    m = np.max(z, axis=-1, keepdims=True)
    return (m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))[..., 0]


def _ce(z, y):
    return -np.sum(y * np.log(_softmax(z)), axis=-1)


def _fd_grad(f, x, h=1e-5):
    """Central finite-difference gradient of a scalar function of an array."""
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        g[idx] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def _fd_jacobian(f, x, h=1e-5):
    cols = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = h
        cols.append((f(x + e) - f(x - e)) / (2 * h))
    return np.stack(cols, axis=1)


def _entropy(p):
    s = p > 0
    return -np.sum(p[s] * np.log(p[s]))


def _lse_bounds(z):  # formula: eq:lse-bounds
    return z.max(), z.max() + np.log(len(z))


def check_softmax_jacobian():
    """eq:softmax, eq:lse, eq:log-softmax, eq:shift-invariance, eq:lse-bounds, eq:lse-grad,
    eq:softmax-jacobian, eq:jacobian-variance, eq:softmax-vjp, spectrum in [0, 1/2]."""
    rng = np.random.default_rng(0)
    errors = []
    for _ in range(100):
        k = int(rng.integers(2, 9))
        z = rng.normal(scale=2.0, size=k)
        p = _softmax(z)
        # Definitions, computed literally (moderate logits, no overflow).
        errors.append(np.abs(p - np.exp(z) / np.exp(z).sum()).max())
        errors.append(abs(_lse(z) - np.log(np.exp(z).sum())))
        errors.append(np.abs(np.log(p) - (z - _lse(z))).max())
        errors.append(abs(p.sum() - 1))
        # Shift invariance.
        a = rng.normal(scale=10.0)
        errors.append(np.abs(_softmax(z + a) - p).max())
        shifted = _lse(z) + a  # formula: eq:shift-invariance
        errors.append(abs(_lse(z + a) - shifted))
        # Smooth-max bounds, and each attained: all logits equal, or one far above the rest.
        lower, upper = _lse_bounds(z)
        errors.append(max(0.0, lower - _lse(z), _lse(z) - upper))
        flat, spike = np.full(k, z[0]), np.where(np.arange(k) == 0, 50.0, 0.0)
        errors.append(abs(_lse(flat) - _lse_bounds(flat)[1]) + abs(_lse(spike) - _lse_bounds(spike)[0]))
        # Gradient of LSE and Jacobian of softmax by finite differences.
        errors.append(np.abs(_fd_grad(_lse, z) - p).max())
        jac = np.diag(p) - np.outer(p, p)  # formula: eq:softmax-jacobian
        errors.append(np.abs(_fd_jacobian(_softmax, z) - jac).max())
        # Step 1: d log p_k / d z_l = delta_kl - p_l.
        jlog = _fd_jacobian(lambda v: np.log(_softmax(v)), z)
        step1 = np.eye(k) - np.outer(np.ones(k), p)  # formula: step 1
        errors.append(np.abs(jlog - step1).max())
        # Quadratic form is a variance.
        v = rng.normal(size=k)
        var = np.sum(p * v**2) - np.sum(p * v) ** 2  # formula: eq:jacobian-variance
        errors.append(abs(v @ jac @ v - var))
        errors.append(max(0.0, -var))
        # Symmetric, PSD, eigenvalues <= 1/2, null space spanned by the ones vector, rank K - 1.
        errors.append(np.abs(jac - jac.T).max())
        eig = np.linalg.eigvalsh(jac)
        errors.append(max(0.0, -eig.min() - 1e-15))
        errors.append(max(0.0, eig.max() - 0.5))
        errors.append(np.abs(jac @ np.ones(k)).max())
        errors.append(0.0 if np.linalg.matrix_rank(jac, tol=1e-12) == k - 1 else 1.0)
        # Gershgorin radius equals the diagonal p_k (1 - p_k).
        off = np.abs(jac - np.diag(np.diag(jac))).sum(axis=1)
        radius = p * (1 - p)  # formula: step 5
        errors.append(np.abs(off - radius).max())
        # Vector-Jacobian product.
        g = rng.normal(size=k)
        vjp = p * (g - np.sum(p * g))  # formula: eq:softmax-vjp
        errors.append(np.abs(jac.T @ g - vjp).max())
    # The bound 2 p (1 - p) <= 1/2 is attained by p = (1/2, 1/2).
    errors.append(abs(np.linalg.eigvalsh(np.diag([0.5, 0.5]) - 0.25)[-1] - 0.5))
    return float(np.max(errors)), 1e-8


def _smoothed(k, eps, c):  # formula: eq:label-smoothing
    return (1 - eps) * np.eye(k)[c] + eps / k * np.ones(k)


def _double_softmax_floor(k):  # formula: the loss at q = e_c
    return np.log(np.e + k - 1) - 1


def check_softmax_ce_gradient():
    """eq:ce-logits, eq:ce-grad, eq:ce-hessian, the chain-rule route, the hard-label form,
    bounds on the gradient, saturation of squared error, eq:label-smoothing, eq:ls-margin,
    the double-softmax figures."""
    rng = np.random.default_rng(0)
    errors = []
    for trial in range(100):
        k = int(rng.integers(2, 9))
        z = rng.normal(scale=2.0, size=k)
        p = _softmax(z)
        y = np.eye(k)[rng.integers(k)] if trial % 2 else rng.dirichlet(np.ones(k))
        loss = _ce(z, y)
        # eq:ce-logits and the decomposition H(y) + KL(y || p).
        ce_logits = _lse(z) - np.sum(y * z)  # formula: eq:ce-logits
        errors.append(abs(loss - ce_logits))
        s = y > 0
        decomposition = _entropy(y) + np.sum(y[s] * np.log(y[s] / p[s]))  # formula
        errors.append(abs(loss - decomposition))
        # eq:ce-grad by finite differences, and the chain-rule route of step 4.
        grad = p - y  # formula: eq:ce-grad
        g_fd = _fd_grad(lambda v, y=y: _ce(v, y), z)
        errors.append(np.abs(g_fd - grad).max())
        jac = np.diag(p) - np.outer(p, p)
        upstream = -y / p  # formula: step 4, the gradient with respect to p
        errors.append(np.abs(jac.T @ upstream - g_fd).max())
        # Fused route: log-softmax Jacobian I - 1 p^T, VJP g - p (1^T g), seed g = -y.
        jlog = np.eye(k) - np.outer(np.ones(k), p)
        g = rng.normal(size=k)
        fused_vjp = g - p * g.sum()  # formula: the VJP of log-softmax
        errors.append(np.abs(jlog.T @ g - fused_vjp).max())
        errors.append(np.abs(jlog.T @ (-y) - g_fd).max())
        # Without normalisation: gradient is (1^T y) p - y.
        w = 2.5 * y
        g_w = _fd_grad(lambda v, w=w: -np.sum(w * np.log(_softmax(v))), z)
        general = w.sum() * p - w  # formula: step 1, the general expression
        errors.append(np.abs(g_w - general).max())
        # eq:ce-hessian by finite differences of the gradient.
        hess = _fd_jacobian(lambda v, y=y: _softmax(v) - y, z)
        hess_formula = np.diag(p) - np.outer(p, p)  # formula: eq:ce-hessian
        errors.append(np.abs(hess - hess_formula).max())
        # Gradient entries sum to zero, lie in [-1, 1], l1 norm <= 2.
        errors.append(abs(grad.sum()))
        errors.append(max(0.0, np.abs(grad).max() - 1, np.abs(grad).sum() - 2))
        # Hard-label form log(1 + sum_{l != c} exp(z_l - z_c)).
        c = int(rng.integers(k))
        others = np.delete(z, c) - z[c]  # formula: the margins z_l - z_c
        hard = np.log1p(np.exp(others).sum())  # formula
        errors.append(abs(_ce(z, np.eye(k)[c]) - hard))
        # Soft target with positive entries: minimiser z = log y + a, value H(y).
        ys = rng.dirichlet(np.ones(k))
        zs = np.log(ys) + rng.normal()  # formula
        errors.append(np.abs(_softmax(zs) - ys).max())
        errors.append(abs(_ce(zs, ys) - _entropy(ys)))

    # Confidently wrong: cross-entropy gradient ~ e_j - e_c (norm ~ sqrt 2); squared error
    # on probabilities has gradient J (p - y), which vanishes at saturation.
    z = np.array([30.0, 0.0, 0.0])
    y = np.array([0.0, 1.0, 0.0])
    p = _softmax(z)
    errors.append(abs(np.linalg.norm(p - y) - np.sqrt(2)))
    jac = np.diag(p) - np.outer(p, p)
    g_mse = _fd_grad(lambda v: 0.5 * np.sum((_softmax(v) - y) ** 2), z)
    errors.append(np.abs(g_mse - jac @ (p - y)).max())
    errors.append(np.abs(jac @ (p - y)).max())

    # Label smoothing: target, minimiser, margin, floor, linearity in the target.
    for k, eps in [(10, 0.1), (5, 0.3), (1000, 0.05)]:
        c = 1
        y_eps = _smoothed(k, eps, c)
        errors.append(abs(y_eps.sum() - 1))
        # The minimiser: logits log y_eps (plus any shift) make the gradient p - y_eps vanish.
        z_opt = np.log(y_eps) + rng.normal()
        errors.append(np.abs(_softmax(z_opt) - y_eps).max())
        margin = z_opt[c] - z_opt[0]
        first = np.log((1 - eps + eps / k) / (eps / k))  # formula: eq:ls-margin, first form
        second = np.log1p(k * (1 - eps) / eps)  # formula: eq:ls-margin, second form
        errors.append(max(abs(margin - first), abs(margin - second)))
        z = rng.normal(size=k)
        lin = (1 - eps) * _ce(z, np.eye(k)[c]) + eps * _ce(z, np.ones(k) / k)  # formula
        errors.append(abs(_ce(z, y_eps) - lin))
        uniform = _lse(z) - z.mean()  # formula: the cross-entropy against a uniform target
        errors.append(abs(_ce(z, np.ones(k) / k) - uniform))

    # Double softmax: probabilities e_c reused as logits.
    for k in (10, 1000):
        z = np.eye(k)[0]
        loss = _ce(z, np.eye(k)[0])
        floor = _double_softmax_floor(k)
        errors.append(abs(loss - floor))
        # e_c minimises lse(q) - q_c over the simplex: no random probability vector does
        # better, and the rate of moving mass from c to l is 1 + s_l - s_c > 0.
        qs = rng.dirichlet(np.full(k, 0.2), size=2000)
        errors.append(max(0.0, floor - (_lse(qs) - qs[:, 0]).min()))
        s = _softmax(z)
        d = np.eye(k)[1] - np.eye(k)[0]
        t = 1e-6
        rate = (_ce(z + t * d, np.eye(k)[0]) - _ce(z - t * d, np.eye(k)[0])) / (2 * t)
        rate_formula = 1 + s[1] - s[0]  # formula
        errors.append(abs(rate - rate_formula))
        errors.append(max(0.0, -rate_formula))
    return float(np.max(errors)), 1e-8


def check_batched_gradient():
    """eq:batch-grad, eq:weight-grad, eq:bias-grad for a linear head, and the zero-sum
    properties of the bias and weight gradients."""
    rng = np.random.default_rng(0)
    errors = []
    for _ in range(10):
        b, n, k = 5, 3, 4
        x = rng.normal(size=(b, n))
        w = rng.normal(size=(k, n))
        bias = rng.normal(size=k)
        y = rng.dirichlet(np.ones(k), size=b)
        y[0] = np.eye(k)[2]

        def loss(x, w, bias, y=y, b=b):
            z = x @ w.T + np.ones((b, 1)) * bias[None, :]
            return np.sum(_ce(z, y)) / b

        z = x @ w.T + bias
        p = _softmax(z)
        grad_z = (p - y) / b  # formula: eq:batch-grad
        grad_w = (p - y).T @ x / b  # formula: eq:weight-grad
        grad_b = (p - y).T @ np.ones(b) / b  # formula: eq:bias-grad
        g_z = _fd_grad(lambda zz, y=y, b=b: np.sum(_ce(zz, y)) / b, z)
        errors.append(np.abs(g_z - grad_z).max())
        g_w = _fd_grad(lambda ww, x=x, bias=bias: loss(x, ww, bias), w)
        errors.append(np.abs(g_w - grad_w).max())
        g_b = _fd_grad(lambda bb, x=x, w=w: loss(x, w, bb), bias)
        errors.append(np.abs(g_b - grad_b).max())
        errors.append(abs(np.ones(k) @ g_b))
        errors.append(np.abs(np.ones(k) @ g_w).max())
        # Sum reduction multiplies every gradient by B.
        g_sum = _fd_grad(lambda zz, y=y: np.sum(_ce(zz, y)), z)
        errors.append(np.abs(g_sum - b * g_z).max())
    return float(np.max(errors)), 1e-8


def check_lse_shift():
    """eq:lse-shift for arbitrary shifts, the max-shift bounds S in [1, K] (both attained),
    log-softmax from the shifted form, and huge logits."""
    rng = np.random.default_rng(0)
    errors = []
    for _ in range(500):
        k = int(rng.integers(2, 12))
        z = rng.normal(scale=5.0, size=k)
        direct = np.log(np.sum(np.exp(z)))
        for a in rng.normal(scale=20.0, size=3):
            shifted_form = a + np.log(np.sum(np.exp(z - a)))  # formula: eq:lse-shift
            errors.append(abs(direct - shifted_form))
        m = z.max()
        s = np.sum(np.exp(z - m))
        errors.append(max(0.0, 1 - s, s - k))
        log_p = (z - m) - np.log(s)  # formula: step 5
        errors.append(np.abs(np.log(np.exp(z) / np.exp(z).sum()) - log_p).max())
    # S = K when all logits are equal, S -> 1 when one dominates.
    errors.append(abs(np.sum(np.exp(np.zeros(7))) - 7) + abs(np.sum(np.exp(np.array([0.0, -60.0]))) - 1))
    # Huge logits: the shifted form is finite and agrees between two different shifts.
    z = np.array([1000.0, 999.0, -1000.0])
    m = z.max()
    shifted = m + np.log(np.sum(np.exp(z - m)))  # formula: eq:lse-shift with a = max
    other = z[1] + np.log(np.sum(np.exp(z - z[1])))
    errors.append(abs(shifted - other) / abs(shifted))
    errors.append(abs(shifted - (1000 + np.log1p(np.exp(-1.0)))))
    return float(np.max(errors)), 1e-10


def check_temperature_entropy():
    """eq:temperature-grad, eq:temperature-entropy, monotonicity and limits of the entropy,
    and the 1/T^2 scaling of the distillation gradient."""
    rng = np.random.default_rng(0)
    errors = []

    def entropy_at(z, t):
        return _entropy(_softmax(z / t))

    for _ in range(100):
        k = int(rng.integers(2, 9))
        z = rng.normal(scale=2.0, size=k)
        y = rng.dirichlet(np.ones(k))
        t = float(np.exp(rng.normal(scale=0.5)))
        p = _softmax(z / t)
        g_fd = _fd_grad(lambda v, y=y, t=t: _ce(v / t, y), z)
        temp_grad = (p - y) / t  # formula: eq:temperature-grad
        errors.append(np.abs(g_fd - temp_grad).max())
        # Step 1: H = LSE(beta z) - beta p^T z.
        step1 = _lse(z / t) - np.sum(p * z) / t  # formula: step 1
        errors.append(abs(_entropy(p) - step1))
        h = 1e-5
        dh_dt = (entropy_at(z, t + h) - entropy_at(z, t - h)) / (2 * h)
        var = np.sum(p * z**2) - np.sum(p * z) ** 2  # formula: the variance of step 2
        rate = var / t**3  # formula: eq:temperature-entropy
        errors.append(abs(dh_dt - rate))
        errors.append(max(0.0, -var))

    # Monotone on a grid, limits at small and large T.
    z = np.array([2.0, 2.0, -1.0, 0.5])
    ts = np.logspace(-2, 3, 400)
    hs = np.array([entropy_at(z, t) for t in ts])
    errors.append(max(0.0, -np.diff(hs).min()))
    errors.append(abs(entropy_at(z, 1e-3) - np.log(2)))
    errors.append(abs(entropy_at(z, 1e7) - np.log(4)))

    # Distillation: T^2 times the gradient tends to ((z - mean z) - (v - mean v)) / K.
    k = 6
    z = rng.normal(size=k)
    v = rng.normal(size=k)
    limit = ((z - z.mean()) - (v - v.mean())) / k  # formula
    rel = []
    for t in [1e2, 1e3, 1e4]:
        g = (_softmax(z / t) - _softmax(v / t)) / t
        rel.append(np.abs(t**2 * g - limit).max() / np.abs(limit).max())
    # The relative error of the approximation decays like 1/T.
    errors.append(max(0.0, rel[2] - 1e-3))
    errors.append(max(0.0, rel[2] * 1e4 - 10 * rel[0] * 1e2))
    return float(np.max(errors)), 1e-7


def _sci(x, digits):
    """x as the note prints it in scientific notation, for an excerpt built from the computed value
    (float64's largest value printed to three digits, 1.80e308, overflows when read back)."""
    mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
    return f"{mantissa} \\times 10^{{{int(exponent)}}}"


def numbers_formats():
    """The table of formats (bfloat16 from its bit layout: 8 exponent bits, 7 fraction bits) and
    the exponentials that overflow."""
    rows = {
        "float16": (float(np.finfo(np.float16).max), float(np.finfo(np.float16).smallest_subnormal)),
        "bfloat16": ((2 - 2.0**-7) * 2.0**127, 2.0**-133),
        "float32": (float(np.finfo(np.float32).max), float(np.finfo(np.float32).smallest_subnormal)),
        "float64": (float(np.finfo(np.float64).max), float(np.finfo(np.float64).smallest_subnormal)),
    }
    out = {
        "| float16 | {=} | {} | ${}$ | ${}$ |": [
            rows["float16"][0],
            np.log(rows["float16"][0]),
            *rows["float16"][1:],
            np.log(rows["float16"][1]),
        ]
    }
    for name in ("bfloat16", "float32"):
        big, small = rows[name]
        out[f"| {name} | ${_sci(big, 3)}$ | {{}} | ${{}}$ | ${{}}$ |"] = (np.log(big), small, np.log(small))
    big, small = rows["float64"]  # its subnormal's rounding unit, 5e-327, is below float64's range too
    out[f"| float64 | ${_sci(big, 3)}$ | {{}} | ${_sci(small, 3)}$ | ${{}}$ |"] = (np.log(big), np.log(small))
    out["because $\\exp(12) \\approx {} > {=}$"] = (np.exp(12.0), rows["float16"][0])
    return out


def numbers_overflow_thresholds():
    """'Scanning representable inputs': the last finite and first infinite argument of np.exp."""
    found = []
    with np.errstate(over="ignore"):
        for dtype, start in ((np.float16, 11.0), (np.float32, 88.72)):
            x = np.array(start, dtype=dtype)
            while np.isfinite(np.exp(x)):
                last = x.copy()
                x = np.nextafter(x, np.array(np.inf, dtype=dtype))
            found += [float(last), float(x)]
    return {
        "`np.exp` in float16 is finite at ${=}$ and infinite from the next float16 value, ${=}$, on": found[:2],
        "In float32 the last finite input is ${=}$ and the first infinite one ${=}$": found[2:],
    }


def _stable_log_softmax(z):
    s = z - z.max()
    return s - np.log(np.exp(s).sum())


def numbers_naive_softmax():
    """'Naive softmax fails at ordinary logits' and 'Mixed precision'."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        z = np.array([89, 88], dtype=np.float32)
        naive = np.exp(z) / np.exp(z).sum()
        true = np.exp(_stable_log_softmax(z.astype(np.float64)))
        z = np.array([0, -120], dtype=np.float32)
        y = np.array([0, 1], dtype=np.float32)
        p_naive = np.exp(z) / np.exp(z).sum()
        naive_loss = -np.sum(y * np.log(p_naive))
        stable = _stable_log_softmax(z)
        z16 = np.array([12, 11], dtype=np.float16)
    return {
        f"the naive softmax returns $(\\mathrm{{{naive[0]}}}, {naive[1]:g})$, although the true answer is the unremarkable $({{}}, {{}})$": true,
        "the naive $p_2$ is exactly ${=}$, so the loss for class 2 comes out as ${}$": (p_naive[1], naive_loss),
        "the shifted form returns the correct $\\log p_2 = {}$ and loss ${}$": (stable[1], -np.sum(y * stable)),
        "its stable log-softmax of the logits $(12, 11)$ gives ${}$ for the first class, against ${}$ in float64": (
            _stable_log_softmax(z16)[0],
            _stable_log_softmax(z16.astype(np.float64))[0],
        ),
    }


def numbers_unfused_backward():
    """'Why frameworks take logits': the unfused and fused backward passes for logits (0, -120)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        z = np.array([0, -120], dtype=np.float32)
        y = np.array([0, 1], dtype=np.float32)
        p = np.exp(_stable_log_softmax(z))
        upstream = -y / p
        jac = np.diag(p) - np.outer(p, p)
        product = jac.T @ upstream
    return {
        "that vector is $({}, {})$, the Jacobian": upstream,
        f"the product is $(\\mathrm{{{product[0]}}}, \\mathrm{{{product[1]}}})$": [],
        "this is $\\bp - \\by = ({}, {})$, the correct gradient": p - y,
        # The Jacobian is exactly zero: the excerpt below is quoted only while it is.
        f"the Jacobian is $\\diag(1, 0) - \\be_1\\be_1\\T = \\mathbf{{{'0' if not jac.any() else 'J'}}}$, and the product": [],
    }


def numbers_double_softmax_and_smoothing():
    """'Softmax applied twice' and 'Label smoothing' (K = 10, epsilon = 0.1)."""
    y_eps = _smoothed(10, 0.1, 0)
    return {
        "it is $\\log(e + K - 1) - 1$: ${}$ for $K = 10$ (the correct class receives probability ${}$) and ${}$ for $K = 1000$, against $\\log K = {}$": (
            _double_softmax_floor(10),
            _softmax(np.eye(10)[0])[0],
            _double_softmax_floor(1000),
            np.log(1000),
        ),
        "the targets are ${}$ and ${}$, the optimal margin is $\\log {=} \\approx {}$, and the smallest achievable loss is $H(\\by^{\\varepsilon}) \\approx {}$ nats": (
            y_eps[0],
            y_eps[1],
            round(y_eps[0] / y_eps[1]),
            np.log(y_eps[0] / y_eps[1]),
            _entropy(y_eps),
        ),
        "a smoothed training loss near ${}$ is already optimal": _entropy(y_eps),
    }


# ---------------------------------------------------------------- figures
def figure_entropy_against_temperature():
    """The entropy of softmax(z / T) against T for the logits of check_temperature_entropy()."""
    z = np.array([2.0, 2.0, -1.0, 0.5])
    ts = np.logspace(-2, 3, 101)
    return {
        "title": "Entropy of softmax(z/T) against the temperature, z = (2, 2, −1, 0.5)",
        "summary": "The entropy rises monotonically from log 2, two maximal logits, at small T to log 4, "
        "uniform over four classes, at large T.",
        "x": {"label": "temperature T", "scale": "log"},
        "y": {"label": "entropy H (nats)", "min": 0, "max": 1.5},
        "series": [{"label": "H(softmax(z/T))", "x": ts, "y": np.array([_entropy(_softmax(z / t)) for t in ts])}],
        "rules": [{"axis": "y", "at": np.log(2), "label": "log 2"}, {"axis": "y", "at": np.log(4), "label": "log 4"}],
    }
