"""Numerical checks for notes/corpus/matrix-calculus.md.

One function per derivation block, named check_<derivation id with - replaced by _>.
Each returns (measured_error, tolerance); the check passes when measured_error <= tolerance.
All checks run in float64 with np.random.default_rng(0), gradients against central differences.
"""

import math

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


def _fd_jacobian(f, x, h=1e-6):
    """Central finite-difference Jacobian (numerator layout: rows = outputs) of f: R^n -> R^m."""
    cols = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = h
        cols.append((f(x + e) - f(x - e)) / (2 * h))
    return np.stack(cols, axis=1)


def check_chain_rule_jacobians():
    """J_{f o g} = J_f J_g (eq:chain-rule) and grad_x L = J_g^T grad_y L (eq:gradient-chain)."""
    rng = np.random.default_rng(0)
    n, p, m = 4, 3, 2
    A = rng.standard_normal((p, n))
    C = rng.standard_normal((m, p))

    def g(x):
        return np.tanh(A @ x)

    def f(y):
        return C @ np.sin(y) + y[:m] ** 2

    x = rng.standard_normal(n)
    y = g(x)
    J_g = _fd_jacobian(g, x)
    J_f = _fd_jacobian(f, y)
    J_h = _fd_jacobian(lambda z: f(g(z)), x)
    chain = J_f @ J_g  # formula: eq:chain-rule
    err_chain = _rel(J_h, chain)
    # Analytic Jacobians in numerator layout agree with the finite-difference ones
    J_g_exact = (1 - np.tanh(A @ x) ** 2)[:, None] * A  # formula
    J_f_exact = C * np.cos(y)[None, :]  # formula
    J_f_exact[:, :m] += np.diag(2 * y[:m])  # formula
    err_exact = max(_rel(J_g, J_g_exact), _rel(J_f, J_f_exact))
    # Scalar loss: gradient form
    u = rng.standard_normal(p)

    def L_of_y(yy):
        return float(u @ np.sin(yy))

    grad_y = u * np.cos(y)
    grad_x = J_g_exact.T @ grad_y  # formula: eq:gradient-chain
    err_grad = _rel(grad_x, _central_diff(lambda z: L_of_y(g(z)), x.copy()))
    return float(np.max([err_chain, err_exact, err_grad])), 1e-8


def check_quadratic_form_gradient():
    """grad_x (x^T A x) = (A + A^T) x, Hessian A + A^T (eq:quadratic-grad)."""
    rng = np.random.default_rng(0)
    n = 5
    A = rng.standard_normal((n, n))  # deliberately not symmetric
    x = rng.standard_normal(n)

    def f(z):
        return float(z @ A @ z)

    grad = A @ x + A.T @ x  # formula: eq:quadratic-grad
    err_grad = _rel(grad, _central_diff(f, x.copy()))
    # Hessian from second differences of f itself (exact for a quadratic up to rounding)
    hh = 1e-3
    I = np.eye(n)
    H_fd = np.array(
        [
            [
                (
                    f(x + hh * I[i] + hh * I[j])
                    - f(x + hh * I[i] - hh * I[j])
                    - f(x - hh * I[i] + hh * I[j])
                    + f(x - hh * I[i] - hh * I[j])
                )
                / (4 * hh * hh)
                for j in range(n)
            ]
            for i in range(n)
        ]
    )
    hess = A + A.T  # formula: step 4
    err_hess = _rel(H_fd, hess)
    # The tempting wrong answer 2 A x differs for non-symmetric A
    assert _rel(2 * A @ x, (A + A.T) @ x) > 1e-2
    return float(np.max([err_grad, err_hess])), 1e-8


