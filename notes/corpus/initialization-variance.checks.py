"""Numerical checks for notes/corpus/initialization-variance.md.

One function per derivation block, named check_<derivation id with - replaced by _>.
Each returns (measured_error, tolerance); the check passes when measured_error <= tolerance.
Where a check combines several sub-checks, each sub-error is divided by its own tolerance and the
function returns (max ratio, 1.0). Monte Carlo sub-checks use tolerances of five standard errors.
The derived second moments are marked `# formula`; the numbers_ functions compute every number the
note quotes.
"""

import numpy as np
from numpy.polynomial.hermite_e import hermegauss


def _mc_ratio(samples, target, k=5.0):
    """|mean - target| in units of k standard errors (pass if <= 1)."""
    samples = np.asarray(samples, dtype=np.float64)
    se = samples.std(ddof=1) / np.sqrt(samples.size)
    return float(abs(samples.mean() - target) / (k * se))


_NODES, _WEIGHTS = hermegauss(101)


def _gauss_expect(f, q):
    """E[f(z)] for z ~ N(0, q), by Gauss-Hermite quadrature with 101 nodes."""
    return float(np.sum(_WEIGHTS * f(np.sqrt(q) * _NODES)) / np.sum(_WEIGHTS))


def relu(z):
    return np.maximum(z, 0.0)


def relu_prime(z):
    return (z > 0).astype(float)


def tanh_prime(z):
    return 1.0 - np.tanh(z) ** 2


def forward_backward(
    rng, widths, var_scale, act=relu, dact=relu_prime, batch=64, mode="fan_in", grads=False, blas=False
):
    """Random MLP without biases, weights N(0, var_scale / fan). Returns per-layer second moments
    q_k = mean(z_k^2) (k = 1..K) and r_k = mean(hbar_k^2) (k = 0..K) for a random output adjoint;
    with grads=True also g_k = mean(Wbar_k^2) (k = 1..K), Wbar_k = Zbar_k^T H_{k-1} (eq:vjp-w).
    Products go through einsum, which stays on one thread in the test process (a threaded BLAS on a
    busy machine is many times slower), unless blas=True: the numbers_ functions, which the runner
    runs in a child limited to one thread, use the much faster BLAS products."""

    def mm(a, b):
        return a @ b if blas else np.einsum("ij,jk->ik", a, b)

    H = rng.standard_normal((batch, widths[0]))
    Hs, Zs, Ws, q = [H], [], [], []
    for k in range(1, len(widths)):
        fan = widths[k - 1] if mode == "fan_in" else widths[k]
        W = rng.standard_normal((widths[k], widths[k - 1])) * np.sqrt(var_scale / fan)
        Z = mm(H, W.T)  # eq:batched-linear with zero bias
        H = act(Z)
        Hs.append(H)
        Zs.append(Z)
        Ws.append(W)
        q.append(np.mean(Z**2))
    Hbar = rng.standard_normal(H.shape)
    r, g = [np.mean(Hbar**2)], []
    for k in reversed(range(len(Ws))):
        Zbar = Hbar * dact(Zs[k])  # elementwise VJP
        if grads:
            g.append(np.mean(mm(Zbar.T, Hs[k]) ** 2))  # weight VJP
        Hbar = mm(Zbar, Ws[k])  # input VJP
        r.append(np.mean(Hbar**2))
    if grads:
        return np.array(q), np.array(r[::-1]), np.array(g[::-1])
    return np.array(q), np.array(r[::-1])


