"""The short reproducer of a cell: at most MAX_LINES non-blank lines that
import only torch, for a maintainer to read in an issue.

It is made on the host, from the cell's full reproducer (the record, which
the suite rendered: the behaviour's code as declared, its inputs, the capture
code of that release) and the cell's evidence (what differed, the dynamic
dimensions): the module and its inputs seeded as the suite seeds them, the
capture call, two calls of eager and of the artifact, and `OUTCOME:` from
torch.testing.assert_close on the output and on the state the evidence names
(and the behaviour declares it mutates). The full one is read with `ast`:
the host never imports torch.

What it cannot decide it says in a comment at its top (`undecidable`): a
crash or a timeout (the process must die or hang; the script prints the
outcome it reaches, if it reaches one)."""

from __future__ import annotations

import ast
import copy
import keyword
import re
import textwrap
from dataclasses import dataclass
from typing import Any

from exportmatrix.base import reproducer, shapes_of
from exportmatrix.base.compact import header_fields

MAX_LINES = 40
MODULE_KINDS = ("buffer", "parameter", "attribute")
SUBMODULES = ("torch.export", "torch._dynamo", "torch._inductor", "torch._export")
DYING = ("crash", "timeout")
WILDCARD = "*"  # what makes a `mutates` entry a pattern (the suite's state_patterns.py; the host never imports it)


@dataclass
class Parts:
    """What the short form takes from a full reproducer."""

    future: list[str]
    support: list[str]  # the behaviour file's imports and statements, as declared
    module_class: str
    inputs: str  # an expression for the inputs' tuple
    reset: str | None
    extra_state: str | None
    warmup: int
    device: str
    capture: str  # the capture code, run where `mod` and `args` are
    lazy: bool
    between_calls: str | None = None  # what the user does between the calls, where the behaviour declares it


def _segment(lines: list[str], node: ast.stmt) -> str:
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return textwrap.dedent("\n".join(lines[first - 1 : node.end_lineno]))


# physical lines as the parser counts them (\r\n, \r or \n), ends kept
_PHYSICAL = re.compile(r".*?(?:\r\n|\r|\n)|.+", re.S)


def _source_of(physical: list[str], node: ast.AST) -> str:
    """ast.get_source_segment over lines split once: it splits the whole
    source again on every call, which made a site's build minutes long."""
    first, last = node.lineno - 1, node.end_lineno - 1  # type: ignore[attr-defined,operator]
    start, end = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
    if first == last:
        return physical[first].encode()[start:end].decode()
    head = physical[first].encode()[start:].decode()
    tail = physical[last].encode()[:end].decode()
    return head + "".join(physical[first + 1 : last]) + tail


def _assigned(node: ast.stmt) -> str | None:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    return None


def _without_docstring(node: ast.stmt) -> ast.stmt:
    body = getattr(node, "body", None)
    if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and body and len(body) > 1:
        first = body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            node.body = body[1:]
    return node


