"""Search latency: `notes.search.selectors.search` over 10,000 synthetic notes on PostgreSQL.

What it measures
    In a scratch PostgreSQL database (``notes_bench_search`` on 127.0.0.1:5432, user
    postgres; dropped and created by the script, dropped again at the end unless --keep)
    it runs the migrations, so the search index is exactly the one the migrations make
    (0005: generated weighted tsvector, GIN index; 0007: the small title and head vectors
    and the candidate function of two-phase ranking; 0011: aliases, the units' own vectors,
    the vocabulary's trigram index), then writes N synthetic live notes (default 10,000) with
    bulk inserts: a note, a live revision, the note's search row built by the real
    ``notes.search.document.build_document``, its units (a section per five paragraphs, each
    derivation, each labelled equation: about 40 a note) built as ``build_units`` builds
    them, and the vocabulary of every note's words.

    The corpus is meant to look like a deep-learning site's, where some words are in
    nearly every note and most technical terms only in the notes on their subject:
    - each note belongs to one or two of 50 topics (ten per area, some more popular than
      others; its areas are its topics' areas), each topic with its own technical terms
      ("nesterov", "polyak" for momentum; "kullback", "leibler" for KL divergence) and TeX
      (\\KL only in the topics that use it);
    - prose, 1,500-4,000 words, is drawn from a Zipf-distributed general vocabulary:
      function words, then words every deep-learning note uses ("gradient" and "loss" end
      up in nearly all notes, "generalization" in fewer), then a tail of about 1,800 rarer
      words; 12% of the words are the note's topic terms, 1% passing mentions of another
      topic's terms (so a term is rare, not absent, outside its topic);
    - 100-300 formulas (a fifth of them display math) of one to four TeX pieces each,
      about 70% from site-wide TeX such as \\nabla and \\frac (Zipf), 30% from the note's
      topics and a few from any topic;
    - a title, summary, 3-10 derivation titles and 10-40 equation labels drawn mostly from
      the topic terms, so title and summary matches exist for most queries.

    It then times the real selector, ``search(query, area=...)``, with the page's limit (20
    hits, their best units, snippets and matched formulas included), over a fixed set of
    queries: very common words that match most notes ("gradient", "loss", \\nabla: the hard
    case), topical and rare words, phrases, exclusion, OR, math (\\KL, \\softmax, \\JS), area
    filters, misspellings that are corrected and a word no note contains; and with the
    instant box's limit (8) over prefixes as a reader types them ("gradi", "nester"). One
    untimed pass warms the cache; then --runs passes (default 5) are timed, each query once
    per pass, with time.perf_counter around the call (the database round trips, snippet
    escaping and result objects).

    --sqlite measures the embedded engine instead (FTS5), on the same notes in a scratch
    file in the temporary directory; the target is PostgreSQL's.

Target
    Full queries: p50 <= 30 ms and p95 <= 100 ms over all timed calls; the instant box's
    prefixes: p50 <= 15 ms. The script prints the figures,
    the slowest queries, the load average (two cores shared with other work skew the
    figures: rerun when it is high) and MET or NOT MET; it is a benchmark, not a test, so
    it exits 0 either way (1 only when it cannot run: PostgreSQL not reachable, migrations
    failing).

Run (from the project root; about four minutes on two cores, most of it writing the notes
and building the index)
    .venv/bin/python bench/search.py [--notes 10000] [--runs 5] [--keep] [--sqlite] [--database NAME]

    --database names the scratch database, so that two runs on one server do not drop each
    other's.
"""

import argparse
import itertools
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from scratch import ScratchError, postgres_url, scratch_database, sqlite_url

DATABASE = "notes_bench_search"
SQLITE_FILE = Path(tempfile.gettempdir()) / "notes_bench_search.sqlite3"
TARGET_P50_MS = 30
TARGET_P95_MS = 100
TARGET_INSTANT_P50_MS = 15
INSTANT_LIMIT = 8
PARAGRAPHS_PER_SECTION = 5
BATCH = 250
# Shares of prose tokens from the note's own topics and from any topic (a passing mention),
# and of TeX pieces from the note's topics.
TOPICAL_SHARE = 0.12
MENTION_SHARE = 0.01
TOPICAL_TEX_SHARE = 0.3
SEED = 20240601

