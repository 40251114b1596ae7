"""Numerical checks for notes/corpus/adam-adamw.md.

One function per derivation block, named check_<derivation id with - replaced by _>.
Each returns (measured_error, tolerance); the check passes when measured_error <= tolerance.
Where a check combines several sub-checks, each sub-error is divided by its own tolerance and the
function returns (max ratio, 1.0). Monte Carlo sub-checks use tolerances of several standard errors.
numbers_<name>() return the numbers the note quotes, keyed by the excerpt of the note around each
(notes/checking/quoted.py); the runner compares them with the note's text.
"""

import numpy as np

B1, B2, EPS = 0.9, 0.999, 1e-8


def _adam_updates(G, b1=B1, b2=B2, eps=EPS):
    """Normalised updates u_t (eq:adam-update) for a gradient sequence G of shape (T, ...)."""
    m = np.zeros(G.shape[1:])
    v = np.zeros(G.shape[1:])
    out = np.empty_like(G)
    for t in range(1, G.shape[0] + 1):
        g = G[t - 1]
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        out[t - 1] = (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return out


# The code block of the note, verbatim apart from comments.
def adamw_step(theta, g, m, v, t, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, wd=0.0):
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    u = (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return theta - lr * (u + wd * theta), m, v


def _step_bound(t, b1=B1, b2=B2):  # formula
    """Right-hand side of eq:adam-step-bound at step t, and its limit."""
    r = b1**2 / b2
    finite = np.sqrt(1 - b2**t) / (1 - b1**t) * (1 - b1) / np.sqrt(1 - b2) * np.sqrt((1 - r**t) / (1 - r))
    limit = (1 - b1) / np.sqrt((1 - b2) * (1 - r))
    return finite, limit


def check_adam_bias_correction():
    """E[m_t] = (1 - b1^t) mu and E[v_t] = (1 - b2^t) E[g^2] (eq:adam-bias) by Monte Carlo;
    the unrolled form (eq:adam-m-unrolled) against the recursion on non-stationary gradients;
    the first bias-corrected step is g/(|g| + eps)."""
    rng = np.random.default_rng(0)
    ratios = []
    # Monte Carlo: R independent runs of stationary iid gradients g ~ N(mu, sigma^2)
    R, T, mu, sigma = 20000, 60, 0.7, 1.3
    m = np.zeros(R)
    v = np.zeros(R)
    for t in range(1, T + 1):
        g = mu + sigma * rng.standard_normal(R)
        m = B1 * m + (1 - B1) * g
        v = B2 * v + (1 - B2) * g * g
        if t in (1, 5, 20, 60):
            se_m = m.std() / np.sqrt(R)
            se_v = v.std() / np.sqrt(R)
            mean_m = (1 - B1**t) * mu  # formula: step 3
            mean_v = (1 - B2**t) * (mu**2 + sigma**2)  # formula: step 4
            m_hat = m / (1 - B1**t)  # formula: eq:adam-hat
            ratios.append(abs(m.mean() - mean_m) / (5 * se_m))
            ratios.append(abs(v.mean() - mean_v) / (5 * se_v))
            # corrected versions are unbiased; the uncorrected ones are not (the check can fail)
            ratios.append(abs(m_hat.mean() - mu) / (5 * m_hat.std() / np.sqrt(R)))
    # A biased estimator must be detected: the uncorrected v at t = 60 is far from E[g^2]
    ratios.append(2.0 if abs(v.mean() - (mu**2 + sigma**2)) < 0.5 else 0.0)
    # Unrolled form on an arbitrary (non-stationary) sequence, and normalised weights sum to 1
    G = rng.standard_normal(40) * np.linspace(0.1, 5, 40) + np.linspace(-2, 3, 40)
    mm = 0.0
    for t in range(1, 41):
        mm = B1 * mm + (1 - B1) * G[t - 1]
        unrolled = (1 - B1) * sum(B1 ** (t - s) * G[s - 1] for s in range(1, t + 1))  # formula
        w = (1 - B1) * B1 ** (t - np.arange(1, t + 1)) / (1 - B1**t)  # formula: step 2
        ratios.append(abs(mm - unrolled) / 1e-12)
        ratios.append(abs(w.sum() - 1) / 1e-12)
    # First bias-corrected step: u_1 = g/(|g| + eps) exactly
    g1 = rng.standard_normal((1, 7)) * 10.0 ** rng.integers(-9, 2, size=(1, 7))
    u1 = _adam_updates(g1)[0]
    first = g1[0] / (np.abs(g1[0]) + EPS)  # formula
    ratios.append(np.max(np.abs(u1 - first)) / 1e-12)
    return float(np.max(ratios)), 1.0


def check_adam_scale_invariance():
    """eq:adam-scale: gradients c*g with eps = 0 give identical updates; with eps > 0 they equal
    the updates for g with eps/c. eq:adam-step-bound: attained by g_s ~ (b1/b2)^(t-s), never
    exceeded by random sequences, increasing toward its limit. Reparametrisation theta = d * phi
    multiplies the step in theta by d."""
    rng = np.random.default_rng(0)
    ratios = []
    T, P = 300, 6
    G = rng.standard_normal((T, P)) * 10.0 ** rng.uniform(-6, 2, size=P) + 0.1
    c = 10.0 ** rng.uniform(-4, 4, size=P)
    u0 = _adam_updates(G, eps=0.0)
    uc0 = _adam_updates(c * G, eps=0.0)
    ratios.append(np.max(np.abs(u0 - uc0)) / 1e-10)
    # with eps > 0 the invariance fails ...
    eps = 1e-3
    u_eps = _adam_updates(G, eps=eps)
    uc_eps = _adam_updates(c * G, eps=eps)
    ratios.append(0.0 if np.max(np.abs(u_eps - uc_eps)) > 1e-3 else 2.0)
    # ... and is restored by eps/c, coordinate by coordinate
    for j in range(P):
        uj = _adam_updates(G[:, j : j + 1], eps=eps / c[j])[:, 0]  # formula
        ratios.append(np.max(np.abs(uj - uc_eps[:, j])) / 1e-10)
    # Reparametrisation theta = d * phi on a non-quadratic loss: Adam (eps = 0) run on phi traces the
    # same theta trajectory as Adam run on theta with the per-coordinate learning rate eta * d_j, and
    # a different one from Adam on theta with the rate eta (the invariance is not to parameter scale).
    d = 10.0 ** rng.uniform(-2, 2, size=P)
    Hr = rng.standard_normal((P, P))
    Hr = Hr @ Hr.T / P + np.eye(P)

    def grad_f(th):
        return Hr @ th + np.tanh(th) - 1.0

    def adam_run(x, grad_fn, lr, steps=150):
        m = np.zeros(P)
        v = np.zeros(P)
        path = []
        for t in range(1, steps + 1):
            x, m, v = adamw_step(x, grad_fn(x), m, v, t, lr=lr, eps=0.0)
            path.append(x)
        return np.array(path)

    th0 = rng.standard_normal(P)
    phi_path = adam_run(th0 / d, lambda ph: d * grad_f(d * ph), 1e-2)
    th_path = adam_run(th0, grad_f, 1e-2 * d)  # formula
    ratios.append(np.max(np.abs(d * phi_path - th_path)) / 1e-10)
    plain = adam_run(th0, grad_f, 1e-2)
    ratios.append(0.0 if np.max(np.abs(d * phi_path - plain)) > 1e-2 else 2.0)
    # Step bound: Cauchy-Schwarz equality case attains it exactly
    finite, limit = _step_bound(np.arange(1, 200001))
    ratios.append(max(0.0, float(np.max(finite - limit))) / 1e-12)
    ratios.append(abs(finite[-1] - limit) / 1e-9)  # and the limit is the limit
    ratios.append(max(0.0, -float(np.min(np.diff(finite)))) / 1e-12)  # increasing in t
    for t in (1, 2, 10, 50, 400):
        s = np.arange(1, t + 1)
        g_worst = (B1 / B2) ** (t - s)  # formula: the equality case g_s ~ a_s / b_s
        u_t = _adam_updates(g_worst[:, None], eps=0.0)[-1, 0]
        ratios.append(abs(u_t - _step_bound(t)[0]) / 1e-9)
    # Random sequences (including sign-constant and growing ones) never exceed the bound
    worst = 0.0
    for _ in range(200):
        t = int(rng.integers(1, 300))
        g = rng.standard_normal(t) * np.exp(rng.uniform(0, 0.2) * np.arange(t)) + rng.uniform(-1, 1)
        u = _adam_updates(g[:, None], eps=0.0)[:, 0]
        worst = max(worst, float(np.max(np.abs(u) - _step_bound(np.arange(1, t + 1))[0])))
    ratios.append(max(0.0, worst) / 1e-9)
    return float(np.max(ratios)), 1.0


def _window_sum_variance(W):  # formula: step 4
    """Var of the sum of W consecutive m_t for iid unit-variance gradients: the weights
    1 - b1^k of the W gradients inside the window and the geometric tail before it."""
    k = np.arange(1, W + 1)
    return np.sum((1 - B1**k) ** 2) + B1**2 * (1 - B1**W) ** 2 / (1 - B1**2)


def check_adam_effective_step():
    """E[u] ~ mu/sqrt(mu^2 + sigma^2) (eq:adam-mean-update) and sd(u) ~ sqrt((1-b1)/(1+b1)) sigma/sqrt(...)
    (eq:adam-update-noise), by simulation at stationarity; Var(m) = (1-b1)/(1+b1) sigma^2 exactly;
    step 4: the sum of many consecutive updates has the variance of a sum of g_s / sigma."""
    rng = np.random.default_rng(0)
    ratios = []
    N, T, burn = 800, 2200, 1400
    for snr in (0.0, 0.3, 1.0, 3.0):
        m = np.zeros(N)
        v = np.zeros(N)
        us = []
        ms = []
        for t in range(1, T + 1):
            g = snr + rng.standard_normal(N)
            m = B1 * m + (1 - B1) * g
            v = B2 * v + (1 - B2) * g * g
            if t > burn:
                us.append((m / (1 - B1**t)) / (np.sqrt(v / (1 - B2**t)) + EPS))
                ms.append(m.copy())
        us = np.array(us)
        ms = np.array(ms)
        scale = np.sqrt(snr**2 + 1)  # formula: step 1
        mean_pred = snr / scale  # formula: eq:adam-mean-update
        sd_pred = np.sqrt((1 - B1) / (1 + B1)) / scale  # formula: eq:adam-update-noise
        var_m = (1 - B1) / (1 + B1)  # formula: step 2
        if snr == 0.0:
            # step 4: the sum of W consecutive updates has variance sum_s w_s^2 (about W), where w_s is
            # the total weight of g_s in the sum of the m_t (exact for the EMA; v treated as constant 1)
            W = T - burn
            pred = _window_sum_variance(W)
            var_sum = us.sum(0).var()
            ratios.append(abs(var_sum - pred) / (5 * pred * np.sqrt(2 / N)))
            ratios.append(2.0 if var_sum < 0.5 * W else 0.0)  # not the 0.23^2 W of independent steps
            # exactly: the weight of each g_s in the sum of m_t over a window of W steps, from the
            # recursion run on the coefficient vector, gives sum_s w_s^2 = the closed form
            for W in (1, 3, 10, 800):
                coef = np.zeros(400 + W)
                total = np.zeros(400 + W)
                for t in range(1, 400 + W + 1):
                    coef = B1 * coef
                    coef[t - 1] += 1 - B1
                    if t > 400:
                        total += coef
                ratios.append(abs(np.sum(total**2) - _window_sum_variance(W)) / (1e-12 * W))
        # approximation quality: tolerance 0.01 absolute on the mean and 3% on the sd
        ratios.append(abs(us.mean() - mean_pred) / 0.01)
        ratios.append(abs(us.std() - sd_pred) / (0.03 * sd_pred))
        # exact variance of the moving average, Monte Carlo (5 standard errors, correlated samples
        # thinned by using the cross-sectional variance at the last step only)
        var_last = ms[-1].var()
        se = var_last * np.sqrt(2 / N)
        ratios.append(abs(var_last - var_m) / (5 * se))
    # The closed-form sum: (1 - b1)^2 sum b1^(2k) = (1 - b1)/(1 + b1)
    k = np.arange(2000)
    ratios.append(abs((1 - B1) ** 2 * np.sum(B1 ** (2 * k)) - var_m) / 1e-14)
    return float(np.max(ratios)), 1.0


def _noisy_quadratic(decoupled, rng, sig, lam=0.1, eta=5e-3, T=8000, R=32, th0=0.0):
    """Adam with L2 (decoupled=False) or AdamW (True) on sum_j (theta_j - 1)^2 / 2 with gradient
    noise sig_j; decoupled may also be a boolean array, one entry per coordinate.
    Returns the average of theta and of sqrt(vhat) + eps over the second half."""
    P = len(sig)
    th = np.full((R, P), th0)
    m = np.zeros((R, P))
    v = np.zeros((R, P))
    acc = np.zeros(P)
    acc_s = np.zeros(P)
    n = 0
    for t in range(1, T + 1):
        g = (th - 1.0) + sig * rng.standard_normal((R, P))
        g = np.where(decoupled, g, g + lam * th)
        m = B1 * m + (1 - B1) * g
        v = B2 * v + (1 - B2) * g * g
        s = np.sqrt(v / (1 - B2**t)) + EPS
        u = (m / (1 - B1**t)) / s
        th = th - eta * (u + np.where(decoupled, lam * th, 0.0))
        if t > T // 2:
            acc += th.mean(0)
            acc_s += s.mean(0)
            n += 1
    return acc / n, acc_s / n


def check_adamw_versus_l2():
    """SGD: L2 step = decoupled step. Frozen diagonal preconditioner D: AdamW step = D times the
    finite-difference gradient of L + (lam/2) theta^T D^{-1} theta (eq:adamw-penalty), Adam-L2
    step = D times the gradient of L + (lam/2)||theta||^2. Loss scaling: Adam-L2 with c*L equals
    Adam-L2 with lam/c, eps/c; AdamW with c*L equals AdamW with eps/c. Noisy quadratic rest points."""
    rng = np.random.default_rng(0)
    ratios = []
    P, lam, eta = 5, 0.3, 0.05
    A = rng.standard_normal((P, P))
    H = A @ A.T + np.eye(P)
    b = rng.standard_normal(P)

    def loss(th):
        return 0.5 * th @ H @ th - b @ th

    def grad(th):
        return H @ th - b

    def fd_grad(f, x, h=1e-5):
        e = np.eye(len(x))
        return np.array([(f(x + h * e[i]) - f(x - h * e[i])) / (2 * h) for i in range(len(x))])

    th = rng.standard_normal(P)
    # 1. SGD: gradient descent on the penalised loss (its gradient by finite differences) traces
    #    the same iterates as the decoupled step (1 - eta lam) theta - eta grad L.
    x_pen = th.copy()
    x_dec = th.copy()
    for _ in range(20):
        x_pen = x_pen - eta * fd_grad(lambda x: loss(x) + 0.5 * lam * x @ x, x_pen)
        x_dec = (1 - eta * lam) * x_dec - eta * grad(x_dec)  # formula: step 1
    ratios.append(np.max(np.abs(x_pen - x_dec)) / 1e-7)
    # 2-4. frozen preconditioner
    p = 10.0 ** rng.uniform(-2, 2, size=P)
    D = np.diag(p)
    adamw = th - eta * (D @ grad(th)) - eta * lam * th
    l2 = th - eta * D @ (grad(th) + lam * th)
    pen_w = fd_grad(lambda x: loss(x) + 0.5 * lam * x @ np.diag(1 / p) @ x, th)  # formula: eq:adamw-penalty
    pen_2 = fd_grad(lambda x: loss(x) + 0.5 * lam * x @ x, th)  # formula: step 4
    ratios.append(np.max(np.abs(adamw - (th - eta * D @ pen_w))) / 1e-7)
    ratios.append(np.max(np.abs(l2 - (th - eta * D @ pen_2))) / 1e-7)
    ratios.append(0.0 if np.max(np.abs(adamw - l2)) > 1e-3 else 2.0)  # they do differ
    # 5. rest points of the frozen-preconditioner iterations for a separable quadratic
    a = 10.0 ** rng.uniform(-1, 1, size=P)
    cc = rng.standard_normal(P)
    x_w = np.zeros(P)
    x_2 = np.zeros(P)
    for _ in range(12000):
        x_w = x_w - 0.01 * (p * a * (x_w - cc)) - 0.01 * lam * x_w
        x_2 = x_2 - 0.01 * p * (a * (x_2 - cc) + lam * x_2)
    rest_w = a * cc / (a + lam / p)  # formula: eq:adamw-penalty, with sqrt(vhat) + eps = 1/p
    rest_2 = a * cc / (a + lam)  # formula: step 5
    ratios.append(np.max(np.abs(x_w - rest_w)) / 1e-9)
    ratios.append(np.max(np.abs(x_2 - rest_2)) / 1e-9)

    # 6. loss scaling, full Adam with momentum and bias correction on a deterministic quadratic
    def run(scale, lam_, eps_, decoupled, steps=200):
        x = np.ones(P)
        m = np.zeros(P)
        v = np.zeros(P)
        for t in range(1, steps + 1):
            g = scale * grad(x)
            x, m, v = adamw_step(
                x, g if decoupled else g + lam_ * x, m, v, t, lr=1e-2, eps=eps_, wd=lam_ if decoupled else 0.0
            )
        return x

    c = 1000.0
    l2_equivalent = run(1.0, lam / c, 1e-3 / c, False)  # formula: step 6
    adamw_equivalent = run(1.0, lam, 1e-3 / c, True)  # formula: step 6
    ratios.append(np.max(np.abs(run(c, lam, 1e-3, False) - l2_equivalent)) / 1e-9)
    ratios.append(np.max(np.abs(run(c, lam, 1e-3, True) - adamw_equivalent)) / 1e-9)
    # 7. noisy quadratic: Adam-L2 rest point a c/(a + lam) for every noise level; AdamW follows
    #    eq:adamw-penalty with the measured sqrt(vhat) + eps. Tolerance 3%: the frozen-D model is an
    #    approximation and the sigma = 3 coordinate still fluctuates by about 1%.
    sig = np.array([0.01, 0.1, 1.0, 3.0])
    both = np.concatenate([sig, sig])
    mask = np.repeat([False, True], len(sig))
    th_all, s_all = _noisy_quadratic(mask, rng, both, T=6000, th0=1.0)
    th_l2, th_w, s_w = th_all[~mask], th_all[mask], s_all[mask]
    rest_l2 = 1 / (1 + 0.1)  # formula: a z / (a + lam)
    rest_adamw = 1 / (1 + 0.1 * s_w)  # formula: eq:adamw-penalty
    ratios.append(np.max(np.abs(th_l2 - rest_l2) / rest_l2) / 0.03)
    ratios.append(np.max(np.abs(th_w - rest_adamw) / rest_adamw) / 0.03)
    ratios.append(2.0 if th_w[-1] > 0.85 else 0.0)  # AdamW really shrinks the noisy coordinate
    return float(np.max(ratios)), 1.0


def _to_bfloat16(x):
    """Round float32 values to bfloat16 (round to nearest, ties to even), returned as float32."""
    b = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (b + 0x7FFF + ((b >> 16) & 1)) >> 16 << 16
    return rounded.astype(np.uint32).view(np.float32)


def _first(condition):
    """The first t = 1, 2, ... at which a boolean array over t = 1..len is true."""
    return int(np.argmax(condition)) + 1


def numbers_bias_correction():
    """The numbers of 'Notation and the update' and 'Base result: bias correction'."""
    t = np.arange(1, 20001)
    boost = 1 / (1 - B1**t)
    return {
        "enlarged by the factor $1/(1 - \\beta_1^t)$: ${}$ at $t = 1$, ${}$ at $t = 10$, and within ${}\\%$ of $1$ from $t = {=}$ on": (
            boost[0],
            boost[9],
            1,
            _first(boost < 1.01),
        ),
        "$1 - \\beta_2^t$ equals ${}$ at $t = 1$, ${}$ at $t = 100$ and ${}$ at $t = 1000$, and it exceeds ${}$ only after about {} steps": (
            1 - B2,
            1 - B2**100,
            1 - B2**1000,
            0.99,
            round(_first(1 - B2**t > 0.99), -2),
        ),
        # Uncorrected first step m_1 / sqrt(v_1) for g_1 = 1; correcting m only: m_1/(1 - b1) / sqrt(v_1).
        "the step is $(1 - \\beta_1)/\\sqrt{1 - \\beta_2} = {}$ times larger; correcting only $\\mathbf{m}$ and not $\\bv$ makes it ${}$ times larger": (
            ((1 - B1) * 1.0) / np.sqrt((1 - B2) * 1.0**2),
            ((1 - B1) / (1 - B1)) / np.sqrt(1 - B2),
        ),
    }


def numbers_step_bound():
    """The limit of eq:adam-step-bound (checked against the worst-case sequence in
    check_adam_scale_invariance) and the growth of that sequence."""
    finite, limit = _step_bound(np.arange(1, 100001))
    return {
        "the bound increases with $t$ toward its limit ${}$, so no coordinate ever moves by more than ${}\\,\\eta$ in one step": (
            limit,
            float(np.max(finite)),
        ),
        "(by the factor $\\beta_2/\\beta_1 \\approx {}$ per step)": B2 / B1,
    }


def _stationary_updates(snr, rng, N=2000, T=3000, keep=1000):
    """Adam's normalised updates u at steps T - keep + 1 .. T for N coordinates with gradients
    N(snr, 1): shape (keep, N)."""
    m = np.zeros(N)
    v = np.zeros(N)
    us = np.empty((keep, N))
    for t in range(1, T + 1):
        g = snr + rng.standard_normal(N)
        m = B1 * m + (1 - B1) * g
        v = B2 * v + (1 - B2) * g * g
        if t > T - keep:
            us[t - (T - keep) - 1] = (m / (1 - B1**t)) / (np.sqrt(v / (1 - B2**t)) + EPS)
    return us


def numbers_effective_step():
    """The simulation table of 'The effective step size' and the sentences after it:
    2000 coordinates, steps 2001 to 3000, b1 = 0.9, b2 = 0.999 (about 1 s)."""
    rng = np.random.default_rng(0)
    snrs = (0.0, 0.1, 0.3, 1.0, 3.0, 10.0)
    runs = {snr: _stationary_updates(snr, rng) for snr in snrs}
    k = np.arange(1, 1001)
    step4 = np.sum((1 - B1**k) ** 2) + B1**2 * (1 - B1**1000) ** 2 / (1 - B1**2)
    rms_pred = np.sqrt((1 - B1) / (1 + B1))
    u0 = runs[0.0]
    return {
        "| $\\mu/\\sigma$ | {} | {} | {} | {} | {} | {} |": snrs,
        "| measured mean of $u$ | {} | {} | {} | {} | {} | {} |": [runs[snr].mean() for snr in snrs],
        "| [[#eq:adam-mean-update]] | {} | {} | {} | {} | {} | {} |": [snr / np.sqrt(snr**2 + 1) for snr in snrs],
        "When $\\mu = 0$ a single update has root mean square ${}\\,\\eta$": rms_pred,
        "not ${}\\,\\eta\\sqrt{T}$": rms_pred,
        "the measured root-mean-square of $u$ is ${}$ against $\\sqrt{0.1/1.9} = {}$": (
            np.sqrt(np.mean(u0**2)),
            np.sqrt((1 - B1) / (1 + B1)),
        ),
        "the sum of the 1000 updates has variance ${}$, against ${}$ from": (u0.sum(0).var(), step4),
        "(1000 minus edge effects; the sampling error is about ${}\\%$)": 100 * np.sqrt(2 / u0.shape[1]),
        "For independent updates it would be ${}^2 \\times 1000 = {}$.": (rms_pred, rms_pred**2 * 1000),
        "a single Adam update is about ${}\\eta$ per coordinate": rms_pred,
    }


def numbers_stationary_variance():
    """The noise-floor comparison of Adam and SGD: a_j = 1, eta = 1e-3, 200 runs, the second
    half of 20,000 steps (about 2 s)."""
    rng = np.random.default_rng(1)
    sig = np.array([0.1, 1.0, 3.0])
    R, T, eta = 200, 20000, 1e-3
    th = np.zeros((R, 3))
    th_sgd = np.zeros((R, 3))
    m = np.zeros((R, 3))
    v = np.zeros((R, 3))
    acc = np.zeros(3)
    acc_sgd = np.zeros(3)
    for t in range(1, T + 1):
        noise = sig * rng.standard_normal((R, 3))
        g = th + noise
        m = B1 * m + (1 - B1) * g
        v = B2 * v + (1 - B2) * g * g
        th = th - eta * (m / (1 - B1**t)) / (np.sqrt(v / (1 - B2**t)) + EPS)
        th_sgd = th_sgd - eta * (th_sgd + noise)
        if t > T // 2:
            acc += th.var(0)
            acc_sgd += th_sgd.var(0)
    adam, sgd = acc / (T // 2), acc_sgd / (T // 2)
    return {
        "measures ${}$, ${}$ and ${}$ for Adam against the predicted $\\eta\\sigma_j/2 = {}$, ${}$, ${}$, and ${}$, ${}$, ${}$ for SGD against $\\eta\\sigma_j^2/2$": (
            *adam,
            *(eta * sig / 2),
            *sgd,
        ),
    }


def numbers_weight_decay():
    """The noisy-quadratic table of 'Weight decay': sigma_j in {0.01, 0.1, 1, 10}, lam = 0.1,
    eta = 1e-3, 60,000 steps, 64 runs, second half (about 2 s); and the decay time constant."""
    rng = np.random.default_rng(0)
    sig = np.array([0.01, 0.1, 1.0, 10.0])
    mask = np.repeat([False, True], len(sig))
    th_all, s_all = _noisy_quadratic(mask, rng, np.concatenate([sig, sig]), lam=0.1, eta=1e-3, T=60000, R=64)
    th_l2, th_w, s_w = th_all[~mask], th_all[mask], s_all[mask]
    return {
        "| $\\sigma_j$ | {} | {} | {} | {} |": sig,
        "| Adam with L2, measured | {} | {} | {} | {} |": th_l2,
        "| $a_j z_j/(a_j + \\lambda)$ | {} | {} | {} | {} |": [1 / (1 + 0.1)] * 4,
        "| AdamW, measured | {} | {} | {} | {} |": th_w,
        "| [[#eq:adamw-penalty]] with measured $\\hat v_j$ | {} | {} | {} | {} |": 1 / (1 + 0.1 * s_w),
        "the noisiest coordinate sits ${}\\%$ below it because its denominator fluctuates": round(
            100 * (1 - th_l2[-1] * 1.1)
        ),
        "the shrinkage $1 - \\theta_j$ grows from ${}$ for the quietest coordinate to ${}$ for the noisiest": (
            1 - th_w[0],
            1 - th_w[-1],
        ),
        "The decay therefore acts on a time scale of $1/(\\eta\\lambda)$ steps: ${}$ steps": 1 / (1e-3 * 1e-2),
    }


def numbers_epsilon():
    """'What epsilon does in float32'."""
    q = np.float32(0.25)
    below = np.nextafter(q, np.float32(0))
    # The smallest float32 x whose sum with 1e-8 rounds back to x: 0.25 absorbs it, its predecessor does not.
    absorbed = float(q) if (q + np.float32(EPS) == q and below + np.float32(EPS) != below) else float("nan")
    return {
        "With $\\epsilon = 10^{-8}$ this is ${}$ at $\\abs{g} = 10^{-6}$, ${}$ at $\\abs{g} = 10^{-8}$ and ${}$ at $\\abs{g} = 10^{-10}$": [
            g / (g + EPS) for g in (1e-6, 1e-8, 1e-10)
        ],
        "momentum SGD with learning rate $\\eta/\\epsilon$, ${}$ at the defaults": 1e-3 / EPS,
        "moves it from $10^{-8}$ to about ${}$ in the original units": EPS / 1024,
        "once $\\sqrt{\\hat v} \\ge {}$, the float32 sum": absorbed,
    }


def _to_bfloat16(x):
    """Round float32 values to bfloat16 (round to nearest, ties to even), returned as float32."""
    b = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (b + 0x7FFF + ((b >> 16) & 1)) >> 16 << 16
    return rounded.astype(np.uint32).view(np.float32)


def _lost_change(round_to, up, unit):
    """The largest change of a weight 1.0, on a grid of `unit`, that rounding returns to 1.0."""
    steps = np.arange(1, 4096) * unit
    moved = np.array([round_to(1.0 + d if up else 1.0 - d) != 1.0 for d in steps])
    return float(steps[_first(moved) - 2])


def numbers_float16():
    """'Why optimiser state is not kept in float16', computed by rounding in numpy's float16 and
    a bfloat16 rounding of float32 (round to nearest, ties to even)."""
    f16 = np.float16
    allpos = np.arange(1, 0x7C00, dtype=np.uint16).view(np.float16)  # every positive finite float16
    with np.errstate(all="ignore"):
        inc = (f16(1 - B2) * allpos) * allpos
        z = np.zeros(2, f16)
        half_step = adamw_step(z, np.array([1e-3, 0.0], f16), z, z, t=1)[0]
    one = f16(1.0)

    def to16(x):
        return float(f16(x))

    def to_bf16(x):
        return float(_to_bfloat16(np.float32(x)))

    return {
        "The smallest positive float16 number is $2^{-24} \\approx {}$": float(np.nextafter(f16(0), f16(1))),
        "so $\\epsilon = 10^{-8}$ rounds to exactly ${=}$": float(f16(EPS)),
        "underflows to ${=}$ for every $\\abs{g} < {}$": (0.0, float(allpos[inc > 0].min())),
        "A coordinate with $g_1 = 10^{-3}$ then has $\\hat m_1 = 10^{-3}$ and $\\hat v_1 = {=}$, and its first update is $10^{-3}/0 = {}$": (
            0.0,
            -float(half_step[0]),
        ),
        "Float16 numbers are spaced $2^{-10} \\approx {}$ apart just above $1.0$ and $2^{-11} \\approx {}$ apart just below it": (
            float(np.nextafter(one, f16(2)) - one),
            float(one - np.nextafter(one, f16(0))),
        ),
        "or a decrease of more than half the lower one, $2^{-12} \\approx {}$": _lost_change(to16, False, 2.0**-16),
        "rounds to exactly ${=}$: the decay silently does nothing": to16(1 - 1e-4),
        "In bfloat16 the spacing just above 1 is $2^{-7} \\approx {}$": to_bf16(1 + 2**-7) - 1,
        "so an increase of up to ${}$, or a decrease of up to ${}$, is lost": (
            _lost_change(to_bf16, True, 2.0**-16),
            _lost_change(to_bf16, False, 2.0**-16),
        ),
    }


def numbers_memory():
    """'Memory': two float32 moments, and 16 bytes per parameter, for 7e9 parameters."""
    P = 7e9
    return {
        "the two moments take {} GiB in float32; with a float32 master copy and 16-bit weights and gradients the total is {} bytes per parameter, {} GiB": (
            P * 2 * 4 / 2**30,
            4 + 2 * 4 + 2 + 2,
            P * (4 + 2 * 4 + 2 + 2) / 2**30,
        ),
    }


# ---------------------------------------------------------------- figures
def figure_float_spacing():
    """The gap from x to the next representable number, np.spacing, for float16 and float32
    at every power of two from 2^-16 to 2^15 (constant across each binade); bfloat16 keeps
    float32's exponent with 7 fraction bits instead of 23, so its gap is float32's times 2^16."""
    exponents = np.arange(-16, 16)
    x = 2.0**exponents
    f16 = np.spacing(x.astype(np.float16)).astype(np.float64)
    f32 = np.spacing(x.astype(np.float32)).astype(np.float64)
    bf16 = f32 * 2.0**16
    ends = 2.0 ** (exponents + 1)

    def steps(gap):  # each binade [2^e, 2^(e+1)) has one gap: draw it as a flat segment
        return np.ravel(np.column_stack([x, ends])), np.ravel(np.column_stack([gap, gap]))

    series = []
    for label, gap in (("bfloat16", bf16), ("float16", f16), ("float32", f32)):
        sx, sy = steps(gap)
        series.append({"label": label, "x": sx, "y": sy})
    return {
        "title": "Spacing of floating-point numbers against magnitude",
        "summary": "The gap to the next number doubles at every power of two: just above 1 it is 2⁻⁷ in "
        "bfloat16, 2⁻¹⁰ in float16 and 2⁻²³ in float32. Below 2⁻¹⁴ float16 is subnormal and its gap stays 2⁻²⁴.",
        "x": {"label": "magnitude x", "scale": "log"},
        "y": {"label": "gap to the next number", "scale": "log"},
        "series": series,
        "rules": [{"axis": "x", "at": 1.0, "label": "x = 1"}],
    }


if __name__ == "__main__":
    for name, fn in list(globals().items()):
        if name.startswith("check_"):
            err, tol = fn()
            print(f"{name}: error {err:.3e} <= {tol:.0e}: {'PASS' if err <= tol else 'FAIL'}")
        if name.startswith("numbers_"):
            for excerpt, value in fn().items():
                print(f"  {excerpt}: {value}")
