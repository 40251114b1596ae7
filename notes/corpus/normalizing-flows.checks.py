"""Numerical checks for notes/corpus/normalizing-flows.md.

One check_<derivation id> function per derivation block. Each returns
(measured_error, tolerance) and passes when measured_error <= tolerance. Densities given
by the change-of-variables formula are compared with quantities computed another way:
exact CDFs (1-D), Monte Carlo frequencies of pushed-forward samples (2-D, tolerance of
several standard errors), and Jacobians and determinants by central finite differences.

numbers_<name>() return the numbers the note quotes, keyed by the excerpt of the note around
each; the runner compares them with the note's text.
"""

import math

import numpy as np

LOG2PI = np.log(2 * np.pi)


def _fd_jacobian(f, x, h=1e-6):
    """Numerator-layout Jacobian of f: R^n -> R^m at x by central differences."""
    cols = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = h
        cols.append((f(x + e) - f(x - e)) / (2 * h))
    return np.stack(cols, axis=1)


def _phi_cdf(u):
    return np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in np.atleast_1d(u)])


def check_change_of_variables_1d():
    """eq:cov-1d-cdf, eq:cov-1d: the density p_Z(g(x)) |g'(x)|, integrated by the trapezoidal
    rule in x, reproduces the exact CDF of X = f(Z) for an increasing map (sinh) and a
    decreasing map (-sinh), with base N(0.4, 1); it also integrates to 1."""
    m = 0.4
    u = np.linspace(-11, 11, 400_001)
    x = np.sinh(u)  # a non-uniform grid in x, dense where the mass is
    jac = 1 / np.sqrt(1 + x**2)  # formula: |g'(x)| for g = +-asinh
    errs = []
    for sign in (1.0, -1.0):
        g = sign * np.arcsinh(x)
        dens = np.exp(-0.5 * (g - m) ** 2 - 0.5 * LOG2PI) * jac  # formula: eq:cov-1d
        cum = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(x))])
        errs.append(abs(cum[-1] - 1))
        for b in (-3.0, -0.5, 0.0, 0.7, 2.0, 10.0):
            i = int(np.searchsorted(x, b))
            xb = x[i]
            # Increasing map: F_X(b) = Phi(g(b) - m); decreasing: 1 - Phi(g(b) - m).
            cdf_at_g = _phi_cdf(sign * np.arcsinh(xb) - m)[0]
            exact = cdf_at_g if sign > 0 else 1 - cdf_at_g
            errs.append(abs(cum[i] - exact))
    return float(np.max(errs)), 1e-6


# A 2-D invertible map with a non-constant Jacobian: f = affine o s,
# s(z) = (sinh z1, z2 exp(z1 / 2) + z1).
_A = np.array([[1.2, 0.4], [-0.3, 0.8]])
_C = np.array([0.5, -0.2])


def _f2(z):
    y = np.stack([np.sinh(z[..., 0]), z[..., 1] * np.exp(0.5 * z[..., 0]) + z[..., 0]], axis=-1)
    return y @ _A.T + _C


def _g2(x):
    y = np.linalg.solve(_A, (x - _C).T).T
    z1 = np.arcsinh(y[..., 0])
    z2 = (y[..., 1] - z1) * np.exp(-0.5 * z1)
    return np.stack([z1, z2], axis=-1)