AREAS = ["foundations", "optimization", "information-theory", "architectures", "generative-modeling"]

# Function words, most frequent first: the head of the Zipf-distributed general vocabulary.
COMMON = (
    "the of and to a in is that for it as with be on by this are we at from or an which its can not but one so"
    " if then each when their all has have was more these two than where into only what over such our also"
    " there both other does any first most under given between because about while how after before very"
    " since every many new used using"
)

# Words any deep-learning note uses, whatever its subject; next in the Zipf order, so
# "gradient" and "loss" occur in most notes, "generalization" in fewer.
GENERAL = (
    "gradient loss function matrix vector training layer weight parameter model network step rate input"
    " output value error update term result equation derivative sum product scalar dimension data batch"
    " example case order bound proof lemma theorem identity definition property expression approximation"
    " algorithm method iteration sample mean variance distribution probability expectation norm optimum"
    " objective convergence stability precision computation memory implementation framework initialization"
    " regularization generalization"
)

# About fifty topics, ten per area: each with the technical terms and TeX that its notes use
# and other notes rarely do. (area, terms, TeX pieces).
TOPICS = [
    (
        "foundations",
        "jacobian differential trace vectorization kronecker denominator numerator layout chain rule",
        [r"\frac{\partial \by}{\partial \bx}", r"\tr(\bA\T d\bX)", r"\vec(\bX)", r"\bA \otimes \bB"],
    ),
    (
        "foundations",
        "automatic differentiation reverse forward mode tape adjoint dual primal checkpointing graph",
        [r"\bar{v}_i = \sum_j \bar{v}_j \partial_i f_j", r"\dot{\bx} = \bJ \bv", r"\bv\T \bJ"],
    ),
    (
        "foundations",
        "tensor index einstein summation broadcasting shape axis convention subscript notation",
        [r"\bX_{ijk}", r"\sum_{k} \bA_{ik} \bB_{kj}", r"\mathbb{R}^{n \times d}"],
    ),
    (
        "foundations",
        "eigenvalue eigenvector singular orthogonal decomposition rank spectrum cholesky woodbury basis",
        [r"\bA = \bU \bSigma \bV\T", r"\lambda_{\max}(\bA)", r"(\bA + \bU \bC \bV)^{-1}", r"\bL \bL\T"],
    ),
    (
        "foundations",
        "conditional marginal independence bernoulli gaussian covariance moment density joint bayes",
        [r"\E_{\bx \sim p}[f(\bx)]", r"\Var[\bx]", r"\mathcal{N}(\mu, \sigma^2)", r"p(\bx \mid \bz)"],
    ),
    (
        "foundations",
        "overflow underflow float logsumexp cancellation rounding epsilon bfloat mantissa exponent",
        [r"\log \sum_i \exp(z_i - m) + m", r"\epsilon_{\text{mach}}", r"\operatorname{fl}(x)"],
    ),
    (
        "foundations",
        "estimator unbiased consistency bootstrap hutchinson carlo monte control variate confidence",
        [r"\hat{\theta}_n", r"\E[\hat{\theta}] - \theta", r"\tr(\bA) = \E[\bv\T \bA \bv]"],
    ),
    (
        "foundations",
        "convex lipschitz smooth strongly subgradient conjugate duality lagrangian jensen inequality",
        [
            r"f(\lambda x + (1 - \lambda) y) \le \lambda f(x)",
            r"\norm{\nabla f(x) - \nabla f(y)} \le L \norm{x - y}",
            r"f^*(\by)",
        ],
    ),
    (
        "foundations",
        "rademacher concentration hoeffding marchenko pastur wigner semicircle tail random",
        [r"\Pr[\abs{X - \mu} \ge t] \le 2 e^{-2 n t^2}", r"\mathfrak{R}_n(\mathcal{F})"],
    ),
    (
        "foundations",
        "kernel rkhs mercer gram feature representer ridge bandwidth reproducing hilbert",
        [r"k(\bx, \by) = \langle \phi(\bx), \phi(\by) \rangle", r"\bK + \lambda \bI"],
    ),
    (
        "optimization",
        "descent stationary smoothness iterate sufficient decrease armijo line search",
        [r"\btheta_{t+1} = \btheta_t - \eta \nabla L(\btheta_t)", r"L(\btheta_{t+1}) \le L(\btheta_t)"],
    ),
    (
        "optimization",
        "momentum nesterov heavy ball velocity acceleration polyak damping lookahead",
        [r"\bv_{t+1} = \mu \bv_t - \eta \nabla L", r"\btheta_t + \mu \bv_t"],
    ),
    (
        "optimization",
        "adam adagrad rmsprop adaptive preconditioner amsgrad adamw correction beta",
        [r"\hat{\bm}_t = \bm_t / (1 - \beta_1^t)", r"\bv_t = \beta_2 \bv_{t-1} + (1 - \beta_2) \bg_t^2"],
    ),
    (
        "optimization",
        "stochastic minibatch noise sgd sampling unbiased averaging ruppert polyak iterate",
        [r"\bg_t = \nabla \ell(\btheta; \bx_{i_t})", r"\bar{\btheta}_T = \frac{1}{T} \sum_t \btheta_t"],
    ),
    (
        "optimization",
        "warmup cosine decay annealing schedule cyclical restart linear plateau",
        [r"\eta_t = \eta_0 \cos(\pi t / T)", r"\eta_t = \eta_0 \min(1, t / T_w)"],
    ),
    (
        "optimization",
        "hessian newton curvature quasi bfgs lbfgs conjugate gauss natural fisher",
        [r"\bH^{-1} \nabla L", r"\bF = \E[\nabla \log p \, \nabla \log p\T]"],
    ),
    (
        "optimization",
        "decay dropout penalty ridge lasso sparsity early stopping shrinkage",
        [r"\lambda \norm{\bW}_F^2", r"\bm \odot \bh", r"\lambda \norm{\bw}_1"],
    ),
    (
        "optimization",
        "saddle minimum sharpness flat basin plateau landscape connectivity escape",
        [r"\lambda_{\min}(\nabla^2 L) < 0", r"\max_{\norm{\epsilon} \le \rho} L(\btheta + \epsilon)"],
    ),
    (
        "optimization",
        "xavier glorot kaiming fan orthogonal scaling signal propagation isometry",
        [r"\Var[W_{ij}] = 2 / n_{\text{in}}", r"\bW\T \bW = \bI"],
    ),
    (
        "optimization",
        "clipping exploding vanishing threshold scaling mixed overflow rescaling",
        [r"\bg \min(1, c / \norm{\bg})", r"\prod_t \bJ_t"],
    ),
    (
        "information-theory",
        "entropy shannon uncertainty surprisal bits nats source coding",
        [r"H(p) = -\sum_x p(x) \log p(x)", r"\Ent(X)"],
    ),
    (
        "information-theory",
        "divergence kullback leibler relative asymmetry reverse forward gibbs",
        [r"\KL(p \Vert q)", r"\E_p[\log p - \log q]"],
    ),
    (
        "information-theory",
        "cross entropy logits softmax classification label smoothing calibration temperature",
        [r"-\sum_k y_k \log \softmax(\bz)_k", r"\softmax(\bz)_i", r"\frac{\exp(z_i / T)}{\sum_j \exp(z_j / T)}"],
    ),
    (
        "information-theory",
        "mutual information dependence bottleneck infomax contrastive",
        [r"I(X; Y) = \KL(p_{XY} \Vert p_X p_Y)", r"I(X; Y) = H(X) - H(X \mid Y)"],
    ),
    (
        "information-theory",
        "jensen shannon hellinger total variation fenchel divergence",
        [r"\JS(p \Vert q)", r"D_f(p \Vert q) = \E_q[f(p / q)]"],
    ),
    (
        "information-theory",
        "fisher information cramer rao score efficiency curvature",
        [r"\mathcal{I}(\theta)", r"\Var[\hat\theta] \ge 1 / \mathcal{I}(\theta)"],
    ),
    (
        "information-theory",
        "distortion rate compression quantization lossy channel capacity",
        [r"R(D) = \min I(X; \hat{X})", r"C = \max_{p(x)} I(X; Y)"],
    ),
    (
        "information-theory",
        "likelihood maximum estimation asymptotic negative consistency",
        [r"\hat\theta = \argmax_\theta \sum_i \log p_\theta(x_i)", r"-\log p_\theta(\bx)"],
    ),
    (
        "information-theory",
        "manifold metric geodesic natural riemannian exponential family",
        [r"g_{ij}(\theta)", r"p(x) = h(x) \exp(\eta\T T(x) - A(\eta))"],
    ),
    (
        "information-theory",
        "huffman arithmetic prefix kraft compression codeword",
        [r"\sum_x 2^{-\ell(x)} \le 1", r"\E[\ell(X)] \ge H(X)"],
    ),
    (
        "architectures",
        "perceptron hidden relu nonlinearity universal approximation width depth",
        [r"\bh = \relu(\bW \bx + \bb)", r"\sigma(z) = 1 / (1 + e^{-z})"],
    ),
    (
        "architectures",
        "convolution kernel stride padding pooling receptive channel filter",
        [r"(\bx * \bk)_i = \sum_j x_{i+j} k_j", r"\lfloor (n + 2p - k) / s \rfloor + 1"],
    ),
    (
        "architectures",
        "attention query key value softmax scaled heads",
        [r"\softmax(\bQ \bK\T / \sqrt{d}) \bV", r"\bQ = \bX \bW_Q"],
    ),
    (
        "architectures",
        "transformer encoder decoder token position embedding",
        [r"\bX + \operatorname{MHA}(\LN(\bX))", r"PE_{(p, 2i)} = \sin(p / 10000^{2i/d})"],
    ),
    (
        "architectures",
        "recurrent lstm gru hidden state backpropagation through time gate",
        [r"\bh_t = \tanh(\bW \bh_{t-1} + \bU \bx_t)", r"\bc_t = \bf_t \odot \bc_{t-1} + \bi_t \odot \tilde{\bc}_t"],
    ),
    (
        "architectures",
        "batchnorm layernorm statistics running rmsnorm affine normalization",
        [r"\frac{\bx - \mu}{\sqrt{\sigma^2 + \epsilon}}", r"\LN(\bx)"],
    ),
    (
        "architectures",
        "residual skip connection highway depth shortcut",
        [r"\bx_{l+1} = \bx_l + F(\bx_l)", r"\prod_l (\bI + \bJ_l)"],
    ),
    (
        "architectures",
        "embedding vocabulary lookup tied subword tokenizer",
        [r"\bE \in \mathbb{R}^{V \times d}", r"\be_{w} = \bE\T \bone_w"],
    ),
    (
        "architectures",
        "graph message passing node edge aggregation adjacency laplacian",
        [r"\bh_v' = \phi(\bh_v, \sum_{u \in N(v)} \psi(\bh_u))", r"\bD^{-1/2} \bA \bD^{-1/2}"],
    ),
    (
        "architectures",
        "expert routing gating balancing sparse capacity mixture",
        [r"\sum_i g_i(\bx) E_i(\bx)", r"\operatorname{top}_k(\softmax(\bW_g \bx))"],
    ),
    (
        "generative-modeling",
        "variational autoencoder latent posterior elbo reparameterization encoder decoder",
        [r"\KL(q_\phi(\bz \mid \bx) \Vert p(\bz))", r"\bz = \bmu + \bsigma \odot \bepsilon"],
    ),
    (
        "generative-modeling",
        "generator discriminator adversarial minimax wasserstein critic collapse",
        [
            r"\min_G \max_D \E[\log D(\bx)]",
            r"W(p, q) = \inf_\gamma \E[\norm{x - y}]",
            r"\JS(p_{\text{data}} \Vert p_G)",
        ],
    ),
    (
        "generative-modeling",
        "flow invertible determinant coupling change variables bijection",
        [r"\log p(\bx) = \log p(\bz) + \log \abs{\det \bJ}", r"\by = \bx \odot \exp(s(\bx)) + t(\bx)"],
    ),
    (
        "generative-modeling",
        "diffusion denoising forward reverse langevin fokker planck noise",
        [
            r"q(\bx_t \mid \bx_0) = \mathcal{N}(\sqrt{\bar\alpha_t} \bx_0, (1 - \bar\alpha_t) \bI)",
            r"\partial_t p = -\nabla \cdot (f p) + \tfrac{1}{2} g^2 \Delta p",
        ],
    ),
    (
        "generative-modeling",
        "score matching langevin stein denoising tweedie",
        [r"\nabla_\bx \log p(\bx)", r"\E[\norm{s_\theta(\bx) - \nabla \log p(\bx)}^2]"],
    ),
    (
        "generative-modeling",
        "autoregressive causal masked sampling temperature nucleus",
        [r"p(\bx) = \prod_t p(x_t \mid \bx_{<t})", r"\softmax(\bz / T)"],
    ),
    (
        "generative-modeling",
        "energy partition contrastive boltzmann mcmc langevin",
        [r"p(\bx) = e^{-E(\bx)} / Z", r"Z = \int e^{-E(\bx)} \, d\bx"],
    ),
    (
        "generative-modeling",
        "gumbel relaxation categorical straight through dirichlet concrete",
        [r"\softmax((\log \bpi + \bg) / \tau)", r"g = -\log(-\log u)"],
    ),
    (
        "generative-modeling",
        "variational inference elbo mean field amortized posterior",
        [r"\log p(\bx) \ge \E_q[\log p(\bx, \bz)] - \E_q[\log q(\bz)]", r"\KL(q \Vert p)"],
    ),
    (
        "generative-modeling",
        "fid inception recall bits dimension evaluation likelihood",
        [r"\norm{\mu_1 - \mu_2}^2 + \tr(\Sigma_1 + \Sigma_2 - 2 (\Sigma_1 \Sigma_2)^{1/2})", r"-\log_2 p(\bx) / D"],
    ),
]

