"""Numerical checks for notes/corpus/convolution-linear-map.md.

One check_<derivation id> function per derivation block. Each returns (measured_error, tolerance)
and passes when measured_error <= tolerance. Everything runs in float64 with np.random.default_rng(0).

The reference implementation _corr1d / _corr2d is a direct loop over output positions and kernel taps
with out-of-range input reads treated as zero: it never builds a matrix, never pads explicitly and
never flips anything, so the closed forms of the note (Toeplitz/Kronecker matrices, im2col, the
transposed-convolution recipe for the input gradient, the correlation formula for the kernel
gradient) are compared against an independent computation, and gradients against central differences.
The closed forms are marked `# formula`; the references are not. The numbers_ functions compute every
number the note quotes.
"""

import numpy as np

# ----------------------------------------------------------------------------------------------
# Reference implementations (direct definitions)
# ----------------------------------------------------------------------------------------------


def _out_len(n, k, s=1, p=0, r=1):
    """Output length of eq:conv-out-size."""
    return (n + 2 * p - r * (k - 1) - 1) // s + 1


def _corr1d(x, w, s=1, p=0, r=1, m=None):
    """y_u = sum_a w_a x_{s u + r a - p}, reads outside 0..n-1 are zero (eq:conv1d)."""
    n, k = len(x), len(w)
    if m is None:
        m = _out_len(n, k, s, p, r)
    y = np.zeros(m)
    for u in range(m):
        for a in range(k):
            j = s * u + r * a - p
            if 0 <= j < n:
                y[u] += w[a] * x[j]
    return y


def _corr2d(X, W, s=1, p=0, r=1, out_hw=None):
    """Batched multichannel correlation, NCHW, eq:conv2d-channels.

    X: (B, C_in, H, W_), W: (C_out, C_in, kh, kw). Y[i,o,u,v] = sum_{c,a,b} W[o,c,a,b] X[i,c,s u + r a - p, s v + r b - p].
    """
    Bn, Cin, H, Wd = X.shape
    Cout, Cin2, kh, kw = W.shape
    assert Cin == Cin2
    if out_hw is None:
        out_hw = (_out_len(H, kh, s, p, r), _out_len(Wd, kw, s, p, r))
    Ho, Wo = out_hw
    Y = np.zeros((Bn, Cout, Ho, Wo))
    u, v = np.arange(Ho), np.arange(Wo)
    for a in range(kh):
        h = s * u + r * a - p  # input row read by tap a at every output row u
        uh = np.flatnonzero((h >= 0) & (h < H))
        for b in range(kw):
            w_ = s * v + r * b - p
            vw = np.flatnonzero((w_ >= 0) & (w_ < Wd))
            Xab = X[:, :, h[uh][:, None], w_[vw][None, :]]  # (B, C_in, |uh|, |vw|)
            Y[:, :, uh[:, None], vw[None, :]] += np.einsum("icuv,oc->iouv", Xab, W[:, :, a, b])
    return Y


# The note's code block, verbatim apart from comments.
def conv1d(x, w, s=1, p=0, r=1):  # formula: the note's code, eq:conv1d and its VJP
    n, k = len(x), len(w)
    m = (n + 2 * p - r * (k - 1) - 1) // s + 1
    idx = s * np.arange(m)[:, None] + r * np.arange(k)[None, :] - p
    valid = (idx >= 0) & (idx < n)
    P = np.where(valid, x[np.clip(idx, 0, n - 1)], 0.0)
    y = P @ w

    def vjp(ybar):
        wbar = P.T @ ybar
        xbar = np.zeros(n)
        np.add.at(xbar, idx[valid], (ybar[:, None] * w[None, :])[valid])
        return xbar, wbar

    return y, vjp


def _fd_grad(f, x, h=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        g[idx] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def _rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), 1e-300))


# ----------------------------------------------------------------------------------------------
# Closed forms from the note
# ----------------------------------------------------------------------------------------------