def check_change_of_variables():
    """eq:cov-set, eq:cov, eq:cov-log, eq:inverse-jacobian in 2-D. The density p_Z(g(x))
    |det J_g(x)|, with J_g by finite differences, integrated over boxes on a grid, matches
    the Monte Carlo frequency of f(Z) in the boxes (errors in units of 5 standard errors);
    log|det J_g(x)| = -log|det J_f(g(x))| at random points (1e-6)."""
    rng = np.random.default_rng(0)
    n = 200_000
    xs = _f2(rng.standard_normal((n, 2)))
    errs = []
    boxes = [((-1.0, 0.5), (-1.0, 0.5)), ((0.0, 1.5), (-0.5, 1.0)), ((-2.0, 0.0), (0.0, 2.0))]
    for (a0, a1), (b0, b1) in boxes:
        g0 = np.linspace(a0, a1, 201)
        g1 = np.linspace(b0, b1, 201)
        X0, X1 = np.meshgrid(g0, g1, indexing="ij")
        pts = np.stack([X0.ravel(), X1.ravel()], axis=1)
        z = _g2(pts)
        # |det J_g| by finite differences, vectorised over the grid.
        h = 1e-6
        cols = []
        for j in range(2):
            e = np.zeros(2)
            e[j] = h
            cols.append((_g2(pts + e) - _g2(pts - e)) / (2 * h))
        jac = np.stack(cols, axis=2)
        det = np.abs(jac[:, 0, 0] * jac[:, 1, 1] - jac[:, 0, 1] * jac[:, 1, 0])
        dens = (np.exp(-0.5 * np.sum(z**2, axis=1) - LOG2PI) * det).reshape(X0.shape)  # formula: eq:cov
        prob = np.trapezoid(np.trapezoid(dens, g1, axis=1), g0)
        inside = (xs[:, 0] > a0) & (xs[:, 0] < a1) & (xs[:, 1] > b0) & (xs[:, 1] < b1)
        freq = inside.mean()
        se = np.sqrt(freq * (1 - freq) / n)
        errs.append(abs(prob - freq) / (5 * se))
    for _ in range(50):
        z = rng.normal(size=2)
        x = _f2(z)
        ld_f = np.linalg.slogdet(_fd_jacobian(_f2, z))[1]
        ld_g = np.linalg.slogdet(_fd_jacobian(_g2, x))[1]
        ld_g_pred = -ld_f  # formula: eq:cov-log, log|det J_g| = -log|det J_f|
        errs.append(abs(ld_g - ld_g_pred) / 1e-6)
        jg_pred = np.linalg.inv(_fd_jacobian(_f2, z))  # formula: eq:inverse-jacobian
        errs.append(np.max(np.abs(jg_pred - _fd_jacobian(_g2, x))) / 1e-6)
    return float(np.max(errs)), 1.0


def _mlp(rng, n_in, n_out, width=16, scale=1.0):
    w1 = rng.normal(size=(width, n_in)) / np.sqrt(n_in)
    b1 = rng.normal(size=width)
    w2 = rng.normal(size=(n_out, width)) * scale / np.sqrt(width)
    b2 = rng.normal(size=n_out) * 0.1
    return lambda a: np.tanh(a @ w1.T + b1) @ w2.T + b2


def _coupling(s_net, t_net, da):  # formula: eq:coupling, eq:coupling-inverse, eq:coupling-logdet
    def fwd(x):
        xa, xb = x[..., :da], x[..., da:]
        s = s_net(xa)
        return np.concatenate([xa, xb * np.exp(s) + t_net(xa)], axis=-1), np.sum(s, axis=-1)

    def inv(y):
        ya, yb = y[..., :da], y[..., da:]
        return np.concatenate([ya, (yb - t_net(ya)) * np.exp(-s_net(ya))], axis=-1)

    return fwd, inv


