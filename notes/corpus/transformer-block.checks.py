"""Numerical checks for notes/corpus/transformer-block.md.

One check_<derivation id> function per derivation block. Each returns
(measured_error, tolerance) and passes when measured_error <= tolerance. Everything is
float64 with seeded random inputs: backward passes against central finite differences,
parameter and FLOP counts against an instrumented forward pass, rotation identities at
random points. The numbers_ functions recompute every number the note quotes (pre-norm versus
post-norm gradients, cost figures, float16/bfloat16 effects) for comparison with its text.
"""

from fractions import Fraction

import numpy as np

EPS = 1e-5


# ---------------------------------------------------------------- building blocks


def _ln_f(x, eps=EPS):
    """LayerNorm without gain and bias, per row; returns output and cache."""
    xc = x - x.mean(axis=-1, keepdims=True)
    sig = np.sqrt((xc**2).mean(axis=-1, keepdims=True) + eps)
    y = xc / sig
    return y, (y, sig)


def _ln_b(ybar, cache):  # formula: the VJP of eq:ln-jacobian
    """VJP of LayerNorm: (1/sigma) (ybar - mean(ybar) - y mean(ybar * y))."""
    y, sig = cache
    return (ybar - ybar.mean(axis=-1, keepdims=True) - y * (ybar * y).mean(axis=-1, keepdims=True)) / sig