# TeX every note uses, most common first.
TEX = [
    r"\frac{\partial L}{\partial \bW}",
    r"\sum_{i=1}^{n} x_i",
    r"\nabla_{\btheta} L(\btheta)",
    r"\log p(\bx)",
    r"\bW \bx + \bb",
    r"\E[\bx]",
    r"\exp(z_i)",
    r"\norm{\bx}_2^2",
    r"\alpha \nabla L",
    r"\lambda \norm{\bW}^2",
    r"\bx \odot \by",
    r"\bA\T \bA",
    r"\operatorname{diag}(\bv)",
    r"\int p(x) \, dx",
    r"\argmin_{\btheta} L",
    r"\mathbb{R}^{d}",
]

# The hard cases stay: "gradient", "loss" and \nabla occur in most notes.
QUERIES = [
    ("gradient", None),
    ("loss", None),
    ("gradient", "optimization"),
    ("training loss", None),
    ("softmax", None),
    ("attention", "architectures"),
    ("entropy", "information-theory"),
    ("jacobian", None),
    ("nesterov", None),
    ("wasserstein", "generative-modeling"),
    ("reparameterization gumbel", None),
    ('"gradient descent"', None),
    ('"mutual information"', None),
    ('"automatic differentiation" jacobian', "foundations"),
    ("adam -rmsprop", "optimization"),
    ("adagrad OR rmsprop", None),
    (r"\KL", None),
    (r"\KL", "information-theory"),
    (r"\softmax attention", None),
    (r"\nabla", "optimization"),
    (r"\nabla", None),
    (r"\JS", None),
    ("cross-entropy logits", None),
    ("fisher information", None),
    ("variational autoencoder posterior", "generative-modeling"),
    ("convergence", "optimization"),
    ("nesterv", None),  # misspelt: corrected
    ("kulback leibler", None),
    ("zyzzyva", None),
]
# As typed into the box, a letter at a time: the last word is unfinished.
INSTANT_QUERIES = [
    ("gr", None),
    ("gradi", None),
    ("nester", None),
    ("kullb", None),
    ("attent", "architectures"),
    ("softm", None),
    ("variational autoen", None),
    ("mutual inf", None),
    ("wass", None),
    (r"\KL", None),
]