def check_linear_layer_variance():
    """eq:forward-variance, eq:backward-variance and the weight-gradient moment, by Monte Carlo with
    non-Gaussian weights (uniform) and non-Gaussian, non-identically distributed inputs and adjoints."""
    rng = np.random.default_rng(0)
    ratios = []
    R, m, n = 50000, 5, 4
    a = 0.7
    sigma2 = a**2 / 3  # variance of U(-a, a)
    W = rng.uniform(-a, a, size=(R, m, n))
    scales = np.array([0.5, 1.0, 2.0, 3.0])
    h = rng.exponential(1.0, size=(R, n)) * scales  # E[h_j^2] = 2 scales_j^2, nonzero mean
    z = np.einsum("rij,rj->ri", W, h)
    target = sigma2 * np.sum(2 * scales**2)  # formula: eq:forward-variance (n sigma^2 times the mean)
    for i in range(m):
        ratios.append(_mc_ratio(z[:, i] ** 2, target))
    ratios.append(_mc_ratio(z[:, 0] * z[:, 1], 0.0))  # different outputs uncorrelated
    ratios.append(_mc_ratio(z[:, 2], 0.0))  # mean zero
    # Backward: zbar independent of W, nonzero mean and unequal second moments
    zs = np.array([0.3, 1.0, 1.5, 0.2, 2.0])
    zbar = (1.0 + rng.standard_normal((R, m))) * zs  # E[zbar_i^2] = 2 zs_i^2
    hbar = np.einsum("rij,ri->rj", W, zbar)  # hbar = W^T zbar
    target_b = sigma2 * np.sum(2 * zs**2)  # formula: eq:backward-variance
    for j in range(n):
        ratios.append(_mc_ratio(hbar[:, j] ** 2, target_b))
    # Weight gradient Wbar = zbar h^T: E[Wbar_ij^2] = E[zbar_i^2] E[h_j^2]
    target_w = 2 * zs[2] ** 2 * 2 * scales[3] ** 2  # formula: step 5
    ratios.append(_mc_ratio((zbar[:, 2] * h[:, 3]) ** 2, target_w))
    # A wrong factor must fail: fan-out in place of fan-in in the forward formula
    wrong = sigma2 * m * np.mean(2 * scales**2)
    ratios.append(0.0 if _mc_ratio(z[:, 0] ** 2, wrong) > 1.0 else 2.0)
    return float(np.max(ratios)), 1.0


def check_glorot_balance():
    """Var U(-a, a) with a = sqrt(6/(n_in + n_out)) is 2/(n_in + n_out) (eq:glorot); in a linear
    network with changing widths, the per-layer forward and backward factors are
    2 n_in/(n_in + n_out) and 2 n_out/(n_in + n_out), and both are 1 at constant width."""
    rng = np.random.default_rng(0)
    ratios = []
    n_in, n_out = 300, 100
    a = np.sqrt(6 / (n_in + n_out))  # formula: eq:glorot-uniform
    w = rng.uniform(-a, a, size=100000)
    glorot = 2 / (n_in + n_out)  # formula: eq:glorot
    ratios.append(_mc_ratio(w**2, glorot))
    # Linear network, Glorot normal weights, one example per seed, many seeds (exact in expectation)
    widths = [8, 24, 6, 16]
    R = 15000
    x = rng.standard_normal((R, widths[0]))
    h = x
    Ws = []
    for k in range(1, len(widths)):
        s2 = 2 / (widths[k - 1] + widths[k])  # formula: eq:glorot
        W = rng.standard_normal((R, widths[k], widths[k - 1])) * np.sqrt(s2)
        Ws.append(W)
        h = np.einsum("rij,rj->ri", W, h)
    fwd = np.prod([2 * widths[k - 1] / (widths[k - 1] + widths[k]) for k in range(1, len(widths))])  # formula
    ratios.append(_mc_ratio(np.mean(h**2, axis=1), fwd * 1.0))  # E[x^2] = 1
    # Backward with an output adjoint independent of the weights (exact for a linear network)
    hbar = rng.standard_normal((R, widths[-1]))
    for W in reversed(Ws):
        hbar = np.einsum("rij,ri->rj", W, hbar)
    bwd = np.prod([2 * widths[k] / (widths[k - 1] + widths[k]) for k in range(1, len(widths))])  # formula
    ratios.append(_mc_ratio(np.mean(hbar**2, axis=1), bwd))
    # The two factors differ here, so the check distinguishes them
    ratios.append(0.0 if abs(fwd - bwd) > 0.3 else 2.0)
    return float(np.max(ratios)), 1.0