def _softmax(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _attn_f(u, p):
    """Single-head causal self-attention with output projection."""
    wq, wk, wv, wo = p
    t, d = u.shape
    q, k, v = u @ wq.T, u @ wk.T, u @ wv.T
    s = q @ k.T / np.sqrt(wq.shape[0]) + np.triu(np.full((t, t), -np.inf), 1)
    pr = _softmax(s)
    o = pr @ v
    return o @ wo.T, (u, q, k, v, pr, o)


def _attn_b(ybar, p, cache):
    wq, wk, wv, wo = p
    u, q, k, v, pr, o = cache
    dk = wq.shape[0]
    obar = ybar @ wo
    vbar = pr.T @ obar
    pbar = obar @ v.T
    sbar = pr * (pbar - (obar * o).sum(axis=-1, keepdims=True))
    qbar = sbar @ k / np.sqrt(dk)
    kbar = sbar.T @ q / np.sqrt(dk)
    return qbar @ wq + kbar @ wk + vbar @ wv


def _mlp_f(u, p):
    w1, w2 = p
    z = u @ w1.T
    return np.maximum(z, 0.0) @ w2.T, (z,)


def _mlp_b(ybar, p, cache):
    w1, w2 = p
    (z,) = cache
    return ((ybar @ w2) * (z > 0)) @ w1


def _sublayer(kind):
    """(forward, backward) of a sublayer kind."""
    return {"attn": (_attn_f, _attn_b), "mlp": (_mlp_f, _mlp_b)}[kind]


def _init(rng, blocks, d, dff, branch_scale=1.0):
    """Weights N(0, 1/fan_in); the two residual output projections times branch_scale."""
    subs = []
    for _ in range(blocks):
        w = [rng.normal(size=(d, d)) / np.sqrt(d) for _ in range(4)]
        w[3] = w[3] * branch_scale
        subs.append(("attn", w))
        w1 = rng.normal(size=(dff, d)) / np.sqrt(d)
        w2 = branch_scale * rng.normal(size=(d, dff)) / np.sqrt(dff)
        subs.append(("mlp", [w1, w2]))
    return subs


def _stack(x, subs, mode):
    """Forward pass of a stack of sublayers; mode 'pre' or 'post'. Returns streams and caches."""
    xs, caches = [x], []
    for kind, p in subs:
        f = _sublayer(kind)[0]
        if mode == "pre":
            u, cn = _ln_f(x)
            y, cf = f(u, p)
            x = x + y
        else:
            y, cf = f(x, p)
            x, cn = _ln_f(x + y)
        caches.append((cn, cf))
        xs.append(x)
    return xs, caches


def _stack_backward(subs, caches, mode, xbar_top):
    """Adjoints of every stream x_0..x_L, given the adjoint of the top stream."""
    xbar, out = xbar_top, [xbar_top]
    for (kind, p), (cn, cf) in zip(reversed(subs), reversed(caches)):
        b = _sublayer(kind)[1]
        if mode == "pre":
            xbar = xbar + _ln_b(b(xbar, p, cf), cn)  # formula: eq:prenorm-step
        else:
            r = _ln_b(xbar, cn)
            xbar = r + b(r, p, cf)  # formula: the post-norm step, (I + A_k)^T N_k^T
        out.append(xbar)
    return out[::-1]


def _fd_grad(f, x, h=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        g[idx] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def _bf16(x):
    """Round float32 values to the nearest bfloat16 (ties to even), returned as float32."""
    b = np.asarray(x, dtype=np.float32).copy().view(np.uint32).astype(np.uint64)
    b = ((b + ((b >> 16) & 1) + 0x7FFF) & 0xFFFF0000).astype(np.uint32)
    return b.view(np.float32)


def _rope(x, pos, base=10000.0, dtype=np.float64):
    """Rotary embedding with adjacent pairs (2i, 2i+1) rotated by pos * theta_i."""
    dk = x.shape[-1]
    theta = (base ** (-np.arange(0, dk, 2) / dk)).astype(dtype)
    ang = np.asarray(pos, dtype=dtype)[..., None] * theta
    c, s = np.cos(ang), np.sin(ang)
    x = x.astype(dtype)
    a, b = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = a * c - b * s
    out[..., 1::2] = a * s + b * c
    return out


def _rot_matrix(angles):
    """Block-diagonal matrix of 2x2 rotations [[cos, -sin], [sin, cos]]."""
    n = 2 * len(angles)
    r = np.zeros((n, n))
    for i, a in enumerate(angles):
        r[2 * i : 2 * i + 2, 2 * i : 2 * i + 2] = [[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]
    return r


def _sinusoid(t, d, base=10000.0):
    omega = base ** (-np.arange(0, d, 2) / d)
    e = np.empty(np.shape(t) + (d,))
    ang = np.asarray(t, dtype=float)[..., None] * omega
    e[..., 0::2] = np.sin(ang)
    e[..., 1::2] = np.cos(ang)
    return e


def _block_params(d, dff, vocab=None, ctx=None):
    """Parameter arrays of one block (LayerNorm, biases) built explicitly."""
    shapes = [
        (d,), (d,),  # LayerNorm 1 gain, bias
        (d, d), (d,), (d, d), (d,), (d, d), (d,), (d, d), (d,),  # W_Q, W_K, W_V, W_O + biases
        (d,), (d,),  # LayerNorm 2
        (dff, d), (dff,), (d, dff), (d,),  # MLP
    ]  # fmt: skip
    return sum(int(np.prod(s)) for s in shapes)


def _counted_block_forward(x, d, dff, heads):
    """Forward pass of a block (full, non-causal attention) counting matmul FLOPs."""
    flops = [0]

    def mm(a, b):
        flops[0] += 2 * a.shape[-2] * a.shape[-1] * b.shape[-1] * int(np.prod(a.shape[:-2]))
        return a @ b

    rng = np.random.default_rng(1)
    t = x.shape[0]
    dk = d // heads
    u, _ = _ln_f(x)
    q = mm(u, rng.normal(size=(d, d))).reshape(t, heads, dk).transpose(1, 0, 2)
    k = mm(u, rng.normal(size=(d, d))).reshape(t, heads, dk).transpose(1, 0, 2)
    v = mm(u, rng.normal(size=(d, d))).reshape(t, heads, dk).transpose(1, 0, 2)
    pr = _softmax(mm(q, k.transpose(0, 2, 1)) / np.sqrt(dk))
    o = mm(pr, v).transpose(1, 0, 2).reshape(t, d)
    h = x + mm(o, rng.normal(size=(d, d)) / d)
    u, _ = _ln_f(h)
    z = np.maximum(mm(u, rng.normal(size=(d, dff)) / np.sqrt(d)), 0)
    return h + mm(z, rng.normal(size=(dff, d)) / dff), flops[0]


# ---------------------------------------------------------------- checks


def check_prenorm_identity_path():
    """LayerNorm VJP and Jacobian formula (eq:ln-jacobian); the stack backward against finite
    differences in both placements; the unrolled pre-norm adjoint (eq:prenorm-adjoint) with
    branch VJPs computed independently by finite differences; exact identity path when
    the branches vanish; post-norm product of norm Jacobians (eq:postnorm-adjoint)."""
    rng = np.random.default_rng(0)
    errors = []
    # LayerNorm Jacobian: (1/sigma)(I - 11^T/d - y y^T/d), also with eps > 0.
    for eps in (0.0, EPS, 0.3):
        d = 6
        x = rng.normal(scale=2.0, size=d)
        y, (yy, sig) = _ln_f(x, eps)
        jac = (np.eye(d) - np.ones((d, d)) / d - np.outer(y, y) / d) / sig  # formula: eq:ln-jacobian
        fd = np.stack([(_ln_f(x + 1e-6 * e, eps)[0] - _ln_f(x - 1e-6 * e, eps)[0]) / 2e-6 for e in np.eye(d)], 1)
        errors.append(np.abs(fd - jac).max())
        g = rng.normal(size=d)
        errors.append(np.abs(_ln_b(g, (yy, sig)) - jac.T @ g).max())
        if eps == 0.0:
            proj = sig * jac  # orthogonal projection of rank d - 2
            errors.append(np.abs(proj @ proj - proj).max() + np.abs(proj - proj.T).max())
            ev = np.sort(np.linalg.eigvalsh(jac))
            spectrum = np.r_[0.0, 0.0, np.full(d - 2, 1 / sig)]  # formula: step 4
            errors.append(np.abs(ev - spectrum).max())

    t, d, dff, blocks = 3, 4, 8, 2
    for mode in ("pre", "post"):
        subs = _init(rng, blocks, d, dff)
        x0 = rng.normal(size=(t, d))
        g = rng.normal(size=(t, d))
        xs, caches = _stack(x0, subs, mode)
        xbars = _stack_backward(subs, caches, mode, g)
        fd = _fd_grad(lambda x, subs=subs, g=g, mode=mode: float(np.sum(g * _stack(x, subs, mode)[0][-1])), x0)
        errors.append(np.abs(fd - xbars[0]).max())
        if mode == "pre":
            # x-bar_l = x-bar_L + sum_k A_k^T x-bar_{k+1}, each branch VJP by finite differences.
            total = g.copy()
            for kk in range(len(subs) - 1, -1, -1):
                kind, p = subs[kk]

                def branch(x, kind=kind, p=p, w=xbars[kk + 1]):
                    return float(np.sum(w * _sublayer(kind)[0](_ln_f(x)[0], p)[0]))

                total = total + _fd_grad(branch, xs[kk])  # formula: eq:prenorm-adjoint
                errors.append(np.abs(total - xbars[kk]).max())

    # Zero branches: pre-norm passes the adjoint unchanged; post-norm multiplies by the
    # transposed norm Jacobians at every layer.
    subs = _init(rng, 3, d, dff, branch_scale=0.0)
    x0 = rng.normal(scale=3.0, size=(t, d)) + 1.0
    g = rng.normal(size=(t, d))
    xs, caches = _stack(x0, subs, "pre")
    errors.append(np.abs(_stack_backward(subs, caches, "pre", g)[0] - g).max())
    xs, caches = _stack(x0, subs, "post")
    xb = _stack_backward(subs, caches, "post", g)[0]
    ref = g.copy()
    for kk in range(len(subs) - 1, -1, -1):
        ref = _ln_b(ref, _ln_f(xs[kk])[1])  # formula: eq:postnorm-adjoint with A_k = 0
    errors.append(np.abs(xb - ref).max())
    errors.append(max(0.0, 0.5 - np.abs(xb - g).max()))  # and this is not the identity
    return float(np.max(errors)), 1e-7


def _block_params_formula(d):  # formula: eq:block-params
    return 12 * d * d + 13 * d


def _block_flops_formula(t, d, dff):  # formula: eq:block-flops, general d_ff, per token
    return 2 * (4 * d * d + 2 * d * dff) + 4 * t * d


def check_block_cost():
    """eq:block-params and eq:block-flops: parameter count from explicit arrays, forward
    FLOPs from an instrumented pass."""
    errors = []
    for d, heads in ((8, 2), (16, 4), (768, 12), (4096, 32)):
        errors.append(abs(_block_params(d, 4 * d) - _block_params_formula(d)))
    for d, heads, t in ((8, 2, 5), (16, 4, 7), (32, 4, 3)):
        x = np.random.default_rng(0).normal(size=(t, d))
        for dff in (4 * d, 3 * d):
            _, flops = _counted_block_forward(x, d, dff, heads)
            errors.append(abs(flops - t * _block_flops_formula(t, d, dff)))
    return float(np.max(errors)), 1e-9


def check_sinusoid_relative():
    """eq:sinusoid, eq:sinusoid-shift (e_{t+k} = R(k) e_t with R(k) orthogonal and independent
    of t), eq:sinusoid-dot, and permutation equivariance of a block without positions."""
    rng = np.random.default_rng(0)
    errors = []
    for _ in range(50):
        d = 2 * int(rng.integers(1, 16))
        t, k = rng.uniform(0, 5000, size=2)
        omega = 10000.0 ** (-np.arange(0, d, 2) / d)
        # Pairs (sin, cos): R(k) has blocks [[cos, sin], [-sin, cos]].
        r = np.zeros((d, d))
        for i, w in enumerate(omega):
            c, s = np.cos(k * w), np.sin(k * w)
            r[2 * i : 2 * i + 2, 2 * i : 2 * i + 2] = [[c, s], [-s, c]]  # formula: eq:sinusoid-shift
        errors.append(np.abs(_sinusoid(t + k, d) - r @ _sinusoid(t, d)).max())
        errors.append(np.abs(r.T @ r - np.eye(d)).max())
        t2 = rng.uniform(0, 5000)
        errors.append(np.abs(_sinusoid(t2 + k, d) - r @ _sinusoid(t2, d)).max())
        dot = np.cos(k * omega).sum()  # formula: eq:sinusoid-dot
        errors.append(abs(_sinusoid(t, d) @ _sinusoid(t + k, d) - dot))
        errors.append(abs(np.linalg.norm(_sinusoid(t, d)) ** 2 - d / 2))
    # Without positions and without a mask, a block is permutation-equivariant.
    d, dff = 8, 16
    p_attn = [rng.normal(size=(d, d)) / np.sqrt(d) for _ in range(4)]
    p_mlp = [rng.normal(size=(dff, d)) / np.sqrt(d), rng.normal(size=(d, dff)) / np.sqrt(dff)]

    def block(x):
        u, _ = _ln_f(x)
        wq, wk, wv, wo = p_attn
        pr = _softmax((u @ wq.T) @ (u @ wk.T).T / np.sqrt(d))
        h = x + pr @ (u @ wv.T) @ wo.T
        return h + _mlp_f(_ln_f(h)[0], p_mlp)[0]

    x = rng.normal(size=(6, d))
    perm = rng.permutation(6)
    errors.append(np.abs(block(x[perm]) - block(x)[perm]).max())
    return float(np.max(errors)), 1e-9


def check_rope_relative():
    """eq:rope-rotation, eq:rope-score: rotation composition, q_m.k_n depending only on n - m
    (shifts up to 1e4), norm preservation, the complex-number form, and the equivalence
    of the interleaved and split-half pairings up to a fixed permutation."""
    rng = np.random.default_rng(0)
    errors = []
    for _ in range(30):
        dk = 2 * int(rng.integers(1, 33))
        theta = 10000.0 ** (-np.arange(0, dk, 2) / dk)
        a, b = rng.uniform(-50, 50, size=2)
        ra, rb = _rot_matrix(a * theta), _rot_matrix(b * theta)
        relative = _rot_matrix((b - a) * theta)  # formula: step 2
        errors.append(np.abs(ra.T @ rb - relative).max())
        errors.append(np.abs(ra @ rb - rb @ ra).max())
        q, k = rng.normal(size=dk), rng.normal(size=dk)
        m, n = rng.integers(0, 2000, size=2)
        errors.append(np.abs(_rope(q, m) - _rot_matrix(m * theta) @ q).max())
        score = _rope(q, m) @ _rope(k, n)
        score_formula = np.sum(q * (_rot_matrix((n - m) * theta) @ k))  # formula: eq:rope-score
        errors.append(abs(score - score_formula) / (1 + abs(score)))
        for c in rng.integers(-(10**4), 10**4, size=3):
            errors.append(abs(_rope(q, m + c) @ _rope(k, n + c) - score) / (1 + abs(score)))
        errors.append(abs(np.linalg.norm(_rope(q, m)) - np.linalg.norm(q)))
        # Complex form: Re sum qc_i conj(kc_i) exp(i (m - n) theta_i).
        qc, kc = q[0::2] + 1j * q[1::2], k[0::2] + 1j * k[1::2]
        complex_form = np.real(np.sum(qc * np.conj(kc) * np.exp(1j * (m - n) * theta)))  # formula: step 4
        errors.append(abs(score - complex_form))
        # Split halves pairing: coordinates (i, i + dk/2); equal to interleaved after a permutation.
        half = dk // 2
        perm = np.empty(dk, dtype=int)
        perm[0::2], perm[1::2] = np.arange(half), np.arange(half) + half
        qh = np.empty(dk)
        qh[perm] = q  # q written in split-half layout
        ang = m * theta
        x1, x2 = qh[:half], qh[half:]
        rot_half = np.concatenate([x1 * np.cos(ang) - x2 * np.sin(ang), x2 * np.cos(ang) + x1 * np.sin(ang)])
        errors.append(np.abs(rot_half[perm] - _rope(q, m)).max())

    return float(np.max(errors)), 1e-9


# ---------------------------------------------------------------- quoted numbers


def _placement_row(blocks, init, seeds=3, t=32, d=128):
    """One row of the norm-placement table: per placement, the means over three seeds of
    |x0bar|/|xKbar|, the coefficient of xKbar in x0bar and the top stream's standard deviation."""
    scale = 1.0 if init == "standard" else 1 / np.sqrt(2 * blocks)
    vals = {"pre": [], "post": []}
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        subs = _init(rng, blocks, d, 4 * d, scale)
        x0 = rng.normal(size=(t, d))
        g = rng.normal(size=(t, d))
        for mode in ("pre", "post"):
            xs, caches = _stack(x0, subs, mode)
            xb0 = _stack_backward(subs, caches, mode, g)[0]
            vals[mode].append((np.linalg.norm(xb0) / np.linalg.norm(g), np.sum(xb0 * g) / np.sum(g * g), xs[-1].std()))
    pre, post = np.mean(vals["pre"], axis=0), np.mean(vals["post"], axis=0)
    return [pre[0], pre[1], pre[2], post[0], post[1]]


def numbers_placement_6_blocks():
    """The norm-placement table: 6 blocks, standard initialisation."""
    row = _placement_row(6, "standard")
    return {"| 6 | standard | {} | {} | {} | {} | {} |": row, "($c = {}$ at 6 blocks": row[4]}


def numbers_placement_24_blocks():
    """The norm-placement table: 24 blocks, standard initialisation."""
    row = _placement_row(24, "standard")
    return {"| 24 | standard | {} | {} | {} | {} | {} |": row, "at 6 blocks, ${}$ from 24 on)": row[4]}


def numbers_placement_48_blocks():
    """The norm-placement table: 48 blocks, standard initialisation."""
    row = _placement_row(48, "standard")
    return {"| 48 | standard | {} | {} | {} | {} | {} |": row, "from 1 at the input to ${}$ after 48 blocks": row[2]}


def numbers_placement_6_blocks_scaled():
    """The norm-placement table: 6 blocks, scaled output projections."""
    return {"| 6 | scaled | {} | {} | {} | {} | {} |": _placement_row(6, "scaled")}


def numbers_placement_48_blocks_scaled():
    """The norm-placement table: 48 blocks, scaled output projections."""
    row = _placement_row(48, "scaled")
    return {"| 48 | scaled | {} | {} | {} | {} | {} |": row, "and $c$ rises to about ${}$": row[4]}


def numbers_cost():
    """'Two checks make the formula concrete': GPT-2 small, and a block of width 4096."""
    d = 768
    gpt2_block = _block_params(d, 4 * d)
    gpt2 = 12 * gpt2_block + 50257 * d + 1024 * d + 2 * d  # blocks, shared token embedding, positions, final LN
    d, t, blocks = 4096, 4096, 32
    per_block = _block_params(d, 4 * d)
    fwd = _block_flops_formula(t, d, 4 * d)
    ratio, long_ratio = Fraction(t, 6 * d), Fraction(32768, 6 * d)
    return {
        "gives {=} parameters per block": gpt2_block,
        "and the final LayerNorm gives {=}, the count": gpt2,
        "one block has {=} parameters ({} MiB in bfloat16) and costs ${}$ forward FLOPs per token, of which ${}$ are weight products and ${}$ attention": (
            per_block,
            per_block * 2 / 2**20,
            fwd,
            24 * d * d,
            4 * t * d,
        ),
        "the ratio $T/(6d)$ is ${=}/{=}$, and rises to ${=}/{=}$ at $T = 32768$": (
            ratio.numerator,
            ratio.denominator,
            long_ratio.numerator,
            long_ratio.denominator,
        ),
        "Thirty-two such blocks hold {} billion parameters and cost ${}$ FLOPs per token forward": (
            blocks * per_block / 1e9,
            blocks * fwd,
        ),
        "training costs about ${}$ FLOPs per token": 3 * blocks * fwd,
    }


def numbers_rope_check():
    """'A numerical check in float64': the largest relative error of the shifted rotary score and
    of the complex form over random heads of width up to 64 and shifts up to 10^4."""
    rng = np.random.default_rng(0)
    worst = 0.0
    for _ in range(30):
        dk = 2 * int(rng.integers(1, 33))
        theta = 10000.0 ** (-np.arange(0, dk, 2) / dk)
        q, k = rng.normal(size=dk), rng.normal(size=dk)
        m, n = rng.integers(0, 2000, size=2)
        score = q @ _rot_matrix((n - m) * theta) @ k
        qc, kc = q[0::2] + 1j * q[1::2], k[0::2] + 1j * k[1::2]
        complex_form = np.real(np.sum(qc * np.conj(kc) * np.exp(1j * (m - n) * theta)))
        for c in rng.integers(-(10**4), 10**4, size=3):
            shifted = _rope(q, m + c) @ _rope(k, n + c)
            worst = max(worst, abs(shifted - score) / abs(score), abs(complex_form - score) / abs(score))
    return {"reproduces [[#eq:rope-score]] to a relative error of at most about ${}$": worst}


def numbers_positions():
    """'Positions': integers in float16 and bfloat16, and rotary scores in float32."""
    pos = np.arange(8192, dtype=np.float64)
    bf = _bf16(pos)
    values, counts = np.unique(bf, return_counts=True)
    inner = counts[(values > 4096) & (values < 8160)]
    rng = np.random.default_rng(0)
    dk = 128
    q, k = rng.normal(size=(1000, dk)), rng.normal(size=(1000, dk))
    ref = np.sum(_rope(q, 10) * _rope(k, 3), axis=-1)
    errors = []
    for c in (0, 10**3, 10**4, 10**5, 10**6):
        s32 = np.sum(_rope(q, 10 + c, dtype=np.float32) * _rope(k, 3 + c, dtype=np.float32), axis=-1)
        errors.append(np.abs(s32.astype(np.float64) - ref).max())
    theta = 10000.0 ** (-np.arange(0, dk, 2) / dk)
    angle_error = np.abs((np.float32(1e5) * theta.astype(np.float32)).astype(np.float64) - 1e5 * theta).max()
    return {
        "Float16 represents every integer exactly only up to {=}; bfloat16, with {=} significant bits, only up to {=}": (
            next(i for i in range(1, 5000) if float(np.float16(i + 1)) != i + 1),
            np.finfo(np.float32).nmant + 1 - 16,
            next(i for i in range(1, 5000) if float(_bf16(i + 1)) != i + 1),
        ),
        "bfloat16 can represent just {=} distinct values: every position from 4096 to {=} rounds to {=}, and {=} rounds to {=}, because the spacing there is {=} (in float16 it is {=})": (
            len(values),
            max(i for i in range(4096, 4200) if float(_bf16(i)) == 4096),
            4096,
            4113,
            float(_bf16(4113)),
            float(_bf16(4128) - _bf16(4096)),
            float(np.spacing(np.float16(4096))),
        ),
        "runs of up to {=} consecutive positions below 8192 (ties round to even, so between 4096 and 8191 the runs alternate between {=} and {=} positions)": (
            counts.max(),
            inner.min(),
            inner.max(),
        ),
        "the float32 angle at position $10^5$ is off by up to ${}$ radians": angle_error,
        "against scores with standard deviation {}, is ${}$ at offset 0, ${}$ at $10^3$, ${}$ at $10^4$, ${}$ at $10^5$ and ${}$ at $10^6$": (
            ref.std(),
            *errors,
        ),
    }


def numbers_stream_and_statistics():
    """'The residual stream' and 'Normalisation statistics'."""
    bits = int(np.array(100.0, dtype=np.float32).view(np.uint32))  # 100 is a bfloat16 number
    below, above = (np.array(bits + step, dtype=np.uint32).view(np.float32) for step in (-(1 << 16), 1 << 16))
    small, large = float(_bf16(_bf16(100.0) + _bf16(0.2))), float(_bf16(_bf16(100.0) + _bf16(0.3)))
    with np.errstate(over="ignore"):
        x = np.array([300.0, -300.0] * 8, dtype=np.float16)
        xc = x - np.mean(x)
        var = np.mean(xc * xc)
        normed = xc / np.sqrt(var)
        sq255, sq256 = np.float16(255) * np.float16(255), np.float16(256) * np.float16(256)
    variance = "an infinite" if np.isinf(var) else "a finite"
    extra_bits = ["no", "one", "two", "three", "four"][np.finfo(np.float16).nmant - 7]  # bfloat16 stores 7
    output = "exactly zero" if not normed.any() else "nonzero"
    return {
        "the numbers next to 100 are {} and {}, so $100 + 0.2$ returns exactly {=}": (
            float(below),
            float(above),
            small,
        ),
        "And $100 + 0.3$ returns {}, an update {}% too large": (large, 100 * ((large - 100) / 0.3 - 1)),
        f"Float16 has {extra_bits} more significant bits but overflows at {{=}}": float(np.finfo(np.float16).max),
        f"In float16, $255^2 = {{=}}$ rounds to the finite ${{=}}$ but $256^2$ {'overflows' if np.isinf(sq256) else 'does not'}": (
            255**2,
            float(sq255),
        ),
        f"gets {variance} variance and a normalised output of {output}": [],
    }


if __name__ == "__main__":
    for name, fn in list(globals().items()):
        if name.startswith("check_"):
            print(name, fn())
        if name.startswith("numbers_"):
            for excerpt, value in fn().items():
                print(f"  {excerpt}: {value}")