def parts(full: str) -> Parts:
    """A full reproducer's pieces (its TEMPLATE: suite/exportmatrix_suite/reproducer.py)."""
    tree = ast.parse(full)
    lines = full.splitlines()
    physical = _PHYSICAL.findall(full)
    body = tree.body
    names: dict[str | None, Any] = {_assigned(node): node for node in body if _assigned(node)}
    start = body.index(names["SHAPES"]) + 1
    end = body.index(names["make_inputs"])
    functions = {node.name: node for node in body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    support = [ast.unparse(_without_docstring(node)) for node in body[start:end]]
    declared = {name: _source_of(physical, names[name].value) for name in names if name}
    build = functions["build"]
    module_class = next(
        node.func.id
        for node in ast.walk(build)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id not in ("tuple", "to_device")
    )
    capture = [
        node
        for node in functions["capture"].body  # type: ignore[union-attr]
        if not isinstance(node, ast.Return) and "_dynamo.reset()" not in _source_of(physical, node)
    ]
    exporter = {
        _assigned(node): ast.literal_eval(node.value)  # type: ignore[attr-defined]
        for node in functions["Exporter"].body  # type: ignore[union-attr]
        if _assigned(node) in ("lazy", "state_hidden")
    }
    code = "\n".join(lines[capture[0].lineno - 1 : capture[-1].end_lineno]) if capture else ""
    return Parts(
        future=[ast.unparse(n) for n in body if isinstance(n, ast.ImportFrom) and n.module == "__future__"],
        support=support,
        module_class=module_class,
        inputs=declared["make_inputs"],
        reset=None if declared.get("reset") == "lambda: None" else declared.get("reset"),
        extra_state=None if declared.get("extra_state") == "lambda module: {}" else declared.get("extra_state"),
        warmup=ast.literal_eval(declared.get("WARMUP_CALLS", "0")),
        device=ast.literal_eval(declared["DEVICE"]),
        capture=textwrap.dedent(code),
        lazy=bool(exporter.get("lazy")),
        between_calls=None if declared.get("between_calls", "None") == "None" else declared.get("between_calls"),
    )


def _bound(node: ast.stmt) -> set[str]:
    """The names a top-level statement of the behaviour's file binds."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return {n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)}


def _used(text: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Name)}


def needed_support(p: Parts) -> list[str]:
    """The statements of the behaviour's file that the module, its inputs,
    reset, extra state, step between calls and capture reach, in their order;
    a statement that binds no name (a registration) is kept with what it
    uses. A case file's own helpers (availability checks, other cases) go."""
    nodes = [ast.parse(text).body[0] if text.strip() else None for text in p.support]
    wanted = {p.module_class} | _used(p.inputs if p.inputs.strip() else "None")
    for text in (p.reset, p.extra_state, p.between_calls, p.capture):
        wanted |= _used(text) if text else set()
    keep = [node is not None and not _bound(node) for node in nodes]
    wanted |= {name for text, kept in zip(p.support, keep) if kept for name in _used(text)}
    changed = True
    while changed:
        changed = False
        for index, node in enumerate(nodes):
            if not keep[index] and node is not None and _bound(node) & wanted:
                keep[index], changed = True, True
                wanted |= _used(p.support[index])
    return [text for text, kept in zip(p.support, keep) if kept]


def _inline_inputs(p: Parts) -> str:
    """The inputs' expression: a helper that only returns an expression and
    is used nowhere else is inlined (its def dropped)."""
    expression = p.inputs
    match = re.fullmatch(r"lambda\s*:\s*(.+)", expression, re.S)
    if match:
        return match.group(1)
    for index, text in enumerate(p.support):
        node = ast.parse(text).body[0]
        if not (isinstance(node, ast.FunctionDef) and node.name == expression and len(node.body) == 1):
            continue
        returned = node.body[0]
        others = "\n".join(p.support[:index] + p.support[index + 1 :])
        if isinstance(returned, ast.Return) and returned.value is not None and expression not in others:
            del p.support[index]
            return ast.unparse(returned.value)
    return "%s()" % expression


def _look(name: str, hidden: bool) -> str:
    kind, _, key = name.rpartition(" ")
    if kind == "input":
        return "args[%s]" % key
    if kind not in MODULE_KINDS:
        return "extra_state(mod)[%r]" % name
    owner, _, leaf = key.rpartition(".")
    read = "getattr(%s, %r, None)" % (_submodule("mod", owner), leaf)
    if not hidden:  # read on the artifact where it carries the name (its own copy), else on the module
        read = "getattr(%s, %r, %s) if hasattr(artifact, %r) else %s" % (
            _submodule("artifact", owner),
            leaf,
            read,
            key.split(".")[0],
            read,
        )
    if kind == "parameter":
        return "(lambda p: (p, getattr(p, 'requires_grad', None)))(%s)" % read
    return read


def _submodule(root: str, dotted: str) -> str:
    """Code for the submodule `dotted` of `root`: attribute access where every
    part is a name, else get_submodule (`parametrizations.weight.0` is no
    Python attribute chain)."""
    if not dotted:
        return root
    if all(part.isidentifier() and not keyword.iskeyword(part) for part in dotted.split(".")):
        return "%s.%s" % (root, dotted)
    return "%s.get_submodule(%r)" % (root, dotted)


def _read_back(name: str, read: str) -> str:
    """A buffer or parameter read where the artifact reads its own state back
    (an AOTInductor package loaded by its model runner: read_state())."""
    kind, _, key = name.rpartition(" ")
    if kind not in ("buffer", "parameter"):
        return read
    return "artifact.read_state()[%r] if hasattr(artifact, 'read_state') else %s" % (key, read)


def state_names(matrix: dict[str, Any], observation: dict[str, Any]) -> list[str]:
    """The state the evidence names as differing, and what the behaviour
    declares it mutates by name. A declared pattern ("buffer **.running_mean",
    see the suite's state_patterns.py) names no one state and is left out:
    the names of it that differ are in the evidence."""
    found = observation.get("evidence", {})
    declared: dict[str, Any] = next(
        (b for b in matrix.get("behaviours", []) if b.get("id") == observation["behaviour"]), {}
    )  # noqa: E501
    names = [d["what"] for d in found.get("differences", []) if not d["what"].startswith("output of call")]
    named = [name for name in declared.get("mutates", []) if WILDCARD not in name]
    judged = [name for name in numerics_names(observation) if name != "output"]
    return list(dict.fromkeys(names + named + judged))


def numerics_names(observation: dict[str, Any]) -> list[str]:
    """The names (`output`, `buffer net.bn.running_mean`) whose float values
    the cell judged within numerics against its float64 run: the short form
    judges them by the same rule (CLOSE), every other name exactly."""
    names: list[str] = []
    for group in observation.get("evidence", {}).get("numerics", []):
        for name in group.get("names", []):
            names.append("output" if name.startswith("output of call") else name)
    return list(dict.fromkeys(names))


def undecidable(observation: dict[str, Any]) -> str | None:
    """Why the short form cannot decide this cell's outcome, or None."""
    if observation["outcome"] in DYING:
        return "recorded %s: the process died or ran past its limit; run it and watch it" % observation["outcome"]
    return None


# PyTorch's accuracy rule as the suite applies it (classify.py: within_numerics,
# numerics_bound, REFERENCE_FIT), for the names a cell judged within numerics:
# float error to the float64 run within 2x (3x: half precision, under 1000
# elements, 4-d ending 1x1) eager's own, plus 1e-5, where eager fits that run.
CLOSE = "\n".join(
    [
        "",
        "def close(want, got, ref):  # torch._dynamo.utils.same's fp64_ref rule: "
        "error to the float64 run within a multiple of eager's",
        "    rms = lambda t, r=0: (t.double() - r).pow(2).mean().sqrt().item()",
        "    ok = lambda w, g, r: torch.equal(w, g) if not w.is_floating_point() else "
        "rms(w, r) <= 1e-2 * rms(r) + 1e-5 and rms(g, r) <= (3 if w.dtype in (torch.float16, torch.bfloat16) "
        "or w.numel() < 1000 or w.dim() == 4 and w.shape[-2:] == (1, 1) else 2) * rms(w, r) + 1e-5",
        "    return all(ok(*t) for t in zip(*map(torch.utils._pytree.tree_leaves, (want, got, ref))))",
        "",
    ]
)
# the float64 run: the module's float32 state and inputs in float64 (the suite's float64.py)
REFERENCE = [
    "(m64, _, calls64), to64 = build(), "
    "lambda v: v.double() if isinstance(v, torch.Tensor) and v.dtype == torch.float32 else v",
    "for t in [*m64.parameters(), *m64.buffers()]: t.data = to64(t.data)  # the float64 run: float32 made float64",
    "reference = [observe(m64, m64, torch.utils._pytree.tree_map(to64, a), k) for k, a in enumerate(calls64, 1)]",
]
JUDGE = "        if name in %r and close(want, got, reference[call - 1][name]): continue  # float noise"


GROW_FLAT = (
    "\n".join(
        [
            "def grow(a, d, k):  # call k's input: dimension d k longer, its values repeated (as the suite makes it)",  # noqa: E501
            "    return (a.clone() if isinstance(a, torch.Tensor) else a) if d is None else torch.cat([a.detach()] * 2, d).narrow(d, 0, a.shape[d] + k).clone().requires_grad_(a.requires_grad)  # noqa: E501",  # noqa: E501
        ]
    )
    + "\n"
)
GROW = (
    "\n".join(
        [
            "def grow(value, dim, extra):  # a copy whose dynamic dimension is `extra` longer, as the suite makes call k's inputs",  # noqa: E501
            "    if isinstance(value, (list, tuple, dict)):",
            "        return {k: grow(value[k], dim[k], extra) for k in value} if isinstance(value, dict) else type(value)(map(grow, value, dim, [extra] * len(value)))  # noqa: E501",  # noqa: E501
            "    if not isinstance(value, torch.Tensor) or dim is None:",
            "        return value.clone() if isinstance(value, torch.Tensor) else value",
            "    n = value.shape[dim]",
            "    return value.detach().repeat(*[-(-(n + extra) // n) if i == dim else 1 for i in range(value.dim())]).narrow(dim, 0, n + extra).clone().requires_grad_(value.requires_grad)  # noqa: E501",  # noqa: E501
        ]
    )
    + "\n"
)


def _summary(observation: dict[str, Any]) -> str:
    found = observation.get("evidence", {})
    if found.get("error"):
        return " (%s raised %s)" % (found.get("phase", "?"), found["error"].get("type"))
    whats = list(dict.fromkeys(d["what"] for d in found.get("differences", [])))
    return " (%s)" % ", ".join(whats[:3]) if whats else ""


def _one_line_defs(text: str) -> str:
    """`def f(...):` whose body is one short simple statement, on one line."""
    lines = text.split("\n")
    nodes = [n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.FunctionDef) and len(n.body) == 1]
    for node in sorted(nodes, key=lambda n: -n.lineno):
        inner = node.body[0]
        simple = isinstance(inner, (ast.Return, ast.Expr, ast.Assign, ast.AugAssign, ast.Pass))
        if simple and not node.decorator_list and inner.lineno == inner.end_lineno == node.lineno + 1:
            joined = lines[node.lineno - 1] + " " + lines[inner.lineno - 1].strip()
            if len(joined) <= 100:
                lines[node.lineno - 1 : inner.lineno] = [joined]
    return "\n".join(lines)