def check_he_relu_factor():
    """E[relu(z)^2] = E[z^2]/2 for symmetric z (eq:relu-second-moment); the recursion
    q_k = (n sigma^2 / 2) q_{k-1} (eq:relu-recursion) in expectation through a deep ReLU network;
    fan-in He init: backward second moment changes by n_K/n_0 over the whole network (eq:fan-in-telescoping)."""
    rng = np.random.default_rng(0)
    ratios = []
    # Symmetric, non-Gaussian z: Laplace and a symmetric mixture
    for z in (rng.laplace(0, 1.3, 100000), rng.standard_normal(100000) * rng.choice([0.2, 3.0], 100000)):
        half = z**2 / 2  # formula: eq:relu-second-moment
        ratios.append(_mc_ratio(relu(z) ** 2 - half, 0.0))
    # Conditional argument: z = W h with symmetric W and a fixed, skewed h
    h = rng.exponential(1.0, 7)
    W = rng.uniform(-1, 1, size=(100000, 7))
    z = W @ h
    conditional = np.sum(h**2) / 3 / 2  # formula: step 2 with Var U(-1, 1) = 1/3
    ratios.append(_mc_ratio(relu(z) ** 2, conditional))
    # Deep ReLU network, width 16, one example per seed: E[q_k] = (n s2/2)^(k-1) E[q_1] at every depth k,
    # with E[q_1] = (s2/n) E[norm(x)^2] = s2. ReLU is positively homogeneous, so q_k scales exactly as
    # s2^k for fixed standard-normal weights; one s2 tests the factor for every s2. It is not He's 2,
    # where the factor is 1 and a wrong exponent would go unseen.
    R, n, K, s2 = 3000, 16, 8, 3.0
    hh = rng.standard_normal((R, n))
    for k in range(1, K + 1):
        W = rng.standard_normal((R, n, n)) * np.sqrt(s2 / n)
        zz = np.einsum("rij,rj->ri", W, hh)
        hh = relu(zz)
        predicted = (n * (s2 / n) / 2) ** (k - 1) * s2  # formula: eq:relu-recursion
        ratios.append(_mc_ratio(np.mean(zz**2, axis=1), predicted))
    # Backward with changing widths and fan-in He init: r_0 / r_K ~ n_K / n_0 (gradient-independence
    # approximation; 10% tolerance at widths >= 32, averaged over 30 networks)
    widths = [32, 128, 48, 96, 64]
    rs = np.array([forward_backward(rng, widths, 2.0, batch=32)[1] for _ in range(30)])
    ratio = rs[:, 0].mean() / rs[:, -1].mean()
    telescoped = widths[-1] / widths[0]  # formula: eq:fan-in-telescoping
    ratios.append(abs(ratio / telescoped - 1) / 0.10)
    # ... while fan-out init preserves the backward pass instead
    rs = np.array([forward_backward(rng, widths, 2.0, batch=32, mode="fan_out")[1] for _ in range(30)])
    ratios.append(abs(rs[:, 0].mean() / rs[:, -1].mean() - 1) / 0.10)
    return float(np.max(ratios)), 1.0


# Numbers quoted in the note: each numbers_ function returns excerpts of the note with {} where a
# number stands, and the runner compares the computed values with the printed ones.

N, K, B = 256, 50, 32  # the depth table: width, depth, batch (median over five networks)


def _table_rows(configs, seed):
    """Per configuration (name, act, dact, n sigma^2): medians over five networks of q_50/q_1, r_0/r_50,
    the layer-1 weight-gradient second moment and its ratio to the last layer's."""
    rng = np.random.default_rng(seed)
    rows = {}
    for name, act, dact, s2 in configs:
        runs = [forward_backward(rng, [N] * (K + 1), s2, act, dact, batch=B, grads=True, blas=True) for _ in range(5)]
        rows[name] = [
            float(np.median(v)) for v in zip(*[(q[-1] / q[0], r[0] / r[-1], g[0], g[0] / g[-1]) for q, r, g in runs])
        ]
    return rows