def check_least_squares_gradient():
    """grad ||Ax - b||^2 = 2 A^T (Ax - b) (eq:least-squares-grad); GD error recursion (eq:gd-error)."""
    rng = np.random.default_rng(0)
    m, n = 7, 4
    A = rng.standard_normal((m, n))
    b = rng.standard_normal(m)
    x = rng.standard_normal(n)

    def f(z):
        r = A @ z - b
        return float(r @ r)

    grad = 2 * A.T @ (A @ x - b)  # formula: eq:least-squares-grad
    err_grad = _rel(grad, _central_diff(f, x.copy()))
    # Normal equations: the minimiser has zero gradient
    x_star = np.linalg.lstsq(A, b, rcond=None)[0]
    err_normal = np.linalg.norm(2 * A.T @ (A @ x_star - b)) / np.linalg.norm(2 * A.T @ b)
    # Gradient descent on a quadratic: x_{t+1} - x* = (I - eta H)(x_t - x*), H = 2 A^T A
    H = 2 * A.T @ A  # formula: the Hessian
    eta = 0.9 * 2 / np.linalg.eigvalsh(H).max()
    x_next = x - eta * grad
    contracted = (np.eye(n) - eta * H) @ (x - x_star)  # formula: eq:gd-error
    err_gd = _rel(x_next - x_star, contracted)
    # Stability threshold: eta slightly above 2/lambda_max diverges, slightly below converges
    lam = np.linalg.eigvalsh(H).max()

    def run(step, iters=2000):
        z = np.zeros(n)
        for _ in range(iters):
            z = z - step * 2 * A.T @ (A @ z - b)
        return np.linalg.norm(z - x_star)

    converges = run(1.99 / lam) < 1e-6
    diverges = run(2.01 / lam) > 1e3
    err_threshold = 0.0 if (converges and diverges) else 1.0
    return float(np.max([err_grad, err_normal, err_gd, err_threshold])), 1e-8


def check_trace_gradient():
    """grad_X tr(AX) = A^T and grad_X tr(A X B) = A^T B^T (eq:trace-grad, eq:trace-axb-grad),
    plus the identification rule (eq:trace-identification) and trace identities."""
    rng = np.random.default_rng(0)
    n, m, q = 3, 4, 5
    A = rng.standard_normal((n, m))
    X = rng.standard_normal((m, n))
    err1 = _rel(A.T, _central_diff(lambda Z: float(np.trace(A @ Z)), X.copy()))  # eq:trace-grad
    A2 = rng.standard_normal((q, m))
    B2 = rng.standard_normal((n, q))
    grad2 = A2.T @ B2.T  # formula: eq:trace-axb-grad
    err2 = _rel(grad2, _central_diff(lambda Z: float(np.trace(A2 @ Z @ B2)), X.copy()))
    # Identification rule: df = tr(M dX) for all dX  <=>  grad = M^T.  Take f(X) = tr(M X).
    M = rng.standard_normal((n, m))
    dX = rng.standard_normal((m, n))
    identified = np.sum(M.T * dX)  # formula: <grad, dX> with grad = M^T
    err_id = abs(np.trace(M @ dX) - identified) / abs(np.trace(M @ dX))
    # Cyclic and transpose identities
    P, Q, R = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal((5, 3))
    t = np.trace(P @ Q @ R)
    # A cyclic shift is the identity under test, so these two lines are not marked: exchanging
    # the operands of a product only shifts it cyclically again.
    shifted = np.trace(R @ P @ Q), np.trace(Q @ R @ P)
    err_cyc = max(abs(t - shifted[0]), abs(t - shifted[1])) / abs(t)
    S = rng.standard_normal((4, 4))
    err_tr = abs(np.trace(S) - np.trace(S.T))
    # Frobenius inner product as a trace
    U, V = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    frob = np.trace(U.T @ V)
    err_frob = abs(frob - np.sum(U * V)) / abs(np.sum(U * V))
    # Table rows: grad a^T x = a; grad ||X||_F^2 = 2X; exercise: grad_W u^T W v = u v^T
    a = rng.standard_normal(n)
    x = rng.standard_normal(n)
    err_lin = _rel(a, _central_diff(lambda z: float(a @ z), x.copy()))
    grad_fro = 2 * X  # formula: table row
    err_fro = _rel(grad_fro, _central_diff(lambda Z: float(np.sum(Z * Z)), X.copy()))
    u, v = rng.standard_normal(m), rng.standard_normal(n)
    grad_uv = np.outer(u, v)  # formula: exercise
    err_uv = _rel(grad_uv, _central_diff(lambda Z: float(u @ Z @ v), X.copy()))
    # Product and transpose rules (eq:d-product): directional derivative of X -> X Y(X)
    Y0 = rng.standard_normal((n, q))
    Yd = rng.standard_normal((n, q))
    dXm = rng.standard_normal((m, n))
    hh = 1e-6

    def prod(t):
        return (X + t * dXm) @ (Y0 + t * Yd)

    d_fd = (prod(hh) - prod(-hh)) / (2 * hh)
    d_product = dXm @ Y0 + X @ Yd  # formula: eq:d-product
    err_prod = _rel(d_fd, d_product)
    err_transp = _rel(((X + hh * dXm).T - (X - hh * dXm).T) / (2 * hh), dXm.T)
    return float(
        max(err1, err2, err_id, err_cyc, err_tr, err_frob, err_lin, err_fro, err_uv, err_prod, err_transp)
    ), 1e-8