def _called(expression: str, argument: str = "") -> str:
    """Code that calls the function `expression` (a name or a lambda)."""
    match = re.fullmatch(r"lambda\s*:\s*(.+)", expression, re.S)
    if match and not argument:
        return match.group(1)
    return ("%s(%s)" if re.fullmatch(r"[\w.]+", expression) else "(%s)(%s)") % (expression, argument)


class _Renamed(ast.NodeTransformer):
    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new

    def visit_Name(self, node: ast.Name) -> ast.Name:
        return ast.Name(self.new, node.ctx) if node.id == self.old else node


def _extra(expression: str | None, name: str) -> str:
    """Code reading `name` from the behaviour's extra_state, on `mod`."""
    if expression is None:
        return "None"
    node = ast.parse(expression, mode="eval").body
    if isinstance(node, ast.Lambda) and isinstance(node.body, ast.Dict) and len(node.args.args) == 1:
        for key, value in zip(node.body.keys, node.body.values):
            if isinstance(key, ast.Constant) and key.value == name:
                return ast.unparse(_Renamed(node.args.args[0].arg, "mod").visit(value))
    return "%s[%r]" % (_called(expression, "mod"), name)


def _flat(dims: Any) -> bool:
    return isinstance(dims, tuple) and all(d is None or isinstance(d, int) for d in dims)


