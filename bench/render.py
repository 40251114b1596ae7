"""Rendering throughput: our note pipeline, through the formula cache and the engine pool,
against KaTeX running bare in node on the same formulas.

What it measures
    A synthetic note (front matter, headings, prose, admonitions, a table, derivation blocks
    and 363 formulas, 186 of them distinct: inline and display, fractions, sums, integrals,
    matrices, cases, align and gather environments with \\label, site macros such as \\bW\\T
    \\softmax \\KL \\norm{} and a note-level \\newcommand) is rendered by the full pipeline,
    ``notes.rendering.render(source, slug=...)``, in a scratch SQLite database (the formula
    cache's table, notes.formula_store; production settings: DEBUG=0), median over N runs
    after warm-up:

    cold   the formula cache emptied before each run (not timed): its table and this process's
           memo of it (notes.rendering.formula_memo); every distinct formula is typeset on the
           engine pool (KATEX_ENGINES engines, default one per CPU), proven
           clean by its engine (katex_clean.js) or else sanitized, and written to the table;
    warm   one formula edited before each run (a different value each time): the other
           formulas come from this process's memo of the table (no query), the edited one is
           typeset; and, for
           information, the same edit rendered as the editor's preview renders it
           (render(..., preview=True): the page and its problems, nothing else).

    Stage times of the cold run: KaTeX (inside the engines' calls, the clean proof included,
    summed over engines, and the wall time the render was blocked waiting for them: the page
    is drawn while they typeset, so this is less than their work), sanitize (nh3 for the
    formulas the engine did not prove clean, and the blank test, in the
    engines' threads, summed), cache (keys, the table's read and write), and parse (all the
    rest: markdown-it, the walks, HTML, derivations, plain text, fragments).

    Against: KaTeX in node, directly: a throwaway node script ``require``s the same pinned
    notes/rendering/vendor/katex.min.js, evaluates the very katex_host.js the engines load
    and renders exactly the (tex, displayMode) pairs the pipeline would typeset, all of them,
    repeats included (``notes.rendering.pipeline.formulas_of``), each note's in one
    ``renderBatch`` from a fresh copy of the site macros; median over N iterations after
    warm-up, timed with process.hrtime, in one process (one core). Its HTML is compared
    with the engines' (sanitized alike) to show both did the same work.

    --corpus DIR: the same over every *.md file of DIR (default: the starter notes): all
    files rendered cold one after the other (each note's misses on the pool, as saves do),
    cold the way `rerender` does it (formula_prefill.prefill over all files first, on every
    engine, then each file), and warm (nothing edited: every formula from the memo);
    formulas per second against node rendering every file's formulas.

Target
    cold: pipeline formulas/s / node formulas/s >= 1.0 (the pipeline counting all 363
    formulas, as node renders them); warm one-formula edit <= 10% of the cold time. With
    --corpus: the same ratio over the folder, >= 1.0. (A faster cold render makes the warm
    target harder: the warm render's parse and page do not shrink with the engines' work.) Printed with MET or NOT MET and the
    load average; it is a benchmark, not a test, so it exits 0 either way (1 only when it
    cannot run: node or the vendored KaTeX missing, a note failing to render).

Run (from the project root, about 30 s on two cores; --corpus about a minute)
    .venv/bin/python bench/render.py [--runs N] [--warmup N]
    .venv/bin/python bench/render.py --corpus notes/corpus
"""

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scratch import ROOT, scratch_database

RENDERING = ROOT / "notes" / "rendering"
KATEX_JS = RENDERING / "vendor" / "katex.min.js"
SITE_MACROS = RENDERING / "site_macros.tex"
NODE = "/usr/bin/node"
TARGET_RATIO = 1.0
TARGET_WARM = 0.10
SLUG = "bench-synthetic"
SECTIONS = 6
EDITED = "$\\lambda = 10^{{-{d}}}$."  # the formula the warm runs edit (section 1's)