def _tanh_length_map(s2, layers=K):
    """q_k = s2 E[tanh(z)^2], z ~ N(0, q_{k-1}), from q_1 = s2 (unit inputs), and chi_k = s2 E[tanh'(z_k)^2]."""
    qs = [s2]
    for _ in range(layers - 1):
        qs.append(s2 * _gauss_expect(lambda z: np.tanh(z) ** 2, qs[-1]))
    chis = [s2 * _gauss_expect(lambda z: tanh_prime(z) ** 2, q) for q in qs]
    return qs, chis


def numbers_relu_rows():
    """The four ReLU rows of the table and the lessons drawn from them."""
    rows = _table_rows(
        [
            ("1/3", relu, relu_prime, 1 / 3),
            ("1", relu, relu_prime, 1.0),
            ("2", relu, relu_prime, 2.0),
            ("2.2", relu, relu_prime, 2.2),
        ],
        seed=0,
    )
    quoted = {}
    for label, name in [("$1/3$", "1/3"), ("$1$", "1"), ("$2$ (He)", "2"), ("$2.2$", "2.2")]:
        s2 = {"1/3": 1 / 3, "1": 1.0, "2": 2.0, "2.2": 2.2}[name]
        fq, fr = rows[name][:2]
        quoted[f"| ReLU, {label} | ${{}}$ | ${{}}$ | ${{}}$ | ${{}}$ |"] = (fq, (s2 / 2) ** (K - 1), fr, (s2 / 2) ** K)
    ratios = [rows[name][3] for name in rows]
    quoted |= {
        "leaves the adjoint at the input ${}$ times smaller": 1 / rows["1"][1],
        "about $2^{49} \\approx {}$ times smaller than under He initialisation (measured at layer 1: ${}$)": (
            2.0**49,
            rows["2"][2] / rows["1"][2],
        ),
        "(the {} for He, the {} against {})": (rows["2"][0], rows["2.2"][0], 1.1 ** (K - 1)),
        "the first-to-last ratio of their second moments lies between ${}$ and ${}$ for every ReLU row": (
            min(ratios),
            max(ratios),
        ),
    }
    return quoted


def numbers_tanh_rows():
    """The tanh and identity rows of the table, the tanh fixed point, and the weight-gradient ratio."""
    rows = _table_rows(
        [
            ("tanh 1", np.tanh, tanh_prime, 1.0),
            ("tanh gain", np.tanh, tanh_prime, 25 / 9),
            ("identity", lambda z: z, np.ones_like, 1.0),
        ],
        seed=1,
    )
    quoted = {}
    for label, name, s2 in [("$\\tanh$, $1$", "tanh 1", 1.0), ("$\\tanh$, $(5/3)^2$", "tanh gain", 25 / 9)]:
        qs, chis = _tanh_length_map(s2)
        fq, fr = rows[name][:2]
        quoted[f"| {label} | ${{}}$ | ${{}}$ | ${{}}$ | ${{}}$ |"] = (fq, qs[-1] / qs[0], fr, float(np.prod(chis)))
    fq, fr = rows["identity"][:2]
    quoted["| identity, $1$ | ${}$ | ${=}$ | ${}$ | ${=}$ |"] = (fq, 1.0, fr, 1.0)
    qs, _ = _tanh_length_map(1.0)
    q_gain, chi_gain = _tanh_length_map(25 / 9)
    quoted |= {
        "(at $k = 50$ the quadrature gives $2kq_k = {}$)": 2 * K * qs[-1],
        "settles at a fixed point $q^\\star = {}$, but there the backward factor is $\\chi = {}$ per layer": (
            q_gain[-1],
            chi_gain[-1],
        ),
        "the first layer's weight gradients are ${}$ times larger": rows["tanh gain"][3],
        "against ${}$ for the $\\tanh$ row below": rows["tanh gain"][3],
    }
    return quoted


