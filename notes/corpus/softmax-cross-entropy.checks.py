"""Numerical checks for notes/corpus/softmax-cross-entropy.md.

One check_<derivation id> function per derivation block. Each returns
(measured_error, tolerance) and passes when measured_error <= tolerance. Every labelled
equation of the note is exercised by one of them, in float64 with seeded random inputs;
gradients are compared with central finite differences. Numbers quoted in the note are
compared after rounding to the precision quoted.

practice_numbers() recomputes the float32/float16 experiments quoted in the note.
"""

from decimal import Decimal

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


def check_softmax_jacobian():
    """eq:softmax, eq:lse, eq:log-softmax, eq:shift-invariance, eq:lse-bounds, eq:lse-grad,
    eq:softmax-jacobian, eq:jacobian-variance, eq:softmax-vjp, spectrum in [0, 1/2]."""
    rng = np.random.default_rng(0)
    errors = []
    for _ in range(200):
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
        errors.append(abs(_lse(z + a) - (_lse(z) + a)))
        # Smooth-max bounds.
        errors.append(max(0.0, z.max() - _lse(z)))
        errors.append(max(0.0, _lse(z) - z.max() - np.log(k)))
        # Gradient of LSE and Jacobian of softmax by finite differences.
        errors.append(np.abs(_fd_grad(_lse, z) - p).max())
        jac = np.diag(p) - np.outer(p, p)
        errors.append(np.abs(_fd_jacobian(_softmax, z) - jac).max())
        # Step 1: d log p_k / d z_l = delta_kl - p_l.
        jlog = _fd_jacobian(lambda v: np.log(_softmax(v)), z)
        errors.append(np.abs(jlog - (np.eye(k) - np.outer(np.ones(k), p))).max())
        # Quadratic form is a variance.
        v = rng.normal(size=k)
        var = np.sum(p * v**2) - np.sum(p * v) ** 2
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
        errors.append(np.abs(off - p * (1 - p)).max())
        # Vector-Jacobian product.
        g = rng.normal(size=k)
        errors.append(np.abs(jac.T @ g - p * (g - p @ g)).max())
    # The bound 2 p (1 - p) <= 1/2 is attained by p = (1/2, 1/2).
    errors.append(abs(np.linalg.eigvalsh(np.diag([0.5, 0.5]) - 0.25)[-1] - 0.5))
    return float(np.max(errors)), 1e-8


