"""Numerical checks for notes/corpus/notation-and-shapes.md.

One function per derivation block, named check_<derivation id with - replaced by _>.
Each returns (measured_error, tolerance); the check passes when measured_error <= tolerance.
All checks run in float64 with np.random.default_rng(0).

numbers_<name>() return the numbers the note quotes, keyed by the excerpt of the note around
each; the runner compares them with the note's text.
"""

import numpy as np


def _rel(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    scale = max(np.linalg.norm(a), np.linalg.norm(b), 1e-300)
    return float(np.linalg.norm(a - b) / scale)


def _central_diff(f, x, h=1e-6):
    """Central finite-difference gradient of scalar f at array x (any shape)."""
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        g[idx] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def check_batched_linear_rows():
    """Rows of Y = X W^T + 1 b^T are W x_i + b; the einsum and 3-D (B, T, n) forms agree."""
    rng = np.random.default_rng(0)
    B, T, n, m = 5, 4, 3, 2
    X = rng.standard_normal((B, n))
    W = rng.standard_normal((m, n))
    b = rng.standard_normal(m)
    one = np.ones((B, 1))
    # np.outer rather than one @ b[None, :]: dropping the ones there would broadcast to the same
    Y = X @ W.T + np.outer(one, b)  # formula: eq:batched-linear, with 1 b^T written out
    errors = [_rel(Y[i], W @ X[i] + b) for i in range(B)]  # eq:linear-single, row by row
    errors.append(_rel(Y, X @ W.T + b))  # NumPy broadcasting gives the same matrix
    errors.append(_rel(Y, np.einsum("ij,kj->ik", X, W) + b))  # eq:index-linear
    # Transposed (column) form: Y^T = W X^T + b 1^T
    column_form = W @ X.T + np.outer(b, one)  # formula: Y^T = W X^T + b 1^T
    errors.append(_rel(Y.T, column_form))
    # Order-3 input (B, T, n): acting on the last axis equals flattening to (B*T, n)
    X3 = rng.standard_normal((B, T, n))
    Y3 = np.einsum("itj,kj->itk", X3, W) + b
    Y3_flat = (X3.reshape(B * T, n) @ W.T + b).reshape(B, T, m)
    errors.append(_rel(Y3, Y3_flat))
    errors.append(_rel(Y3, X3 @ W.T + b))
    # The einsum table in the note
    G = rng.standard_normal((B, m))
    Q = rng.standard_normal((B, T, n))
    K = rng.standard_normal((B, T, n))
    S = np.einsum("itj,isj->its", Q, K)
    errors.append(_rel(S, Q @ K.transpose(0, 2, 1)))
    errors.append(_rel(np.einsum("ik,ij->kj", G, X), G.T @ X))
    errors.append(_rel(np.einsum("ik->k", G), G.T @ np.ones(B)))
    Asq = rng.standard_normal((n, n))
    errors.append(abs(np.einsum("jj->", Asq) - np.trace(Asq)) / abs(np.trace(Asq)))
    return float(np.max(errors)), 1e-13


def check_broadcast_bias_gradient():
    """grad_b L = G^T 1 (column sum of the upstream gradient), and the adjoint of broadcasting is summation."""
    rng = np.random.default_rng(0)
    B, n, m = 6, 4, 3
    X = rng.standard_normal((B, n))
    W = rng.standard_normal((m, n))
    b = rng.standard_normal(m)
    C = rng.standard_normal((B, m))

    def loss_of_Y(Y):
        return float(np.sum(C * np.tanh(Y)))

    def loss_of_b(bb):
        return loss_of_Y(X @ W.T + bb)

    Y = X @ W.T + b
    G = C * (1.0 - np.tanh(Y) ** 2)  # upstream gradient dL/dY, shape (B, m)
    grad_b = G.T @ np.ones(B)  # formula: eq:bias-grad
    fd = _central_diff(loss_of_b, b.copy())
    err_grad = _rel(grad_b, fd)
    err_sum = _rel(grad_b, G.sum(axis=0))
    # Adjoint identity for broadcasting (eq:broadcast-map): <1 b^T, G>_F = <b, G^T 1>
    u = rng.standard_normal(m)
    lhs = np.sum(np.outer(np.ones(B), u) * G)
    rhs = float(np.sum(u * (G.T @ np.ones(B))))  # formula: the adjoint of broadcasting
    err_adj = abs(lhs - rhs) / max(abs(lhs), abs(rhs))
    # Sequence case (B, T, m): bias gradient sums over both leading axes
    T = 5
    X3 = rng.standard_normal((B, T, n))
    C3 = rng.standard_normal((B, T, m))

    def loss3(bb):
        return float(np.sum(C3 * np.tanh(X3 @ W.T + bb)))

    G3 = C3 * (1.0 - np.tanh(X3 @ W.T + b) ** 2)
    grad_b3 = np.einsum("itk->k", G3)  # formula: summed over the batch and position axes
    err_seq = _rel(grad_b3, _central_diff(loss3, b.copy()))
    return float(np.max([err_grad, err_sum, err_adj, err_seq])), 1e-8


def check_linear_change_of_variables():
    """p_Y(y) = p_X(A^{-1}(y - c)) / |det A| for y = A x + c, checked on Gaussians.

    Also checks the change of variables on a non-Gaussian (logistic) density by its mass and
    first two moments, and that the Gaussian density formula (eq:gaussian-density) integrates to 1
    on a grid.
    """
    rng = np.random.default_rng(0)
    d = 3

    def gauss(x, mu, S):
        diff = x - mu
        quad = diff @ np.linalg.solve(S, diff)
        return float((2 * np.pi) ** (-d / 2) * np.linalg.det(S) ** (-0.5) * np.exp(-0.5 * quad))

    A = rng.standard_normal((d, d)) + 2 * np.eye(d)
    A[0] = -A[0]  # a negative determinant, so that the absolute value matters
    c = rng.standard_normal(d)
    errors = []
    for _ in range(5):
        y = rng.standard_normal(d)
        x = np.linalg.solve(A, y - c)  # formula: A^{-1}(y - c)
        via_change = gauss(x, mu=np.zeros(d), S=np.eye(d)) / abs(np.linalg.det(A))  # formula: eq:density-change
        direct = gauss(y, c, A @ A.T)  # y ~ N(c, A A^T)
        errors.append(abs(via_change - direct) / direct)

    # Non-Gaussian p_x, so the check does not rest on the Gaussian closure under affine maps:
    # x has independent standard logistic coordinates (mean 0, variance pi^2/3). The density
    # eq:density-change must integrate to 1 (this fails by a factor |det A| = 1.11 without the
    # determinant) and reproduce E[y] = c and E[y y^T] = A Cov(x) A^T + c c^T. The integrand is
    # smooth and decays like exp(-|x|), so a Riemann sum on a wide grid is accurate to ~1e-12.
    def logistic(z):
        e = np.exp(-np.abs(z))
        return e / (1.0 + e) ** 2

    A2 = np.array([[-0.3, 0.8], [1.2, 0.5]])  # det -1.11
    c2 = np.array([0.7, -1.1])
    g2 = np.linspace(-40, 40, 401)
    h2 = g2[1] - g2[0]
    Yg = np.stack(np.meshgrid(g2, g2, indexing="ij"), axis=-1).reshape(-1, 2)
    Xg = np.linalg.solve(A2, (Yg - c2).T).T  # formula: A^{-1}(y - c), row by row
    p_y = logistic(Xg[:, 0]) * logistic(Xg[:, 1]) / abs(np.linalg.det(A2))  # formula: eq:density-change
    errors.append(abs(p_y.sum() * h2 * h2 - 1.0))
    errors.append(float(np.max(np.abs((Yg * p_y[:, None]).sum(axis=0) * h2 * h2 - c2))))
    second = np.einsum("ni,nj,n->ij", Yg, Yg, p_y) * h2 * h2
    target = A2 @ ((np.pi**2 / 3) * np.eye(2)) @ A2.T + np.outer(c2, c2)
    errors.append(_rel(second, target))
    # Normalisation of a 2-D Gaussian density on a fine grid
    mu = np.array([0.3, -0.2])
    S = np.array([[1.0, 0.4], [0.4, 0.5]])
    g = np.linspace(-9, 9, 481)
    h = g[1] - g[0]
    P = np.stack(np.meshgrid(g, g, indexing="ij"), axis=-1).reshape(-1, 2) - mu
    quad = np.einsum("ij,jk,ik->i", P, np.linalg.inv(S), P)
    dens = np.exp(-0.5 * quad) / (2 * np.pi * np.sqrt(np.linalg.det(S)))  # formula: eq:gaussian-density
    errors.append(abs(dens.sum() * h * h - 1.0))
    return float(np.max(errors)), 1e-10


def numbers_density_units():
    """Shrinking a standard normal by a = 0.1: the density at the mean and its logarithm."""
    a = 0.1
    density = 1.0 / (np.sqrt(2 * np.pi) * a)  # eq:gaussian-density at the mean, d = 1
    return {
        "Shrinking a standard normal variable by $a = {}$": a,
        "$p_y(y) = {=}\\, p_x({=}y)$, so the density at corresponding points is multiplied by {=}": (
            1 / a,
            1 / a,
            1 / a,
        ),
        "the density of $\\Normal({=}, {}^2)$ at its mean is ${}$, and its log-density is $+{}$": (
            0,
            a,
            density,
            np.log(density),
        ),
    }


def numbers_strides():
    """Strides, views and copies of the note's arrays, and its code block's printed output."""
    X = np.zeros((32, 128, 512), dtype=np.float32)
    Xt = X.transpose(0, 2, 1)
    W = np.zeros((1024, 512), dtype=np.float32)
    merged, flat = X.reshape(-1, 512), Xt.reshape(-1, 128)
    view, copy = np.shares_memory(merged, X), not np.shares_memory(flat, X)
    return {
        "reports strides {=} times smaller for float32": X.itemsize,
        "For a float32 array of shape $({=}, {=}, {=})$ the NumPy strides are $({=}, {=}, {=})$ bytes": (
            *X.shape,
            *X.strides,
        ),
        "reshaping $({=}, {=}, {=})$ to $({=}, {=})$ returns a view": (
            *X.shape,
            *(merged.shape if view else (np.nan, np.nan)),
        ),
        "Swapping the last two axes gives strides $({=}, {=}, {=})$, an array that is no longer C-contiguous": (
            *Xt.strides[:2],
            Xt.strides[2] if not Xt.flags["C_CONTIGUOUS"] else np.nan,
        ),
        "A subsequent reshape to $({=}, {=})$ cannot be expressed with strides and silently copies": (
            flat.shape if copy else (np.nan, np.nan)
        ),
        "print(X.strides) # ({=}, {=}, {=})": X.strides,
        "np.shares_memory(X, Xt)) # ({=}, {=}, {=}) True": Xt.strides if np.shares_memory(X, Xt) else (np.nan,) * 3,
        'print(W.T.strides, W.T.flags["F_CONTIGUOUS"]) # ({=}, {=}) True': W.T.strides
        if W.T.flags["F_CONTIGUOUS"]
        else (np.nan,) * 2,
    }


def numbers_float16_sum():
    """65536 copies of float16(0.01) summed: one at a time in float16 and float32, pairwise."""
    g16 = np.full(65536, 0.01, dtype=np.float16)
    stall = float(np.cumsum(g16, dtype=np.float16)[-1])  # one term at a time
    return {
        "Adding ${=}$ copies of the float16 number nearest ${}$ (which is ${}\\ldots$) should give ${}$": (
            g16.size,
            0.01,
            float(g16[0]),
            g16.size * float(g16[0]),
        ),
        "the running sum stops growing at ${}$, because beyond {=} the spacing": (stall, stall),
        "Accumulated one at a time in float32 the result is ${}$; NumPy's pairwise summation in float32 returns ${}$": (
            float(np.cumsum(g16.astype(np.float32))[-1]),
            float(np.sum(g16, dtype=np.float32)),
        ),
        "and ${}$ is less than half of that spacing": 0.01
        if float(np.spacing(np.float16(stall))) / 2 > 0.01
        else np.nan,
    }