def check_affine_coupling_jacobian():
    """eq:coupling, eq:coupling-inverse, eq:coupling-jacobian, eq:coupling-logdet, and
    eq:composition for a stack of couplings with permutations: finite-difference Jacobians
    have the zero upper-right block, identity upper-left block, diagonal exp(s) lower-right
    block and the stated lower-left block C; log|det| equals the sum of the log-scales, the
    inverse is exact, and log-dets add over the stack."""
    rng = np.random.default_rng(0)
    errs = []
    d = 7
    for da in (2, 3, 5):
        s_net, t_net = _mlp(rng, da, d - da), _mlp(rng, da, d - da)
        fwd, inv = _coupling(s_net, t_net, da)
        for _ in range(10):
            x = rng.normal(size=d)
            y, ld = fwd(x)
            jac = _fd_jacobian(lambda v, fwd=fwd: fwd(v)[0], x)
            errs.append(np.max(np.abs(jac[:da, da:])))
            errs.append(np.max(np.abs(jac[:da, :da] - np.eye(da))))
            errs.append(np.max(np.abs(jac[da:, da:] - np.diag(np.exp(s_net(x[:da]))))))
            # Lower-left block C = diag(x_b * exp(s)) J_s + J_t (step 2).
            xa, xb = x[:da], x[da:]
            c_pred = np.diag(xb * np.exp(s_net(xa))) @ _fd_jacobian(s_net, xa) + _fd_jacobian(t_net, xa)  # formula
            errs.append(np.max(np.abs(jac[da:, :da] - c_pred)))
            errs.append(abs(np.linalg.slogdet(jac)[1] - ld))
            errs.append(np.max(np.abs(inv(y) - x)))
    # A stack of 4 couplings with fixed permutations in between.
    layers = []
    for _ in range(4):
        fwd, _inv = _coupling(_mlp(rng, 3, d - 3), _mlp(rng, 3, d - 3), 3)
        layers.append((rng.permutation(d), fwd))

    def stack(x):
        total = 0.0
        for perm, fwd in layers:
            x, ld = fwd(x[..., perm])
            total = total + ld  # formula: eq:composition
        return x, total

    for _ in range(10):
        x = rng.normal(size=d)
        _, ld = stack(x)
        jac = _fd_jacobian(lambda v: stack(v)[0], x)
        errs.append(abs(np.linalg.slogdet(jac)[1] - ld))
    return float(np.max(errs)), 1e-7


def check_planar_logdet():
    """eq:planar, eq:planar-det, eq:planar-constraint: det of the finite-difference Jacobian
    equals 1 + h'(w^T z + b) w^T u; the reparameterized u satisfies w^T u_hat > -1, which
    keeps the determinant positive and the map strictly increasing along w."""
    rng = np.random.default_rng(0)
    errs = []
    for _ in range(100):
        d = int(rng.integers(1, 8))
        w, u, b = rng.normal(size=d), rng.normal(size=d) * 2, rng.normal()
        m = _planar_m(np.sum(w * u))
        u_hat = u + (m - np.sum(w * u)) * w / np.sum(w**2)  # formula: eq:planar-constraint
        errs.append(abs(np.sum(w * u_hat) - m))  # w^T u_hat = m(w^T u) ...
        errs.append(max(0.0, -1 - np.sum(w * u_hat) + 1e-12))  # ... > -1

        def f(z, u=u_hat, w=w, b=b):
            return z + u * np.tanh(w @ z + b)

        z = rng.normal(size=d) * 2
        jac = _fd_jacobian(f, z)
        predicted = 1 + (1 - np.tanh(np.sum(w * z) + b) ** 2) * np.sum(w * u_hat)  # formula: eq:planar-det
        errs.append(abs(np.linalg.det(jac) - predicted))
        # Along the line z = t w / |w|^2, w^T f(z) = t + w^T u tanh(t + b) is increasing.
        t = np.linspace(-20, 20, 4001)
        along = t + (w @ u_hat) * np.tanh(t + b)
        errs.append(max(0.0, -np.min(np.diff(along))))
    # m(a) > -1 everywhere, and -1 is its infimum (approached as a -> -inf), so the constraint
    # w^T u >= -1 is met with nothing to spare; for large a, m(a) = a - 1 + O(e^-a).
    a = np.linspace(-40, 40, 801)
    errs.append(max(0.0, -1 - np.min(_planar_m(a)) + 1e-300))
    errs.append(abs(_planar_m(-40.0) + 1))
    errs.append(abs(_planar_m(40.0) - 39))
    return float(np.max(errs)), 1e-7


def _planar_m(a):  # formula: m(a) of eq:planar-constraint
    return -1 + np.logaddexp(0, a)