def check_softmax_ce_gradient():
    """eq:ce-logits, eq:ce-grad, eq:ce-hessian, the chain-rule route, the hard-label form,
    bounds on the gradient, saturation of squared error, eq:label-smoothing, eq:ls-margin,
    the double-softmax figures."""
    rng = np.random.default_rng(0)
    errors = []
    for trial in range(200):
        k = int(rng.integers(2, 9))
        z = rng.normal(scale=2.0, size=k)
        p = _softmax(z)
        y = np.eye(k)[rng.integers(k)] if trial % 2 else rng.dirichlet(np.ones(k))
        loss = _ce(z, y)
        # eq:ce-logits and the decomposition H(y) + KL(y || p).
        errors.append(abs(loss - (_lse(z) - y @ z)))
        s = y > 0
        errors.append(abs(loss - (_entropy(y) + np.sum(y[s] * np.log(y[s] / p[s])))))
        # eq:ce-grad by finite differences, and the chain-rule route of step 4.
        g_fd = _fd_grad(lambda v, y=y: _ce(v, y), z)
        errors.append(np.abs(g_fd - (p - y)).max())
        jac = np.diag(p) - np.outer(p, p)
        errors.append(np.abs(jac.T @ (-y / p) - (p - y)).max())
        # Fused route: log-softmax Jacobian I - 1 p^T, VJP g - p (1^T g), seed g = -y.
        jlog = np.eye(k) - np.outer(np.ones(k), p)
        g = rng.normal(size=k)
        errors.append(np.abs(jlog.T @ g - (g - p * g.sum())).max())
        errors.append(np.abs(jlog.T @ (-y) - (p - y)).max())
        # Without normalisation: gradient is (1^T y) p - y.
        w = 2.5 * y
        g_w = _fd_grad(lambda v, w=w: -np.sum(w * np.log(_softmax(v))), z)
        errors.append(np.abs(g_w - (w.sum() * p - w)).max())
        # eq:ce-hessian by finite differences of the analytic gradient.
        hess = _fd_jacobian(lambda v, y=y: _softmax(v) - y, z)
        errors.append(np.abs(hess - jac).max())
        # Gradient entries sum to zero, lie in [-1, 1], l1 norm <= 2.
        grad = p - y
        errors.append(abs(grad.sum()))
        errors.append(max(0.0, np.abs(grad).max() - 1, np.abs(grad).sum() - 2))
        # Hard-label form log(1 + sum_{l != c} exp(z_l - z_c)).
        c = int(rng.integers(k))
        others = np.delete(z, c) - z[c]
        errors.append(abs(_ce(z, np.eye(k)[c]) - np.log1p(np.exp(others).sum())))
        # Soft target with positive entries: minimiser z = log y + a, value H(y).
        ys = rng.dirichlet(np.ones(k))
        zs = np.log(ys) + rng.normal()
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
        y_eps = (1 - eps) * np.eye(k)[c] + eps / k * np.ones(k)
        errors.append(abs(y_eps.sum() - 1))
        z_opt = np.log(y_eps)
        errors.append(np.abs(_softmax(z_opt) - y_eps).max())
        margin = z_opt[c] - z_opt[0]
        errors.append(abs(margin - np.log((1 - eps + eps / k) / (eps / k))))
        errors.append(abs(margin - np.log1p(k * (1 - eps) / eps)))
        z = rng.normal(size=k)
        lin = (1 - eps) * _ce(z, np.eye(k)[c]) + eps * _ce(z, np.ones(k) / k)
        errors.append(abs(_ce(z, y_eps) - lin))
        errors.append(abs(_ce(z, np.ones(k) / k) - (_lse(z) - z.mean())))
    y_eps = 0.9 * np.eye(10)[0] + 0.01 * np.ones(10)
    errors.append(abs(round(y_eps[0], 2) - 0.91) + abs(round(y_eps[1], 2) - 0.01))
    errors.append(abs(round(np.log(91), 4) - 4.5109))
    errors.append(abs(round(_entropy(y_eps), 4) - 0.5003))
    errors.append(max(0.0, _entropy(y_eps) - np.log(10)))

    # Double softmax: probabilities e_c reused as logits.
    for k, loss_q, pc_q in [(10, 1.4612, 0.2320), (1000, 5.9095, None)]:
        z = np.eye(k)[0]
        loss = _ce(z, np.eye(k)[0])
        errors.append(abs(loss - (np.log(np.e + k - 1) - 1)))
        errors.append(abs(round(loss, 4) - loss_q))
        if pc_q is not None:
            errors.append(abs(round(_softmax(z)[0], 4) - pc_q))
        # e_c minimises lse(q) - q_c over the simplex: no random probability vector does
        # better, and the rate of moving mass from c to l is 1 + s_l - s_c > 0.
        qs = rng.dirichlet(np.full(k, 0.2), size=2000)
        floor = np.log(np.e + k - 1) - 1
        errors.append(max(0.0, floor - (_lse(qs) - qs[:, 0]).min()))
        s = _softmax(z)
        d = np.eye(k)[1] - np.eye(k)[0]
        t = 1e-6
        rate = (_ce(z + t * d, np.eye(k)[0]) - _ce(z - t * d, np.eye(k)[0])) / (2 * t)
        errors.append(abs(rate - (1 + s[1] - s[0])))
        errors.append(max(0.0, -(1 + s[1] - s[0])))
    errors.append(abs(round(np.log(1000), 4) - 6.9078))
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
        g_z = _fd_grad(lambda zz, y=y, b=b: np.sum(_ce(zz, y)) / b, z)
        errors.append(np.abs(g_z - (p - y) / b).max())
        g_w = _fd_grad(lambda ww, x=x, bias=bias: loss(x, ww, bias), w)
        errors.append(np.abs(g_w - (p - y).T @ x / b).max())
        g_b = _fd_grad(lambda bb, x=x, w=w: loss(x, w, bb), bias)
        errors.append(np.abs(g_b - (p - y).T @ np.ones(b) / b).max())
        errors.append(abs(np.ones(k) @ g_b))
        errors.append(np.abs(np.ones(k) @ ((p - y).T @ x / b)).max())
        # Sum reduction multiplies every gradient by B.
        g_sum = _fd_grad(lambda zz, y=y: np.sum(_ce(zz, y)), z)
        errors.append(np.abs(g_sum - b * g_z).max())
    return float(np.max(errors)), 1e-8


