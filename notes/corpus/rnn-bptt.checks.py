"""Numerical checks for notes/corpus/rnn-bptt.md.

One check_<derivation id> function per derivation block. Each returns (measured_error, tolerance)
and passes when measured_error <= tolerance. Float64, np.random.default_rng(0).

- The BPTT recursion is compared with central finite differences of the unrolled forward pass.
- The path-sum form is built from explicit Jacobian products, independently of the recursion.
- The truncation bounds are compared with measured truncation errors, and the chunked ("detach")
  implementation with the path sum restricted to pairs in the same chunk.
- The clipping identities are compared with finite differences of the loss along the clipped step.

practice_numbers() recomputes every number quoted in the practice section.
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


def _bptt(P):
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


def _jac(As, W, t, s):
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
            v = Ds * (_jac(As, W, t, s).T @ (V.T @ G[t - 1]))
            terms[(t, s)] = np.outer(v, hs[s - 1])
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
        Hbar = Gt @ P["V"] + Abar_next @ P["W"]
        Abar = (1 - Hs[t + 1] ** 2) * Hbar
        Wb += Abar.T @ Hs[t]
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
    grads, hs, As, G, _ = _bptt(P)
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
    lam = np.linalg.norm(P["W"], 2)
    worst = 0.0
    for t in range(1, 11):
        for s in range(0, t):
            worst = max(worst, np.linalg.norm(_jac(As, P["W"], t, s), 2) / lam ** (t - s))
    errs.append(max(0.0, worst - 1.0))
    # linear RNN: J = W^j; along an eigenvector the growth is exactly |lambda|^j
    A = rng.standard_normal((5, 5))
    evals, evecs = np.linalg.eig(A)
    i = int(np.argmax(np.abs(evals)))
    v = evecs[:, i]
    j = 7
    errs.append(
        abs(np.linalg.norm(np.linalg.matrix_power(A, j) @ v) / np.linalg.norm(v) - np.abs(evals[i]) ** j)
        / np.abs(evals[i]) ** j
    )
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


def check_truncated_bptt_error():
    """eq:tbptt-horizon-bound and eq:tbptt-chunk-bound hold (measured error / bound <= 1) for several k on a
    contracting RNN; the chunked implementation equals the path sum restricted to same-chunk pairs."""
    rng = np.random.default_rng(0)
    T = 24
    P = _problem(rng, T=T, w_norm=0.8)
    grads, hs, As, G, _ = _bptt(P)
    terms = _path_terms(P, hs, As, G)
    lam = np.linalg.norm(P["W"], 2)  # gamma = 1 for tanh
    Gmax = max(np.linalg.norm(P["V"].T @ g) for g in G)
    Hmax = max(np.linalg.norm(h) for h in hs[:-1])
    errs = []
    for k in (1, 2, 4, 8, 16):
        horizon = _truncated(terms, k, T, chunked=False)
        chunk = _truncated(terms, k, T, chunked=True)
        errs.append(_rel(chunk, _chunked_bptt_W(P, k)) / 1e-10)
        e_h = np.linalg.norm(grads["W"] - horizon)
        e_c = np.linalg.norm(grads["W"] - chunk)
        bound_h = T * Gmax * Hmax * lam**k / (1 - lam)
        bound_c = (T / k + 1) * Gmax * Hmax * lam * (1 - lam**k) / (1 - lam) ** 2
        errs.append(e_h / bound_h)
        errs.append(e_c / bound_c)
    return max(errs), 1.0


def _clip_norm(g, tau):
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
        errs.append(abs(c @ g - min(g @ g, tau * np.linalg.norm(g))) / (g @ g) / 1e-12)
        # first-order decrease: (L(W - eta c) - L(W)) / eta -> -<c, g>
        eta = 1e-6
        Lp = _forward(P, W=P["W"] - eta * c.reshape(P["W"].shape))[0]
        Lm = _forward(P, W=P["W"] + eta * c.reshape(P["W"].shape))[0]
        slope = (Lp - Lm) / (2 * eta)
        errs.append(abs(slope + min(g @ g, tau * np.linalg.norm(g))) / min(g @ g, tau * np.linalg.norm(g)) / 1e-6)
    # eq:clip-decrease remainder: on a quadratic L = 0.5 th^T A th + c^T th the Hessian is A everywhere (beta = ||A||_2)
    # and the remainder r = 0.5 eta^2 clip^T A clip must satisfy |r| <= 0.5 eta^2 beta tau^2
    n = 20
    A = rng.standard_normal((n, n))
    A = A + A.T
    cq, th = rng.standard_normal(n), rng.standard_normal(n)
    beta = np.linalg.norm(A, 2)

    def quad(x):
        return 0.5 * x @ A @ x + cq @ x

    gq = A @ th + cq
    for tau, eta in ((0.3 * np.linalg.norm(gq), 0.7), (3 * np.linalg.norm(gq), 0.05)):
        c = _clip_norm(gq, tau)
        r = quad(th - eta * c) - quad(th) + eta * min(gq @ gq, tau * np.linalg.norm(gq))
        errs.append(abs(r) / (0.5 * eta**2 * beta * tau**2))
    # elementwise (value) clipping
    tau = np.quantile(np.abs(g), 0.8)
    cv = np.clip(g, -tau, tau)
    errs.append(abs(cv @ g - np.sum(np.minimum(np.abs(g), tau) * np.abs(g))) / (g @ g) / 1e-12)
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


def _jacobian_norms(g, d=128, n=32, T=200, seed=0, lags=(1, 10, 50, 100)):
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
    norms = {}
    first_over_f16 = None
    first_below_eps32 = None
    for j in range(1, T + 1):
        J = J @ (Ds[T - j][:, None] * W)
        nj = np.linalg.norm(J, 2)
        if j in lags:
            norms[j] = float(nj)
        if first_over_f16 is None and nj > 65504:
            first_over_f16 = j
        if first_below_eps32 is None and nj < 2.0**-24:
            first_below_eps32 = j
    return {
        "sigma_max": float(np.linalg.norm(W, 2)),
        "sigma_max^50 (bound at lag 50)": float(np.linalg.norm(W, 2) ** 50),
        "rho": float(np.max(np.abs(np.linalg.eigvals(W)))),
        "mean_phi_prime_last50": float(np.mean(Ds[-50:])),
        "norms": norms,
        "first_lag_over_float16_max": first_over_f16,
        "first_lag_below_2^-24": first_below_eps32,
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
    out = {"horizon": {}, "chunked": {}, "sigma_max": float(np.linalg.norm(P["W"], 2))}
    nf = np.linalg.norm(full)
    for k in ks:
        out["horizon"][k] = float(np.linalg.norm(full - horizon[k]) / nf)
        out["chunked"][k] = float(np.linalg.norm(full - chunk[k]) / nf)
    ch = [out["chunked"][k] for k in ks]
    out["chunked_ratio_per_doubling"] = [ch[i + 1] / ch[i] for i in range(len(ks) - 1)]
    return out


def practice_numbers():
    out = {}
    for g in (0.5, 1.0, 1.5, 3.0):
        out[f"jac_g{g}"] = _jacobian_norms(g)
    out["trunc_g0.9"] = _truncation_table(0.9)
    out["trunc_g1.5"] = _truncation_table(1.5)
    # clipping: one exploding RNN gradient (g = 3), clipped to tau = 1 by global norm and by value
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
    out["clip_grad_norm"] = float(np.linalg.norm(gvec))
    cv = np.clip(gvec, -1.0, 1.0)
    out["clip_value_fraction_clipped"] = float(np.mean(np.abs(gvec) > 1.0))
    out["clip_value_cosine"] = float(cv @ gvec / (np.linalg.norm(cv) * np.linalg.norm(gvec)))
    out["clip_value_norm"] = float(np.linalg.norm(cv))
    # LSTM forget-gate products
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    out["forget"] = {
        "sigmoid(1)": float(sig(1.0)),
        "sigmoid(1)^50": float(sig(1.0) ** 50),
        "sigmoid(3)": float(sig(3.0)),
        "sigmoid(3)^50": float(sig(3.0) ** 50),
        "0.99^50": 0.99**50,
        "0.99^200": 0.99**200,
    }
    # BPTT activation memory: hidden states only (tanh' = 1 - h^2), T = 1000 steps, batch 64, width 1024, float32
    out["bptt_mem_GiB"] = 1000 * 64 * 1024 * 4 / 2**30
    out["bptt_mem_k100_GiB"] = 100 * 64 * 1024 * 4 / 2**30
    return out


# ---------------------------------------------------------------- figures
def figure_jacobian_lags():
    """The spectral norm of dh_T/dh_(T-j) for lags 1 to 100, from _jacobian_norms() (the
    practice table's RNNs: d = 128, T = 200, seed 0) at the four gains of the table."""
    lags = tuple(range(1, 101))
    series = []
    for g in (0.5, 1.0, 1.5, 3.0):
        norms = _jacobian_norms(g, lags=lags)["norms"]
        series.append({"label": f"g = {g:g}", "x": np.array(lags), "y": np.array([norms[j] for j in lags])})
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
    import pprint

    for name, fn in list(globals().items()):
        if name.startswith("check_"):
            print(name, fn())
    pprint.pprint(practice_numbers())