D_IMAGE = 3072  # coordinates of a 32 x 32 x 3 image


def numbers_log_scales():
    """Two couplings with swapped halves on d = 3072 coordinates, log-scales N(0.05, 0.1^2):
    their sum and product in float32; a dense 1.1 x orthogonal matrix's det and slogdet."""
    rng = np.random.default_rng(0)
    s = rng.normal(0.05, 0.1, size=D_IMAGE).astype(np.float32)
    with np.errstate(over="ignore"):
        product = float(np.prod(np.exp(s)))
    n = 1024
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    w = (1.1 * q).astype(np.float32)
    with np.errstate(all="ignore"):
        det = float(abs(np.linalg.det(w)))
        logdet = float(np.linalg.slogdet(w)[1])
    largest = float(np.log(np.float64(np.finfo(np.float32).max)))
    return {
        "two coupling layers on $d = {=}$ coordinates": D_IMAGE,
        "log-scales drawn from $\\Normal({}, {}^2)$: the ${=}$ log-scales sum to a log-determinant of ${}$ (float32 sum)": (
            0.05,
            0.1,
            D_IMAGE,
            float(s.sum(dtype=np.float32)),
        ),
        "would compute overflows to ${=}$ in float32, whose largest finite value is about $e^{{}}$": (product, largest),
        "a random ${=} \\times {=}$ orthogonal matrix, `np.linalg.det` in float32 returns $\\pm{=}$ while `np.linalg.slogdet` returns ${}$, equal to ${=} \\log {}$ to the digits shown": (
            n,
            n,
            det,
            logdet if round(logdet, 4) == round(n * np.log(1.1), 4) else np.nan,
            n,
            1.1,
        ),
        "would take about $(2/3)d^3 \\approx {}$ floating-point operations": 2 / 3 * D_IMAGE**3,
        "On all $d = {=}$ coordinates of a small image": D_IMAGE,
    }


def numbers_accumulation():
    """A log-likelihood of d = 3072 base terms plus 32 layers of 3072 log-scales, accumulated one
    term at a time in float32 and float16 (the generator continues after numbers_log_scales)."""
    rng = np.random.default_rng(0)
    rng.normal(0.05, 0.1, size=D_IMAGE)  # the draws of numbers_log_scales, in the same order
    rng.normal(size=(1024, 1024))
    k = 32
    logs = rng.normal(0, 0.1, size=(k, D_IMAGE))
    z = rng.standard_normal(D_IMAGE)
    terms = np.concatenate([-0.5 * LOG2PI - 0.5 * z**2, logs.ravel()])
    exact = float(np.sum(terms))
    errors, spacing = {}, {}
    for dt in (np.float32, np.float16):
        acc = dt(0)
        for v in terms.astype(dt):
            acc = dt(acc + v)
        errors[dt] = abs(float(acc) - exact)
        spacing[dt] = float(np.spacing(dt(abs(exact))))
    bits = D_IMAGE * np.log(2)
    return {
        "plus ${=}$ layers of ${=}$ log-scales from $\\Normal({=}, {}^2)$, about ${}$ terms with total ${}$ nats": (
            k,
            D_IMAGE,
            0,
            0.1,
            terms.size,
            exact,
        ),
        "Added one at a time in float32, the result is off by ${}$ nats, ${}$ bits per dimension": (
            errors[np.float32],
            errors[np.float32] / bits,
        ),
        "In float16 the spacing between representable numbers near ${}$ is ${}$, and one-at-a-time accumulation is off by ${}$ nats, ${}$ bits per dimension": (
            round(abs(exact)),
            spacing[np.float16],
            errors[np.float16],
            errors[np.float16] / bits,
        ),
    }


