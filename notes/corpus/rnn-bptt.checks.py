"""Numerical checks for notes/corpus/rnn-bptt.md.

One check_<derivation id> function per derivation block. Each returns (measured_error, tolerance)
and passes when measured_error <= tolerance. Float64, np.random.default_rng(0).

- The BPTT recursion is compared with central finite differences of the unrolled forward pass.
- The path-sum form is built from explicit Jacobian products, independently of the recursion.
- The truncation bounds are compared with measured truncation errors, and the chunked ("detach")
  implementation with the path sum restricted to pairs in the same chunk.
- The clipping identities are compared with finite differences of the loss along the clipped step.

The numbers_ functions recompute every number the note quotes, with the note's own settings.
"""

import numpy as np


def _rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), 1e-300))


def _fd_grad(f, x, h=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        g[idx] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def _problem(rng, d=6, n=3, m=2, T=12, w_scale=1.0, w_norm=None):
    W = rng.standard_normal((d, d)) * w_scale / np.sqrt(d)
    if w_norm is not None:
        W *= w_norm / np.linalg.norm(W, 2)
    return {
        "W": W,
        "U": rng.standard_normal((d, n)) / np.sqrt(n),
        "b": 0.1 * rng.standard_normal(d),
        "V": rng.standard_normal((m, d)) / np.sqrt(d),
        "X": rng.standard_normal((T, n)),
        "Z": rng.standard_normal((T, m)),  # regression targets
        "h0": 0.5 * rng.standard_normal(d),
    }


def _forward(P, W=None, U=None, b=None, V=None, h0=None):
    W = P["W"] if W is None else W
    U = P["U"] if U is None else U
    b = P["b"] if b is None else b
    V = P["V"] if V is None else V
    h = P["h0"] if h0 is None else h0
    hs, As = [h], []
    for x in P["X"]:
        a = W @ h + U @ x + b
        h = np.tanh(a)
        As.append(a)
        hs.append(h)
    Y = np.array([V @ h for h in hs[1:]])
    L = 0.5 * float(np.sum((Y - P["Z"]) ** 2))
    return L, hs, As, Y


def _bptt(P):  # formula
    """eq:bptt-adjoint and eq:bptt-param-grads."""
    L, hs, As, Y = _forward(P)
    T = len(As)
    G = Y - P["Z"]  # g_t = dl_t/dy_t
    W, V = P["W"], P["V"]
    Wb, Ub, bb, Vb = np.zeros_like(W), np.zeros_like(P["U"]), np.zeros_like(P["b"]), np.zeros_like(V)
    abar_next = np.zeros(W.shape[0])
    abars = [None] * T
    for t in range(T - 1, -1, -1):  # python index t <-> time t+1
        hbar = V.T @ G[t] + W.T @ abar_next
        abar = (1 - np.tanh(As[t]) ** 2) * hbar
        abars[t] = abar
        Wb += np.outer(abar, hs[t])
        Ub += np.outer(abar, P["X"][t])
        bb += abar
        Vb += np.outer(G[t], hs[t + 1])
        abar_next = abar
    h0bar = W.T @ abar_next
    return {"W": Wb, "U": Ub, "b": bb, "V": Vb, "h0": h0bar}, hs, As, G, abars


def _jac(As, W, t, s):  # formula: eq:jacobian-product
    """dh_t/dh_s = D_t W D_{t-1} W ... D_{s+1} W (times, 1-based; identity when t == s)."""
    J = np.eye(W.shape[0])
    for r in range(s + 1, t + 1):
        J = ((1 - np.tanh(As[r - 1]) ** 2)[:, None] * W) @ J
    return J


def _path_terms(P, hs, As, G):
    """Lag-resolved contributions to W-bar: term[t, s] = D_s J(t,s)^T V^T g_t h_{s-1}^T (eq:bptt-path-sum)."""
    T = len(As)
    W, V = P["W"], P["V"]
    terms = {}
    for t in range(1, T + 1):
        for s in range(1, t + 1):
            Ds = 1 - np.tanh(As[s - 1]) ** 2
            v = Ds * (_jac(As, W, t, s).T @ (V.T @ G[t - 1]))  # formula: eq:bptt-path-sum
            terms[(t, s)] = np.outer(v, hs[s - 1])  # formula
    return terms


# ----------------------------------------------------------------------------------------------


def check_bptt_gradient():
    """eq:bptt-adjoint and eq:bptt-param-grads against central differences for W, U, b, V and h_0;
    the batched form (sum over batch and time) against the per-sequence sum."""
    rng = np.random.default_rng(0)
    P = _problem(rng)
    grads, *_ = _bptt(P)
    errs = [
        _rel(grads["W"], _fd_grad(lambda M: _forward(P, W=M)[0], P["W"])),
        _rel(grads["U"], _fd_grad(lambda M: _forward(P, U=M)[0], P["U"])),
        _rel(grads["b"], _fd_grad(lambda M: _forward(P, b=M)[0], P["b"])),
        _rel(grads["V"], _fd_grad(lambda M: _forward(P, V=M)[0], P["V"])),
        _rel(grads["h0"], _fd_grad(lambda M: _forward(P, h0=M)[0], P["h0"])),
    ]
    # batched, batch-first rows: H_t = tanh(H_{t-1} W^T + X_t U^T + 1 b^T); W-bar = sum_t Abar_t^T H_{t-1}
    B, T = 3, 12
    Ps = [
        dict(P, X=rng.standard_normal((T, 3)), Z=rng.standard_normal((T, 2)), h0=rng.standard_normal(6))
        for _ in range(B)
    ]
    per_seq = sum(_bptt(Q)[0]["W"] for Q in Ps)
    H = np.stack([Q["h0"] for Q in Ps])
    Hs = [H]
    for t in range(T):
        Xt = np.stack([Q["X"][t] for Q in Ps])
        H = np.tanh(H @ P["W"].T + Xt @ P["U"].T + P["b"])
        Hs.append(H)
    Abar_next = np.zeros((B, 6))
    Wb = np.zeros((6, 6))
    for t in range(T - 1, -1, -1):
        Gt = Hs[t + 1] @ P["V"].T - np.stack([Q["Z"][t] for Q in Ps])
        Hbar = Gt @ P["V"] + Abar_next @ P["W"]  # formula: eq:bptt-adjoint, batch-first
        Abar = (1 - Hs[t + 1] ** 2) * Hbar  # formula
        Wb += Abar.T @ Hs[t]  # formula
        Abar_next = Abar
    errs.append(_rel(Wb, per_seq))
    return max(errs), 1e-8


def check_bptt_jacobian_bounds():
    """eq:bptt-path-sum (explicit Jacobian products, summed over (t, s)) against the recursion;
    eq:jacobian-product against finite differences of the state map; eq:spectral-bound on every lag;
    the linear case: J = W^j and growth |lambda|^j along an eigenvector."""
    rng = np.random.default_rng(0)
    errs = []
    P = _problem(rng, T=10, w_scale=1.5)
    grads = _bptt(P)[0]
    _loss, hs, As, Y = _forward(P)
    G = Y - P["Z"]  # the output gradients of the squared loss, computed apart from the recursion
    terms = _path_terms(P, hs, As, G)
    errs.append(_rel(sum(terms.values()), grads["W"]))
    # dh_t/dh_s against finite differences: run the recurrence from a perturbed h_s
    t, s = 9, 3

    def state_map(hs_val):
        h = hs_val
        for r in range(s + 1, t + 1):
            h = np.tanh(P["W"] @ h + P["U"] @ P["X"][r - 1] + P["b"])
        return h

    Jfd = np.stack([(state_map(hs[s] + 1e-6 * e) - state_map(hs[s] - 1e-6 * e)) / 2e-6 for e in np.eye(6)], axis=1)
    errs.append(_rel(_jac(As, P["W"], t, s), Jfd))

    # spectral bound ||J(t, s)|| <= (gamma sigma_max)^(t-s), gamma = 1 for tanh; violations count as error
    def bound(W, t, s):  # formula: eq:spectral-bound, gamma = 1 for tanh and for the identity
        return np.linalg.norm(W, 2) ** (t - s)

    worst = 0.0
    for t in range(1, 11):
        for s in range(0, t):
            worst = max(worst, np.linalg.norm(_jac(As, P["W"], t, s), 2) / bound(P["W"], t, s))
    errs.append(max(0.0, worst - 1.0))
    # its equality case: a linear RNN (D_r = I) with W a multiple of an orthogonal matrix, W^(t-s)
    Wq = 1.3 * np.linalg.qr(rng.standard_normal((6, 6)))[0]
    for t, s in ((5, 2), (9, 1), (4, 4)):
        exact = np.linalg.norm(np.linalg.matrix_power(Wq, t - s), 2)
        errs.append(abs(exact / bound(Wq, t, s) - 1))
    # linear RNN: J = W^j; along an eigenvector the growth is exactly |lambda|^j
    A = rng.standard_normal((5, 5))
    evals, evecs = np.linalg.eig(A)
    i = int(np.argmax(np.abs(evals)))
    v = evecs[:, i]
    j = 7
    growth = np.abs(evals[i]) ** j  # formula: step 5
    errs.append(abs(np.linalg.norm(np.linalg.matrix_power(A, j) @ v) / np.linalg.norm(v) - growth) / growth)
    return max(errs), 1e-8


def _truncated(terms, k, T, chunked):
    out = 0.0
    for (t, s), term in terms.items():
        keep = (t - 1) // k == (s - 1) // k if chunked else t - s < k
        if keep:
            out = out + term
    return out


def _chunked_bptt_W(P, k):
    """Framework-style truncated BPTT: forward carries h across chunks of length k, the backward pass
    stops at chunk boundaries (h.detach()); losses at every step."""
    L, hs, As, Y = _forward(P)
    G = Y - P["Z"]
    T = len(As)
    W, V = P["W"], P["V"]
    Wb = np.zeros_like(W)
    for start in range(0, T, k):
        abar_next = np.zeros(W.shape[0])
        for t in range(min(start + k, T) - 1, start - 1, -1):
            hbar = V.T @ G[t] + W.T @ abar_next
            abar = (1 - np.tanh(As[t]) ** 2) * hbar
            Wb += np.outer(abar, hs[t])
            abar_next = abar
    return Wb


def _horizon_bound(T, k, lam, G, M):  # formula: eq:tbptt-horizon-bound
    return T * G * M * lam**k / (1 - lam)


def _chunk_bound(T, k, lam, G, M):  # formula: eq:tbptt-chunk-bound
    return T / k * G * M * lam * (1 - lam**k) / (1 - lam) ** 2


def check_truncated_bptt_error():
    """eq:tbptt-horizon-bound and eq:tbptt-chunk-bound hold (measured error / bound <= 1) for several k on a
    contracting RNN; the chunked implementation equals the path sum restricted to same-chunk pairs. Both
    bounds are nearly attained (ratio above 0.9) by a scalar linear RNN whose every path term takes its
    largest value, lam^(t-s) G M, on a long sequence."""
    rng = np.random.default_rng(0)
    T = 24
    P = _problem(rng, T=T, w_norm=0.8)
    _loss, hs, As, Y = _forward(P)
    G = Y - P["Z"]
    terms = _path_terms(P, hs, As, G)
    full = sum(terms.values())  # eq:bptt-path-sum, equal to the recursion (check_bptt_jacobian_bounds)
    lam = np.linalg.norm(P["W"], 2)  # gamma = 1 for tanh
    Gmax = max(np.linalg.norm(P["V"].T @ g) for g in G)
    Hmax = max(np.linalg.norm(h) for h in hs[:-1])
    errs = []
    for k in (1, 2, 4, 8, 16):
        horizon = _truncated(terms, k, T, chunked=False)
        chunk = _truncated(terms, k, T, chunked=True)
        errs.append(_rel(chunk, _chunked_bptt_W(P, k)) / 1e-10)
        e_h = np.linalg.norm(full - horizon)
        e_c = np.linalg.norm(full - chunk)
        errs.append(e_h / _horizon_bound(T, k, lam, Gmax, Hmax))
        errs.append(e_c / _chunk_bound(T, k, lam, Gmax, Hmax))
    # Nearly tight: term (t, s) = lam^(t-s) G M for s <= t (times 1..Tl), the path sum of eq:bptt-path-sum with
    # d = 1, phi the identity (gamma = 1), constant states M and output gradients G; 0.9 <= error / bound <= 1.
    Tl, lam, G1, M1 = 1024, 0.5, 1.7, 0.6
    t, s = np.meshgrid(np.arange(1, Tl + 1), np.arange(1, Tl + 1), indexing="ij")
    terms = np.where(s <= t, lam ** np.abs(t - s) * G1 * M1, 0.0)
    for k in (1, 2, 3, 8, 16):
        lost_h = terms[t - s >= k].sum()
        lost_c = terms[(t - 1) // k != (s - 1) // k].sum()
        for lost, bound in ((lost_h, _horizon_bound(Tl, k, lam, G1, M1)), (lost_c, _chunk_bound(Tl, k, lam, G1, M1))):
            errs += [lost / bound, 0.9 * bound / lost]
    return max(errs), 1.0


def _clip_norm(g, tau):  # formula: eq:clip-norm
    return g * min(1.0, tau / np.linalg.norm(g))


def check_clipping_by_norm():
    """eq:clip-norm / eq:clip-inner: direction preserved, norm <= tau, <clip(g), g> = min(|g|^2, tau |g|);
    eq:clip-decrease: first-order change of the loss along -eta clip(g), against finite differences;
    eq:clip-value-inner for elementwise clipping, and its cosine < 1 when some but not all entries are clipped;
    per-tensor clipping changes the global direction. Each entry of errs is an error divided by its own
    tolerance (1e-12 for identities, 1e-6 relative for the finite-difference slope), so the check passes at 1;
    the Taylor remainder bound of eq:clip-decrease on a quadratic with known Hessian."""
    rng = np.random.default_rng(0)
    errs = []
    P = _problem(rng, T=15, w_scale=3.0)
    grads, *_ = _bptt(P)
    g = grads["W"].ravel()
    for tau in (0.1 * np.linalg.norm(g), 10 * np.linalg.norm(g)):
        c = _clip_norm(g, tau)
        errs.append((1 - c @ g / (np.linalg.norm(c) * np.linalg.norm(g))) / 1e-12)  # cosine exactly 1
        errs.append(max(0.0, np.linalg.norm(c) / tau - 1) / 1e-12)  # norm <= tau
        inner = min(g @ g, tau * np.linalg.norm(g))  # formula: eq:clip-inner
        errs.append(abs(c @ g - inner) / (g @ g) / 1e-12)
        # first-order decrease: (L(W - eta c) - L(W)) / eta -> -<c, g>
        eta = 1e-6
        Lp = _forward(P, W=P["W"] - eta * c.reshape(P["W"].shape))[0]
        Lm = _forward(P, W=P["W"] + eta * c.reshape(P["W"].shape))[0]
        slope = (Lp - Lm) / (2 * eta)
        errs.append(abs(slope + inner) / inner / 1e-6)
    # eq:clip-decrease remainder: on a quadratic L = 0.5 th^T A th + c^T th the Hessian is A everywhere (beta = ||A||_2)
    # and the remainder r = 0.5 eta^2 clip^T A clip must satisfy |r| <= 0.5 eta^2 beta tau^2, with equality when
    # clipping is active and the gradient lies along the eigenvector of the eigenvalue of largest magnitude
    n = 20
    A = rng.standard_normal((n, n))
    A = A + A.T
    th = rng.standard_normal(n)
    beta = np.linalg.norm(A, 2)
    evals, evecs = np.linalg.eigh(A)
    top = evecs[:, np.argmax(np.abs(evals))]

    def remainder_bound(eta, tau):  # formula: eq:clip-decrease
        return 0.5 * eta**2 * beta * tau**2

    for cq, equality in ((rng.standard_normal(n), False), (2.0 * top - A @ th, True)):
        gq = A @ th + cq

        def quad(x, cq=cq):
            return 0.5 * x @ A @ x + cq @ x

        for tau, eta in ((0.3 * np.linalg.norm(gq), 0.7), (3 * np.linalg.norm(gq), 0.05)):
            c = _clip_norm(gq, tau)
            r = quad(th - eta * c) - quad(th) + eta * min(gq @ gq, tau * np.linalg.norm(gq))
            ratio = abs(r) / remainder_bound(eta, tau)
            errs.append(abs(ratio - 1) / 1e-9 if equality and tau < np.linalg.norm(gq) else ratio)
    # elementwise (value) clipping
    tau = np.quantile(np.abs(g), 0.8)
    cv = np.clip(g, -tau, tau)
    value_inner = np.sum(np.minimum(np.abs(g), tau) * np.abs(g))  # formula: eq:clip-value-inner
    errs.append(abs(cv @ g - value_inner) / (g @ g) / 1e-12)
    cos_v = cv @ g / (np.linalg.norm(cv) * np.linalg.norm(g))
    errs.append(float(not (0 < cos_v < 1 - 1e-6)))
    # per-tensor clipping of (W, U) separately changes the direction of the concatenated gradient
    gU = grads["U"].ravel()
    tau = 0.5 * min(np.linalg.norm(g), np.linalg.norm(gU))
    full = np.concatenate([g, gU])
    per = np.concatenate([_clip_norm(g, tau), _clip_norm(gU, tau)])
    cos_p = per @ full / (np.linalg.norm(per) * np.linalg.norm(full))
    different_factors = abs(np.linalg.norm(g) - np.linalg.norm(gU)) > 1e-6
    errs.append(float(different_factors and not cos_p < 1 - 1e-9))
    return max(errs), 1.0


# ----------------------------------------------------------------------------------------------
# Numbers quoted in the practice section
# ----------------------------------------------------------------------------------------------


def _jacobian_norms(g, d=128, n=32, T=200, seed=0, lags=(10, 50, 100)):
    """'Jacobian products': the table's row for gain g, the first lag from which the norm stays below
    float32's unit roundoff, and the first from which it stays above float16's largest number."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((d, d)) * g / np.sqrt(d)
    U = rng.standard_normal((d, n)) / np.sqrt(n)
    X = rng.standard_normal((T, n))
    h = np.zeros(d)
    Ds = []
    for t in range(T):
        h = np.tanh(W @ h + U @ X[t])
        Ds.append(1 - h**2)
    J = np.eye(d)
    norms = []
    for j in range(1, T + 1):
        J = J @ (Ds[T - j][:, None] * W)  # dh_T/dh_(T-j), eq:jacobian-product
        norms.append(np.linalg.norm(J, 2))
    norms = np.array(norms)

    def stays_from(condition):  # the first lag from which the condition holds up to lag T
        failing = np.flatnonzero(~condition)
        return int(failing[-1]) + 2 if len(failing) else 1

    sigma = np.linalg.norm(W, 2)
    return {
        "row": [sigma, np.max(np.abs(np.linalg.eigvals(W))), np.mean(Ds[-50:]), *(norms[j - 1] for j in lags)],
        "bound at lag 50": sigma**50,
        "below float32 roundoff from": stays_from(norms < 2.0**-24),
        "above float16 max from": stays_from(norms > float(np.finfo(np.float16).max)),
    }


def numbers_jacobian_products_vanishing():
    """'Jacobian products', the rows g = 0.5 and g = 1 and what is said of them."""
    half, one = _jacobian_norms(0.5), _jacobian_norms(1.0)
    return {
        "| 0.5 | {} | {} | {} | ${}$ | ${}$ | ${}$ |": half["row"],
        "| 1.0 | {} | {} | {} | ${}$ | ${}$ | ${}$ |": one["row"],
        "for $g = 1$ it allows $1.97^{50} \\approx {}$ at lag 50": one["bound at lag 50"],
        "float32's unit roundoff $2^{-24} \\approx {}$": 2.0**-24,
        "that happens from lag {=} at $g = 0.5$, lag {=} at $g = 1$": (
            half["below float32 roundoff from"],
            one["below float32 roundoff from"],
        ),
    }


def numbers_jacobian_products_growing():
    """'Jacobian products', the rows g = 1.5 and g = 3 and what is said of them."""
    mid, big = _jacobian_norms(1.5), _jacobian_norms(3.0)
    return {
        "| 1.5 | {} | {} | {} | ${}$ | ${}$ | ${}$ |": mid["row"],
        "| 3.0 | {} | {} | {} | ${}$ | ${}$ | ${}$ |": big["row"],
        "and lag {=} at $g = 1.5$": mid["below float32 roundoff from"],
        "exceeds the float16 maximum of ${=}$ from lag {=} on": (
            float(np.finfo(np.float16).max),
            big["above float16 max from"],
        ),
    }


def _truncation_table(g, T=200, d=64, n=16, seed=0, ks=(5, 10, 20, 40)):
    """Relative error of the W-gradient of sum_t 0.5||V h_t - z_t||^2 under horizon truncation and chunked
    truncation, computed with lag-resolved backward passes (O(T^2) VJPs, fine at this size)."""
    rng = np.random.default_rng(seed)
    P = {
        "W": rng.standard_normal((d, d)) * g / np.sqrt(d),
        "U": rng.standard_normal((d, n)) / np.sqrt(n),
        "b": np.zeros(d),
        "V": rng.standard_normal((4, d)) / np.sqrt(d),
        "X": rng.standard_normal((T, n)),
        "Z": rng.standard_normal((T, 4)),
        "h0": np.zeros(d),
    }
    L, hs, As, Y = _forward(P)
    G = Y - P["Z"]
    Dl = [1 - np.tanh(a) ** 2 for a in As]
    Hprev = np.array(hs[:-1])  # row s = state entering step s+1
    full = np.zeros((d, d))
    horizon = {k: np.zeros((d, d)) for k in ks}
    chunk = {k: np.zeros((d, d)) for k in ks}
    for t in range(T):  # python index t <-> time t+1; contributions of loss t through every earlier state
        v = P["V"].T @ G[t]
        A = np.zeros((t + 1, d))
        for s in range(t, -1, -1):
            A[s] = Dl[s] * v
            v = P["W"].T @ A[s]
        full += A.T @ Hprev[: t + 1]
        for k in ks:
            lo = max(0, t - k + 1)
            horizon[k] += A[lo:].T @ Hprev[lo : t + 1]
            c0 = (t // k) * k
            chunk[k] += A[c0:].T @ Hprev[c0 : t + 1]
    nf = np.linalg.norm(full)
    return {
        "horizon": [np.linalg.norm(full - horizon[k]) / nf for k in ks],
        "chunked": [np.linalg.norm(full - chunk[k]) / nf for k in ks],
        "sigma_max": np.linalg.norm(P["W"], 2),
    }


def numbers_truncation():
    """'Truncation': the table, the two networks' spectral norms, the factor per doubling of k,
    and the memory of the stored states."""
    slow, fast = _truncation_table(0.9), _truncation_table(1.5)
    rows = {
        k: [slow["horizon"][i], slow["chunked"][i], fast["horizon"][i], fast["chunked"][i]]
        for i, k in enumerate((5, 10, 20, 40))
    }
    per_doubling = [c[i + 1] / c[i] for c in (slow["chunked"], fast["chunked"]) for i in range(3)]
    state_bytes = 64 * 1024 * 4  # one float32 state of width 1024 for a batch of 64
    return {
        "| 5 | ${}$ | ${}$ | ${}$ | ${}$ |": rows[5],
        "| 10 | ${}$ | ${}$ | ${}$ | ${}$ |": rows[10],
        "| 20 | ${}$ | ${}$ | ${}$ | ${}$ |": rows[20],
        "| 40 | ${}$ | ${}$ | ${}$ | ${}$ |": rows[40],
        "$\\sigma_{\\max}(\\bW)$ is ${}$ at $g = 0.9$ and ${}$ at $g = 1.5$": (slow["sigma_max"], fast["sigma_max"]),
        "falls only by a factor between ${}$ and ${}$ per doubling": (min(per_doubling), max(per_doubling)),
        "takes {} MiB per layer in float32; with chunks of $k = 100$ steps, {} MiB": (
            1000 * state_bytes / 2**20,
            100 * state_bytes / 2**20,
        ),
    }


def numbers_clipping():
    """'Clipping': one exploding gradient (the truncation section's network with g = 3, T = 100)
    clipped to tau = 1 by global norm and by value."""
    rng = np.random.default_rng(0)
    P = {
        "W": rng.standard_normal((64, 64)) * 3.0 / 8.0,
        "U": rng.standard_normal((64, 16)) / 4.0,
        "b": np.zeros(64),
        "V": rng.standard_normal((4, 64)) / 8.0,
        "X": rng.standard_normal((100, 16)),
        "Z": rng.standard_normal((100, 4)),
        "h0": np.zeros(64),
    }
    grads, *_ = _bptt(P)
    gvec = np.concatenate([grads[k].ravel() for k in ("W", "U", "b", "V")])
    norm = np.linalg.norm(gvec)
    cv = np.clip(gvec, -1.0, 1.0)
    return {
        "the norm of the full gradient is ${}$": norm,
        "scales it by about ${}$ and keeps its direction": np.linalg.norm(_clip_norm(gvec, 1.0)) / norm,
        "changes {}% of the coordinates, leaves a vector of norm ${}$ and cosine ${}$": (
            100 * np.mean(np.abs(gvec) > 1.0),
            np.linalg.norm(cv),
            cv @ gvec / (np.linalg.norm(cv) * norm),
        ),
    }


def numbers_forget_gates():
    """'Forget gates': products of gate values over 50 and 200 steps."""

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    return {
        "$f = \\sigma(1) = {}$ and the cell path retains ${}^{50} = {}$ over 50 steps": (
            sigmoid(1.0),
            sigmoid(1.0),
            sigmoid(1.0) ** 50,
        ),
        "a gate value of $\\sigma(3) = {}$ it retains ${}$, and with ${}$ it retains ${}$ over 50 steps and ${}$ over 200": (
            sigmoid(3.0),
            sigmoid(3.0) ** 50,
            0.99,
            0.99**50,
            0.99**200,
        ),
    }


# ---------------------------------------------------------------- figures
def figure_jacobian_lags():
    """The spectral norm of dh_T/dh_(T-j) for lags 1 to 100, from _jacobian_norms() (the
    table's RNNs: d = 128, T = 200, seed 0) at the four gains of the table."""
    lags = tuple(range(1, 101))
    series = []
    for g in (0.5, 1.0, 1.5, 3.0):
        norms = _jacobian_norms(g, lags=lags)["row"][3:]  # the row is sigma, rho, mean phi', then the lags
        series.append({"label": f"g = {g:g}", "x": np.array(lags), "y": np.array(norms)})
    return {
        "title": "Norm of the Jacobian product across j steps of a tanh RNN",
        "summary": "At g = 0.5, 1 and 1.5 the norm decays geometrically with the lag, faster for smaller g; "
        "at g = 3 it grows geometrically and passes the float16 maximum at lag 37.",
        "x": {"label": "lag j"},
        "y": {"label": "‖∂h(T) / ∂h(T − j)‖₂", "scale": "log"},
        "series": series,
        "rules": [
            {"axis": "y", "at": 65504.0, "label": "float16 max"},
            {"axis": "y", "at": 2.0**-24, "label": "2⁻²⁴"},
        ],
    }


if __name__ == "__main__":
    for name, fn in list(globals().items()):
        if name.startswith("check_"):
            print(name, fn())
        if name.startswith("numbers_"):
            for excerpt, value in fn().items():
                print(f"  {excerpt}: {value}")