NODE_SCRIPT = r"""
// Bare KaTeX in node: the same bundle, and the very katex_host.js the pipeline loads into
// mini-racer (same options, same site macros, same batch function), evaluated in node.
const fs = require("fs");
const vm = require("vm");
const [katexPath, macrosPath, batchesPath, outPath, warmupArg, iterArg, hostPath] = process.argv.slice(2);
globalThis.katex = require(katexPath);
vm.runInThisContext(fs.readFileSync(hostPath, "utf8"));
const batches = JSON.parse(fs.readFileSync(batchesPath, "utf8"));
const warmup = Number(warmupArg);
const iterations = Number(iterArg);
loadSiteMacros(fs.readFileSync(macrosPath, "utf8"));

function renderAll() {
  return batches.map((items) => renderBatch(items));
}

// Each formula's HTML (null for an error), from the host's packed results as
// notes/rendering/katex.py unpacks them: JSON, then each HTML after a NUL, or JSON alone.
function htmlsOf(raw) {
  const nul = raw.indexOf("\u0000");
  const htmls = nul < 0 ? [] : raw.slice(nul + 1).split("\u0000");
  let next = 0;
  return JSON.parse(nul < 0 ? raw : raw.slice(0, nul)).map((o) => (o.html === true ? htmls[next++] : o.html || null));
}

fs.writeFileSync(outPath, JSON.stringify(renderAll().map(htmlsOf)));
for (let i = 0; i < warmup; i++) renderAll();
const times = [];
for (let i = 0; i < iterations; i++) {
  const start = process.hrtime.bigint();
  renderAll();
  times.push(Number(process.hrtime.bigint() - start) / 1e6);
}
const sorted = times.slice().sort((a, b) => a - b);
const mid = sorted.length >> 1;
const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
console.log(JSON.stringify({
  katex_version: katex.version,
  node_version: process.version,
  iterations: iterations,
  times_ms: times,
  median_ms: median,
}));
"""


def fail(message: str) -> None:
    print(f"bench/render.py: cannot run: {message}", file=sys.stderr)
    sys.exit(1)


# -- the synthetic note ---------------------------------------------------------------------


