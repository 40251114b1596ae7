"""Numerical checks for notes/corpus/mutual-information-infonce.md.

One check_<derivation id> function per derivation block. Each returns
(measured_error, tolerance) and passes when measured_error <= tolerance. Exact identities
are compared in float64 at seeded random points, gradients against central finite
differences, expectations by exact enumeration of small discrete problems, by quadrature,
or by Monte Carlo with a tolerance of five standard errors. Where a check mixes
tolerances, every error is divided by its own tolerance and the function returns
(largest ratio, 1.0).

numbers_<name>() return the numbers the note quotes, keyed by the excerpt of the note around
each; the runner compares them with the note's text. The saturation table is one function per
row, each well under two seconds.
"""

import itertools

import numpy as np

EXACT = 1e-10


def _lse_rows(S):
    m = S.max(axis=-1, keepdims=True)
    return (m + np.log(np.exp(S - m).sum(axis=-1, keepdims=True)))[..., 0]


def _log_softmax_rows(S):
    return S - _lse_rows(S)[..., None]


def _fd(f, x, h=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        g[idx] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def _mi_table(P):
    """I(x; y) of a joint probability table."""
    px, py = P.sum(axis=1, keepdims=True), P.sum(axis=0, keepdims=True)
    s = P > 0
    return float(np.sum(P[s] * np.log(P[s] / (px @ py)[s])))


def _log_ratio(x, y, rho):  # formula: eq:gaussian-ratio
    """eq:gaussian-ratio, summed over the last axis."""
    r2 = rho * rho
    q = (x * x - 2 * rho * x * y + y * y) / (2 * (1 - r2))
    return np.sum(-0.5 * np.log(1 - r2) - q + 0.5 * (x * x + y * y), axis=-1)


def _infonce_enumerate(P, F, K):
    """Exact InfoNCE quantities for a discrete joint table P (nx, ny), critic table F, K candidates.

    Returns (loss with c uniform, loss with c = 0, I(c; x, y_1..K))."""
    nx, ny = P.shape
    px, py = P.sum(axis=1), P.sum(axis=0)
    pyx = P / px[:, None]
    ys = np.array(list(itertools.product(range(ny), repeat=K)))  # (ny^K, K)
    prod_py = np.prod(py[ys], axis=1)
    loss_uniform, loss_first = 0.0, 0.0
    J = np.zeros((K, nx, len(ys)))  # joint of (c, x, y_1..K)
    for x in range(nx):
        logq = _log_softmax_rows(F[x, ys])
        for c in range(K):
            w = px[x] * pyx[x, ys[:, c]] * prod_py / py[ys[:, c]]
            J[c, x] = w / K
            loss_uniform -= np.sum(J[c, x] * logq[:, c])
            if c == 0:
                loss_first -= np.sum(w * logq[:, 0])
    marg = J.sum(axis=0, keepdims=True)
    s = J > 0
    I_c = float(np.sum(J[s] * np.log(J[s] / (marg.repeat(K, axis=0)[s] / K))))
    return loss_uniform, loss_first, I_c


def check_gaussian_mi():
    """eq:gaussian-ratio against the bivariate density, I = -log(1 - rho^2)/2 by quadrature,
    eq:gaussian-mi by Monte Carlo in d = 5, the choice rho^2 = 1 - exp(-2I/d), and
    E_{p(y)}[r(x, y)] = 1 by quadrature."""
    rng = np.random.default_rng(0)
    ratios = []
    g = np.linspace(-9, 9, 501)
    X, Y = np.meshgrid(g, g, indexing="ij")
    dA = (g[1] - g[0]) ** 2
    for rho in [-0.9, -0.3, 0.5, 0.8, 0.95]:
        # eq:gaussian-ratio against log p(x, y) - log p(x) - log p(y) from the covariance matrix.
        C = np.array([[1, rho], [rho, 1]])
        pts = rng.normal(size=(20, 2))
        logjoint = -0.5 * np.einsum("ij,jk,ik->i", pts, np.linalg.inv(C), pts) - np.log(2 * np.pi)
        logjoint -= 0.5 * np.linalg.slogdet(C)[1]
        logmarg = -0.5 * np.sum(pts**2, axis=1) - np.log(2 * np.pi)
        lr = _log_ratio(pts[:, :1], pts[:, 1:], rho)
        ratios.append(np.abs(lr - (logjoint - logmarg)).max() / EXACT)
        # Quadrature of E[log r].
        lr_grid = _log_ratio(X[..., None], Y[..., None], rho)
        pj = np.exp(lr_grid - 0.5 * (X**2 + Y**2)) / (2 * np.pi)
        mi = -0.5 * np.log(1 - rho**2)  # formula: step 3
        ratios.append(abs(np.sum(pj * lr_grid) * dA - mi) / 1e-6)
        # E_{p(y)}[r(x, y)] = 1 for fixed x.
        for x0 in [-1.5, 0.0, 2.0]:
            py = np.exp(-0.5 * g**2) / np.sqrt(2 * np.pi)
            r = np.exp(_log_ratio(np.full((len(g), 1), x0), g[:, None], rho))
            ratios.append(abs(np.sum(py * r) * (g[1] - g[0]) - 1) / 1e-8)
    # d = 5 by Monte Carlo, with rho set from a target I.
    d, I_target, M = 5, 1.7, 200000
    rho = np.sqrt(1 - np.exp(-2 * I_target / d))  # formula: rho^2 = 1 - exp(-2I/D)
    mi = -0.5 * d * np.log(1 - rho**2)  # formula: eq:gaussian-mi
    ratios.append(abs(mi - I_target) / EXACT)
    x = rng.normal(size=(M, d))
    y = rho * x + np.sqrt(1 - rho**2) * rng.normal(size=(M, d))
    lr = _log_ratio(x, y, rho)
    ratios.append(abs(lr.mean() - I_target) / (5 * lr.std() / np.sqrt(M)))
    return float(np.max(ratios)), 1.0


def check_infonce_bound():
    """By exact enumeration on random discrete joints: step 1 (uniform c = fixed c), step 3
    (L >= log K - I(c; x, y_1..K) with equality at the optimal critic, invariance to a(x)),
    step 5 and eq:infonce-bound (I(c; ...) <= I(x; y)), eq:infonce-posterior, the log K cap,
    monotone approach to I(x; y) as K grows; and per-sample positivity of the loss."""
    rng = np.random.default_rng(0)
    ratios = []
    for nx, ny, K in [(3, 4, 3), (2, 3, 4), (4, 3, 2)]:
        for _ in range(3):
            P = rng.dirichlet(np.full(nx * ny, 0.5)).reshape(nx, ny)
            I_xy = _mi_table(P)
            # p(y | x) / p(y), without a factor of p(x), which the critic may carry (a function of x)
            cond, marg = P / P.sum(axis=1, keepdims=True), P.sum(axis=0, keepdims=True)
            fstar = np.log(cond / marg)  # formula: step 3, the optimal critic log r
            L_star, L_star_first, I_c = _infonce_enumerate(P, fstar, K)
            optimum = np.log(K) - I_c  # formula: step 3, H(c) - I(c; x, y_1..K)
            ratios.append(abs(L_star - optimum) / 1e-9)  # equality at the optimum
            ratios.append(abs(L_star - L_star_first) / 1e-9)  # step 1
            ratios.append(max(0.0, I_c - I_xy) / EXACT)  # step 5
            ratios.append(max(0.0, I_c - np.log(K)) / EXACT)  # cap
            # Adding a function of x to the critic changes nothing.
            L_shift = _infonce_enumerate(P, fstar + rng.normal(size=(nx, 1)), K)[0]
            ratios.append(abs(L_shift - L_star) / 1e-9)
            for _ in range(3):
                F = rng.normal(scale=2.0, size=(nx, ny))
                L, L_first, _ = _infonce_enumerate(P, F, K)
                ratios.append(abs(L - L_first) / 1e-9)
                estimate = np.log(K) - L  # formula: eq:infonce-bound
                ratios.append(max(0.0, estimate - I_c) / EXACT)
                ratios.append(max(0.0, -L) / EXACT)
    # eq:infonce-posterior by brute force on one configuration.
    P = rng.dirichlet(np.ones(6)).reshape(2, 3)
    px, py = P.sum(axis=1), P.sum(axis=0)
    K, x, ys = 3, 1, np.array([2, 0, 2])
    joint = np.array([px[x] * P[x, ys[i]] / px[x] * np.prod(py[np.delete(ys, i)]) for i in range(K)])
    pyx = P[x] / px[x]
    r = pyx[ys] / py[ys]  # formula: r(x, y) = p(y | x) / p(y)
    posterior = r / r.sum()  # formula: eq:infonce-posterior
    ratios.append(np.abs(joint / joint.sum() - posterior).max() / EXACT)
    # With the optimal critic, the bound increases towards I(x; y) as K grows.
    P = rng.dirichlet(np.ones(6)).reshape(2, 3)
    fstar = np.log(P / (P.sum(axis=1, keepdims=True) @ P.sum(axis=0, keepdims=True)))
    vals = [_infonce_enumerate(P, fstar, K)[2] for K in range(2, 7)]
    ratios.append(max(0.0, -np.min(np.diff(vals))) / EXACT)
    ratios.append(max(0.0, vals[-1] - _mi_table(P)) / EXACT)
    # eq:mi-chain on random three-way tables (used in steps 4 and 5), and the data-processing
    # inequality for z = psi(y).
    for _ in range(5):
        T = rng.dirichlet(np.full(3 * 4 * 5, 0.7)).reshape(3, 4, 5)  # axes x, y, z
        i_x_yz = _mi_table(T.reshape(3, 20))
        i_x_y = _mi_table(T.sum(axis=2))
        i_x_z_given_y = sum(T[:, j, :].sum() * _mi_table(T[:, j, :] / T[:, j, :].sum()) for j in range(4))  # formula
        chain = i_x_y + i_x_z_given_y  # formula: eq:mi-chain
        ratios.append(abs(i_x_yz - chain) / EXACT)
        psi = rng.integers(0, 2, size=4)
        Pxz = np.stack([T.sum(axis=2)[:, psi == k].sum(axis=1) for k in range(2)], axis=1)
        ratios.append(max(0.0, _mi_table(Pxz[:, Pxz.sum(axis=0) > 0]) - i_x_y) / EXACT)
    # Per-sample loss log(1 + sum exp(f_j - f_c)) > 0, so log K - loss < log K on every batch.
    for _ in range(100):
        S = rng.normal(scale=5.0, size=(8, 8))
        per_row = _lse_rows(S) - np.diag(S)
        alt = np.log1p(np.sum(np.exp(S - np.diag(S)[:, None]), axis=1) - 1)  # formula: the per-sample loss
        ratios.append(np.abs(per_row - alt).max() / 1e-9)
        ratios.append(float(per_row.min() <= 0))
    return float(np.max(ratios)), 1.0


def check_in_batch_infonce_gradient():
    """eq:in-batch-loss against per-row cross-entropy with class labels, eq:in-batch-grad and the
    symmetric and log-temperature gradients by finite differences, and eq:temperature-cap."""
    rng = np.random.default_rng(0)
    ratios = []

    def loss(U, V, tau):
        S = U @ V.T / tau
        return np.mean(_lse_rows(S) - np.diag(S))

    def loss_sym(U, V, tau):
        S = U @ V.T / tau
        return 0.5 * (np.mean(_lse_rows(S) - np.diag(S)) + np.mean(_lse_rows(S.T) - np.diag(S)))

    for _ in range(10):
        B, d = int(rng.integers(2, 9)), int(rng.integers(2, 6))
        tau = rng.uniform(0.1, 2.0)
        U, V = rng.normal(size=(B, d)), rng.normal(size=(B, d))
        S = U @ V.T / tau
        P = np.exp(_log_softmax_rows(S))
        # Per-row cross-entropy with labels 0..B-1, computed row by row.
        rows = [-np.log(np.exp(S[i, i]) / np.sum(np.exp(S[i]))) for i in range(B)]
        ratios.append(abs(loss(U, V, tau) - np.mean(rows)) / EXACT)
        G = (P - np.eye(B)) / B  # formula: step 2
        grad_U = G @ V / tau  # formula: eq:in-batch-grad
        grad_V = G.T @ U / tau  # formula: eq:in-batch-grad
        ratios.append(np.abs(_fd(lambda A, V=V, tau=tau: loss(A, V, tau), U) - grad_U).max() / 1e-7)
        ratios.append(np.abs(_fd(lambda A, U=U, tau=tau: loss(U, A, tau), V) - grad_V).max() / 1e-7)
        # Gradient with respect to S itself.
        gS = _fd(lambda T: np.mean(_lse_rows(T) - np.diag(T)), S)
        ratios.append(np.abs(gS - G).max() / 1e-7)
        # Symmetric loss.
        Q = np.exp(_log_softmax_rows(S.T))
        Gs = ((P - np.eye(B)) + (Q - np.eye(B)).T) / (2 * B)  # formula: step 4
        gSs = _fd(lambda T: 0.5 * (np.mean(_lse_rows(T) - np.diag(T)) + np.mean(_lse_rows(T.T) - np.diag(T))), S)
        ratios.append(np.abs(gSs - Gs).max() / 1e-7)
        ratios.append(abs(loss_sym(U, V, tau) - 0.5 * (loss(U, V, tau) + loss(V, U, tau))) / EXACT)
        # Log-temperature derivative: dL/dt = -<grad_S L, S>.
        t = np.log(tau)
        dt = (loss(U, V, np.exp(t + 1e-6)) - loss(U, V, np.exp(t - 1e-6))) / 2e-6
        dL_dt = -np.sum(G * S)  # formula: step 5
        ratios.append(abs(dt - dL_dt) / 1e-7)
    # eq:temperature-cap: unit-norm embeddings, every row loss >= log(1 + (K - 1) e^{-2/tau}).
    for _ in range(200):
        K, d = int(rng.integers(2, 40)), int(rng.integers(2, 8))
        tau = rng.uniform(0.05, 3.0)
        U, V = rng.normal(size=(K, d)), rng.normal(size=(K, d))
        U /= np.linalg.norm(U, axis=1, keepdims=True)
        V /= np.linalg.norm(V, axis=1, keepdims=True)
        S = U @ V.T / tau
        per_row = _lse_rows(S) - np.diag(S)
        floor = _temperature_floor(K, tau)
        ratios.append(max(0.0, floor - per_row.min()) / EXACT)
        cap = np.log(K) - floor
        ratios.append(max(0.0, cap - min(np.log(K), 2 / tau)) / EXACT)
    # The note's code block: same loss and gradients as above, and finite in float32 at logit
    # scale 100 where the unshifted softmax gives nan.
    for _ in range(5):
        B, d = 6, 4
        U = rng.normal(size=(B, d))
        V = U + 0.1 * rng.normal(size=(B, d))
        U /= np.linalg.norm(U, axis=1, keepdims=True)
        V /= np.linalg.norm(V, axis=1, keepdims=True)
        tau = 0.01
        lo, gU, gV = _infonce_code_block(U, V, tau)
        S = U @ V.T / tau
        G = (np.exp(_log_softmax_rows(S)) - np.eye(B)) / B
        ratios.append(abs(lo - loss(U, V, tau)) / 1e-9)
        ratios.append(max(np.abs(gU - G @ V / tau).max(), np.abs(gV - G.T @ U / tau).max()) / 1e-9)
        lo32 = _infonce_code_block(U.astype(np.float32), V.astype(np.float32), np.float32(tau))[0]
        ratios.append(abs(float(lo32) - lo) / 1e-5)
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.exp(S.astype(np.float32))
            naive = e / e.sum(axis=1, keepdims=True)
        ratios.append(float(not np.isnan(naive).any()))
    # Attained for K = 2 with antipodal pairs.
    tau = 0.7
    u = np.array([1.0, 0.0])
    U, V = np.stack([u, -u]), np.stack([u, -u])
    S = U @ V.T / tau
    ratios.append(abs(np.max(_lse_rows(S) - np.diag(S)) - _temperature_floor(2, tau)) / EXACT)
    return float(np.max(ratios)), 1.0


def _temperature_floor(K, tau):  # formula: eq:temperature-cap
    """The least loss of a row of K candidates when every score lies in [-1/tau, 1/tau]."""
    return np.log1p((K - 1) * np.exp(-2 / tau))


def _infonce_code_block(U, V, tau):  # formula: the note's code block
    """Verbatim copy of the numpy code block of the note."""
    B = U.shape[0]
    S = U @ V.T / tau
    S = S - S.max(axis=1, keepdims=True)  # exact shift, no overflow
    logP = S - np.log(np.exp(S).sum(axis=1, keepdims=True))
    loss = -np.mean(np.diag(logP))
    G = (np.exp(logP) - np.eye(B)) / B  # grad wrt the score matrix
    return loss, G @ V / tau, G.T @ U / tau


SATURATION_KS = (4, 16, 64, 256, 1024)
SATURATION_ROWS = 2**14


def _infonce_gaussian(I, K, rng, d=20, rows=SATURATION_ROWS, min_batches=16):
    """In-batch InfoNCE estimate log K - L with the optimal critic on d Gaussian pairs of total
    information I, averaged over at least `rows` rows, and its standard error across batches."""
    r2 = 1 - np.exp(-2 * I / d)
    rho = np.sqrt(r2)
    R = max(min_batches, rows // K)
    chunk = max(1, min(R, 2**22 // (K * K)))
    vals = []
    for start in range(0, R, chunk):
        n = min(chunk, R - start)
        X = rng.normal(size=(n, K, d))
        Y = rho * X + np.sqrt(1 - r2) * rng.normal(size=(n, K, d))
        # Summed eq:gaussian-ratio with the terms that depend on x only dropped (they cancel).
        S = np.matmul(X, Y.transpose(0, 2, 1)) * (rho / (1 - r2))
        S -= np.sum(Y * Y, axis=2)[:, None, :] * (r2 / (2 * (1 - r2)))
        loss = np.mean(_lse_rows(S) - np.diagonal(S, axis1=1, axis2=2), axis=1)
        vals.append(np.log(K) - loss)
    vals = np.concatenate(vals)
    return vals.mean(), vals.std(ddof=1) / np.sqrt(len(vals))


def _saturation_row(I):
    """One row of the saturation table; NaN in place of a cell whose standard error is not
    below the 0.02 the note promises, so the comparison fails."""
    rng = np.random.default_rng(I)
    cells = []
    for K in SATURATION_KS:
        mean, se = _infonce_gaussian(I, K, rng)
        cells.append(mean if se < 0.02 else np.nan)
    return {f"| {I} |" + " {} |" * len(SATURATION_KS): cells}


def numbers_saturation_2_nats():
    return _saturation_row(2)


def numbers_saturation_4_nats():
    return _saturation_row(4)


def numbers_saturation_8_nats():
    return _saturation_row(8)


def numbers_saturation_16_nats():
    row = _saturation_row(16)
    return row | {
        "at $I = {=}$ nats even $K = {=}$ reports only ${}$": (16, SATURATION_KS[-1], list(row.values())[0][-1]),
    }


def numbers_saturation_setting():
    """The setting of the table, its caps, and the growth of the cap per quadrupling of K."""
    return {
        "take $D = {=}$ independent Gaussian pairs": 20,
        "averaged over at least ${=}$ rows per cell": SATURATION_ROWS,
        "every standard error (computed across independent batches, since rows of one batch share candidates) is below ${}$": 0.02,
        "| cap $\\log K$ |" + " {} |" * len(SATURATION_KS): [np.log(K) for K in SATURATION_KS],
        "adds almost exactly $\\log 4 = {}$ nats": np.log(4),
    }


def numbers_memory_and_overflow():
    """The score matrix's memory in float32, and where exp overflows in float32 and float16."""
    f32_threshold = float(np.log(np.float64(np.finfo(np.float32).max)))
    f16_threshold = float(np.log(np.float64(np.finfo(np.float16).max)))
    with np.errstate(over="ignore"):
        overflow = float(np.exp(np.float32(0.9 * 100)))
    return {
        "In float32, $B = {=}$ takes {=} MiB per matrix and $B = {=}$ takes {=} GiB": (
            4096,
            4096**2 * 4 / 2**20,
            32768,
            32768**2 * 4 / 2**30,
        ),
        "clipped at $1/\\tau = {=}$, a cosine of ${}$ gives a logit of ${=}$, and `np.exp` of ${=}$ in float32 overflows to ${=}$ (the threshold is ${}$)": (
            100,
            0.9,
            0.9 * 100,
            90,
            overflow,
            f32_threshold,
        ),
        "In float16 the threshold is ${}$, a cosine of ${}$ at that scale": (f16_threshold, f16_threshold / 100),
    }


def numbers_temperature_caps():
    """eq:temperature-cap at K = 4096 for the temperatures of the table."""
    K = 4096
    taus = (1.0, 0.5, 0.2, 0.1, 0.07)

    def cap(tau):
        return np.log(K) - _temperature_floor(K, tau)

    return {
        "concrete ceilings at $K = {=}$ ($\\log K = {}$)": (K, np.log(K)),
        "| ceiling on $\\log K - L$ (nats) |" + " {} |" * len(taus): [cap(t) for t in taus],
        # a bound the note states: the value is the bound when it holds, NaN (a failure) when not
        "At $\\tau \\ge {}$ the ceiling is within ${}$ nats of $2/\\tau$": (
            0.5,
            0.02 if max(2 / t - cap(t) for t in (1.0, 0.5)) < 0.02 else np.nan,
        ),
        "that is $\\tau = {}$; at $\\tau = {}$ the ceiling is still ${}$ nats below $\\log K$ although $2/\\tau = {}$": (
            2 / np.log(K),
            0.2,
            np.log(K) - cap(0.2),
            2 / 0.2,
        ),
        "At $\\tau = {}$ and below the temperature no longer binds at this batch size and the ceiling is $\\log K$ to three decimals": (
            0.1 if round(cap(0.1), 3) == round(np.log(K), 3) else np.nan
        ),
    }