def check_log_det_gradient():
    """d log det X = tr(X^{-1} dX) (eq:logdet-differential), grad = X^{-T} (eq:logdet-grad),
    Jacobi's formula (eq:jacobi), and the inverse differential (eq:d-inverse)."""
    rng = np.random.default_rng(0)
    n = 4
    X = rng.standard_normal((n, n)) + 3 * np.eye(n)  # non-symmetric, det > 0 checked below
    assert np.linalg.det(X) > 0

    def logdet(Z):
        return float(np.linalg.slogdet(Z)[1])

    grad = np.linalg.inv(X).T  # formula: eq:logdet-grad
    err_grad = _rel(grad, _central_diff(logdet, X.copy()))
    # Directional derivative = tr(X^{-1} dX)
    dX = rng.standard_normal((n, n))
    h = 1e-6
    dir_fd = (logdet(X + h * dX) - logdet(X - h * dX)) / (2 * h)
    differential = np.trace(np.linalg.solve(X, dX))  # formula: eq:logdet-differential
    err_dir = abs(dir_fd - differential) / abs(dir_fd)
    # Jacobi: d det X = det X tr(X^{-1} dX)
    det_fd = (np.linalg.det(X + h * dX) - np.linalg.det(X - h * dX)) / (2 * h)
    jac = np.linalg.det(X) * np.trace(np.linalg.solve(X, dX))  # formula: eq:jacobi
    err_jacobi = abs(det_fd - jac) / abs(jac)
    # d(X^{-1}) = -X^{-1} dX X^{-1}
    inv_fd = (np.linalg.inv(X + h * dX) - np.linalg.inv(X - h * dX)) / (2 * h)
    Xi = np.linalg.inv(X)
    d_inverse = -Xi @ dX @ Xi  # formula: eq:d-inverse
    err_inv = _rel(inv_fd, d_inverse)
    # det(I + E) = 1 + tr E + O(|E|^2)
    E = 1e-5 * rng.standard_normal((n, n))
    first_order = 1 + np.trace(E)  # formula: step 2
    err_first_order = abs(np.linalg.det(np.eye(n) + E) - first_order) / np.linalg.norm(E) ** 2
    err_first_order = 0.0 if err_first_order < 10 else 1.0  # remainder is O(|E|^2)
    # Symmetric positive definite case: gradient X^{-1}, log det via Cholesky
    M = rng.standard_normal((n, n))
    S = M @ M.T + n * np.eye(n)
    Lc = np.linalg.cholesky(S)
    chol_logdet = 2 * np.sum(np.log(np.diag(Lc)))  # formula: log det via Cholesky
    err_chol = abs(chol_logdet - logdet(S)) / abs(logdet(S))
    err_spd = _rel(np.linalg.inv(S), _central_diff(logdet, S.copy()))
    # Derivative with respect to one free entry of a symmetric parametrisation (X_ij = X_ji = s):
    # 2 G_ij off the diagonal, G_ii on it, with G = S^{-1} (the "2G - G*I" formula of the note).
    Gs = np.linalg.inv(S)
    i, j = 0, 2
    Eij = np.zeros((n, n))
    Eij[i, j] = Eij[j, i] = 1.0
    d_off = (logdet(S + h * Eij) - logdet(S - h * Eij)) / (2 * h)
    Eii = np.zeros((n, n))
    Eii[1, 1] = 1.0
    d_diag = (logdet(S + h * Eii) - logdet(S - h * Eii)) / (2 * h)
    d_entries = 2 * Gs[i, j], Gs[1, 1]  # formula: 2G - G*I
    err_sym = max(abs(d_off - d_entries[0]) / abs(d_entries[0]), abs(d_diag - d_entries[1]) / abs(d_entries[1]))
    # The symmetric part of the unconstrained gradient represents the same linear functional
    # on symmetric perturbations: <G, D> = <sym(G), D> for every symmetric D.
    Dsym = rng.standard_normal((n, n))
    Dsym = Dsym + Dsym.T
    sym_part = 0.5 * (grad + grad.T)  # formula: the symmetric part
    err_proj = abs(np.sum(grad * Dsym) - np.sum(sym_part * Dsym)) / abs(np.sum(grad * Dsym))
    # det X < 0: the gradient of log|det X| is still X^{-T}
    Xneg = X.copy()
    Xneg[0] *= -1
    assert np.linalg.det(Xneg) < 0
    err_neg = _rel(np.linalg.inv(Xneg).T, _central_diff(logdet, Xneg.copy()))
    return float(
        max(err_grad, err_dir, err_jacobi, err_inv, err_first_order, err_chol, err_spd, err_sym, err_proj, err_neg)
    ), 1e-7


