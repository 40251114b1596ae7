"""Search latency: `notes.search.search_notes` over 10,000 synthetic notes on PostgreSQL.

What it measures
    In a scratch PostgreSQL database (``notes_bench_search`` on 127.0.0.1:5432, user
    postgres; dropped and created by the script, dropped again at the end unless --keep)
    it runs the migrations, so the search index is exactly the one migration 0005 makes
    (generated weighted tsvector, GIN index), then writes N synthetic live notes (default
    10,000) with bulk inserts: a note, a live revision and the note's search row built by
    the real ``notes.search.build_document``. Each note has 1,500-4,000 words of prose drawn
    from a Zipf-distributed vocabulary (common English words, deep-learning terms and a long
    tail of rare words), 100-300 formulas (inline and display) made of TeX that uses site
    macros such as \\KL \\softmax \\nabla \\bW, 3-10 derivation titles, 10-40 equation
    labels and one or two of the five areas. Titles are drawn from the same terms, so
    title matches exist for most queries.

    It then times the real selector, ``search_notes(query, area=...)`` with the page's
    limit (20 hits, snippets and matched formulas included), over a fixed set of queries:
    common and rare words, phrases, exclusion, OR, math (\\KL, \\softmax, \\nabla, \\JS),
    area filters and a word no note contains. One untimed pass warms the cache; then
    --runs passes (default 5) are timed, each query once per pass, with time.perf_counter
    around the call (the database round trip, snippet escaping and result objects).

Target
    p50 <= 30 ms and p95 <= 100 ms over all timed calls. The script prints the figures,
    the slowest queries and MET or NOT MET; it is a benchmark, not a test, so it exits 0
    either way (1 only when it cannot run: PostgreSQL not reachable, migrations failing).

Run (from the project root; about two to four minutes on two cores, most of it writing
the notes and building the index)
    .venv/bin/python bench/search.py [--notes 10000] [--runs 5] [--keep]
"""

import argparse
import itertools
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgres://postgres@127.0.0.1:5432"
DATABASE = "notes_bench_search"
TARGET_P50_MS = 30
TARGET_P95_MS = 100
BATCH = 250
SEED = 20240601

AREAS = ["foundations", "optimization", "information-theory", "architectures", "generative-modeling"]

COMMON = [
    "the",
    "of",
    "and",
    "to",
    "a",
    "in",
    "is",
    "that",
    "for",
    "it",
    "as",
    "with",
    "be",
    "on",
    "by",
    "this",
    "are",
    "we",
    "at",
    "from",
    "or",
    "an",
    "which",
    "its",
    "can",
    "not",
    "but",
    "one",
    "so",
    "if",
    "then",
    "each",
    "when",
    "their",
    "all",
    "has",
    "have",
    "was",
    "more",
    "these",
    "two",
    "than",
    "where",
    "into",
    "only",
    "same",
    "what",
    "over",
    "such",
    "our",
    "also",
    "there",
    "both",
    "other",
    "does",
    "any",
    "first",
    "most",
    "under",
    "given",
    "between",
    "because",
    "about",
    "while",
    "how",
    "after",
    "before",
    "very",
    "since",
    "every",
    "many",
    "same",
    "new",
    "used",
    "using",
]

TERMS = [
    "gradient",
    "loss",
    "matrix",
    "vector",
    "tensor",
    "layer",
    "weight",
    "bias",
    "activation",
    "function",
    "network",
    "training",
    "step",
    "rate",
    "batch",
    "norm",
    "variance",
    "mean",
    "expectation",
    "distribution",
    "probability",
    "sample",
    "entropy",
    "divergence",
    "likelihood",
    "posterior",
    "prior",
    "softmax",
    "attention",
    "transformer",
    "embedding",
    "token",
    "sequence",
    "residual",
    "convolution",
    "kernel",
    "stride",
    "pooling",
    "dropout",
    "regularization",
    "momentum",
    "adam",
    "optimizer",
    "schedule",
    "learning",
    "convergence",
    "bound",
    "lemma",
    "theorem",
    "proof",
    "derivation",
    "identity",
    "jacobian",
    "hessian",
    "chain",
    "rule",
    "backpropagation",
    "automatic",
    "differentiation",
    "forward",
    "backward",
    "precision",
    "overflow",
    "underflow",
    "stability",
    "logits",
    "cross",
    "encoder",
    "decoder",
    "latent",
    "variational",
    "autoencoder",
    "diffusion",
    "score",
    "noise",
    "denoising",
    "flow",
    "invertible",
    "determinant",
    "gaussian",
    "covariance",
    "eigenvalue",
    "singular",
    "decomposition",
    "orthogonal",
    "initialization",
    "scaling",
    "normalization",
    "information",
    "mutual",
    "estimator",
    "bias",
    "unbiased",
    "stochastic",
    "descent",
    "ascent",
    "curvature",
    "smooth",
    "convex",
    "lipschitz",
    "condition",
    "number",
    "saddle",
    "minimum",
    "generalization",
]

