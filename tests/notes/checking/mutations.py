"""Mutants of the formulas that the corpus's checks test, and whether each check kills them.

A checks file marks the formula under test with the comment `# formula`: on a statement's first
line it marks that statement, on a `def` line the whole function. Only marked code is mutated, so
a mutant changes the derived result and never the reference it is compared with (finite
differences, Monte Carlo, a direct computation) nor the tolerance. A check owns the marked
statements in its own body and in every function of the file it calls, directly or through other
functions.

Mutations, each applied alone to one node of a marked statement:
- an operator swapped: + and -, * and /, ** to *, @ with its operands exchanged, < and >=, > and <=;
- an operand dropped: a binary operation replaced by its left or by its right operand (a factor or
  a term dropped, an index t - 1 turned into t);
- a sign flipped: unary minus removed;
- a function dropped: sqrt, exp, log, abs and the like replaced by their argument;
- arguments swapped: the first two positional arguments of a call exchanged (not for functions
  whose arguments commute, such as maximum).

A minus sign on a keyword argument's value (axis=-1) is an index, not a sign, and is left alone.

A mutant is killed when the check, run in this process with numpy raising on invalid
operations (as in notes/checking/child.py) and within its time limit, raises, returns a
non-finite error, or returns an error above its tolerance.
"""

import ast
import copy
import io
import math
import signal
import time
import tokenize
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MARK = "# formula"
DROPPABLE_FUNCTIONS = {"sqrt", "exp", "log", "log1p", "expm1", "abs", "tanh", "cos", "sin", "square", "cumprod"}
SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.Pow: ast.Mult}
# Functions whose first two arguments commute: swapping them is an equivalent mutant.
COMMUTATIVE = {"maximum", "minimum", "max", "min", "add", "multiply", "hypot", "logaddexp", "outer"}
COMPARE_SWAPS = {ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE, ast.LtE: ast.Gt}


@dataclass(frozen=True)
class Mutant:
    check: str
    line: int
    description: str
    node_index: int  # position of the node in ast.walk order of the module
    kind: str  # swap, drop-left, drop-right, sign, function, arguments

    def __str__(self) -> str:
        return f"{self.check}, line {self.line}: {self.description}"


def marked_lines(source: str) -> set[int]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {tok.start[0] for tok in tokens if tok.type == tokenize.COMMENT and tok.string.startswith(MARK)}


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def _reached(name: str, functions: dict[str, ast.FunctionDef]) -> list[str]:
    """The module's functions that `name` calls or refers to, transitively, itself first."""
    seen, order, stack = set(), [], [name]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        order.append(current)
        for node in ast.walk(functions[current]):
            if isinstance(node, ast.Name) and node.id in functions and node.id not in seen:
                stack.append(node.id)
    return order


def marked_statements(check: str, tree: ast.Module, lines: set[int]) -> list[ast.stmt]:
    """The statements whose mutation the check must detect."""
    functions = _functions(tree)
    statements = []
    for name in _reached(check, functions):
        function = functions[name]
        if function.lineno in lines or any(d.lineno in lines for d in function.decorator_list):
            statements += function.body
            continue
        statements += [
            n for n in ast.walk(function) if isinstance(n, ast.stmt) and n.lineno in lines and n is not function
        ]
    return statements


def _describe(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 70 else text[:67] + "..."


def _mutations_of(node: ast.AST):
    """(kind, description, replacement builder) for every mutation of one node."""
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.MatMult):
            yield "arguments", "operands of @ exchanged", lambda n: ast.BinOp(n.right, ast.MatMult(), n.left)
        elif type(node.op) in SWAPS:
            new = SWAPS[type(node.op)]
            yield (
                "swap",
                f"{type(node.op).__name__} -> {new.__name__}",
                lambda n, new=new: ast.BinOp(n.left, new(), n.right),
            )
        yield "drop-right", "right operand dropped", lambda n: n.left
        yield "drop-left", "left operand dropped", lambda n: n.right
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        yield "sign", "minus sign removed", lambda n: n.operand
    elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in COMPARE_SWAPS:
        new = COMPARE_SWAPS[type(node.ops[0])]
        yield (
            "swap",
            f"{type(node.ops[0]).__name__} -> {new.__name__}",
            lambda n, new=new: ast.Compare(n.left, [new()], n.comparators),
        )
    elif isinstance(node, ast.Call):
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name in DROPPABLE_FUNCTIONS and len(node.args) == 1 and not node.keywords:
            yield "function", f"{name}() dropped", lambda n: n.args[0]
        if (
            name not in COMMUTATIVE
            and len(node.args) >= 2
            and not any(isinstance(a, ast.Starred) for a in node.args[:2])
        ):
            yield (
                "arguments",
                "first two arguments swapped",
                lambda n: ast.Call(n.func, [n.args[1], n.args[0], *n.args[2:]], n.keywords),
            )


