"""Rendering throughput: our note pipeline against KaTeX running bare in node.

What it measures
    A synthetic note (front matter, headings, prose, admonitions, a table, derivation
    blocks and about 360 formulas, in the range of a real note's 200-350: inline and
    display, fractions, sums, integrals, matrices, cases, align and gather environments
    with \\label, site macros such as \\bW\\T \\softmax \\KL \\norm{} and a note-level
    \\newcommand) is rendered

    (a) by the full pipeline, ``notes.rendering.pipeline.render(source, slug=...)``:
        ms per note and formulas per second (formulas / seconds), median over N runs
        after warm-up, with the time spent inside ``notes.rendering.katex.render_batch``
        (the mini-racer KaTeX call) and inside ``sanitize`` (nh3), so the reader sees
        where the time goes;
    (b) by KaTeX in node, directly: a throwaway node script ``require``s the same pinned
        notes/rendering/vendor/katex.min.js, loads notes/rendering/site_macros.tex the way
        katex_host.js does, and renders exactly the (tex, displayMode) pairs the pipeline
        sent to KaTeX (captured from render_batch) with the host's options, each iteration
        starting from a fresh copy of the site macros; median over N iterations after
        warm-up, timed with process.hrtime. Its HTML is compared with the pipeline's
        KaTeX output to show that both did the same work.

Target
    ratio = pipeline formulas/s / raw KaTeX (node) formulas/s >= 0.8.
    The script prints MET or NOT MET; it is a benchmark, not a test, so it exits 0 either
    way (1 only when it cannot run: node or the vendored KaTeX missing, the note failing
    to render).

Run (from the project root, about 20 s on two cores)
    .venv/bin/python bench/render.py [--runs N] [--warmup N]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scratch import ROOT, django_setup

RENDERING = ROOT / "notes" / "rendering"
KATEX_JS = RENDERING / "vendor" / "katex.min.js"
SITE_MACROS = RENDERING / "site_macros.tex"
NODE = "/usr/bin/node"
TARGET_RATIO = 0.8
SLUG = "bench-synthetic"
SECTIONS = 6

NODE_SCRIPT = r"""
// Bare KaTeX in node: the same bundle, and the very katex_host.js the pipeline loads into
// mini-racer (same options, same site macros, same batch function), evaluated in node.
const fs = require("fs");
const vm = require("vm");
const [katexPath, macrosPath, itemsPath, outPath, warmupArg, iterArg, hostPath] = process.argv.slice(2);
globalThis.katex = require(katexPath);
vm.runInThisContext(fs.readFileSync(hostPath, "utf8"));
const items = JSON.parse(fs.readFileSync(itemsPath, "utf8"));
const warmup = Number(warmupArg);
const iterations = Number(iterArg);
loadSiteMacros(fs.readFileSync(macrosPath, "utf8"));

function renderAll() {
  return renderBatch(items);
}

fs.writeFileSync(outPath, JSON.stringify(JSON.parse(renderAll()).map((o) => o.html)));
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
  formulas: items.length,
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


# -- (a) the pipeline ---------------------------------------------------------------------


def bench_pipeline(source: str, runs: int, warmup: int):
    """Per-run seconds: the whole render, inside katex.render_batch, inside sanitize (nh3)."""
    from notes.rendering import katex, pipeline

    real_render_batch, real_sanitize = katex.render_batch, pipeline.sanitize
    state = {"katex": 0.0, "sanitize": 0.0, "items": None, "sanitize_calls": 0, "sanitize_bytes": 0}

    def timed_render_batch(items):
        start = time.perf_counter()
        try:
            return real_render_batch(items)
        finally:
            state["katex"] += time.perf_counter() - start
            state["items"] = list(items)

    def timed_sanitize(html):
        start = time.perf_counter()
        try:
            return real_sanitize(html)
        finally:
            state["sanitize"] += time.perf_counter() - start
            state["sanitize_calls"] += 1
            state["sanitize_bytes"] += len(html)

    # The pipeline reaches both through module attributes, so patching them here is enough.
    katex.render_batch, pipeline.sanitize = timed_render_batch, timed_sanitize
    try:
        first = pipeline.render(source, slug=SLUG)
        if first.errors:
            for problem in first.errors[:10]:
                print(f"  line {problem.line}:{problem.col}: {problem.message}", file=sys.stderr)
            fail(f"the synthetic note renders with {len(first.errors)} errors")
        items = state["items"]
        for _ in range(warmup):
            pipeline.render(source, slug=SLUG)
        totals, katex_times, sanitize_times = [], [], []
        for _ in range(runs):
            state["katex"] = state["sanitize"] = 0.0
            state["sanitize_calls"] = state["sanitize_bytes"] = 0
            start = time.perf_counter()
            pipeline.render(source, slug=SLUG)
            totals.append(time.perf_counter() - start)
            katex_times.append(state["katex"])
            sanitize_times.append(state["sanitize"])
    finally:
        katex.render_batch, pipeline.sanitize = real_render_batch, real_sanitize
    sanitized = (state["sanitize_calls"], state["sanitize_bytes"])
    return first, items, totals, katex_times, sanitize_times, sanitized


# -- (b) KaTeX in node ----------------------------------------------------------------------