def numbers_clamping():
    """Where exp overflows, the round-trip table, and the Glow scale at initialisation."""
    rows = _roundtrip_table()
    return rows | {
        "An output above ${}$ overflows `exp` in float32 (above ${}$ in float16)": (
            float(np.log(np.float64(np.finfo(np.float32).max))),
            float(np.log(np.float64(np.finfo(np.float16).max))),
        ),
        "$d = {=}$, eight couplings with random permutations": ROUNDTRIP_D,
        "over ${=}$ standard normal inputs": ROUNDTRIP_INPUTS,
        "starts near $\\operatorname{sigmoid}({=}) = {}$": (2, 1 / (1 + np.exp(-2.0))),
    }


ROUNDTRIP_D, ROUNDTRIP_INPUTS = 16, 2000


def _exp_scalar(v):
    try:
        return math.exp(v)
    except OverflowError:
        return math.inf


# The round trip amplifies every last bit, and numpy's own exp and tanh are vectorised per
# instruction set: AVX2 and AVX-512 machines round some arguments differently. The C library's
# float64 exp and tanh (math.exp, math.tanh) are one code path everywhere, and rounding them to
# float32 gives the correctly rounded float32 value (but for ties of probability ~2^-29).
def _libm(function, a):
    """The float64 scalar function (_exp_scalar, math.tanh) elementwise on a, in a's precision."""
    return np.frompyfunc(function, 1, 1)(a.astype(np.float64)).astype(np.float64).astype(a.dtype)


def _roundtrip_table():
    """Round trip of a randomly initialised 8-layer coupling stack, d = 16, with large raw
    log-scales, per clamp: the largest |z|, and the worst error of inverse(forward(x)) - x."""
    rng = np.random.default_rng(0)
    d, k, width, h = ROUNDTRIP_D, 8, 32, 8
    params = []
    for _ in range(k):
        w1 = rng.normal(size=(width, h)) / np.sqrt(h)
        b1 = rng.normal(size=width)
        ws = rng.normal(size=(h, width)) * 6.0 / np.sqrt(width)
        wt = rng.normal(size=(h, width)) * 0.5 / np.sqrt(width)
        params.append((w1, b1, ws, wt))
    perms = [rng.permutation(d) for _ in range(k)]

    def st(p, xa, dt, c):
        w1, b1, ws, wt = [a.astype(dt) for a in p]
        # einsum rather than @: its summation order does not depend on the BLAS library or its
        # threads, and the round-trip errors below are sensitive to the last bits
        hid = _libm(math.tanh, np.einsum("bi,oi->bo", xa, w1) + b1)
        raw = np.einsum("bi,oi->bo", hid, ws)
        s = raw if c is None else dt(c) * _libm(math.tanh, raw / dt(c))
        return s, np.einsum("bi,oi->bo", hid, wt)

    def fwd(x, c, dt):
        x = x.astype(dt)
        for i in range(k):
            x = x[:, perms[i]]
            s, t = st(params[i], x[:, :h], dt, c)
            x = np.concatenate([x[:, :h], x[:, h:] * _libm(_exp_scalar, s) + t], axis=1)
        return x

    def inv(y, c, dt):
        y = y.astype(dt)
        for i in reversed(range(k)):
            s, t = st(params[i], y[:, :h], dt, c)
            y = np.concatenate([y[:, :h], (y[:, h:] - t) * _libm(_exp_scalar, -s)], axis=1)[:, np.argsort(perms[i])]
        return y

    x = rng.standard_normal((ROUNDTRIP_INPUTS, d))
    out = {}
    with np.errstate(all="ignore"):
        for c in (None, 5.0, 3.0, 2.0, 1.0):
            z64 = fwd(x, c, np.float64)
            err32 = np.max(np.abs(inv(fwd(x, c, np.float32), c, np.float32) - x))
            err64 = np.max(np.abs(inv(z64, c, np.float64) - x))
            lead = "none" if c is None else f"{c:g}"
            out[f"| {lead} | ${{}}$ | ${{}}$ | ${{}}$ |"] = (float(np.max(np.abs(z64))), float(err32), float(err64))
    return out