def check_batched_least_squares():
    """grad_W (1/2B)||X W^T - Y||_F^2 = (1/B) R^T X = (1/B) sum_i r_i x_i^T (eq:batched-ls-grad),
    plus the vec/Kronecker identities (eq:kron-vec, eq:rvec) and the Jacobian of X -> X W^T."""
    rng = np.random.default_rng(0)
    B, n, m = 6, 4, 3
    X = rng.standard_normal((B, n))
    W = rng.standard_normal((m, n))
    Y = rng.standard_normal((B, m))

    def L(Wm):
        R = X @ Wm.T - Y
        return float(np.sum(R * R) / (2 * B))

    R = X @ W.T - Y
    grad = R.T @ X / B  # formula: eq:batched-ls-grad
    err_grad = _rel(grad, _central_diff(L, W.copy()))
    outer_sum = sum(np.outer(R[i], X[i]) for i in range(B)) / B  # formula: step 5
    err_outer = _rel(grad, outer_sum)
    # vec = column stacking (Fortran order); rvec = row stacking (NumPy default)

    def vec(Z):
        return Z.reshape(-1, order="F")

    def rvec(Z):
        return Z.reshape(-1)

    A = rng.standard_normal((3, 4))
    Z = rng.standard_normal((4, 5))
    C = rng.standard_normal((5, 2))
    kron_vec = np.kron(C.T, A) @ vec(Z)  # formula: eq:kron-vec
    kron_rvec = np.kron(A, C.T) @ rvec(Z)  # formula: eq:rvec
    err_kron = _rel(vec(A @ Z @ C), kron_vec)
    err_rvec = _rel(rvec(A @ Z @ C), kron_rvec)
    err_rv_is_vecT = _rel(rvec(Z), vec(Z.T))
    # Jacobian of vec(X W^T) with respect to vec(X) is W kron I_B
    J_fd = _fd_jacobian(lambda v: vec(v.reshape(B, n, order="F") @ W.T), vec(X))
    J_layer = np.kron(W, np.eye(B))  # formula: W kron I_B
    err_jac = _rel(J_fd, J_layer)
    # Hessian with respect to one row w_k of W is (1/B) X^T X
    k = 1

    def grad_row(wk):
        Wm = W.copy()
        Wm[k] = wk
        return ((X @ Wm.T - Y).T @ X / B)[k]

    H_fd = _fd_jacobian(grad_row, W[k].copy())
    H_row = X.T @ X / B  # formula: the Hessian of one row
    err_hess = _rel(H_fd, H_row)
    # Sequence case: the gradient is einsum("itk,itj->kj") over all B*T positions
    T = 3
    X3 = rng.standard_normal((B, T, n))
    Y3 = rng.standard_normal((B, T, m))

    def L3(Wm):
        R3 = X3 @ Wm.T - Y3
        return float(np.sum(R3 * R3) / (2 * B * T))

    R3 = X3 @ W.T - Y3
    grad_seq = np.einsum("itk,itj->kj", R3, X3) / (B * T)  # formula: the sequence case
    err_seq = _rel(grad_seq, _central_diff(L3, W.copy()))
    return float(np.max([err_grad, err_outer, err_kron, err_rvec, err_rv_is_vecT, err_jac, err_hess, err_seq])), 1e-8


