"""A minimal standalone reproducer for one cell: the behaviour's own code
(taken from its declaration, decorator removed), the exact capture code the
suite ran for this release, and a short check that prints `OUTCOME: ...`."""

from __future__ import annotations

import ast
import inspect
import os
import sys
import textwrap
from functools import lru_cache
from typing import Any, Dict, List, Set

CHECKER = open(os.path.join(os.path.dirname(__file__), "reproducer_checker.py"), encoding="utf-8").read()

TEMPLATE = '''"""exportmatrix reproducer: {id} under {exporter} on {device}.

{description}
Observed with torch {torch} on Python {python}: {outcome}
Run it with that torch installed: python {file_name}
"""
import io

import torch
import torch._dynamo
{import_export}
DEVICE = "{device}"
LAZY = {lazy}  # torch.compile captures at the first call

{support}

make_inputs = {inputs}
reset = {reset}
extra_state = {extra_state}


def build():
    torch.manual_seed(0)
    mod = {module_class}().to(DEVICE)
    args = to_device(make_inputs())
    for _ in range({warmup_calls}):
        mod(*args)
    return mod, args


def capture(mod, args):
{snippet}
    return artifact


{checker}'''


@lru_cache(maxsize=None)
def _file_tree(path: str) -> ast.Module:
    with open(path, encoding="utf-8") as handle:
        return ast.parse(handle.read())


def _defined_names(node: ast.stmt) -> List[str]:
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [target.id for target in node.targets if isinstance(target, ast.Name)]
    return []


def _used_names(node: ast.AST) -> Set[str]:
    return {child.id for child in ast.walk(node) if isinstance(child, ast.Name)}


def _decorator_options(node: ast.ClassDef) -> Dict[str, ast.expr]:
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == "behaviour":
            return {keyword.arg: keyword.value for keyword in decorator.keywords if keyword.arg}
    return {}


def behaviour_source(behaviour: Any) -> Dict[str, str]:
    """The statements of the behaviour's file that its class and options
    need (transitively), decorators removed; and its option expressions."""
    tree = _file_tree(inspect.getsourcefile(behaviour.module_class) or "")
    statements = [node for node in tree.body if _defined_names(node)]
    by_name = {name: node for node in statements for name in _defined_names(node)}
    (target,) = [n for n in statements if isinstance(n, ast.ClassDef) and n.name == behaviour.module_class.__name__]
    options = _decorator_options(target)
    wanted: Set[str] = set()
    pending = [target.name] + [
        name for key in ("inputs", "extra_reset", "extra_state") if key in options for name in _used_names(options[key])
    ]
    while pending:
        name = pending.pop()
        if name in by_name and name not in wanted:
            wanted.add(name)
            node = by_name[name]
            pending += _used_names(ast.Module(body=[_undecorated(node)], type_ignores=[]))
    chosen = [_undecorated(node) for node in statements if set(_defined_names(node)) & wanted]
    return {
        "support": "\n\n\n".join(ast.unparse(node) for node in chosen),
        "inputs": ast.unparse(options["inputs"]),
        "reset": ast.unparse(options["extra_reset"]) if "extra_reset" in options else "lambda: None",
        "extra_state": ast.unparse(options["extra_state"]) if "extra_state" in options else "lambda module: {}",
    }


def _undecorated(node: ast.stmt) -> ast.stmt:
    if isinstance(node, ast.ClassDef) and node.decorator_list:
        copy = ast.ClassDef(node.name, node.bases, node.keywords, node.body, [], *_type_params(node))
        return ast.fix_missing_locations(ast.copy_location(copy, node))
    return node


def _type_params(node: ast.ClassDef) -> list:
    return [node.type_params] if sys.version_info >= (3, 12) else []


def render(behaviour: Any, exporter: Any, device: str, observed: str, torch_version: str) -> str:
    source = behaviour_source(behaviour)
    return TEMPLATE.format(
        id=behaviour.id,
        exporter=exporter.name,
        device=device,
        description=behaviour.description,
        torch=torch_version,
        python="%d.%d.%d" % sys.version_info[:3],
        outcome=observed,
        file_name="repro_%s_%s.py" % (behaviour.id.replace(".", "_"), exporter.name),
        lazy=exporter.lazy,
        module_class=behaviour.module_class.__name__,
        warmup_calls=behaviour.warmup_calls,
        snippet=textwrap.indent(exporter.snippet(), "    "),
        checker=CHECKER,
        import_export="import torch.export\n" if "torch.export" in exporter.snippet() else "",
        **source,
    )