RARE_TERMS = [
    "kullback",
    "leibler",
    "nesterov",
    "reparameterization",
    "rmsprop",
    "adagrad",
    "polyak",
    "ruppert",
    "cholesky",
    "woodbury",
    "hutchinson",
    "langevin",
    "fokker",
    "planck",
    "wasserstein",
    "jensen",
    "shannon",
    "fisher",
    "cramer",
    "rao",
    "gumbel",
    "dirichlet",
    "bernoulli",
    "rademacher",
]

# TeX pieces, most common first: formulas draw from them with Zipf weights.
TEX = [
    r"\frac{\partial L}{\partial \bW}",
    r"\sum_{i=1}^{n} x_i",
    r"\nabla_{\btheta} L(\btheta)",
    r"\log p(\bx)",
    r"\E_{\bx \sim p}[f(\bx)]",
    r"\softmax(\bz)_i",
    r"\bW \bx + \bb",
    r"\sigma(z)",
    r"\exp(z_i)",
    r"\norm{\bx}_2^2",
    r"\alpha \nabla L",
    r"\beta_1 \bm_{t-1}",
    r"\lambda \norm{\bW}^2",
    r"\bx \odot \by",
    r"\bA\T \bA",
    r"\mathcal{N}(\mu, \sigma^2)",
    r"\KL(p \Vert q)",
    r"\operatorname{diag}(\bv)",
    r"\det \bJ",
    r"\tr(\bA \bB)",
    r"\int p(x) \, dx",
    r"\epsilon \sim \mathcal{N}(0, 1)",
    r"\argmin_{\btheta} L",
    r"\JS(p \Vert q)",
    r"\Var[\bx]",
]

QUERIES = [
    ("gradient", None),
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
    (r"\JS", None),
    ("cross-entropy logits", None),
    ("fisher information", None),
    ("variational autoencoder posterior", "generative-modeling"),
    ("convergence", "optimization"),
    ("zyzzyva", None),
]


def fail(message: str) -> None:
    print(f"bench/search.py: cannot run: {message}", file=sys.stderr)
    sys.exit(1)


def admin_execute(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(statement)


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DATABASE_URL"] = f"{SERVER}/{DATABASE}"
    os.environ["CONN_MAX_AGE"] = "0"
    import django

    django.setup()


# -- the synthetic notes --------------------------------------------------------------------


def zipf_sampler(items: list[str], rng: random.Random):
    cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(items))))
    return lambda k: rng.choices(items, cum_weights=cumulative, k=k)