def numbers_spread():
    """Percentiles of q_50/q_1 under He initialisation over random networks, at two widths."""
    rng = np.random.default_rng(2)
    quoted = []
    for width, seeds in ((256, 20), (64, 50)):
        ratios = [
            q[-1] / q[0]
            for q, _ in (forward_backward(rng, [width] * (K + 1), 2.0, batch=B, blas=True) for _ in range(seeds))
        ]
        quoted += list(np.percentile(ratios, [10, 50, 90]))
    return {"are ${}$, ${}$ and ${}$ at width 256, but ${}$, ${}$ and ${}$ at width 64": quoted}


def numbers_scales():
    """Growth over fifty layers, float16 limits, and the PyTorch and Glorot bounds."""
    tiny16 = float(np.finfo(np.float16).tiny)
    k = np.arange(1, 60)
    rms = np.sqrt((1 / 6) ** (k - 1) * (1 / 3))  # q_1 = 1/3 for unit-variance inputs, then the factor 1/6
    # nn.Linear: kaiming_uniform_(a = sqrt(5)) has bound gain * sqrt(3 / fan_in) with gain = sqrt(2 / (1 + a^2))
    fan_in = 1000
    bound = np.sqrt(2.0 / (1 + 5.0)) * np.sqrt(3.0 / fan_in)
    return {
        "$0.9^{50} \\approx {}$ and $1.1^{50} \\approx {}$": (round(0.9**50, 3), 1.1**50),
        "the smallest normal float16 number, ${}$, at layer {=}": (tiny16, int(k[np.argmax(rms < tiny16)])),
        "below $2^{-25} \\approx {}$ they round to zero": 2.0**-25
        if np.float16(0.51 * 2.0**-24) != 0 and np.float16(0.49 * 2.0**-24) == 0
        else np.nan,
        "beyond its largest finite value, ${}$": float(np.finfo(np.float16).max),
        # the bound is 1/sqrt(fan_in) and the variance 1/(3 fan_in), as the note says
        "draws from $[{}, {}]$": (-np.sqrt(6 / 2560), np.sqrt(6 / 2560))
        if np.isclose(bound * np.sqrt(fan_in), 1) and np.isclose(bound**2 / 3 * fan_in, 1 / 3)
        else (np.nan, np.nan),
    }


# ---------------------------------------------------------------- figures
def figure_depth_profiles():
    """q_k / q_1 through 50 layers for one network (seed 0) of the depth table's shape (width 256,
    batch 32, forward_backward()), keeping every layer, for five rows of the table."""
    rows = {
        "ReLU, nσ² = 1": (1.0, relu, relu_prime),
        "ReLU, nσ² = 2 (He)": (2.0, relu, relu_prime),
        "ReLU, nσ² = 2.2": (2.2, relu, relu_prime),
        "tanh, nσ² = 1": (1.0, np.tanh, tanh_prime),
        "tanh, nσ² = (5/3)²": ((5 / 3) ** 2, np.tanh, tanh_prime),
    }
    series = []
    for label, (var_scale, act, dact) in rows.items():
        q, _ = forward_backward(np.random.default_rng(0), [N] * (K + 1), var_scale, act, dact, batch=B, blas=True)
        series.append({"label": label, "x": np.arange(1, K + 1), "y": q / q[0]})
    return {
        "title": "Second moment of the pre-activations through 50 layers",
        "summary": "ReLU with nσ² = 1 halves the second moment at every layer; He initialisation keeps it "
        "between 0.13 and 1.15 in this network; tanh with nσ² = 1 decays slowly, and with the gain 5/3 settles at a fixed point.",
        "x": {"label": "layer k"},
        "y": {"label": "qₖ / q₁", "scale": "log"},
        "series": series,
    }


if __name__ == "__main__":
    for name, fn in list(globals().items()):
        if name.startswith("check_"):
            print(name, fn())
        if name.startswith("numbers_"):
            for excerpt, value in fn().items():
                print(f"  {excerpt}: {value}")