def check_central_difference_error():
    """(fd - f1) / (h^2/6) tends to the third derivative (eq:fd-central); minimiser and minimum of E(h) (eq:fd-error).
    The float32/float64 table that illustrates the result is compared with the note by numbers_fd_table."""
    rng = np.random.default_rng(0)
    n = 3
    a = rng.standard_normal(n)
    x = rng.standard_normal(n)
    j = 1

    def f(z):
        return float(np.sin(a @ z) + np.exp(0.3 * z[j]))

    d1 = a[j] * np.cos(a @ x) + 0.3 * np.exp(0.3 * x[j])
    d3 = -(a[j] ** 3) * np.cos(a @ x) + 0.3**3 * np.exp(0.3 * x[j])
    e = np.zeros(n)
    e[j] = 1.0
    devs = []
    for h in [2e-2, 1e-2]:
        fd = (f(x + h * e) - f(x - h * e)) / (2 * h)
        # The remainder is h^2/6 times the third derivative at some xi within h of x, which
        # approaches the third derivative at x as h -> 0 (the relative gap is about 2e-5 here).
        remainder = h**2 / 6 * d3  # formula: eq:fd-central
        devs.append(abs((fd - d1) - remainder) / abs(remainder))
    err_taylor = max(devs)
    # Minimiser and minimum of E(h) = h^2 M / 6 + eps F / h against the closed forms
    M, F, eps = 2.7, 1.9, 2.220446049250313e-16
    hs = np.logspace(-8, -3, 200001)
    E = hs**2 * M / 6 + eps * F / hs
    h_star = (3 * eps * F / M) ** (1 / 3)  # formula: eq:fd-error
    e_min = M / 2 * (3 * eps * F / M) ** (2 / 3)  # formula: eq:fd-error
    err_hstar = abs(hs[np.argmin(E)] - h_star) / h_star
    err_emin = abs(E.min() - e_min) / E.min()
    return float(np.max([err_taylor, err_hstar, err_emin])), 1e-4


def _fd_matrix():
    """The 4 x 4 symmetric positive definite matrix of the table and of the code block."""
    M = np.random.default_rng(0).standard_normal((4, 4))
    # M M^T as elementwise products summed in a fixed order: BLAS's matmul rounds differently on
    # different CPUs, and an ulp in X moves the rounding-regime digits of the table
    return M, np.eye(4) + np.sum(M[:, None, :] * M[None, :, :], axis=2) / 4


def _slogdet_fixed(A):
    """log|det A| as slogdet computes it (LU with partial pivoting, then the sum of the logs of the
    pivots in A's precision), written out as row operations in a fixed order: every step is one
    correctly rounded IEEE operation, and each log is the C library's float64 log, rounded to
    float32 for float32 (correctly rounded there). LAPACK's kernels and numpy's vectorised log
    differ between CPUs by an ulp, which moves the rounding-regime digits of the table."""
    dtype = A.dtype.type
    U = A.copy()
    total = dtype(0)
    for j in range(len(U)):
        p = j + int(np.argmax(np.abs(U[j:, j])))
        U[[j, p]] = U[[p, j]]
        U[j + 1 :, j:] -= (U[j + 1 :, j] / U[j, j])[:, None] * U[j, j:]
        total = dtype(total + dtype(math.log(abs(float(U[j, j])))))
    return total


def _fd_float32_zero_differences(h=1e-8):
    """How many of the 16 float32 central differences of log det at the table's matrix are exactly zero."""
    X = _fd_matrix()[1].astype(np.float32)
    zeros = 0
    for i, j in np.ndindex(X.shape):
        E = np.zeros_like(X)
        E[i, j] = np.float32(h)
        zeros += int(_slogdet_fixed(X + E) - _slogdet_fixed(X - E) == 0)
    return zeros


def _fd_precision_table():
    """The float32/float64 finite-difference table quoted in the practice section."""
    X = _fd_matrix()[1]
    n = X.shape[0]
    exact = np.linalg.inv(X).T

    def fd(dtype, h):
        Xd = X.astype(dtype)
        hd = dtype(h)
        g = np.zeros((n, n))
        for i in range(n):
            for j in range(n):
                E = np.zeros((n, n), dtype=dtype)
                E[i, j] = hd
                up = _slogdet_fixed(Xd + E)
                down = _slogdet_fixed(Xd - E)
                g[i, j] = float((up - down) / (dtype(2) * hd))
        return g

    rows = []
    for h in [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8]:
        r32 = _rel(fd(np.float32, h), exact)
        r64 = _rel(fd(np.float64, h), exact)
        rows.append((h, r32, r64))
    return rows


# Numbers quoted in the note: each numbers_ function returns excerpts of the note with {} where a
# number stands, and the runner compares the computed values with the printed ones.


