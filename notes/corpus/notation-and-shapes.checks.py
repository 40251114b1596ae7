"""Numerical checks for notes/corpus/notation-and-shapes.md.

One function per derivation block, named check_<derivation id with - replaced by _>.
Each returns (measured_error, tolerance); the check passes when measured_error <= tolerance.
All checks run in float64 with np.random.default_rng(0).
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
    Y = X @ W.T + one @ b[None, :]  # eq:batched-linear, with 1 b^T written out
    errors = [_rel(Y[i], W @ X[i] + b) for i in range(B)]  # eq:linear-single, row by row
    errors.append(_rel(Y, X @ W.T + b))  # NumPy broadcasting gives the same matrix
    errors.append(_rel(Y, np.einsum("ij,kj->ik", X, W) + b))  # eq:index-linear
    # Transposed (column) form: Y^T = W X^T + b 1^T
    errors.append(_rel(Y.T, W @ X.T + b[:, None] @ one.T))
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
    grad_b = G.T @ np.ones(B)  # eq:bias-grad
    fd = _central_diff(loss_of_b, b.copy())
    err_grad = _rel(grad_b, fd)
    err_sum = _rel(grad_b, G.sum(axis=0))
    # Adjoint identity for broadcasting (eq:broadcast-map): <1 b^T, G>_F = <b, G^T 1>
    u = rng.standard_normal(m)
    lhs = np.sum(np.outer(np.ones(B), u) * G)
    rhs = float(u @ (G.T @ np.ones(B)))
    err_adj = abs(lhs - rhs) / max(abs(lhs), abs(rhs))
    # Sequence case (B, T, m): bias gradient sums over both leading axes
    T = 5
    X3 = rng.standard_normal((B, T, n))
    C3 = rng.standard_normal((B, T, m))

    def loss3(bb):
        return float(np.sum(C3 * np.tanh(X3 @ W.T + bb)))

    G3 = C3 * (1.0 - np.tanh(X3 @ W.T + b) ** 2)
    err_seq = _rel(G3.sum(axis=(0, 1)), _central_diff(loss3, b.copy()))
    return float(np.max([err_grad, err_sum, err_adj, err_seq])), 1e-8


def check_linear_change_of_variables():
    """p_Y(y) = p_X(A^{-1}(y - c)) / |det A| for y = A x + c, checked on Gaussians.

    Also checks the change of variables on a non-Gaussian (logistic) density by its mass and
    first two moments, that the Gaussian density formula (eq:gaussian-density) integrates to 1
    on a grid, and the quoted value 3.989 of N(0, 0.1^2) at 0 (a density above 1).
    """
    rng = np.random.default_rng(0)
    d = 3

    def gauss(x, mu, S):
        diff = x - mu
        quad = diff @ np.linalg.solve(S, diff)
        return float((2 * np.pi) ** (-d / 2) * np.linalg.det(S) ** (-0.5) * np.exp(-0.5 * quad))

    A = rng.standard_normal((d, d)) + 2 * np.eye(d)
    c = rng.standard_normal(d)
    errors = []
    for _ in range(5):
        y = rng.standard_normal(d)
        x = np.linalg.solve(A, y - c)
        via_change = gauss(x, np.zeros(d), np.eye(d)) / abs(np.linalg.det(A))
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

    A2 = np.array([[1.2, 0.5], [-0.3, 0.8]])
    c2 = np.array([0.7, -1.1])
    g2 = np.linspace(-60, 60, 1201)
    h2 = g2[1] - g2[0]
    Yg = np.stack(np.meshgrid(g2, g2, indexing="ij"), axis=-1).reshape(-1, 2)
    Xg = np.linalg.solve(A2, (Yg - c2).T).T  # A^{-1}(y - c), row by row
    p_y = logistic(Xg[:, 0]) * logistic(Xg[:, 1]) / abs(np.linalg.det(A2))
    errors.append(abs(p_y.sum() * h2 * h2 - 1.0))
    errors.append(float(np.max(np.abs((Yg * p_y[:, None]).sum(axis=0) * h2 * h2 - c2))))
    second = np.einsum("ni,nj,n->ij", Yg, Yg, p_y) * h2 * h2
    target = A2 @ ((np.pi**2 / 3) * np.eye(2)) @ A2.T + np.outer(c2, c2)
    errors.append(_rel(second, target))
    # Normalisation of a 2-D Gaussian density on a fine grid
    mu = np.array([0.3, -0.2])
    S = np.array([[1.0, 0.4], [0.4, 0.5]])
    g = np.linspace(-9, 9, 721)
    h = g[1] - g[0]
    P = np.stack(np.meshgrid(g, g, indexing="ij"), axis=-1).reshape(-1, 2) - mu
    quad = np.einsum("ij,jk,ik->i", P, np.linalg.inv(S), P)
    dens = np.exp(-0.5 * quad) / (2 * np.pi * np.sqrt(np.linalg.det(S)))
    errors.append(abs(dens.sum() * h * h - 1.0))
    # A density above 1: N(0, 0.1^2) at 0
    errors.append(abs(1.0 / (np.sqrt(2 * np.pi) * 0.1) - 3.989422804014327))
    return float(np.max(errors)), 1e-10


def _practice_numbers():
    """Numbers quoted in the practice section (not a derivation check)."""
    X = np.zeros((32, 128, 512), dtype=np.float32)
    Xt = X.transpose(0, 2, 1)
    W = np.zeros((1024, 512), dtype=np.float32)
    g16 = np.full(65536, 0.01, dtype=np.float16)
    return {
        "X.strides": X.strides,
        "Xt.strides": Xt.strides,
        "Xt C-contiguous": Xt.flags["C_CONTIGUOUS"],
        "Xt shares memory": np.shares_memory(X, Xt),
        "X.reshape(-1, 512) shares memory": np.shares_memory(X.reshape(-1, 512), X),
        "Xt.reshape(-1, 128) shares memory": np.shares_memory(Xt.reshape(-1, 128), X),
        "W.strides": W.strides,
        "W.T.strides": W.T.strides,
        "W.T C/F-contiguous": (W.T.flags["C_CONTIGUOUS"], W.T.flags["F_CONTIGUOUS"]),
        "float16(0.01)": float(g16[0]),
        "exact sum of 65536 x float16(0.01)": 65536 * float(g16[0]),
        "sequential float16 sum": float(np.cumsum(g16, dtype=np.float16)[-1]),
        "sequential float32 sum": float(np.cumsum(g16.astype(np.float32))[-1]),
        "pairwise float32 sum (np.sum)": float(np.sum(g16, dtype=np.float32)),
        "N(0, 0.1^2) density at 0": 1.0 / (np.sqrt(2 * np.pi) * 0.1),
        "its log": float(np.log(1.0 / (np.sqrt(2 * np.pi) * 0.1))),
        "float16 spacing at 32": float(np.spacing(np.float16(32))),
    }


if __name__ == "__main__":
    for name, fn in list(globals().items()):
        if name.startswith("check_"):
            err, tol = fn()
            print(f"{name}: error {err:.3e} <= {tol:.0e}: {'PASS' if err <= tol else 'FAIL'}")
    for k, v in _practice_numbers().items():
        print(f"  {k}: {v}")
