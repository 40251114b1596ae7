"""Numerical checks for notes/corpus/reverse-mode-autodiff.md.

One function per derivation block, named check_<derivation id with - replaced by _>.
Each returns (measured_error, tolerance); the check passes when measured_error <= tolerance.
All checks run in float64 with np.random.default_rng(0), gradients against central differences.
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


# The MLP from the note's code block, verbatim apart from comments.
def _forward(X, params):
    tape, H = [], X
    for W, b in params:
        Z = H @ W.T + b
        tape.append((H, Z > 0))
        H = np.maximum(Z, 0.0)
    return 0.5 * np.sum(H**2) / len(X), tape, H


def _backward(params, tape, H):  # formula: the code block's reverse pass
    Hbar = H / len(H)
    grads = []
    for (W, b), (H_in, mask) in zip(reversed(params), reversed(tape)):
        Zbar = Hbar * mask
        grads.append((Zbar.T @ H_in, Zbar.sum(axis=0)))
        Hbar = Zbar @ W
    return grads[::-1]


def check_reverse_accumulation():
    """Reverse recursion (eq:reverse-recursion) = forward mode = finite differences on a chain;
    adjoint identity (eq:adjoint-identity); fan-out sum (eq:adjoint-sum); gain^K scaling;
    and the note's MLP code."""
    rng = np.random.default_rng(0)
    sizes = [5, 4, 6, 3]  # n_0, n_1, n_2, n_3: all different
    A = [rng.standard_normal((sizes[k + 1], sizes[k])) for k in range(3)]
    c = rng.standard_normal(sizes[-1])

    def layers(x0):
        xs = [x0]
        for k in range(3):
            xs.append(np.tanh(A[k] @ xs[-1]))
        return xs

    def loss(x0):
        return float(c @ layers(x0)[-1])

    x0 = rng.standard_normal(sizes[0])
    xs = layers(x0)
    J = [(1 - xs[k + 1] ** 2)[:, None] * A[k] for k in range(3)]  # formula: J_k, numerator layout
    # Reverse mode: one sweep of VJPs
    xbar = c.copy()
    for k in reversed(range(3)):
        xbar = J[k].T @ xbar  # formula: eq:reverse-recursion
    grad_rev = xbar
    # Forward mode: one JVP per input coordinate
    grad_fwd = np.zeros(sizes[0])
    for j in range(sizes[0]):
        t = np.eye(sizes[0])[j]
        for k in range(3):
            t = J[k] @ t  # formula: eq:jvp
        grad_fwd[j] = c @ t
    grad_fd = _central_diff(loss, x0.copy())
    err_chain = max(_rel(grad_rev, grad_fd), _rel(grad_fwd, grad_fd))
    # Adjoint identity (eq:adjoint-identity) for a genuine JVP/VJP pair, as in the tip: the batched
    # linear layer's JVP written from the product rule, its VJP from eq:vjp-x, eq:vjp-w, eq:vjp-b.
    # <U, JVP(dX, dW, db)> must equal <VJP(U), (dX, dW, db)>; a wrong transpose or factor breaks it.
    Bl, nl, ml = 6, 4, 3
    Xl, Wl = rng.standard_normal((Bl, nl)), rng.standard_normal((ml, nl))
    dXl, dWl, dbl = rng.standard_normal((Bl, nl)), rng.standard_normal((ml, nl)), rng.standard_normal(ml)
    U = rng.standard_normal((Bl, ml))
    jvp = dXl @ Wl.T + Xl @ dWl.T + np.outer(np.ones(Bl), dbl)
    lhs = np.sum(U * jvp)
    rhs = np.sum((U @ Wl) * dXl) + np.sum((U.T @ Xl) * dWl) + (U.T @ np.ones(Bl)) @ dbl  # formula
    err_adj = abs(lhs - rhs) / abs(lhs)
    # ... and the whole chain's forward sweep against its reverse sweep, u^T (J3 J2 J1 w) = (J1^T J2^T J3^T u)^T w
    u3, w0 = rng.standard_normal(sizes[-1]), rng.standard_normal(sizes[0])
    t, a = w0.copy(), u3.copy()
    for k in range(3):
        t = J[k] @ t
    for k in reversed(range(3)):
        a = J[k].T @ a  # formula: eq:vjp
    err_adj = max(err_adj, abs(u3 @ t - a @ w0) / abs(u3 @ t))
    # Fan-out: L = p(x) + q(x) with x used twice; adjoint of x is the sum of the two VJPs
    P = rng.standard_normal((3, 5))
    Q = rng.standard_normal((2, 5))
    a3, a2 = rng.standard_normal(3), rng.standard_normal(2)

    def fan(x):
        return float(a3 @ np.sin(P @ x) + a2 @ np.tanh(Q @ x))

    x = rng.standard_normal(5)
    xbar_fan = P.T @ (a3 * np.cos(P @ x)) + Q.T @ (a2 * (1 - np.tanh(Q @ x) ** 2))  # formula: eq:adjoint-sum
    err_fan = _rel(xbar_fan, _central_diff(fan, x.copy()))
    # Jacobians g * (orthogonal): the adjoint norm scales by g^K exactly
    K, n = 48, 16
    ratios = []
    for g in (0.9, 1.1):
        ybar = rng.standard_normal(n)
        start = np.linalg.norm(ybar)
        for _ in range(K):
            Qk, _r = np.linalg.qr(rng.standard_normal((n, n)))
            ybar = (g * Qk).T @ ybar
        predicted = g**K  # formula
        ratios.append(abs(np.linalg.norm(ybar) / start - predicted) / predicted)
    err_gain = max(ratios)
    # The MLP code of the note: directional finite difference over all parameters
    err_mlp = _mlp_code_block_error()
    return float(np.max([err_chain, err_adj, err_fan, err_gain, err_mlp])), 1e-8