def fail(message: str) -> None:
    print(f"bench/search.py: cannot run: {message}", file=sys.stderr)
    sys.exit(1)


# -- the synthetic notes --------------------------------------------------------------------


def zipf_sampler(items: list[str], rng: random.Random):
    cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(items))))
    return lambda k: rng.choices(items, cum_weights=cumulative, k=k)


class Topic:
    def __init__(self, area: str, terms: str, tex: list[str], rng: random.Random):
        self.area = area
        self.terms = zipf_sampler(terms.split(), rng)
        self.tex = zipf_sampler(tex, rng)


class Generator:
    def __init__(self, rng: random.Random):
        self.rng = rng
        # A long tail of made-up words gives the vocabulary, and the index, a real corpus's size.
        syllables = ("ka", "lo", "mi", "su", "te", "vo")
        tail = ["".join(p) for n in (3, 4) for p in itertools.product(syllables, repeat=n)]
        tail += [f"{w}{s}" for w in GENERAL.split() for s in ("s", "ed", "ing", "al")]
        self.words = zipf_sampler(COMMON.split() + GENERAL.split() + tail, rng)
        self.general_terms = zipf_sampler(GENERAL.split(), rng)
        self.tex = zipf_sampler(TEX, rng)
        self.topics = [Topic(area, terms, tex, rng) for area, terms, tex in TOPICS]
        # Some subjects have many notes, some few.
        self.topic_weights = [1 / (rank + 1) ** 0.5 for rank in range(len(self.topics))]
        rng.shuffle(self.topic_weights)

    def topical(self, topics: list[Topic], k: int) -> list[str]:
        return [word for _ in range(k) for word in self.rng.choice(topics).terms(1)]

    def formula(self, topics: list[Topic]) -> str:
        pieces = []
        for _ in range(self.rng.randint(1, 4)):
            roll = self.rng.random()
            if roll < TOPICAL_TEX_SHARE:
                pieces += self.rng.choice(topics).tex(1)
            elif roll < TOPICAL_TEX_SHARE + MENTION_SHARE:
                pieces += self.rng.choice(self.topics).tex(1)
            else:
                pieces += self.tex(1)
        return " + ".join(pieces)

    def paragraph(self, words: int, formulas: int, topics: list[Topic], share: float = TOPICAL_SHARE) -> str:
        rng = self.rng
        tokens = self.words(words)
        for i in rng.sample(range(words), round(words * share)):
            tokens[i] = self.topical(topics, 1)[0]
        for i in rng.sample(range(words), round(words * MENTION_SHARE)):
            tokens[i] = rng.choice(self.topics).terms(1)[0]
        for _ in range(formulas):
            tokens.insert(rng.randrange(len(tokens) + 1), f"${self.formula(topics)}$")
        sentences, i = [], 0
        while i < len(tokens):
            n = rng.randint(8, 25)
            sentence = " ".join(tokens[i : i + n])
            sentences.append(sentence[0].upper() + sentence[1:] + ".")
            i += n
        return " ".join(sentences)

    def heading(self, topics: list[Topic], words: int) -> str:
        terms = self.topical(topics, words)
        if self.rng.random() < 0.3:
            terms.insert(self.rng.randrange(len(terms) + 1), self.general_terms(1)[0])
        return " ".join(dict.fromkeys(terms)).capitalize()

    def note(self) -> dict:
        rng = self.rng
        topics = rng.choices(self.topics, weights=self.topic_weights, k=rng.choice((1, 1, 2)))
        words = rng.randint(1500, 4000)
        formulas = rng.randint(100, 300)
        paragraphs = max(1, words // 80)
        displays = formulas // 5
        inline = formulas - displays
        blocks = []
        for p in range(paragraphs):
            blocks.append(self.paragraph(words // paragraphs, inline // paragraphs + (p < inline % paragraphs), topics))
            if p < displays:
                blocks.append(f"$${self.formula(topics)}$$")
        blocks += [f"$${self.formula(topics)}$$" for _ in range(displays - paragraphs)]
        headings = [self.heading(topics, rng.randint(2, 4)) for _ in range(0, paragraphs, PARAGRAPHS_PER_SECTION)]
        return {
            "title": self.heading(topics, rng.randint(2, 3)),
            "summary": self.paragraph(rng.randint(15, 35), rng.randint(0, 2), topics, share=0.3),
            "plain_text": "\n\n".join(blocks),
            "derivation_titles": [self.heading(topics, rng.randint(2, 4)) for _ in range(rng.randint(3, 10))],
            "labels": [f"eq:{'-'.join(self.topical(topics, 2))}-{i}" for i in range(rng.randint(10, 40))],
            "areas": sorted({topic.area for topic in topics}),
            "aliases": list(dict.fromkeys(self.topical(topics, rng.randint(0, 3)))),
            "alias_anchors": {},
            "headings": headings,
        }


def synthetic_units(data: dict) -> list[dict]:
    """The units `build_units` would store for the note: its sections (a heading and five
    paragraphs' worth of blocks), derivations and labelled equations."""
    from notes.search.document import formulas_of, math_tokens

    blocks = data["plain_text"].split("\n\n")
    units = []
    per = max(1, len(blocks) // max(1, len(data["headings"])))
    for i, heading in enumerate(data["headings"]):
        units.append(("section", heading, "\n".join(blocks[i * per : (i + 1) * per])))
    units += [("derivation", title, blocks[i % len(blocks)]) for i, title in enumerate(data["derivation_titles"])]
    units += [
        ("equation", f"Equation ({i + 1})", blocks[(2 * i + 1) % len(blocks)] + " " + label[3:].replace("-", " "))
        for i, label in enumerate(data["labels"])
    ]
    return [
        {
            "position": n,
            "kind": kind,
            "anchor": f"{kind}-{n}",
            "title": title,
            "body": body.replace("\n", " "),
            "math": " ".join(math_tokens(formulas_of(body))),
            "snippet_text": body,
        }
        for n, (kind, title, body) in enumerate(units)
    ]


def populate(count: int) -> tuple[float, int]:
    from django.db import connection, transaction

    from notes.models import Note, Revision, SearchDocument, SearchTerm, SearchUnit, Topic
    from notes.search.document import VOCABULARY_FIELDS, build_document, vocabulary

    for i, slug in enumerate(AREAS):
        Topic.objects.create(slug=slug, title=slug.replace("-", " ").capitalize(), order=i)
    generator = Generator(random.Random(SEED))
    body_bytes, terms = 0, set()
    for start in range(0, count, BATCH):
        batch = [generator.note() for _ in range(min(BATCH, count - start))]
        with transaction.atomic():
            notes = Note.objects.bulk_create(Note(slug=f"note-{start + i:05d}") for i in range(len(batch)))
            revisions = Revision.objects.bulk_create(
                Revision(note=note, number=1, title=data["title"], summary=data["summary"], source="", content_hash="")
                for note, data in zip(notes, batch, strict=True)
            )
            for note, revision in zip(notes, revisions, strict=True):
                note.live_revision = note.latest_revision = revision
            Note.objects.bulk_update(notes, ["live_revision", "latest_revision"])
            fields = [{k: v for k, v in data.items() if k != "headings"} for data in batch]
            documents = SearchDocument.objects.bulk_create(
                SearchDocument(note=note, revision=revision, **build_document(**data))
                for note, revision, data in zip(notes, revisions, fields, strict=True)
            )
            units = [synthetic_units(data) for data in batch]
            SearchUnit.objects.bulk_create(
                (SearchUnit(document=d, **unit) for d, own in zip(documents, units, strict=True) for unit in own),
                batch_size=2000,
            )
        for document, own in zip(documents, units, strict=True):
            fields = {name: getattr(document, name) for name in VOCABULARY_FIELDS}
            terms |= vocabulary(fields, own, document.body)
        body_bytes += sum(len(data["plain_text"].encode()) for data in batch)
        print(f"\r  writing notes: {start + len(batch):,}/{count:,}", end="", flush=True)
    print()
    SearchTerm.objects.bulk_create((SearchTerm(term=t) for t in sorted(terms)), batch_size=5000)
    start = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # Merge the FTS5 segments the batches wrote, as a long-lived index would be.
            for table in ("notes_searchdocument_fts", "notes_searchunit_fts"):
                cursor.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")
            cursor.execute("ANALYZE")
        else:
            for table in ("notes_searchdocument", "notes_searchunit", "notes_searchterm"):
                cursor.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - start, body_bytes


def sizes() -> tuple[str, str]:
    """The engine's version, and what the search table and its index take."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version(), page_count * page_size FROM pragma_page_count, pragma_page_size")
            version, file_bytes = cursor.fetchone()
            return f"SQLite {version}", f"database file {file_bytes / 1e6:.0f} MB"
        cursor.execute(
            "SELECT version(), pg_total_relation_size('notes_searchdocument'), "
            "pg_relation_size('notes_searchdocument_vector')"
        )
        version, table_bytes, index_bytes = cursor.fetchone()
        return version.split(" on ")[
            0
        ], f"search table with TOAST {table_bytes / 1e6:.0f} MB, GIN index {index_bytes / 1e6:.0f} MB"


# -- timing ---------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(queries: list[tuple], runs: int, limit: int) -> tuple[list[float], dict, dict]:
    from notes.search.selectors import search

    hits = {}
    for query, area in queries:  # warm-up, untimed
        found = search(query, area=area, limit=limit)
        hits[(query, area)] = (len(found.hits), found.query if found.corrected_from else "")
    per_query: dict[tuple, list[float]] = {q: [] for q in queries}
    for _ in range(runs):
        for query, area in queries:
            start = time.perf_counter()
            search(query, area=area, limit=limit)
            per_query[(query, area)].append((time.perf_counter() - start) * 1000)
    return [t for times in per_query.values() for t in times], per_query, hits


def report(title: str, per_query: dict, hits: dict) -> None:
    print(f"  {title}")
    print("  median ms  hits  query")
    for (query, area), times in sorted(per_query.items(), key=lambda item: -statistics.median(item[1])):
        count, corrected = hits[(query, area)]
        label = query + (f"  [area={area}]" if area else "") + (f"  -> searched as {corrected!r}" if corrected else "")
        print(f"  {statistics.median(times):9.1f}  {count:4d}  {label}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, default=10_000, help="synthetic notes to write (default 10000)")
    parser.add_argument("--runs", type=int, default=5, help="timed passes over the query set (default 5)")
    parser.add_argument("--keep", action="store_true", help="leave the scratch database in place")
    parser.add_argument("--sqlite", action="store_true", help=f"measure SQLite instead, in {SQLITE_FILE}")
    parser.add_argument(
        "--database", default=DATABASE, help=f"the scratch PostgreSQL database's name (default {DATABASE})"
    )
    args = parser.parse_args()

    url = sqlite_url(SQLITE_FILE) if args.sqlite else postgres_url(args.database)
    try:
        # Writing and indexing 10,000 notes takes statements far longer than a request's bound.
        with scratch_database(url, keep=args.keep, CONN_MAX_AGE="0", DATABASE_STATEMENT_MS="600000"):
            start = time.perf_counter()
            vacuum_s, body_bytes = populate(args.notes)
            write_s = time.perf_counter() - start
            version, storage = sizes()
            samples, per_query, hits = measure(QUERIES, args.runs, 20)
            instant, per_instant, instant_hits = measure(INSTANT_QUERIES, args.runs, INSTANT_LIMIT)
    except ScratchError as exc:
        fail(str(exc))

    p50, p95 = percentile(samples, 50), percentile(samples, 95)
    instant_p50 = percentile(instant, 50)
    met = p50 <= TARGET_P50_MS and p95 <= TARGET_P95_MS and instant_p50 <= TARGET_INSTANT_P50_MS
    load = os.getloadavg()
    print("Search latency (bench/search.py)")
    print(f"  {version}; {args.notes:,} live notes, {body_bytes / 1e6:.0f} MB of body text")
    print(f"  written in {write_s:.0f} s (optimizing and analyzing {vacuum_s:.0f} s); {storage}")
    print(
        f"  {len(QUERIES)} queries and {len(INSTANT_QUERIES)} prefixes x {args.runs} timed passes after one "
        f"warm-up pass = {len(samples) + len(instant)} calls"
    )
    print(f"  load average at the end (1/5/15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")
    print()
    report("Full queries (the search page, 20 hits)", per_query, hits)
    report(f"Prefixes as typed (the instant box, {INSTANT_LIMIT} hits)", per_instant, instant_hits)
    rows = [
        ("p50 ms", f"{p50:.1f}  (target <= {TARGET_P50_MS})"),
        ("p95 ms", f"{p95:.1f}  (target <= {TARGET_P95_MS})"),
        ("max ms", f"{max(samples):.1f}"),
        ("instant p50 ms", f"{instant_p50:.1f}  (target <= {TARGET_INSTANT_P50_MS})"),
        ("instant p95 ms", f"{percentile(instant, 95):.1f}"),
        ("result", "MET" if met else "NOT MET"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")


if __name__ == "__main__":
    main()