def bench_node(items: list[tuple[str, bool]], iterations: int, warmup: int) -> tuple[dict, list[str]]:
    with tempfile.TemporaryDirectory(prefix="bench-katex-") as tmp:
        tmp_path = Path(tmp)
        script = tmp_path / "katex_raw.js"
        items_file = tmp_path / "items.json"
        out_file = tmp_path / "out.json"
        script.write_text(NODE_SCRIPT, encoding="utf-8")
        items_file.write_text(json.dumps(items), encoding="utf-8")
        args = [NODE, str(script), str(KATEX_JS), str(SITE_MACROS), str(items_file), str(out_file)]
        proc = subprocess.run(
            [*args, str(warmup), str(iterations), str(RENDERING / "katex_host.js")],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if proc.returncode != 0:
            fail(f"node exited with {proc.returncode}:\n{proc.stderr.strip()}")
        return json.loads(proc.stdout), json.loads(out_file.read_text(encoding="utf-8"))


# -- report ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="timed pipeline runs (default 20)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed pipeline runs first (default 5)")
    parser.add_argument("--node-iterations", type=int, default=40, help="timed node iterations (default 40)")
    parser.add_argument("--node-warmup", type=int, default=10, help="untimed node iterations first (default 10)")
    args = parser.parse_args()

    if not Path(NODE).is_file():
        fail(f"{NODE} not found (install Node.js)")
    if not KATEX_JS.is_file():
        fail(f"{KATEX_JS} not found (run `make vendor`)")
    django_setup()  # no database: the pipeline only

    from notes.rendering import katex

    source = build_note()
    start = time.perf_counter()
    katex.get_engine()  # the one-off context start-up is not what is being measured
    engine_start_s = time.perf_counter() - start
    result, items, totals, katex_times, sanitize_times, sanitized = bench_pipeline(source, args.runs, args.warmup)
    n = len(items)
    inline = sum(1 for _, display in items if not display)
    node, node_html = bench_node(items, args.node_iterations, args.node_warmup)

    # The exact same work: compare node's HTML with what the pipeline got from mini-racer.
    host_html = [out.get("html") for out in katex.render_batch(items)]
    identical = host_html == node_html

    pipe_ms = statistics.median(totals) * 1000
    katex_ms = statistics.median(katex_times) * 1000
    share = statistics.median(k / t for k, t in zip(katex_times, totals, strict=True))
    sanitize_ms = statistics.median(sanitize_times) * 1000
    sanitize_share = statistics.median(s / t for s, t in zip(sanitize_times, totals, strict=True))
    other_ms = pipe_ms - katex_ms - sanitize_ms
    pipe_fps = n / (pipe_ms / 1000)
    node_ms = node["median_ms"]
    node_fps = n / (node_ms / 1000)
    katex_fps = n / (katex_ms / 1000)
    ratio = pipe_fps / node_fps

    print("Rendering throughput (bench/render.py)")
    print(
        f"  note: {len(source.encode()):,} bytes, {len(source.splitlines())} lines, {n} formulas "
        f"({inline} inline, {n - inline} display), {len(result.equations)} numbered equations, "
        f"{len(result.derivations)} derivations, {len(result.toc)} TOC entries, {len(result.html):,} bytes of HTML"
    )
    print(
        f"  KaTeX {node['katex_version']}; node {node['node_version']}; pipeline: median of {args.runs} runs "
        f"after {args.warmup} warm-up; node: median of {node['iterations']} iterations after {args.node_warmup} warm-up"
    )
    load = os.getloadavg()
    print(f"  load average at the end (1/5/15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")
    print(f"  mini-racer context start-up (once per process, not counted): {engine_start_s * 1000:.0f} ms")
    print(
        f"  spread (min-max ms): pipeline {min(totals) * 1000:.1f}-{max(totals) * 1000:.1f}, "
        f"node {min(node['times_ms']):.1f}-{max(node['times_ms']):.1f}"
    )
    print(f"  node HTML identical to the pipeline's KaTeX output: {'yes' if identical else 'NO'}")
    print()
    rows = [
        ("pipeline ms/note", f"{pipe_ms:.1f}"),
        ("pipeline formulas/s", f"{pipe_fps:,.0f}"),
        (
            "  of which in katex.render_batch",
            f"{katex_ms:.1f} ms ({share:.0%} of the run, {katex_fps:,.0f} formulas/s)",
        ),
        (
            "  of which in sanitize (nh3)",
            f"{sanitize_ms:.1f} ms ({sanitize_share:.0%} of the run; {sanitized[0]} calls, "
            f"{sanitized[1] / 1e6:.2f} MB of HTML)",
        ),
        ("  everything else", f"{other_ms:.1f} ms (parse, walk, HTML, derivations, plain text)"),
        ("raw KaTeX (node) ms/batch", f"{node_ms:.1f}"),
        ("raw KaTeX (node) formulas/s", f"{node_fps:,.0f}"),
        ("ratio pipeline / raw", f"{ratio:.2f}"),
        ("target ratio", f">= {TARGET_RATIO}"),
        ("result", "MET" if ratio >= TARGET_RATIO else "NOT MET"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    if ratio < TARGET_RATIO:
        print()
        print(
            f"  Where the time goes: KaTeX inside mini-racer takes {katex_ms:.1f} ms for this batch "
            f"({katex_ms / node_ms:.2f}x node's {node_ms:.1f} ms for the same formulas, including the JSON "
            f"round trip); sanitize takes {sanitize_ms:.1f} ms and everything else {other_ms:.1f} ms. If the "
            f"pipeline were render_batch alone, the ratio would be {node_ms / katex_ms:.2f}."
        )


if __name__ == "__main__":
    main()