def check_linear_layer_vjp():
    """For Y = X W^T + 1 b^T: Xbar = Ybar W, Wbar = Ybar^T X, bbar = Ybar^T 1 (eq:vjp-x, eq:vjp-w, eq:vjp-b);
    also the (B, T, n) case and the flop count of forward versus backward."""
    rng = np.random.default_rng(0)
    B, n, m = 5, 4, 3
    X = rng.standard_normal((B, n))
    W = rng.standard_normal((m, n))
    b = rng.standard_normal(m)
    C = rng.standard_normal((B, m))

    def L(Xv, Wv, bv):
        return float(np.sum(C * np.sin(Xv @ Wv.T + bv)))

    Ybar = C * np.cos(X @ W.T + b)
    Xbar = Ybar @ W  # formula: eq:vjp-x
    Wbar = Ybar.T @ X  # formula: eq:vjp-w
    bbar = Ybar.T @ np.ones(B)  # formula: eq:vjp-b
    err_x = _rel(Xbar, _central_diff(lambda Z: L(Z, W, b), X.copy()))
    err_w = _rel(Wbar, _central_diff(lambda Z: L(X, Z, b), W.copy()))
    err_b = _rel(bbar, _central_diff(lambda z: L(X, W, z), b.copy()))
    # einsum spellings used in the note, against the checked products
    spelled = [np.einsum("ik,kj->ij", Ybar, W), np.einsum("ik,ij->kj", Ybar, X), np.einsum("ik->k", Ybar)]  # formula
    err_es = max(_rel(e, r) for e, r in zip(spelled, [Xbar, Wbar, bbar]))
    # Outer-product form of eq:vjp-w: sum over examples of ybar_i x_i^T
    outer = sum(np.outer(Ybar[i], X[i]) for i in range(B))  # formula
    err_outer = _rel(outer, Wbar)
    # Sequence input (B, T, n): sums over batch and position axes
    T = 3
    X3 = rng.standard_normal((B, T, n))
    C3 = rng.standard_normal((B, T, m))

    def L3(Wv, bv):
        return float(np.sum(C3 * np.sin(X3 @ Wv.T + bv)))

    Ybar3 = C3 * np.cos(X3 @ W.T + b)
    Wbar3 = np.einsum("itk,itj->kj", Ybar3, X3)  # formula
    err_w3 = _rel(Wbar3, _central_diff(lambda Z: L3(Z, b), W.copy()))
    err_b3 = _rel(Ybar3.sum(axis=(0, 1)), _central_diff(lambda z: L3(W, z), b.copy()))

    # Flops of a (p x q)(q x r) product are 2pqr; count them from the operand shapes, which must chain.
    # Forward X W^T versus the two backward products Ybar W and Ybar^T X: ratio 2, for any shapes.
    def mm_flops(sa, sb):
        assert sa[1] == sb[0]
        return 2 * sa[0] * sa[1] * sb[1]

    def T(sh):
        return (sh[1], sh[0])

    err_flops = 0.0
    for Bs, ns, ms in [(B, n, m), (7, 2, 9), (65536, 4096, 4096)]:
        sX, sW, sY = (Bs, ns), (ms, ns), (Bs, ms)
        fwd = mm_flops(sX, T(sW))  # formula
        bwd = mm_flops(sY, sW) + mm_flops(T(sY), sX)  # formula
        err_flops = max(err_flops, abs(bwd / fwd - 2.0))
    return float(np.max([err_x, err_w, err_b, err_es, err_outer, err_w3, err_b3, err_flops])), 1e-8