def section(i: int) -> str:
    """One section of the note: prose with inline math, displays, align, a derivation."""
    d = i + 1
    return f"""
## Layer {i}: the map $\\by_{{{i}}} = \\bW_{{{i}}}\\bx + \\bb_{{{i}}}$

Let $\\bW_{{{i}}} \\in \\R^{{m \\times n}}$, $\\bx \\in \\R^{{n}}$ and $\\bb_{{{i}}} \\in \\R^{{m}}$. The logits
$\\bz_{{{i}}} = \\bW_{{{i}}}\\bx + \\bb_{{{i}}}$ go through $\\softmax$, giving
$\\bp_{{{i}}} = \\softmax(\\bz_{{{i}}})$ with $p_{{{i}k}} = \\frac{{e^{{z_{{{i}k}}}}}}{{\\sum_{{j=1}}^{{K}} e^{{z_{{{i}j}}}}}}$ and
$\\sum_{{k=1}}^{{K}} p_{{{i}k}} = 1$. With a one-hot target $\\by$ the loss is
$\\loss_{{{i}}} = -\\sum_{{k}} y_k \\log p_{{{i}k}}$, and the weights are penalised by
$\\lambda \\norm{{\\bW_{{{i}}}}}_F^2 = \\lambda \\tr(\\bW_{{{i}}}\\T \\bW_{{{i}}})$ with $\\lambda = 10^{{-{d}}}$.
The gap between model and data is $\\KL(\\bp_{{{i}}} \\,\\|\\, \\bq) \\ge 0$, zero iff $\\bp_{{{i}}} = \\bq$;
attention scales scores by $\\alpha = 1/\\sqrt{{d_k}}$ so that $\\Var[\\bq\\T\\mathbf{{k}}] \\approx 1$ when
$\\E_{{\\bx \\sim \\Normal(\\bmu, \\bSigma)}}[\\bx] = \\bmu$. See [[#eq:grad-w-{i}]] and [[#grad-layer-{i}]].

$$
\\frac{{\\partial \\loss_{{{i}}}}}{{\\partial \\bW_{{{i}}}}} = (\\bp_{{{i}}} - \\by)\\, \\bx\\T + 2\\lambda \\bW_{{{i}}} \\label{{eq:grad-w-{i}}}
$$

The Jacobian of the layer, entry by entry:

$$
\\bJ_{{{i}}} = \\frac{{\\partial \\by_{{{i}}}}}{{\\partial \\bx}} =
\\begin{{bmatrix}}
\\frac{{\\partial y_1}}{{\\partial x_1}} & \\cdots & \\frac{{\\partial y_1}}{{\\partial x_n}} \\\\
\\vdots & \\ddots & \\vdots \\\\
\\frac{{\\partial y_m}}{{\\partial x_1}} & \\cdots & \\frac{{\\partial y_m}}{{\\partial x_n}}
\\end{{bmatrix}} = \\bW_{{{i}}}
$$

\\begin{{align}}
\\KL(p \\,\\|\\, q) &= \\sum_{{x}} p(x) \\log \\frac{{p(x)}}{{q(x)}} \\label{{eq:kl-def-{i}}} \\\\
&= H(p, q) - H(p) \\label{{eq:kl-ce-{i}}} \\\\
&\\ge 0 \\quad \\text{{with equality iff }} p = q \\label{{eq:kl-pos-{i}}}
\\end{{align}}

By [[#eq:kl-ce-{i}]], minimising cross-entropy over $q$ minimises $\\KL(p \\,\\|\\, q)$; the entropy
$H(p) = -\\sum_x p(x) \\log p(x)$ does not depend on $q$.

!!! warning "Overflow in the exponential"
    For $z_{{{i}k}} > 88.7$ the float32 value of $e^{{z_{{{i}k}}}}$ is $+\\infty$. Subtract
    $m = \\max_k z_{{{i}k}}$ first: $\\softmax(\\bz) = \\softmax(\\bz - m\\bone)$.

::: derivation {{#grad-layer-{i}}} Gradient of the layer-{i} loss with respect to the logits
Let $\\bp = \\softmax(\\bz)$ and $\\ell = -\\sum_k y_k \\log p_k$ with $\\sum_k y_k = 1$.

1. The softmax Jacobian is $\\frac{{\\partial p_k}}{{\\partial z_j}} = p_k(\\delta_{{kj}} - p_j)$, that is

   $$
   \\frac{{\\partial \\bp}}{{\\partial \\bz}} = \\diag(\\bp) - \\bp\\bp\\T \\label{{eq:softmax-jac-{i}}}
   $$
2. By the chain rule, $\\frac{{\\partial \\ell}}{{\\partial z_j}} = -\\sum_k \\frac{{y_k}}{{p_k}} \\frac{{\\partial p_k}}{{\\partial z_j}}$:

   $$
   \\frac{{\\partial \\ell}}{{\\partial z_j}} = -\\sum_k y_k (\\delta_{{kj}} - p_j) = -y_j + p_j \\sum_k y_k
   $$
3. Using $\\sum_k y_k = 1$ gives $\\frac{{\\partial \\ell}}{{\\partial z_j}} = p_j - y_j$.

The gradient with respect to the logits is $\\nabla_{{\\bz}} \\ell = \\bp - \\by$, so by [[#eq:softmax-jac-{i}]] and the
chain rule $\\nabla_{{\\bW}} \\ell = (\\bp - \\by)\\bx\\T$.
:::

The derivative of the logistic function, piecewise for the clipped version:

$$
\\sigma'(z) = \\begin{{cases}} \\sigma(z)\\,(1 - \\sigma(z)) & \\abs{{z}} \\le {d * 4} \\\\ 0 & \\text{{otherwise}} \\end{{cases}}
$$

$$
\\int_{{-\\infty}}^{{\\infty}} \\frac{{1}}{{\\sqrt{{2\\pi\\sigma^2}}}} \\exp\\!\\left(-\\frac{{(x - \\mu)^2}}{{2\\sigma^2}}\\right) \\dd x = 1,
\\qquad \\sum_{{n=0}}^{{\\infty}} \\frac{{x^n}}{{n!}} = e^x
$$

\\begin{{gather}}
\\nabla_{{\\bx}} \\left(\\bx\\T \\bA \\bx\\right) = (\\bA + \\bA\\T)\\bx, \\qquad
\\nabla_{{\\bX}} \\log\\det \\bX = \\bX^{{-\\top}} \\label{{eq:logdet-{i}}}
\\end{{gather}}

| quantity | shape | gradient |
|---|---|---|
| $\\bW_{{{i}}}$ | $m \\times n$ | $(\\bp - \\by)\\bx\\T$ |
| $\\bb_{{{i}}}$ | $m$ | $\\bp - \\by$ |
| $\\bx$ | $n$ | $\\bW_{{{i}}}\\T(\\bp - \\by)$ |
| $\\norm{{\\bx}}_2$ | scalar | $\\bx / \\norm{{\\bx}}_2$ |

Sampling uses $\\bx = \\bmu + \\bSigma^{{1/2}}\\beps$ with $\\beps \\sim \\Normal(\\mathbf{{0}}, \\bI)$, and
$\\ip{{\\bu}}{{\\bv}} = \\bu\\T\\bv \\le \\norm{{\\bu}}\\,\\norm{{\\bv}}$ bounds every score; the update is
$\\btheta_{{t+1}} = \\btheta_t - \\eta\\, \\nabla_{{\\btheta}} \\loss(\\btheta_t)$ with $\\eta \\in (0, {d})$.
"""