def _state(p: Parts, name: str, hidden: bool) -> str:
    """How the script reads one named piece of state after a call."""
    if name.rpartition(" ")[0] not in MODULE_KINDS + ("input",):
        return _extra(p.extra_state, name)
    read = _look(name, hidden)
    return _read_back(name, read) if "artifact.read_state" in p.capture else read


def render(p: Parts, fields: dict[str, Any], names: list[str], observation: dict[str, Any], tight: bool = False) -> str:
    """The script; `tight`: fewer, longer lines (for a cell whose plain form runs past MAX_LINES)."""
    found = observation.get("evidence", {})
    hidden = bool(found.get("not_observable")) or "aoti_load" in p.capture
    # a package read back after each call hides only what its evidence lists; one loaded plainly hides all
    unseen = set(found.get("not_observable", [])) if "artifact.read_state" in p.capture else None
    shown = [
        n for n in names if not (hidden and n.rpartition(" ")[0] in MODULE_KINDS and (unseen is None or n in unseen))
    ]
    dynamic = fields["shapes"] == "dynamic"
    out: list[str | None] = [
        "# exportmatrix short reproducer: %s under %s on %s, %s shapes; torch %s recorded %s%s"
        % (
            fields["id"],
            fields["exporter"],
            fields["device"],
            fields["shapes"],
            fields["torch"],
            fields["outcome"],
            _summary(observation),
        ),
    ]
    why = undecidable(observation) or (
        "the behaviour declares a step between the calls (%s), which this form does not take" % p.between_calls
        if p.between_calls
        else None
    )
    if why:
        out.append("# cannot decide here: " + why)
    if hidden and names != shown:
        unread = ", ".join(n for n in names if n not in shown)
        out.append("# the package keeps its own copy of the module's state: not observable: %s" % unread)
    out += p.future
    out += ["import %s" % m for m in ("io", "os", "tempfile") if re.search(r"\b%s\." % m, p.capture)]
    out.append("import torch")
    if _old(fields.get("torch")):
        out += ["import %s" % m for m in SUBMODULES if m + "." in p.capture]
    p.support = needed_support(p)
    inputs = _inline_inputs(p)
    out += ["", *("\n" + _one_line_defs(s) + "\n" for s in p.support), ""]
    if "DEVICE" in p.capture:
        out.append("DEVICE = %r" % p.device)
    if dynamic:
        text = found.get("dynamic", {}).get("dims") or "None"
        dims = ast.literal_eval(text)
        out += [] if tight and _flat(dims) else ["", GROW_FLAT if _flat(dims) else GROW]
    device = "" if p.device == "cpu" else ".to(%r)" % p.device
    args = "tuple(%s)" % inputs if p.device == "cpu" else "tuple(a.to(%r) for a in %s)" % (p.device, inputs)
    out += ["", "", "def build():  # a fresh module and its inputs, seeded as the suite seeds them"]
    seed = "torch.manual_seed(0)"
    out += ["    %s; %s" % (_called(p.reset), seed) if tight else "    " + _called(p.reset)] if p.reset else []
    out += [] if tight and p.reset else ["    " + seed]
    if dynamic:
        grown = (
            "[tuple(map(grow, args, %s, [k] * len(args))) for k in (1, 2)]" % text
            if _flat(dims) and not tight
            else "[tuple((a.clone() if isinstance(a, torch.Tensor) else a) if d is None else torch.cat([a.detach()] * 2, d)"  # noqa: E501
            ".narrow(d, 0, a.shape[d] + k).clone().requires_grad_(a.requires_grad) for a, d in zip(args, %s)) for k in (1, 2)]"  # noqa: E501
            % text
            if _flat(dims)
            else "[grow(args, %s, k) for k in (1, 2)]" % text
        )
        out.append("    mod, args = %s()%s, %s" % (p.module_class, device, args))
        if p.warmup:
            out += _warmup(p.warmup, tight)
        out.append("    return mod, args, %s  # call k: the dynamic dimensions k longer" % grown)
    elif p.warmup:
        out.append("    mod, args = %s()%s, %s" % (p.module_class, device, args))
        out += _warmup(p.warmup, tight)
        out.append("    return mod, args, (args, args)")
    else:  # the module first, then its inputs: the suite's order of draws from the seeded generator
        out.append("    mod, args = %s()%s, %s" % (p.module_class, device, args))
        out.append("    return mod, args, (args, args)")
    state = ", ".join("%r: %s" % (n, _state(p, n, hidden)) for n in shown)
    judged = [n for n in numerics_names(observation) if n == "output" or n in shown]
    first_call = "capture (call 1)" if p.lazy else "call 1"
    out += [
        "",
        "",
        OBSERVE,
        "    torch.manual_seed(k)  # the global generator seeded before call k, as the suite seeds it",
        "    seen = {'output': artifact(*args)%s}" % (", " + state if state else ""),
        "    return torch.utils._pytree.tree_map(lambda v: v.detach().clone() if isinstance(v, torch.Tensor) else v, seen)",  # noqa: E501
        "",
        "",
        "eager = [observe(m, m, a, k) for m, _, calls in [build()] for k, a in enumerate(calls, 1)]",
        *([CLOSE, *REFERENCE] if judged else []),
        '(mod, args, calls), exported, phase, outcome = build(), [], "capture", None',
        "try:",
        textwrap.indent(p.capture, "    "),
        '    for k, (phase, a) in enumerate(zip(("%s", "call 2"), calls), 1):%s'
        % (first_call, " exported.append(observe(artifact, mod, a, k))" if tight else ""),
        None if tight else "        exported.append(observe(artifact, mod, a, k))",
        "except Exception as error:  # capture raising is export-error, a call raising run-error",
        '    %sprint("%%s raised %%s: %%s" %% (phase, type(error).__name__, str(error).strip().split("\\n")[0]))%s'
        % (
            ("outcome = ", ' or ("export-error" if phase.startswith("capture") else "run-error")')
            if tight
            else ("", "")
        ),
        None if tight else '    outcome = "export-error" if phase.startswith("capture") else "run-error"',
        "for call, name, want, got in [(c, n, e[n], x[n]) for c, (e, x) in enumerate(zip(eager, exported), 1) for n in e]:",  # noqa: E501
        "    try:  # torch.testing's rule: float32 within rtol 1.3e-6, atol 1e-5; ints and bools exactly",
        "        torch.testing.assert_close(got, want, equal_nan=True)",
        "    except Exception:  # not close, or not comparable (a fake tensor left in the module, ...)",
        *([JUDGE % (judged,)] if judged else []),
        '        %sprint("%%s after call %%d: eager %%s, exported %%s" %% (name, call, want, got))%s'
        % (("outcome = ", ' or outcome or "diverges"') if tight else ("", "")),
        None if tight else '        outcome = outcome or "diverges"',
        'print("OUTCOME:", outcome or "holds")',
    ]
    if tight:  # observe() in one line
        at = out.index(OBSERVE) + 1  # after its seeding
        seen = str(out[at + 1]).split(" = ", 1)[1]
        out[at + 1 : at + 3] = [str(out[at + 2]).replace(", seen)", ", %s)" % seen)]
    text = "\n".join(line for line in out if line is not None)  # (None: a line the tight form folds into another)
    return re.sub(r"\n{4,}", "\n\n\n", text).strip("\n") + "\n"