def check_elementwise_vjp():
    """Zbar = Hbar * phi'(Z) (eq:vjp-elementwise), with phi' recovered from the output
    for tanh, sigmoid and ReLU (eq:phi-prime-from-output)."""
    rng = np.random.default_rng(0)
    shape = (4, 5)
    Z = rng.standard_normal(shape)
    Z = np.where(np.abs(Z) < 0.1, 0.5, Z)  # keep ReLU test points away from the kink
    C = rng.standard_normal(shape)

    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))

    cases = [  # formula: eq:phi-prime-from-output
        (np.tanh, lambda H: 1 - H**2),
        (sigmoid, lambda H: H * (1 - H)),
        (lambda z: np.maximum(z, 0.0), lambda H: (H > 0).astype(float)),
    ]
    errors = []
    for phi, dphi_from_output in cases:

        def L(Zv, phi=phi):
            return float(np.sum(C * phi(Zv) ** 2))

        H = phi(Z)
        Hbar = 2 * C * H  # gradient of sum(C * H^2) with respect to H
        Zbar = Hbar * dphi_from_output(H)  # formula: eq:vjp-elementwise
        errors.append(_rel(Zbar, _central_diff(L, Z.copy())))
    # The Jacobian of the elementwise map on vec is diagonal: VJP with diag equals Hadamard product
    Hbar = rng.standard_normal(shape)
    D = np.diag((1 - np.tanh(Z) ** 2).reshape(-1))
    hadamard = Hbar * (1 - np.tanh(Z) ** 2)  # formula: step 2
    errors.append(_rel((D.T @ Hbar.reshape(-1)).reshape(shape), hadamard))
    return float(np.max(errors)), 1e-8


def _simulate_checkpointing(K, k):
    """Execute the checkpointing schedule of the note on a chain a_0 -> a_1 -> ... -> a_K and count.

    Layer j maps a_{j-1} to a_j; its backward needs a_{j-1} (input) and a_j (output, for the mask).
    Every access asserts that the activation is actually held, so the schedule is verified, not assumed.
    k = None: keep everything. Otherwise keep a_0, a_k, ..., a_K in the forward pass; in the backward
    pass, for each segment from last to first, recompute its interior from its first boundary, run its
    VJPs from top to bottom, freeing each output once used.
    Returns (peak number of live activations, extra layer evaluations).
    """
    live, peak, extra = set(), 0, 0

    def hold(j):
        nonlocal peak
        live.add(j)
        peak = max(peak, len(live))

    # Forward pass
    hold(0)
    for j in range(1, K + 1):
        assert j - 1 in live
        hold(j)
        if k is not None and (j - 1) % k != 0:
            live.discard(j - 1)  # interior activation: discarded after use
    # Backward pass
    bounds = [K] if k is None else list(range(0, K, k))
    for s in reversed(bounds):
        e = K if k is None else s + k
        for j in range(s + 1, e):  # recompute interior (no-op when everything was kept)
            if j not in live:
                assert j - 1 in live
                hold(j)
                extra += 1
        for j in range(e, s, -1):  # VJPs of layers e, e-1, ..., s+1
            assert j in live and j - 1 in live
            live.discard(j)
    return peak, extra


def check_checkpoint_memory():
    """M(k) = K/k + k (eq:checkpoint-memory), minimised at k = sqrt(K) with value 2 sqrt(K);
    a simulated schedule reproduces M(k) for every divisor k of K; K = 48 gives 14 versus 49."""
    K = 48

    def M(k):  # formula: eq:checkpoint-memory
        return K / k + k

    errors = []
    for k in [d for d in range(1, K + 1) if K % d == 0]:
        peak, extra = _simulate_checkpointing(K, k)
        recomputed = K - K / k  # formula: step 5
        errors += [abs(peak - M(k)), abs(extra - recomputed)]
    peak_none, _ = _simulate_checkpointing(K, None)
    errors.append(abs(peak_none - (K + 1)))
    # Continuous minimum: M'(sqrt K) = 0, M(sqrt K) = 2 sqrt K, and it is the smallest value on a grid
    ks = np.sqrt(K)  # formula: step 4
    smallest = 2 * np.sqrt(K)  # formula: step 4
    h = 1e-5
    errors.append(abs((M(ks + h) - M(ks - h)) / (2 * h)))
    errors.append(abs(M(ks) - smallest) / smallest)
    grid = np.linspace(1, K, 100_001)
    errors.append(max(0.0, M(ks) - M(grid).min()))
    return float(np.max(errors)), 1e-6