class Generator:
    def __init__(self, rng: random.Random):
        self.rng = rng
        # Common words dominate, terms follow, rare terms and a made-up long tail (so the
        # vocabulary, and the index, has the size a real corpus has) come last.
        tail = [f"{a}{b}{c}" for a, b, c in itertools.product(("ka", "lo", "mi", "su", "te", "vo"), repeat=3)]
        tail += [f"{w}{s}" for w in TERMS for s in ("s", "ed", "ing", "al")]
        self.words = zipf_sampler(COMMON + TERMS + RARE_TERMS + tail, rng)
        self.terms = zipf_sampler(TERMS + RARE_TERMS, rng)
        self.tex = zipf_sampler(TEX, rng)

    def formula(self) -> str:
        return " + ".join(self.tex(self.rng.randint(1, 4)))

    def paragraph(self, words: int, formulas: int) -> str:
        tokens = self.words(words)
        for _ in range(formulas):
            tokens.insert(self.rng.randrange(len(tokens) + 1), f"${self.formula()}$")
        sentences, i = [], 0
        while i < len(tokens):
            n = self.rng.randint(8, 25)
            sentence = " ".join(tokens[i : i + n])
            sentences.append(sentence[0].upper() + sentence[1:] + ".")
            i += n
        return " ".join(sentences)

    def note(self) -> dict:
        rng = self.rng
        words = rng.randint(1500, 4000)
        formulas = rng.randint(100, 300)
        paragraphs = max(1, words // 80)
        displays = formulas // 5
        inline = formulas - displays
        blocks = []
        for p in range(paragraphs):
            blocks.append(self.paragraph(words // paragraphs, inline // paragraphs + (p < inline % paragraphs)))
            if p < displays:
                blocks.append(f"$${self.formula()}$$")
        blocks += [f"$${self.formula()}$$" for _ in range(displays - paragraphs)]
        title = " ".join(self.terms(rng.randint(2, 4))).capitalize()
        return {
            "title": title,
            "summary": self.paragraph(rng.randint(15, 35), rng.randint(0, 2)),
            "plain_text": "\n\n".join(blocks),
            "derivation_titles": [
                " ".join(self.terms(rng.randint(2, 5))).capitalize() for _ in range(rng.randint(3, 10))
            ],
            "labels": [f"eq:{'-'.join(self.terms(2))}-{i}" for i in range(rng.randint(10, 40))],
            "areas": rng.sample(AREAS, rng.choice((1, 1, 1, 2))),
        }


def populate(count: int) -> tuple[float, int]:
    from django.db import connection, transaction

    from notes.models import Note, Revision, SearchDocument, Topic
    from notes.search import build_document

    for i, slug in enumerate(AREAS):
        Topic.objects.create(slug=slug, title=slug.replace("-", " ").capitalize(), order=i)
    generator = Generator(random.Random(SEED))
    body_bytes = 0
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
            SearchDocument.objects.bulk_create(
                SearchDocument(note=note, revision=revision, **build_document(**data))
                for note, revision, data in zip(notes, revisions, batch, strict=True)
            )
        body_bytes += sum(len(data["plain_text"].encode()) for data in batch)
        print(f"\r  writing notes: {start + len(batch):,}/{count:,}", end="", flush=True)
    print()
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE notes_searchdocument")
    return time.perf_counter() - start, body_bytes


# -- timing ---------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(runs: int) -> tuple[list[float], dict, dict]:
    from notes.search import search_notes

    hits = {}
    for query, area in QUERIES:  # warm-up, untimed
        hits[(query, area)] = len(search_notes(query, area=area))
    per_query: dict[tuple, list[float]] = {q: [] for q in QUERIES}
    for _ in range(runs):
        for query, area in QUERIES:
            start = time.perf_counter()
            search_notes(query, area=area)
            per_query[(query, area)].append((time.perf_counter() - start) * 1000)
    return [t for times in per_query.values() for t in times], per_query, hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, default=10_000, help="synthetic notes to write (default 10000)")
    parser.add_argument("--runs", type=int, default=5, help="timed passes over the query set (default 5)")
    parser.add_argument("--keep", action="store_true", help=f"leave the {DATABASE} database in place")
    args = parser.parse_args()

    try:
        admin_execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        admin_execute(f"CREATE DATABASE {DATABASE}")
    except Exception as exc:  # any driver or server error means the benchmark cannot run
        fail(f"PostgreSQL at {SERVER}: {exc}")
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    try:
        try:
            call_command("migrate", verbosity=0)
        except Exception as exc:
            fail(f"migrate: {exc}")
        start = time.perf_counter()
        vacuum_s, body_bytes = populate(args.notes)
        write_s = time.perf_counter() - start
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_total_relation_size('notes_searchdocument'), "
                "pg_relation_size('notes_searchdocument_vector'), version()"
            )
            table_bytes, index_bytes, version = cursor.fetchone()
        samples, per_query, hits = measure(args.runs)
    finally:
        connection.close()
        if not args.keep:
            admin_execute(f"DROP DATABASE IF EXISTS {DATABASE}")

    p50, p95 = percentile(samples, 50), percentile(samples, 95)
    met = p50 <= TARGET_P50_MS and p95 <= TARGET_P95_MS
    load = os.getloadavg()
    print("Search latency (bench/search.py)")
    print(f"  {version.split(' on ')[0]}; {args.notes:,} live notes, {body_bytes / 1e6:.0f} MB of body text")
    print(
        f"  written in {write_s:.0f} s (VACUUM ANALYZE {vacuum_s:.0f} s); search table with TOAST "
        f"{table_bytes / 1e6:.0f} MB, GIN index {index_bytes / 1e6:.0f} MB"
    )
    print(f"  {len(QUERIES)} queries x {args.runs} timed passes after one warm-up pass = {len(samples)} calls")
    print(f"  load average at the end (1/5/15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")
    print()
    print("  median ms  hits  query")
    for (query, area), times in sorted(per_query.items(), key=lambda item: -statistics.median(item[1])):
        label = query + (f"  [area={area}]" if area else "")
        print(f"  {statistics.median(times):9.1f}  {hits[(query, area)]:4d}  {label}")
    print()
    rows = [
        ("p50 ms", f"{p50:.1f}  (target <= {TARGET_P50_MS})"),
        ("p95 ms", f"{p95:.1f}  (target <= {TARGET_P95_MS})"),
        ("max ms", f"{max(samples):.1f}"),
        ("result", "MET" if met else "NOT MET"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")


if __name__ == "__main__":
    main()