def numbers_fd_table():
    """The float32/float64 finite-difference table and the prose that reads it."""
    rows = _fd_precision_table()
    quoted = {f"| ${label}$ | ${{}}$ | ${{}}$ |": [r32, r64] for label, (h, r32, r64) in zip(_H_LABELS, rows)}
    r64 = [row[2] for row in rows]
    r32 = [row[1] for row in rows]
    X = _fd_matrix()[1]
    logdet = np.linalg.slogdet(X)[1]
    # Only the leading digit is printed: the ratio of the first two float64 errors, to the nearest hundred
    quoted |= {
        "(entries between ${}$ and ${}$, $\\log\\det\\bX \\approx {}$)": (X.min(), X.max(), logdet),
        "the error falling by ${}$ per decade of $h$": round(r64[0] / r64[1], -2),
        "In float64 the minimum, ${}$, is at $h = {}$": (min(r64), rows[int(np.argmin(r64))][0]),
        "In float32 the smallest error in the table, ${}$, is already at $h = {}$": (
            min(r32),
            rows[int(np.argmin(r32))][0],
        ),
        "At $h = 10^{-8}$ in float32 all {=} differences": _fd_float32_zero_differences(),
        "at most about ${}$, is smaller than the float32 spacing near ${}$, which is ${}$": (
            1e-8 * np.abs(np.linalg.inv(X)).max(),
            logdet,
            float(np.spacing(np.float32(logdet))),
        ),
    }
    return quoted


_H_LABELS = ["10^{-1}", "10^{-2}", "10^{-3}", "10^{-4}", "10^{-5}", "10^{-6}", "10^{-7}", "10^{-8}"]


def numbers_precision():
    """Machine epsilon and its powers in both precisions."""
    e64, e32 = float(np.finfo(np.float64).eps), float(np.finfo(np.float32).eps)
    return {
        "In float64, $\\epsilon = {}$, $\\epsilon^{1/3} \\approx {}$ and $\\epsilon^{2/3} \\approx {}$": (
            e64,
            e64 ** (1 / 3),
            e64 ** (2 / 3),
        ),
        "in float32, $\\epsilon = {}$, $\\epsilon^{1/3} \\approx {}$ and $\\epsilon^{2/3} \\approx {}$": (
            e32,
            e32 ** (1 / 3),
            e32 ** (2 / 3),
        ),
        "the tested step closest to $\\epsilon^{1/3} \\approx {}$": e32 ** (1 / 3),
    }


def numbers_grad_check():
    """The two results printed in the comments of the note's code block (written there as 1.9e-11)."""
    M, X = _fd_matrix()

    def grad_check(f, grad_f, x, h=1e-5, seed=1):
        v = np.random.default_rng(seed).standard_normal(x.shape)
        fd = (f(x + h * v) - f(x - h * v)) / (2 * h)
        an = np.sum(grad_f(x) * v)
        return abs(fd - an) / max(abs(fd), abs(an))

    def logdet(Z):
        return np.linalg.slogdet(Z)[1]

    correct = grad_check(logdet, lambda Z: np.linalg.inv(Z).T, X)
    missing = grad_check(logdet, lambda Z: np.linalg.inv(Z), X + np.triu(M))
    return {"# {}e-11: correct": correct / 1e-11, "# {}: transpose missing": missing}


def numbers_overflow():
    """Determinants that overflow while their logarithms are small, and the size of the layer Jacobian."""
    with np.errstate(over="ignore"):
        # np.linalg.det computes sign * exp(log|det|) in the input's precision
        inf64 = np.isinf(np.linalg.det(2 * np.eye(1100)))
        inf32 = np.isinf(np.linalg.det(2 * np.eye(200, dtype=np.float32)))
    B, n, m = 512, 4096, 4096
    entries = (B * m) * (B * n)
    return {
        "`np.linalg.det(2 * np.eye({=}))` returns `inf` in float64": 1100 if inf64 else -1,
        "the log-determinant is $1100 \\log 2 = {}$": float(np.linalg.slogdet(2 * np.eye(1100))[1]),
        "in float32, $n = {=}$ already overflows ($\\log\\det = {}$)": (
            200 if inf32 else -1,
            float(np.linalg.slogdet(2 * np.eye(200, dtype=np.float32))[1]),
        ),
        "it has $2^{42} \\approx {}$ entries, {} TiB in float32": (entries, entries * 4 / 2**40),
    }


if __name__ == "__main__":
    for name, fn in list(globals().items()):
        if name.startswith("check_"):
            err, tol = fn()
            print(f"{name}: error {err:.3e} <= {tol:.0e}: {'PASS' if err <= tol else 'FAIL'}")
        if name.startswith("numbers_"):
            for excerpt, value in fn().items():
                print(f"  {excerpt}: {value}")