OBSERVE = "def observe(artifact, mod, args, k):  # call k's output, then the state it leaves, copied"


def _warmup(calls: int, tight: bool) -> list[str]:
    if tight:
        return ["    for _ in range(%d): mod(*args)  # its warm-up calls" % calls]
    return ["    for _ in range(%d):  # its warm-up calls" % calls, "        mod(*args)"]


def _old(version: Any) -> bool:
    """A release before 2.2, where `import torch` may not make torch.export and its kin attributes."""
    match = re.match(r"(\d+)\.(\d+)", str(version or ""))
    return match is not None and (int(match.group(1)), int(match.group(2))) < (2, 2)


def non_blank(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.strip())


# the suite's AOTInductor code where a release's model runner reads constants back
# (exporters.py): loaded by the runner itself, so that buffers can be compared
READ_BACK = re.compile(r"(?ms)^[ \t]*# aoti_load_package's loader.*?^[ \t]*artifact\.read_state = [^\n]*\n?")
LOADED = (
    "# the suite loads it with the model runner to read its buffers back; none is compared here\n"
    "artifact = torch._inductor.aoti_load_package(package)\n"
)


class _OnDevice(ast.NodeTransformer):
    """`A if DEVICE == "cpu" else B` decided for the one device of the cell."""

    def __init__(self, device: str) -> None:
        self.device = device

    def visit_IfExp(self, node: ast.IfExp) -> Any:
        self.generic_visit(node)
        test = node.test
        if (
            isinstance(test, ast.Compare)
            and isinstance(test.left, ast.Name)
            and test.left.id == "DEVICE"
            and len(test.ops) == 1
            and isinstance(test.ops[0], (ast.Eq, ast.NotEq))
            and isinstance(test.comparators[0], ast.Constant)
        ):
            same = (test.comparators[0].value == self.device) == isinstance(test.ops[0], ast.Eq)
            return node.body if same else node.orelse
        return node