def _toeplitz1d(w, n, s=1, p=0, r=1):  # formula: eq:conv-matrix-entries
    """T_{uj} = sum_a w_a [j = s u + r a - p]  (eq:conv-matrix-entries), built from the formula."""
    k = len(w)
    m = _out_len(n, k, s, p, r)
    T = np.zeros((m, n))
    u = np.arange(m)[:, None]
    j = np.arange(n)[None, :]
    for a in range(k):
        T += w[a] * (j == s * u + r * a - p)
    return T


def _shift(m, n, a):
    """S_a in R^{m x n}: ones at (u, u + a)."""
    S = np.zeros((m, n))
    for u in range(m):
        if 0 <= u + a < n:
            S[u, u + a] = 1.0
    return S


def _doubly_block_toeplitz(K, H, Wd):  # formula: eq:conv2d-kron
    """eq:conv2d-kron: sum_a S_a kron C_a, with C_a the 1-D matrix of kernel row a (s = r = 1, p = 0)."""
    kh, kw = K.shape
    Ho, Wo = H - kh + 1, Wd - kw + 1
    T = np.zeros((Ho * Wo, H * Wd))
    for a in range(kh):
        T += np.kron(_shift(Ho, H, a), _toeplitz1d(K[a], Wd))
    return T


def _im2col(X, kh, kw, s=1, p=0, r=1):
    """Rows = flattened receptive fields, ordered (i, u, v); columns ordered (c, a, b)."""
    Bn, Cin, H, Wd = X.shape
    Ho, Wo = _out_len(H, kh, s, p, r), _out_len(Wd, kw, s, p, r)
    Xp = np.pad(X, ((0, 0), (0, 0), (p, p), (p, p)))
    cols = np.zeros((Bn, Ho, Wo, Cin, kh, kw))
    for a in range(kh):
        for b in range(kw):
            cols[:, :, :, :, a, b] = Xp[:, :, r * a : r * a + s * Ho : s, r * b : r * b + s * Wo : s].transpose(
                0, 2, 3, 1
            )
    return cols.reshape(Bn * Ho * Wo, Cin * kh * kw), (Ho, Wo)


def _upsample(G, s):
    """Insert s - 1 zeros between neighbouring entries along the two spatial axes."""
    Bn, C, Ho, Wo = G.shape
    U = np.zeros((Bn, C, s * (Ho - 1) + 1, s * (Wo - 1) + 1))
    U[:, :, ::s, ::s] = G
    return U


def _conv_input_grad_recipe(G, W, in_hw, s, p, r):  # formula: eq:conv-input-grad-recipe
    """eq:conv-input-grad-recipe: upsample by s, pad by r(k-1)-p (plus output padding on the far side),
    correlate with stride 1 and dilation r against the kernel with channel axes swapped and taps flipped."""
    Cout, Cin, kh, kw = W.shape
    H, Wd = in_hw
    Wt = W.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1]
    U = _upsample(G, s)
    ph, pw = r * (kh - 1) - p, r * (kw - 1) - p
    assert ph >= 0 and pw >= 0
    base_h = (G.shape[2] - 1) * s - 2 * p + r * (kh - 1) + 1
    base_w = (G.shape[3] - 1) * s - 2 * p + r * (kw - 1) + 1
    oph, opw = H - base_h, Wd - base_w  # output padding, in 0..s-1
    assert 0 <= oph < s and 0 <= opw < s
    Up = np.pad(U, ((0, 0), (0, 0), (ph, ph + oph), (pw, pw + opw)))
    # The output size follows from the padded size by eq:conv-out-size, so the far-end (output) padding
    # is what makes it H x W.
    return _corr2d(Up, Wt, s=1, p=0, r=r)


# ----------------------------------------------------------------------------------------------
# Checks
# ----------------------------------------------------------------------------------------------


