"""A minimal standalone reproducer for one cell: the behaviour's own code
(taken from its declaration, decorator removed, with the module-level helpers
it uses and its file's own imports), the exact capture code the
suite ran for this release, and the verdict of the suite's own classification
rule: classify.py's text, carried verbatim, whose observe() the reproducer
calls on its build() and capture() and which prints `OUTCOME: <outcome>`.

classify.py is carried as a string and run as a module of its own, so that
its names (CALLS, same, observe, ...) and those of the behaviour's code
(a global CALLS, say) cannot overwrite each other.
"""

from __future__ import annotations

import ast
import inspect
import os
import sys
import textwrap
from functools import lru_cache
from typing import Any, Dict, List, Set

from exportmatrix_suite import declarations

CLASSIFY_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "classify.py")
FLOAT64_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "float64.py")
QUOTE = "'''"

# The first block, up to the first two blank lines: all a reproducer says of
# its own cell, from the cell's fields only (behaviour id and description,
# exporter, device, shapes, torch, python, outcome), so that a compact matrix
# stores it once and rebuilds it for each cell. The stream carries it.
HEADER = '''"""exportmatrix reproducer: {id} under {exporter} on {device}, {shapes} shapes.
Observed with torch {torch} on Python {python}: {outcome}

{description}
Run it with that torch installed. It prints OUTCOME: <outcome> as judged by
exportmatrix's own rule (its classify.py, carried verbatim below), then the evidence.
"""'''

TEMPLATE = (
    HEADER
    + '''


{future}import io
import os
import sys
import tempfile
import types

import torch
import torch._dynamo

try:
    import torch.export  # noqa: F401  (the suite imports it before every capture, where it exists)
except ImportError:
    pass

DEVICE = "{device}"
SHAPES = "{shapes}"  # dynamic: a dimension of each input dynamic at capture, then called at other sizes


# -- the behaviour, as declared -------------------------------------------------

{imports}{support}

make_inputs = {inputs}
reset = {reset}
extra_state = {extra_state}
between_calls = {between_calls}  # what the user does between call 1 and call 2, on eager's and the exported side alike
unavailable = {unavailable}  # why this release cannot express the pattern (None: it can)
WARMUP_CALLS = {warmup_calls}  # eager calls on the module before it is captured
DYNAMIC_DIMS = {dynamic_dims!r}  # per input, the dimension a dynamic cell makes dynamic (None: dimension 0)
STATIC_SHAPES_BECAUSE = {static_shapes_because!r}


def to_device(value):
    if isinstance(value, torch.Tensor):
        return value.to(DEVICE)
    if isinstance(value, (list, tuple)):
        return type(value)(to_device(item) for item in value)
    if isinstance(value, dict):
        return {{key: to_device(item) for key, item in value.items()}}
    return value


def build():
    """A fresh module and its inputs, seeded as the suite seeds them."""
    torch.manual_seed(0)
    mod = {module_class}().to(DEVICE)
    args = tuple(to_device(arg) for arg in make_inputs())
    return mod, args


# -- the capture, exactly as the suite ran it in this release --------------------


def capture(mod, args):
    torch._dynamo.reset()  # no cache or recompile count carried over
{snippet}
    return artifact


# -- the classification rule: exportmatrix_suite/classify.py, verbatim ------------

CLASSIFY = r{quote}
{classify}{quote}

# -- the float64 reference numerics are judged against: exportmatrix_suite/float64.py, verbatim --

FLOAT64 = r{quote}
{float64}{quote}


# -- the verdict -------------------------------------------------------------------


class Behaviour:
    """build() as classify.Behaviour."""

    id = {id!r}
    warmup_calls = WARMUP_CALLS
    dynamic_dims = DYNAMIC_DIMS
    static_shapes_because = STATIC_SHAPES_BECAUSE

    def instantiate(self, device):
        mod, args = build()
        return types.SimpleNamespace(module=mod, args=args)

    def instantiate_float64(self, device):
        mod, args = build()
        return types.SimpleNamespace(module=float64().module_to_float64(mod), args=float64().to_float64(args))

    def float64_draws(self):
        return float64().float32_draws()

    def seed_call(self, call):
        torch.manual_seed({seed} + call)  # before each call, eager's and the artifact's alike

    def reset(self):
        reset()

    def extra_state(self, module):
        return extra_state(module)

    def between_calls(self, module):
        if between_calls is not None:
            between_calls(module)

    def unavailable_reason(self):
        return unavailable()


class Exporter:
    """capture() as classify.Exporter."""

    name = {exporter!r}
    lazy = {lazy}  # torch.compile captures at the first call
    state_hidden = {state_hidden}  # the artifact keeps its own copy of the module's state

    def unavailable_reason(self, shapes):
        return None

    def detail(self, args, dims):
        return "capture() above"

    def capture(self, module, args, dims):
        artifact = capture(module, args)  # (its dynamic dimensions are written into capture())
        user_view = None if self.state_hidden else artifact
        readback = getattr(artifact, "read_state", None) if self.state_hidden else None  # see capture()
        return types.SimpleNamespace(
            call=artifact,
            user_view=user_view,
            signature_mutations=None,
            state_hidden=self.state_hidden,
            state_readback=readback,
        )


def carried(name, text, path):
    module = types.ModuleType(name)
    sys.modules[name] = module
    exec(compile(text, path, "exec"), module.__dict__)
    return module


def float64():
    """float64.py as a module, carried on first use (only where a float tensor differs)."""
    return sys.modules.get("exportmatrix_float64") or carried(
        "exportmatrix_float64", FLOAT64, "exportmatrix_suite/float64.py"
    )


def main():
    classify = carried("exportmatrix_classify", CLASSIFY, "exportmatrix_suite/classify.py")
    cell = classify.observe(Behaviour(), Exporter(), DEVICE, SHAPES)
    print("OUTCOME: %s" % cell["outcome"])
    evidence = cell["evidence"]
    if "error" in evidence:
        error = evidence["error"]
        print("  %s raised %s: %s" % (evidence["phase"], error["type"], error["message"]))
    for found in evidence.get("differences", []):
        after = " after call %d" % found["after_call"] if "after_call" in found else ""
        after += " (arose at %s)" % found["arose"] if "arose" in found else ""
        print("  %s%s: eager %s, exported %s" % (found["what"], after, found["eager"], found["exported"]))
        if found.get("where"):
            print("    differs at %s" % found["where"])
    for group in evidence.get("difference_groups", []):
        if group["count"] > 1:  # the kind a list of one name each would hide
            print("  %s" % group["summary"])
    for group in evidence.get("numerics", []):
        print("  %s" % group["summary"])
    if evidence.get("float64_reference"):
        print("  no float64 reference to judge numerics: %s" % evidence["float64_reference"])
    if evidence.get("changed_by_capture"):
        print("  capture itself changed: %s" % ", ".join(evidence["changed_by_capture"]))
    if evidence.get("read_back"):
        print("  read back from the artifact's own copy after each call: %s" % ", ".join(evidence["read_back"]))
    if evidence.get("not_observable"):
        print("  not observable (the artifact keeps its own copy): %s" % ", ".join(evidence["not_observable"]))
    for warning in evidence.get("warnings", []):
        print("  warning during capture: %s" % warning)


main()
'''
)