def _inlinable(node: ast.stmt) -> str | None:
    """The name a statement binds to a value that may stand where the name is
    used: a path joined, or an item of an expression (no effect of its own)."""
    name = _assigned(node)
    value = getattr(node, "value", None)
    joined = isinstance(value, ast.Call) and ast.unparse(value.func) == "os.path.join"
    return name if name and (joined or isinstance(value, ast.Subscript)) else None


class _Inline(ast.NodeTransformer):
    def __init__(self, name: str, value: ast.expr) -> None:
        self.name, self.value = name, value

    def visit_Name(self, node: ast.Name) -> Any:
        return self.value if node.id == self.name and isinstance(node.ctx, ast.Load) else node


def _tighter(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements in fewer lines: a name used once after its assignment
    inlined (_inlinable), `with X as a: a.f()` as `X.f()`, a function that
    only returns as a lambda; consecutive imports joined."""
    out: list[ast.stmt] = []
    for index, node in enumerate(body):
        if isinstance(node, ast.FunctionDef):
            node.body = _tighter(node.body)
            if len(node.body) == 1 and isinstance(node.body[0], ast.Return) and not node.decorator_list:
                lam = ast.Lambda(args=node.args, body=node.body[0].value or ast.Constant(None))
                node = ast.Assign(targets=[ast.Name(node.name, ast.Store())], value=lam, lineno=0)  # type: ignore[assignment]
        name = _inlinable(node)
        later = body[index + 1 :]
        uses = sum(isinstance(n, ast.Name) and n.id == name for rest in later for n in ast.walk(rest))
        if name and uses == 1:
            value = node.value  # type: ignore[attr-defined]
            body[index + 1 :] = [_Inline(name, value).visit(rest) for rest in later]
            continue
        if isinstance(node, ast.With) and len(node.items) == 1 and len(node.body) == 1:
            item, only = node.items[0], node.body[0]
            target = item.optional_vars
            call = only.value if isinstance(only, ast.Expr) else None
            if (
                isinstance(target, ast.Name)
                and isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and isinstance(call.func.value, ast.Name)
                and call.func.value.id == target.id
            ):
                call.func.value = item.context_expr
                node = only
        if isinstance(node, ast.Import) and out and isinstance(out[-1], ast.Import):
            out[-1].names += node.names
            continue
        out.append(node)
    return out


def tight_capture(code: str, device: str) -> str:
    """The capture code in fewer lines: comments dropped, what depends on the
    device decided, each statement on one line (_tighter)."""
    tree = _OnDevice(device).visit(ast.parse(code))
    tree.body = _tighter(tree.body)
    return ast.unparse(ast.fix_missing_locations(tree))


def short_reproducer(matrix: dict[str, Any], observation: dict[str, Any]) -> str | None:
    """The cell's short reproducer; None where it has no full one to take it
    from, or its full one is not of the suite's template (a stand-in)."""
    full = reproducer(matrix, observation)
    if full is None:
        return None
    try:
        found = parts(full)
    except (SyntaxError, KeyError, ValueError, IndexError, StopIteration, AttributeError, TypeError):
        return None
    fields = header_fields(matrix, observation)
    fields["shapes"] = shapes_of(observation)
    names = state_names(matrix, observation)
    compared = {name.rpartition(" ")[0] for name in names}
    if "extract_constants_map" in found.capture and not compared & {"buffer", "parameter"}:
        found.capture = READ_BACK.sub(LOADED, found.capture)
    text = render(copy.deepcopy(found), fields, names, observation)  # render takes what it inlines out of its parts
    if non_blank(text) <= MAX_LINES:
        return text
    found.capture = tight_capture(found.capture, found.device)
    return render(found, fields, names, observation, tight=True)