def check_conv_output_size():
    """eq:conv-out-size against (a) sliding a window along an explicitly padded array until it no longer fits,
    (b) numpy's own 'valid' and 'full' correlation lengths, (c) the 224 -> 112 stem example."""
    rng = np.random.default_rng(0)
    mismatches = 0
    for _ in range(3000):
        n = int(rng.integers(1, 60))
        k = int(rng.integers(1, 8))
        s = int(rng.integers(1, 5))
        r = int(rng.integers(1, 4))
        p = int(rng.integers(0, 6))
        padded = np.arange(n + 2 * p)
        extent = r * (k - 1) + 1
        count, start = 0, 0
        while start + extent <= len(padded):  # window [start, start + extent) fits
            count += 1
            start += s
        expected = count  # 0 when the kernel does not fit at all
        got = max((n + 2 * p - r * (k - 1) - 1) // s + 1, 0)  # formula: eq:conv-out-size
        mismatches += int(got != expected)
    for n, k in [(10, 3), (7, 7), (31, 4)]:
        x, w = rng.standard_normal(n), rng.standard_normal(k)
        mismatches += int(len(np.correlate(x, w, mode="valid")) != _out_len(n, k))
        mismatches += int(len(np.correlate(x, w, mode="full")) != _out_len(n, k, p=k - 1))
        if k % 2 == 1:
            mismatches += int(len(np.correlate(x, w, mode="same")) != _out_len(n, k, p=(k - 1) // 2))
    # 'same' padding p = r (k - 1) / 2 with s = 1 keeps the length
    for n in range(1, 30):
        for k in (1, 3, 5):
            for r in (1, 2, 3):
                mismatches += int(_out_len(n, k, 1, r * (k - 1) // 2, r) != n)
    return float(mismatches), 0.0


def check_conv_as_matrix():
    """eq:conv-matrix-entries against the direct loop for random (n, k, s, p, r); Toeplitz structure for s = r = 1;
    eq:conv2d-shifts and the Kronecker form eq:conv2d-kron against the direct 2-D loop (row-major vec);
    im2col (eq:im2col) against the direct multichannel batched loop; linearity in the kernel."""
    rng = np.random.default_rng(0)
    errs = []
    for _ in range(200):
        n = int(rng.integers(4, 25))
        k = int(rng.integers(1, 5))
        s = int(rng.integers(1, 4))
        r = int(rng.integers(1, 3))
        p = int(rng.integers(0, 4))
        if _out_len(n, k, s, p, r) < 1:
            continue
        x, w = rng.standard_normal(n), rng.standard_normal(k)
        errs.append(_rel(_toeplitz1d(w, n, s, p, r) @ x, _corr1d(x, w, s, p, r)))
    # Toeplitz: constant along diagonals, k nonzero diagonals (s = r = 1, p = 0)
    w = rng.standard_normal(4)
    T = _toeplitz1d(w, 11)
    for u in range(T.shape[0] - 1):
        errs.append(float(np.max(np.abs(T[u, :-1] - T[u + 1, 1:]))))
    errs.append(float(abs(np.count_nonzero(T) - T.shape[0] * 4)))
    # stride s selects every s-th row of the stride-1 matrix; dilation r spreads the kernel
    errs.append(float(np.max(np.abs(_toeplitz1d(w, 17, s=3, p=2) - _toeplitz1d(w, 17, s=1, p=2)[::3]))))
    w_dil = np.zeros(3 * 3 + 1)
    w_dil[::3] = w
    errs.append(float(np.max(np.abs(_toeplitz1d(w, 17, r=3, p=1) - _toeplitz1d(w_dil, 17, p=1)))))
    # 2-D: Y = sum_a S_a X C_a^T (eq:conv2d-shifts) and rvec(Y) = (sum_a S_a kron C_a) rvec(X) (eq:conv2d-kron)
    H, Wd, kh, kw = 7, 9, 3, 4
    X = rng.standard_normal((H, Wd))
    K = rng.standard_normal((kh, kw))
    Yref = _corr2d(X[None, None], K[None, None])[0, 0]
    Yshift = sum(_shift(H - kh + 1, H, a) @ X @ _toeplitz1d(K[a], Wd).T for a in range(kh))  # formula: eq:conv2d-shifts
    errs.append(_rel(Yshift, Yref))
    T2 = _doubly_block_toeplitz(K, H, Wd)
    errs.append(_rel(T2 @ X.reshape(-1), Yref.reshape(-1)))
    # doubly block Toeplitz: block (u, h) depends only on h - u, and each block is Toeplitz
    Ho, Wo = H - kh + 1, Wd - kw + 1
    blocks = T2.reshape(Ho, Wo, H, Wd).transpose(0, 2, 1, 3)
    for u in range(Ho - 1):
        for h in range(H - 1):
            errs.append(float(np.max(np.abs(blocks[u, h] - blocks[u + 1, h + 1]))))
    for u in range(Ho):
        for h in range(H):
            Bk = blocks[u, h]
            errs.append(float(np.max(np.abs(Bk[:-1, :-1] - Bk[1:, 1:]))))
    # im2col with channels, batch, stride, padding, dilation, bias: eq:im2col
    Bn, Cin, Cout = 3, 4, 5
    for s, p, r in [(1, 1, 1), (2, 1, 1), (2, 2, 2), (3, 0, 1)]:
        X4 = rng.standard_normal((Bn, Cin, 10, 11))
        W4 = rng.standard_normal((Cout, Cin, 3, 2))
        bias = rng.standard_normal(Cout)
        U, (Ho, Wo) = _im2col(X4, 3, 2, s, p, r)
        Ymat = U @ W4.reshape(Cout, -1).T + bias  # formula: eq:im2col
        Y4 = Ymat.reshape(Bn, Ho, Wo, Cout).transpose(0, 3, 1, 2)
        Yref4 = _corr2d(X4, W4, s, p, r) + bias[None, :, None, None]
        errs.append(_rel(Y4, Yref4))
        # linear in the kernel: conv(X, aW1 + bW2) = a conv(X, W1) + b conv(X, W2)
        W5 = rng.standard_normal(W4.shape)
        errs.append(
            _rel(
                _corr2d(X4, 2.0 * W4 - 3.0 * W5, s, p, r),
                2.0 * _corr2d(X4, W4, s, p, r) - 3.0 * _corr2d(X4, W5, s, p, r),
            )
        )
    return float(np.max(errs)), 1e-12


def check_conv_input_gradient():
    """The input gradient three ways: T^T g (eq:conv-input-grad-index), the transposed-convolution recipe
    (upsample, pad, flip, swap channels: eq:conv-input-grad-recipe), and central differences of a nonlinear loss.
    Also the stride-1 special case as numpy's full convolution (eq:conv-input-grad-full)."""
    rng = np.random.default_rng(0)
    errs = []
    # 1-D: T^T g vs index formula vs np.convolve(g, w, 'full') for s = r = 1, p = 0
    for _ in range(50):
        n = int(rng.integers(5, 20))
        k = int(rng.integers(1, 5))
        x, w = rng.standard_normal(n), rng.standard_normal(k)
        g = rng.standard_normal(_out_len(n, k))
        T = _toeplitz1d(w, n)
        errs.append(_rel(T.T @ g, np.convolve(g, w, mode="full")))
        # as a full correlation of the (k-1)-padded g with the flipped kernel
        flipped = _corr1d(g, w[::-1], p=k - 1)  # formula: eq:conv-input-grad-full
        errs.append(_rel(flipped, np.convolve(g, w, mode="full")))
    # the note's conv1d code: forward against the direct loop, VJP against central differences
    for _ in range(40):
        n = int(rng.integers(6, 20))
        k = int(rng.integers(1, 5))
        s = int(rng.integers(1, 4))
        r = int(rng.integers(1, 3))
        p = int(rng.integers(0, 4))
        if _out_len(n, k, s, p, r) < 1:
            continue
        x, w = rng.standard_normal(n), rng.standard_normal(k)
        y, vjp = conv1d(x, w, s, p, r)
        errs.append(_rel(y, _corr1d(x, w, s, p, r)))
        c = rng.standard_normal(len(y))
        xbar, wbar = vjp(c * (1 - np.tanh(y) ** 2))
        errs.append(_rel(_toeplitz1d(w, n, s, p, r).T @ (c * (1 - np.tanh(y) ** 2)), xbar))  # step 1: T^T g
        errs.append(
            _rel(xbar, _fd_grad(lambda z, w=w, s=s, p=p, r=r, c=c: float(c @ np.tanh(conv1d(z, w, s, p, r)[0])), x))
        )
        errs.append(
            _rel(wbar, _fd_grad(lambda v, x=x, s=s, p=p, r=r, c=c: float(c @ np.tanh(conv1d(x, v, s, p, r)[0])), w))
        )
        # eq:conv-input-grad-recipe in 1-D (upsample, pad p' = r(k-1) - p, flip), output length n
        m = len(y)
        g = c * (1 - np.tanh(y) ** 2)
        yhat = np.zeros(s * (m - 1) + 1)
        yhat[::s] = g
        recipe = _corr1d(yhat, w[::-1], s=1, p=r * (k - 1) - p, r=r, m=n)  # formula: eq:conv-input-grad-recipe
        errs.append(_rel(xbar, recipe))
    # 2-D batched multichannel with stride, padding, dilation, including sizes where the floor drops input
    cfgs = [(1, 1, 1, 6, 7), (2, 1, 1, 9, 8), (2, 0, 2, 11, 10), (3, 2, 1, 12, 13), (2, 2, 2, 10, 9)]
    for s, p, r, H, Wd in cfgs:
        Bn, Cin, Cout, kh, kw = 2, 3, 4, 3, 3
        if s == 1:
            Bn, Cin = 1, 2
        X = rng.standard_normal((Bn, Cin, H, Wd))
        W = rng.standard_normal((Cout, Cin, kh, kw))
        Y0 = _corr2d(X, W, s, p, r)
        C = rng.standard_normal(Y0.shape)

        def loss(Xv, W=W, s=s, p=p, r=r, C=C):
            return float(np.sum(C * np.tanh(_corr2d(Xv, W, s, p, r))))

        G = C * (1 - np.tanh(Y0) ** 2)  # upstream gradient dL/dY
        Xbar = _conv_input_grad_recipe(G, W, (H, Wd), s, p, r)
        if s == 1:  # one full central-difference gradient (slow), directional differences elsewhere
            errs.append(_rel(Xbar, _fd_grad(loss, X)))
        for _ in range(3):
            V = rng.standard_normal(X.shape)
            fd = (loss(X + 1e-5 * V) - loss(X - 1e-5 * V)) / 2e-5
            errs.append(abs(fd - float(np.sum(Xbar * V))) / (np.linalg.norm(Xbar) * np.linalg.norm(V)))
        # index formula sum_{o,u,a} G W [j = s u + r a - p], computed by scattering
        Xs = np.zeros_like(X)
        Ho, Wo = G.shape[2:]
        for u in range(Ho):
            for v in range(Wo):
                for a in range(kh):
                    for b in range(kw):
                        h, w_ = s * u + r * a - p, s * v + r * b - p
                        if 0 <= h < H and 0 <= w_ < Wd:
                            Xs[:, :, h, w_] += G[:, :, u, v] @ W[:, :, a, b]  # formula: step 6
        errs.append(_rel(Xbar, Xs))
    return float(np.max(errs)), 1e-8


def check_conv_kernel_gradient():
    """eq:conv-kernel-grad (sum over batch and positions) against central differences, the 'input correlated
    with the output gradient, stride and dilation swapped' form eq:conv-kernel-grad-corr, and the im2col form
    G_mat^T U; bias gradient as the sum over batch and positions."""
    rng = np.random.default_rng(0)
    errs = []
    for s, p, r in [(1, 1, 1), (2, 1, 1), (2, 2, 2), (1, 0, 3)]:
        Bn, Cin, Cout, kh, kw, H, Wd = 3, 2, 3, 3, 2, 9, 10
        X = rng.standard_normal((Bn, Cin, H, Wd))
        W = rng.standard_normal((Cout, Cin, kh, kw))
        bias = rng.standard_normal(Cout)
        Y0 = _corr2d(X, W, s, p, r) + bias[None, :, None, None]
        C = rng.standard_normal(Y0.shape)

        def lossW(Wv, X=X, bias=bias, s=s, p=p, r=r, C=C):
            return float(np.sum(C * np.tanh(_corr2d(X, Wv, s, p, r) + bias[None, :, None, None])))

        def lossb(bv, X=X, W=W, s=s, p=p, r=r, C=C):
            return float(np.sum(C * np.tanh(_corr2d(X, W, s, p, r) + bv[None, :, None, None])))

        G = C * (1 - np.tanh(Y0) ** 2)
        Ho, Wo = G.shape[2:]
        # eq:conv-kernel-grad: direct sum over i, u, v
        Wbar = np.zeros_like(W)
        for a in range(kh):
            for b in range(kw):
                for u in range(Ho):
                    for v in range(Wo):
                        h, w_ = s * u + r * a - p, s * v + r * b - p  # formula: eq:conv-kernel-grad-corr
                        if 0 <= h < H and 0 <= w_ < Wd:
                            Wbar[:, :, a, b] += G[:, :, u, v].T @ X[:, :, h, w_]  # formula: eq:conv-kernel-grad-corr
        errs.append(_rel(Wbar, _fd_grad(lossW, W)))
        # eq:conv-kernel-grad-corr: correlate input channel c with output-gradient channel o as the kernel,
        # with stride r and dilation s (roles swapped), summed over the batch
        Wcorr = np.zeros_like(W)
        for o in range(Cout):
            for c in range(Cin):
                Wcorr[o, c] = _corr2d(  # formula: step 2, stride and dilation exchanged
                    X[:, c : c + 1].transpose(1, 0, 2, 3),
                    G[:, o : o + 1].transpose(1, 0, 2, 3),
                    s=r,
                    p=p,
                    r=s,
                    out_hw=(kh, kw),
                )[0, 0]
        errs.append(_rel(Wcorr, Wbar))
        # im2col form: Wbar_mat = G_mat^T U (reverse-mode-autodiff eq:vjp-w)
        U, _ = _im2col(X, kh, kw, s, p, r)
        Gmat = G.transpose(0, 2, 3, 1).reshape(-1, Cout)
        im2col_grad = (Gmat.T @ U).reshape(W.shape)  # formula: step 4
        errs.append(_rel(im2col_grad, Wbar))
        # bias: sum over batch and positions
        errs.append(_rel(G.sum(axis=(0, 2, 3)), _fd_grad(lossb, bias)))
    return float(np.max(errs)), 1e-8


# ----------------------------------------------------------------------------------------------
# Numbers quoted in the practice section
# ----------------------------------------------------------------------------------------------


def _conv_costs(Cin, Cout, kh, kw, Ho, Wo):
    params = Cout * Cin * kh * kw
    macs = Ho * Wo * Cout * Cin * kh * kw
    return params, macs


def _nnz_conv_matrix(C, H, k, p):
    """Nonzeros and total entries of the full matrix of a k x k, stride-1, C -> C channel convolution with padding p
    on an H x H input: a tap (u, a) is stored only if it reads inside the input, on each spatial axis separately."""
    Ho = _out_len(H, k, 1, p, 1)
    taps_per_axis = sum(1 for u in range(Ho) for a in range(k) if 0 <= u + a - p < H)
    return taps_per_axis**2 * C * C, (C * Ho * Ho) * (C * H * H)


def _fp16_accumulation_error(n_terms, n_outputs, rng):
    """Relative error of dot products of length n_terms accumulated sequentially in float16 and in float32,
    operands rounded to float16 first; the reference is float64 on the same rounded operands."""
    a = rng.standard_normal((n_outputs, n_terms)).astype(np.float16)
    b = (rng.standard_normal((n_outputs, n_terms)) / np.sqrt(n_terms)).astype(np.float16)
    exact = np.sum(a.astype(np.float64) * b.astype(np.float64), axis=1)
    acc16 = np.zeros(n_outputs, dtype=np.float16)
    acc32 = np.zeros(n_outputs, dtype=np.float32)
    for t in range(n_terms):
        prod = a[:, t].astype(np.float32) * b[:, t].astype(np.float32)  # products are exact in float32
        acc16 = (acc16.astype(np.float32) + prod).astype(np.float16)
        acc32 = acc32 + prod
    scale = np.sqrt(np.mean(exact**2))
    rms16 = float(np.sqrt(np.mean((acc16.astype(np.float64) - exact) ** 2)) / scale)
    rms32 = float(np.sqrt(np.mean((acc32.astype(np.float64) - exact) ** 2)) / scale)
    return rms16, rms32


def numbers_sizes():
    """Output sizes of the stem layer and of the border example, and the transposed-convolution size."""
    stem = _out_len(224, 7, 2, 3)
    m = _out_len(224, 3, 2, 0)
    last = 2 * (m - 1)  # first position read by the last window (p = 0)
    return {
        "turns both $n = 223$ and $n = 224$ into $m = {=}$": stem if _out_len(223, 7, 2, 3) == stem else -1,
        "the last window covers positions {=} to {=}, so input position {=} influences nothing": (
            last,
            last + 2,
            last + 3 if last + 3 == 223 else -1,
        ),
        "(here $p = 1$ gives $m = {=}$ and reads every pixel)": _out_len(224, 3, 2, 1)
        if 2 * (_out_len(224, 3, 2, 1) - 1) - 1 + 2 == 223
        else -1,
        "For the stem layer, $m = 112$ gives {=}, so `output_padding={=}` is needed to return to {=}": (
            (stem - 1) * 2 - 2 * 3 + (7 - 1) + 1,
            224 - ((stem - 1) * 2 - 2 * 3 + (7 - 1) + 1),
            224,
        ),
    }


def numbers_costs():
    """Parameters, multiply-adds, the full matrix and its nonzeros, and the cost of a training step."""
    stem_params, stem_macs = _conv_costs(3, 64, 7, 7, 112, 112)
    params, macs = _conv_costs(256, 256, 3, 3, 14, 14)
    nnz, total = _nnz_conv_matrix(256, 14, 3, 1)

    def uses(a, b):  # output positions at which tap (a, b) reads inside the 14 x 14 input (padding 1)
        return sum(1 for u in range(14) for v in range(14) if u + a - 1 in range(14) and v + b - 1 in range(14))

    centre, corner = uses(1, 1), uses(0, 0)
    return {
        "| $112 \\times 112 \\times 64$ | {} | {} |": (stem_params, stem_macs),
        "| $14 \\times 14 \\times 256$ | {} | {} |": (params, macs),
        "their parameter counts differ by a factor of about {}": params / stem_params,
        "with {} entries, {} times the parameter count. Only {} of them, {}%, are nonzero, and each weight appears "
        "on average {} times": (total, total / params, nnz, 100 * nnz / total, nnz / params),
        "the centre tap is used at all ${}$ output positions, a corner tap at only ${}$": (centre, corner),
        "= {}$ floating-point operations per training step": 3 * 2 * macs * 32,
    }


def numbers_memory_and_precision():
    """im2col memory for a batch of 32 at 56 x 56 x 64, and float16 versus float32 accumulation."""
    Bn, C, H = 32, 64, 56
    rng = np.random.default_rng(0)
    rms16, rms32 = _fp16_accumulation_error(2304, 1000, rng)
    rms64, _ = _fp16_accumulation_error(64, 1000, rng)
    rms576, _ = _fp16_accumulation_error(576, 1000, rng)
    return {
        "the input occupies {} MiB in float32 and the $3 \\times 3$ patch matrix {} MiB": (
            Bn * C * H * H * 4 / 2**20,
            Bn * H * H * C * 9 * 4 / 2**20,
        ),
        "the relative RMS error of the outputs is ${}$ when the running sum is rounded to float16 after every "
        "addition and ${}$ when it is kept in float32": (rms16, rms32),
        "The float16 figure is {} times the float16 unit roundoff $2^{-11} \\approx {}$": (rms16 / 2.0**-11, 2.0**-11),
        "${}$ for 64 terms, ${}$ for 576": (rms64, rms576),
    }


if __name__ == "__main__":
    for name, fn in list(globals().items()):
        if name.startswith("check_"):
            print(name, fn())
        if name.startswith("numbers_"):
            for excerpt, value in fn().items():
                print(f"  {excerpt}: {value}")