def mutants(check: str, source: str) -> list[Mutant]:
    """Every mutant of the check's marked statements, in source order."""
    tree = ast.parse(source)
    eligible = set()
    for statement in marked_statements(check, tree, marked_lines(source)):
        eligible |= {id(n) for n in ast.walk(statement)}
    eligible -= {
        id(n.value)
        for n in ast.walk(tree)
        if isinstance(n, ast.keyword) and isinstance(n.value, ast.UnaryOp) and isinstance(n.value.operand, ast.Constant)
    }
    found = []
    for index, node in enumerate(ast.walk(tree)):
        if id(node) in eligible:
            for kind, what, _ in _mutations_of(node):
                found.append(Mutant(check, node.lineno, f"{what} in `{_describe(node)}`", index, kind))
    return sorted(found, key=lambda m: (m.line, m.node_index, m.kind))


def mutated_module(source: str, path: Path, mutant: Mutant):
    """The checks file compiled with one mutation applied."""
    tree = ast.parse(source)
    target = next(n for i, n in enumerate(ast.walk(tree)) if i == mutant.node_index)
    builder = next(
        b for kind, what, b in _mutations_of(target) if mutant.description.startswith(what) and kind == mutant.kind
    )
    replacement = builder(copy.deepcopy(target))
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is target:
                setattr(parent, field, replacement)
            elif isinstance(value, list) and any(v is target for v in value):
                setattr(parent, field, [replacement if v is target else v for v in value])
    ast.fix_missing_locations(tree)
    return compile(tree, str(path), "exec")


class _TimeUp(Exception):
    pass


def _raise_time_up(signum, frame):
    raise _TimeUp


def run(code, name: str, seconds: float) -> tuple[bool, str]:
    """Run the check `name` from compiled module code; (passed, what happened)."""
    namespace = {"__name__": "mutant", "__file__": code.co_filename}
    previous = signal.signal(signal.SIGALRM, _raise_time_up)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        # As in the child: invalid operations raise; a mutant's overflows are not worth a warning.
        with (
            np.errstate(invalid="raise", over="ignore", divide="ignore", under="ignore"),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore", RuntimeWarning)
            exec(code, namespace)  # noqa: S102 - the corpus's own checks file, mutated here
            error, tolerance = namespace[name]()
    except _TimeUp:
        return False, f"timed out after {seconds:.1f} s"
    except Exception as exc:  # noqa: BLE001 - any exception means the check fails
        return False, f"raised {type(exc).__name__}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    error, tolerance = float(error), float(tolerance)
    if not (math.isfinite(error) and math.isfinite(tolerance)):
        return False, "non-finite result"
    return error <= tolerance, f"error {error:.3g}, tolerance {tolerance:.3g}"


def survivors(path: Path, check: str, *, limit: int, allowed: dict[str, str]) -> tuple[list[str], float]:
    """The mutants of the check that it does not kill (as strings), and the seconds taken.
    `limit` caps the mutants run: the first mutant of each kind on each line comes first.
    `allowed` maps the descriptions of equivalent mutants (ones that change nothing the check
    could see) to the reason; those are not run."""
    source = path.read_text()
    started = time.monotonic()
    base = compile(source, str(path), "exec")
    passed, what = run(base, check, 30.0)
    if not passed:
        raise AssertionError(f"{check} fails unmutated: {what}")
    seconds = max(2.0, 5 * (time.monotonic() - started))
    left = []
    for mutant in choose(mutants(check, source), limit):
        if mutant.description in allowed:
            continue
        passed, what = run(mutated_module(source, path, mutant), check, seconds)
        if passed:
            left.append(f"{path.name} {mutant} survives ({what})")
    return left, time.monotonic() - started


def choose(candidates: list[Mutant], limit: int) -> list[Mutant]:
    """Up to `limit` mutants: one of each kind per line first, then the rest, in source order."""
    firsts, rest, seen = [], [], set()
    for mutant in candidates:
        key = (mutant.line, mutant.kind)
        (rest if key in seen else firsts).append(mutant)
        seen.add(key)
    picked = firsts[:limit]
    picked += rest[: limit - len(picked)]
    return sorted(picked, key=lambda m: (m.line, m.node_index, m.kind))