def check_lse_shift():
    """eq:lse-shift for arbitrary shifts, the max-shift bounds S in [1, K], log-softmax from the
    shifted form, and the format table (largest/smallest values and their logarithms)."""
    rng = np.random.default_rng(0)
    errors = []
    for _ in range(500):
        k = int(rng.integers(2, 12))
        z = rng.normal(scale=5.0, size=k)
        direct = np.log(np.sum(np.exp(z)))
        for a in rng.normal(scale=20.0, size=3):
            errors.append(abs(direct - (a + np.log(np.sum(np.exp(z - a))))))
        m = z.max()
        s = np.sum(np.exp(z - m))
        errors.append(max(0.0, 1 - s, s - k))
        errors.append(np.abs(np.log(np.exp(z) / np.exp(z).sum()) - ((z - m) - np.log(s))).max())
    # Huge logits: the shifted form is finite and agrees between two different shifts.
    z = np.array([1000.0, 999.0, -1000.0])
    m = z.max()
    shifted = m + np.log(np.sum(np.exp(z - m)))
    other = z[1] + np.log(np.sum(np.exp(z - z[1])))
    errors.append(abs(shifted - other) / abs(shifted))
    errors.append(abs(shifted - (1000 + np.log1p(np.exp(-1.0)))))

    # The format table. bfloat16 from its bit layout: 8 exponent bits, 7 fraction bits.
    bf16_max = (2 - 2.0**-7) * 2.0**127
    bf16_min = 2.0**-133
    rows = [
        (
            float(np.finfo(np.float16).max),
            "65504",
            11.0899,
            float(np.finfo(np.float16).smallest_subnormal),
            5.96e-8,
            -16.6355,
        ),
        (bf16_max, "3.39e38", 88.7189, bf16_min, 9.18e-41, -92.1886),
        (
            float(np.finfo(np.float32).max),
            "3.40e38",
            88.7228,
            float(np.finfo(np.float32).smallest_subnormal),
            1.40e-45,
            -103.2789,
        ),
        (
            float(np.finfo(np.float64).max),
            "1.80e308",
            709.7827,
            float(np.finfo(np.float64).smallest_subnormal),
            4.94e-324,
            -744.4401,
        ),
    ]
    for big, big_q, log_big_q, small, small_q, log_small_q in rows:
        # The quoted maxima are compared as decimals: 1.80e308 rounds up past float64's
        # largest value, so as a float it would be inf and the comparison NaN.
        digits = 5 if big_q == "65504" else 3  # float16's maximum is quoted exactly
        errors.append(float(abs(Decimal(f"{big:.{digits}g}") - Decimal(big_q)) / Decimal(big_q)))
        errors.append(abs(round(np.log(big), 4) - log_big_q))
        errors.append(abs(float(f"{small:.3g}") - small_q) / small_q)
        errors.append(abs(round(np.log(small), 4) - log_small_q))
    errors.append(abs(round(float(np.exp(12.0))) - 162755))
    return float(np.max(errors)), 1e-10