def build_note() -> str:
    intro = """---
title: Benchmark note
summary: A synthetic note with many formulas, used by bench/render.py to measure rendering throughput.
topics: [foundations]
---

This note exists to be rendered repeatedly. It defines one macro of its own,
$\\newcommand{\\loss}{\\mathcal{L}}\\loss(\\btheta) = \\E_{(\\bx, \\by)}[\\ell(f_{\\btheta}(\\bx), \\by)]$,
used in every later formula that needs it, and it mixes inline math such as $\\bW\\T\\bx$ and
$\\argmin_{\\btheta} \\loss(\\btheta)$ with display math, derivations and tables.
"""
    return intro + "".join(section(i) for i in range(1, SECTIONS + 1))


# -- KaTeX in node --------------------------------------------------------------------------


def bench_node(batches: list[list[tuple[str, bool]]], iterations: int, warmup: int) -> tuple[dict, list]:
    with tempfile.TemporaryDirectory(prefix="bench-katex-") as tmp:
        tmp_path = Path(tmp)
        script, batches_file, out_file = tmp_path / "katex_raw.js", tmp_path / "batches.json", tmp_path / "out.json"
        script.write_text(NODE_SCRIPT, encoding="utf-8")
        batches_file.write_text(json.dumps(batches), encoding="utf-8")
        args = [NODE, str(script), str(KATEX_JS), str(SITE_MACROS), str(batches_file), str(out_file)]
        proc = subprocess.run(
            [*args, str(warmup), str(iterations), str(RENDERING / "katex_host.js")],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if proc.returncode != 0:
            fail(f"node exited with {proc.returncode}:\n{proc.stderr.strip()}")
        return json.loads(proc.stdout), json.loads(out_file.read_text(encoding="utf-8"))


# -- the pipeline ---------------------------------------------------------------------------


def empty_cache() -> None:
    """The formula cache emptied: its table and this process's memo of it."""
    from notes.formula_store import RenderedFormula, formulas_forget

    RenderedFormula.objects.all().delete()
    formulas_forget()


def timed(render, stats: list | None = None) -> float:
    """Seconds for render(), with the formula cache's stage times appended to `stats`."""
    from notes.rendering import formula_cache

    formula_cache.timings = formula_cache.Timings()
    start = time.perf_counter()
    render()
    seconds = time.perf_counter() - start
    if stats is not None:
        stats.append(formula_cache.timings)
    formula_cache.timings = None
    return seconds


def render_checked(source: str, slug: str, index=None):
    from notes.rendering import render

    result = render(source, slug=slug, index=index)
    if result.errors:
        for problem in result.errors[:10]:
            print(f"  {slug}:{problem.line}:{problem.col}: {problem.message}", file=sys.stderr)
        fail(f"{slug} renders with {len(result.errors)} errors")
    return result


def bench_note(source: str, runs: int, warmup: int) -> dict:
    """Cold and warm (one formula edited) runs of the synthetic note."""
    from notes.rendering import render

    for _ in range(warmup):
        empty_cache()
        render_checked(source, SLUG)
    cold, stats = [], []
    for _ in range(runs):
        empty_cache()
        cold.append(timed(lambda: render_checked(source, SLUG), stats))
    warm, warm_stats = [], []
    edit = EDITED.format(d=2)  # section 1
    if edit not in source:
        fail("the formula the warm runs edit is not in the note")
    for i in range(warmup + runs):
        edited = source.replace(edit, EDITED.format(d=100 + i))
        seconds = timed(lambda e=edited: render_checked(e, SLUG), warm_stats)
        if i >= warmup:
            warm.append(seconds)
    preview = []  # the same edit rendered as the editor's preview renders it
    for i in range(warmup + runs):
        edited = source.replace(edit, EDITED.format(d=1000 + i))
        seconds = timed(lambda e=edited: render(e, slug=SLUG, preview=True), warm_stats)
        if i >= warmup:
            preview.append(seconds)
    typeset_per_warm = {s.typeset for s in warm_stats}
    if typeset_per_warm != {1}:
        fail(f"a warm run typeset {typeset_per_warm} formulas, not one")
    return {"cold": cold, "stats": stats, "warm": warm, "preview": preview}


def stage_medians(stats: list, totals: list[float]) -> dict:
    median = statistics.median
    stages = {
        "katex": median(s.katex for s in stats),
        "wait": median(s.wait for s in stats),
        "sanitize": median(s.sanitize for s in stats),
        "cache": median(s.cache for s in stats),
    }
    stages["parse"] = median(t - s.wait - s.cache for t, s in zip(totals, stats, strict=True))
    stages["typeset"] = stats[0].typeset
    stages["unproven"] = stats[0].unproven
    return stages


def check_same_work(batches, node_html) -> bool:
    """The engines' HTML for the same formulas, sanitized, against node's, sanitized alike."""
    from notes.rendering.katex import render_batch
    from notes.rendering.sanitize import sanitize

    for items, theirs in zip(batches, node_html, strict=True):
        ours = [out.get("html") for out in render_batch(items)]
        if [sanitize(h) if h else h for h in ours] != [sanitize(h) if h else h for h in theirs]:
            return False
    return True


def gil_share(batch: list[tuple[str, bool]], seconds: float = 0.5) -> float:
    """How fast a Python loop runs while an engine typesets in another thread, as a share of
    its speed alone: near 1 when mini-racer releases the GIL during V8's work (the engines of
    the pool then use as many cores), at most about a half if it held it."""
    import threading

    from notes.rendering.katex import render_batch

    def spin() -> int:
        n, end = 0, time.perf_counter() + seconds
        while time.perf_counter() < end:
            n += 1
        return n

    alone = spin()
    done = threading.Event()

    def typeset() -> None:
        while not done.is_set():
            render_batch(batch)

    thread = threading.Thread(target=typeset)
    thread.start()
    time.sleep(0.05)
    busy = spin()
    done.set()
    thread.join()
    return busy / alone


def header(what: str, node: dict, runs: int, warmup: int, engines: int) -> None:
    load = os.getloadavg()
    print(what)
    print(
        f"  KaTeX {node['katex_version']}; node {node['node_version']}; pipeline: median of {runs} runs after "
        f"{warmup} warm-up, {engines} engines; node: median of {node['iterations']} iterations, one process"
    )
    print(f"  load average at the end (1/5/15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")


def table(rows: list[tuple[str, str]]) -> None:
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")


def report_note(source, result_note, formulas, node, same, args, engines) -> None:
    n = len(formulas)
    distinct = len({(f.tex, f.display, f.defines) for f in formulas})
    cold_ms = statistics.median(result_note["cold"]) * 1000
    warm_ms = statistics.median(result_note["warm"]) * 1000
    stages = stage_medians(result_note["stats"], result_note["cold"])
    node_ms = node["median_ms"]
    ratio = (n / cold_ms) / (n / node_ms)
    warm_share = warm_ms / cold_ms
    header("Rendering throughput (bench/render.py)", node, args.runs, args.warmup, engines)
    print(
        f"  note: {len(source.encode()):,} bytes, {len(source.splitlines())} lines, {n} formulas "
        f"({distinct} distinct, {stages['typeset']} typeset when cold)"
    )
    print(
        f"  spread (min-max ms): cold {min(result_note['cold']) * 1000:.1f}-{max(result_note['cold']) * 1000:.1f}, "
        f"node {min(node['times_ms']):.1f}-{max(node['times_ms']):.1f}"
    )
    print(f"  engines' HTML identical to node's for the same formulas: {'yes' if same else 'NO'}")
    print(
        f"  a Python loop ran at {result_note['gil']:.0%} of its speed while an engine typeset in another "
        "thread (mini-racer releases the GIL while V8 works)"
    )
    print()
    table(
        [
            ("cold: pipeline ms/note", f"{cold_ms:.1f} ({n / cold_ms * 1000:,.0f} formulas/s)"),
            (
                "  KaTeX and the clean proof, in the engines",
                f"{stages['katex'] * 1000:.1f} ms summed; waited {stages['wait'] * 1000:.1f} ms",
            ),
            (
                "  sanitize, in the engines",
                f"{stages['sanitize'] * 1000:.1f} ms summed (nh3 for {stages['unproven']} formulas not proven "
                "clean, and the blank test)",
            ),
            ("  cache (keys, read, write)", f"{stages['cache'] * 1000:.1f} ms"),
            ("  parse and the rest", f"{stages['parse'] * 1000:.1f} ms"),
            ("raw KaTeX (node) ms/batch", f"{node_ms:.1f} ({n / node_ms * 1000:,.0f} formulas/s)"),
            (
                "ratio cold / raw (formulas/s)",
                f"{ratio:.2f} (target >= {TARGET_RATIO}): {verdict(ratio >= TARGET_RATIO)}",
            ),
            ("warm: one formula edited ms", f"{warm_ms:.1f}"),
            (
                "warm / cold",
                f"{warm_share:.1%} (target <= {TARGET_WARM:.0%}): {verdict(warm_share <= TARGET_WARM)}",
            ),
            (
                "  the same edit as a preview",
                f"{statistics.median(result_note['preview']) * 1000:.1f} ms "
                f"({statistics.median(result_note['preview']) * 1000 / cold_ms:.1%} of cold; for information)",
            ),
        ]
    )


def verdict(met: bool) -> str:
    return "MET" if met else "NOT MET"


# -- --corpus ---------------------------------------------------------------------------------


def bench_corpus(sources: dict[str, str], runs: int, warmup: int) -> dict:
    from notes.rendering import outline
    from notes.rendering.links import MappingIndex
    from notes.services import formulas_prefill

    index = MappingIndex([outline(source, slug=slug) for slug, source in sources.items()])  # links between files

    def cold_one_by_one():
        for slug, source in sources.items():
            render_checked(source, slug, index)

    def cold_as_rerender():
        formulas_prefill(list(sources.values()))
        cold_one_by_one()

    out = {"cold": [], "rerender": [], "warm": [], "stats": []}
    for i in range(warmup + runs):
        empty_cache()
        seconds = timed(cold_one_by_one, out["stats"] if i >= warmup else None)
        empty_cache()
        rerender_seconds = timed(cold_as_rerender)
        warm_seconds = timed(cold_one_by_one)
        if i >= warmup:
            out["cold"].append(seconds)
            out["rerender"].append(rerender_seconds)
            out["warm"].append(warm_seconds)
    return out


def report_corpus(folder, sources, formulas, result, node, same, args, engines) -> None:
    n = sum(len(f) for f in formulas)
    node_ms = node["median_ms"]
    rows = []
    header(f"Rendering throughput over {folder} (bench/render.py --corpus)", node, args.runs, args.warmup, engines)
    print(f"  {len(sources)} files, {sum(len(s.encode()) for s in sources.values()):,} bytes, {n:,} formulas")
    print(f"  engines' HTML identical to node's for the same formulas: {'yes' if same else 'NO'}")
    print()
    for label, key in (("cold, note by note", "cold"), ("cold, as rerender (prefill)", "rerender"), ("warm", "warm")):
        ms = statistics.median(result[key]) * 1000
        rows.append((f"{label} ms", f"{ms:,.0f} ({n / ms * 1000:,.0f} formulas/s)"))
    stages = stage_medians(result["stats"], result["cold"])
    rows.append(
        (
            "  note by note: KaTeX / sanitize / cache / parse",
            f"{stages['katex'] * 1000:,.0f} summed (waited {stages['wait'] * 1000:,.0f}) / "
            f"{stages['sanitize'] * 1000:,.0f} / {stages['cache'] * 1000:,.0f} / {stages['parse'] * 1000:,.0f} ms",
        )
    )
    rows.append(("raw KaTeX (node) ms", f"{node_ms:,.0f} ({n / node_ms * 1000:,.0f} formulas/s)"))
    for label, key in (("note by note", "cold"), ("as rerender", "rerender")):
        ratio = node_ms / (statistics.median(result[key]) * 1000)
        rows.append(
            (f"ratio cold {label} / raw", f"{ratio:.2f} (target >= {TARGET_RATIO}): {verdict(ratio >= TARGET_RATIO)}")
        )
    table(rows)


# -- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="timed pipeline runs (default 20; 3 with --corpus)")
    parser.add_argument(
        "--warmup",
        type=int,
        default=30,
        help="untimed pipeline runs first (default 30: each engine then has typeset about as many formulas as "
        "node's warm-up; 2 with --corpus)",
    )
    parser.add_argument("--node-iterations", type=int, default=40, help="timed node iterations (default 40)")
    parser.add_argument("--node-warmup", type=int, default=10, help="untimed node iterations first (default 10)")
    parser.add_argument("--corpus", metavar="DIR", nargs="?", const=str(ROOT / "notes" / "corpus"))
    args = parser.parse_args()
    if args.corpus and "--runs" not in sys.argv:
        args.runs, args.warmup, args.node_iterations, args.node_warmup = 3, 2, 10, 3

    if not Path(NODE).is_file():
        fail(f"{NODE} not found (install Node.js)")
    if not KATEX_JS.is_file():
        fail(f"{KATEX_JS} not found (run `make vendor`)")
    production = {"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(40), "ALLOWED_HOSTS": "localhost"}
    with scratch_database(prefix="bench-render-", **production):
        from notes.rendering import katex
        from notes.rendering.pipeline import formulas_of

        engines = katex.engine_pool().size
        katex.render_batch([("x", False)])  # start the pool (not what is measured)
        if args.corpus:
            folder = Path(args.corpus)
            sources = {p.stem: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.md"))}
            if not sources:
                fail(f"no *.md files in {folder}")
            formulas = [formulas_of(source, slug=slug) for slug, source in sources.items()]
            result = bench_corpus(sources, args.runs, args.warmup)
        else:
            source = build_note()
            formulas = [formulas_of(source, slug=SLUG)]
            result = bench_note(source, args.runs, args.warmup)
            result["gil"] = gil_share([(f.tex, f.display) for f in formulas[0]])
        batches = [[(f.tex, f.display) for f in note] for note in formulas]
        node, node_html = bench_node(batches, args.node_iterations, args.node_warmup)
        same = check_same_work(batches, node_html)
        if args.corpus:
            report_corpus(folder, sources, formulas, result, node, same, args, engines)
        else:
            report_note(source, result, formulas[0], node, same, args, engines)


if __name__ == "__main__":
    main()