@lru_cache(maxsize=None)
def _file_tree(path: str) -> ast.Module:
    with open(path, encoding="utf-8") as handle:
        return ast.parse(handle.read())


def _defined_names(node: ast.stmt) -> List[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [name for target in node.targets for name in _target_names(target)]
    if isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        return _target_names(node.target)
    return []


def _target_names(target: ast.expr) -> List[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for item in target.elts for name in _target_names(item)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def _used_names(node: ast.AST) -> Set[str]:
    return {child.id for child in ast.walk(node) if isinstance(child, ast.Name)}


def _suite_import(node: ast.stmt) -> bool:
    """An import of the suite itself, which a reproducer does without."""
    if isinstance(node, ast.ImportFrom):
        return node.level == 0 and (node.module or "").split(".")[0] == "exportmatrix_suite"
    return isinstance(node, ast.Import) and any(
        alias.name.split(".")[0] == "exportmatrix_suite" for alias in node.names
    )


def _imports(tree: ast.Module) -> Dict[str, str]:
    """The file's own top-level imports, as a reproducer carries them: its
    __future__ imports first (they must open the script), then the others but
    the suite's own and a plain `import torch`, which the template has."""
    future, others = [], []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            future.append(ast.unparse(node))
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and not _suite_import(node):
            if isinstance(node, ast.Import):
                names = [alias for alias in node.names if not (alias.name == "torch" and alias.asname is None)]
                if not names:
                    continue
                node = ast.Import(names=names)
            others.append(ast.unparse(node))
    return {
        "future": "".join(line + "\n" for line in future),
        "imports": "".join(line + "\n" for line in others) + ("\n\n" if others else ""),
    }


def behaviour_source(behaviour: Any) -> Dict[str, str]:
    """The statements of the behaviour's file that its class and options
    need (transitively: the module-level functions, classes and constants
    they name), @behaviour removed; its option expressions; and the file's
    own imports."""
    return dict(_class_source(behaviour.module_class))


@lru_cache(maxsize=None)  # every cell of a behaviour renders the same source: made once per class
def _class_source(module_class: type) -> Dict[str, str]:
    tree = _file_tree(inspect.getsourcefile(module_class) or "")
    statements = [node for node in tree.body if _defined_names(node)]
    by_name = {name: node for node in statements for name in _defined_names(node)}
    (target,) = [n for n in statements if isinstance(n, ast.ClassDef) and n.name == module_class.__name__]
    spelt = declarations.spellings(tree)
    found = declarations.declaration(target, spelt)
    options = found.options if found else {}
    wanted: Set[str] = set()
    pending = [target.name] + [
        name
        for key in ("inputs", "extra_reset", "extra_state", "between_calls", "unavailable")
        if key in options
        for name in _used_names(options[key])
    ]
    while pending:
        name = pending.pop()
        if name in by_name and name not in wanted:
            wanted.add(name)
            node = by_name[name]
            pending += _used_names(ast.Module(body=[_undecorated(node, spelt)], type_ignores=[]))
    chosen = [_undecorated(node, spelt) for node in statements if set(_defined_names(node)) & wanted]
    return {
        **_imports(tree),
        "support": "\n\n\n".join(ast.unparse(node) for node in chosen),
        "inputs": ast.unparse(options["inputs"]),
        "reset": ast.unparse(options["extra_reset"]) if "extra_reset" in options else "lambda: None",
        "extra_state": ast.unparse(options["extra_state"]) if "extra_state" in options else "lambda module: {}",
        "between_calls": ast.unparse(options["between_calls"]) if "between_calls" in options else "None",
        "unavailable": ast.unparse(options["unavailable"]) if "unavailable" in options else "lambda: None",
    }


def _undecorated(node: ast.stmt, spelt: declarations.Spellings) -> ast.stmt:
    """The statement without its @behaviour decorator (a helper's own decorators stay)."""
    if isinstance(node, ast.ClassDef) and any(spelt.decorates(item) for item in node.decorator_list):
        kept = [item for item in node.decorator_list if not spelt.decorates(item)]
        copy = ast.ClassDef(node.name, node.bases, node.keywords, node.body, kept, *_type_params(node))
        return ast.fix_missing_locations(ast.copy_location(copy, node))
    return node


def _type_params(node: ast.ClassDef) -> list:
    return [node.type_params] if sys.version_info >= (3, 12) else []


@lru_cache(maxsize=None)
def classify_source(path: str = CLASSIFY_PATH) -> str:
    """classify.py's text (or float64.py's), as the reproducer carries it (between raw triple quotes)."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert QUOTE not in text and not text.endswith("\\"), "%s must fit between r''' and '''" % path
    return text


def render(behaviour: Any, exporter: Any, device: str, shapes: str, observed: str, torch_version: str) -> str:
    from exportmatrix_suite.classify import DYNAMIC, dynamic_dims
    from exportmatrix_suite.declare import SEED

    source = behaviour_source(behaviour)
    args, dims = (), None
    if shapes == DYNAMIC:  # the capture code names the inputs' dynamic dimensions
        args = behaviour.instantiate(device).args
        dims = dynamic_dims(args, behaviour.dynamic_dims)
    return TEMPLATE.format(
        id=behaviour.id,
        exporter=exporter.name,
        device=device,
        shapes=shapes,
        state_hidden=exporter.state_hidden,
        dynamic_dims=behaviour.dynamic_dims,
        static_shapes_because=behaviour.static_shapes_because,
        description=behaviour.description,
        torch=torch_version,
        python="%d.%d.%d" % sys.version_info[:3],
        outcome=observed,
        lazy=exporter.lazy,
        module_class=behaviour.module_class.__name__,
        warmup_calls=behaviour.warmup_calls,
        snippet=textwrap.indent(exporter.snippet(args, dims), "    "),
        classify=classify_source(),
        float64=classify_source(FLOAT64_PATH),
        seed=SEED,
        quote=QUOTE,
        **source,
    )