def _grouped(n):
    """An integer as the note prints it in math, thousands grouped with {,}."""
    return f"{n:,}".replace(",", "{,}")


def numbers_problem_and_compute():
    """'The problem', 'The cheap gradient' and 'Compute': sizes and operation counts of the
    running example. An excerpt that prints a grouped integer is built from the computed integer,
    so it occurs in the note only while the two agree."""
    N, d, K = 32 * 2048, 4096, 48
    P = K * d * d
    return {
        "finds {} TiB in float32": (512 * 4096) ** 2 * 4 / 2**40,
        "for the {}-million-parameter model used below, forward mode would need {} million passes": (P / 1e6, P / 1e6),
        f"so $N = {_grouped(N)}$ rows per activation": [],
        "(a multiply and an add per term): ${}$ per layer": 2 * N * d * d,
        f"With $P = Kd^2 = {_grouped(P)}$ weights": [],
        "the familiar estimate of $6NP$ operations per step, here ${}$": 6 * N * P,
    }


def numbers_memory_and_checkpointing():
    """'Memory' and the running example of the square-root rule, from the simulated schedule."""
    N, d, K = 32 * 2048, 4096, 48
    act = N * d * 2  # one (N, d) bfloat16 activation, bytes
    peaks = {k: _simulate_checkpointing(K, k)[0] for k in range(2, K) if K % k == 0}
    best = min(peaks.values())
    recomputed = _simulate_checkpointing(K, 6)[1]
    stored = _simulate_checkpointing(K, None)[0]
    return {
        "Each is $N \\times d$ numbers, {} MiB in bfloat16, and together they take {} GiB, about {} times the {} GiB": (
            act / 2**20,
            stored * act / 2**30,
            stored * act / (K * d * d * 2),
            K * d * d * 2 / 2**30,
        ),
        "the best divisors are $k = {=}$ and $k = {=}$, with $M = {=}$ activations instead of ${=}$: {} GiB instead of {} GiB": (
            *[k for k, m in peaks.items() if m == best],
            best,
            stored,
            best * act / 2**30,
            stored * act / 2**30,
        ),
        "re-evaluates {=} of the {=} layers, about ${}$ of a forward pass, so a step costs about ${}$ forward passes instead of ${=}$, roughly {}% more time": (
            recomputed,
            K,
            recomputed / K,
            3 + recomputed / K,
            3,
            100 * recomputed / K / 3,
        ),
    }


def numbers_depth_and_hazards():
    """'Training dynamics', the NaN of the square root at 0, and the code block's check."""
    with np.errstate(divide="ignore"):
        sbar = 1.0 / (2 * np.sqrt(np.sum(np.zeros(3) ** 2)))
    return {
        "$g = 0.9$ gives a factor ${}$ and $g = 1.1$ a factor ${}$": (0.9**48, 1.1**48),
        "the VJP of the square root at $0$ is $\\bar h/(2\\sqrt{0}) = {}$": sbar,
        "to a relative error of ${}$ in float64": _mlp_code_block_error(),
    }


def _mlp_code_block_error():
    """The directional finite-difference check of the code block, exactly as run for the note."""
    rng = np.random.default_rng(0)
    sizes = [5, 8, 8, 3]
    params = [(rng.standard_normal((m, n)) / np.sqrt(n), rng.standard_normal(m)) for n, m in zip(sizes[:-1], sizes[1:])]
    X = rng.standard_normal((4, sizes[0]))
    _loss, tape, H = _forward(X, params)
    grads = _backward(params, tape, H)
    V = [(rng.standard_normal(W.shape), rng.standard_normal(b.shape)) for W, b in params]
    h = 1e-6

    def shifted(s):
        return [(W + s * dW, b + s * db) for (W, b), (dW, db) in zip(params, V)]

    fd = (_forward(X, shifted(h))[0] - _forward(X, shifted(-h))[0]) / (2 * h)
    an = sum(np.sum(gW * dW) + np.sum(gb * db) for (gW, gb), (dW, db) in zip(grads, V))
    return abs(fd - an) / abs(an)


if __name__ == "__main__":
    for name, fn in list(globals().items()):
        if name.startswith("check_"):
            err, tol = fn()
            print(f"{name}: error {err:.3e} <= {tol:.0e}: {'PASS' if err <= tol else 'FAIL'}")
        if name.startswith("numbers_"):
            for excerpt, value in fn().items():
                print(f"  {excerpt}: {value}")
