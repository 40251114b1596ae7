"""Runs one ELK layout: the ELK JSON graph on stdin, {"result": ...} or {"error": ...} on stdout.

Started by `notes.graph.layout.layout` as a child process; it needs no Django.
"""

import json
import sys
from pathlib import Path

from py_mini_racer import JSTimeoutException, MiniRacer

ELK_JS = Path(__file__).resolve().parent / "vendor" / "elk.bundled.js"
TIMEOUT_SECONDS = 50.0  # under the parent's, so a slow layout reports itself before it is killed
MAX_MEMORY_BYTES = 512 * 1024 * 1024

# elk.bundled.js looks for a browser global, and its in-process "worker" hands each message
# on with setTimeout. Running those callbacks at once keeps a whole layout inside one call,
# so the call's timeout and memory cap bound it; the result arrives through a promise that
# V8 settles as the call returns, and a second call collects it.
HOST_JS = """
var window = globalThis, self = globalThis;
globalThis.setTimeout = function (callback, ms, ...args) { callback(...args); return 0; };
"""
LAYOUT_JS = """
var elk = new ELK();
var settled = null;
function startLayout(graph) {
  settled = null;
  elk.layout(graph).then(
    function (result) { settled = JSON.stringify({result: result}); },
    function (error) { settled = JSON.stringify({error: String(error && error.message || error)}); });
  return 0;
}
function takeLayout() { var out = settled; settled = null; return out; }
"""


def main() -> None:
    graph = json.load(sys.stdin)
    ctx = MiniRacer()
    try:
        ctx.eval(HOST_JS)
        ctx.eval(ELK_JS.read_text(encoding="utf-8"))
        ctx.eval(LAYOUT_JS)
        try:
            ctx.call("startLayout", graph, timeout_sec=TIMEOUT_SECONDS, max_memory=MAX_MEMORY_BYTES)
        except JSTimeoutException:
            print(json.dumps({"error": f"layout took over {TIMEOUT_SECONDS:g} s"}))
            return
        settled = ctx.eval("takeLayout()")
        print(settled if settled is not None else json.dumps({"error": "ELK returned no layout"}))
    finally:
        ctx.close()


if __name__ == "__main__":
    main()