def check_temperature_entropy():
    """eq:temperature-grad, eq:temperature-entropy, monotonicity and limits of the entropy,
    and the 1/T^2 scaling of the distillation gradient."""
    rng = np.random.default_rng(0)
    errors = []

    def entropy_at(z, t):
        return _entropy(_softmax(z / t))

    for _ in range(200):
        k = int(rng.integers(2, 9))
        z = rng.normal(scale=2.0, size=k)
        y = rng.dirichlet(np.ones(k))
        t = float(np.exp(rng.normal(scale=0.5)))
        p = _softmax(z / t)
        g_fd = _fd_grad(lambda v, y=y, t=t: _ce(v / t, y), z)
        errors.append(np.abs(g_fd - (p - y) / t).max())
        # Step 1: H = LSE(beta z) - beta p^T z.
        errors.append(abs(_entropy(p) - (_lse(z / t) - p @ z / t)))
        h = 1e-5
        dh_dt = (entropy_at(z, t + h) - entropy_at(z, t - h)) / (2 * h)
        var = np.sum(p * z**2) - np.sum(p * z) ** 2
        errors.append(abs(dh_dt - var / t**3))
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
    limit = ((z - z.mean()) - (v - v.mean())) / k
    rel = []
    for t in [1e2, 1e3, 1e4]:
        g = (_softmax(z / t) - _softmax(v / t)) / t
        rel.append(np.abs(t**2 * g - limit).max() / np.abs(limit).max())
    # The relative error of the approximation decays like 1/T.
    errors.append(max(0.0, rel[2] - 1e-3))
    errors.append(max(0.0, rel[2] * 1e4 - 10 * rel[0] * 1e2))
    return float(np.max(errors)), 1e-7


def practice_numbers():
    """The float32/float16 experiments quoted in the note, recomputed."""
    out = {}
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for dtype, lo in [(np.float16, 11.0), (np.float32, 88.72)]:
            x = np.array(lo, dtype=dtype)
            while np.isfinite(np.exp(x)):
                last = x.copy()
                x = np.nextafter(x, np.array(np.inf, dtype=dtype))
            out[f"exp finite up to / infinite from, {dtype.__name__}"] = (float(last), float(x))

        def naive(z):
            e = np.exp(z)
            return e / e.sum()

        def stable_log(z):
            s = z - z.max()
            return s - np.log(np.exp(s).sum())

        z = np.array([89, 88], dtype=np.float32)
        out["float32 (89, 88): naive, stable"] = (naive(z).tolist(), np.exp(stable_log(z)).tolist())
        z = np.array([12, 11], dtype=np.float16)
        out["float16 (12, 11): naive, stable"] = (naive(z).tolist(), np.exp(stable_log(z)).tolist())
        out["exp(12)"] = float(np.exp(12.0))
        out["float16 vs float64 log-softmax of (12, 11)"] = (
            stable_log(z).tolist(),
            stable_log(z.astype(np.float64)).tolist(),
        )
        z = np.array([0, -120], dtype=np.float32)
        y = np.array([0, 1], dtype=np.float32)
        p = naive(z)
        out["float32 (0, -120): naive loss, stable loss"] = (
            float(-np.sum(y * np.log(p))),
            float(-np.sum(y * stable_log(z))),
        )
        # Unfused backward: grad wrt p is -y / p, then J^T; fused: p - y.
        p = np.exp(stable_log(z))
        gp = -y / p
        jac = np.diag(p) - np.outer(p, p)
        out["unfused grad wrt p, J, J^T grad"] = (gp.tolist(), jac.tolist(), (jac.T @ gp).tolist())
        out["fused grad"] = (p - y).tolist()
    return out


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
