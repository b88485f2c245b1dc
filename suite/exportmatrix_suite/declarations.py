"""Where a file declares behaviours, read without running it: the one parser
of @behaviour declarations, for the suite and the host alike.

A file declares a behaviour by decorating a class with a call of the suite's
`behaviour`, reached by any name an import gives it:

    from exportmatrix_suite import behaviour            @behaviour(...)
    from exportmatrix_suite import behaviour as b       @b(...)
    import exportmatrix_suite                           @exportmatrix_suite.behaviour(...)
    import exportmatrix_suite as em                     @em.behaviour(...)
    from exportmatrix_suite import declare              @declare.behaviour(...)
    from exportmatrix_suite.declare import behaviour    @behaviour(...)

A bare `@behaviour(...)` counts even without its import (a star import gives
it). A name bound any other way (`b = behaviour`) is not followed.

Standard library only, and no other module of the suite: the host, which
never imports the suite package (it belongs to the torch environments),
loads this file by its path (exportmatrix/base/suite.py).
"""

from __future__ import annotations

import ast
from typing import Dict, FrozenSet, List, NamedTuple, Optional, Tuple

__all__ = ["PARAMETERS", "Declaration", "Spellings", "declaration", "declarations", "spellings"]

DECORATOR = "behaviour"
# the modules that export the decorator, as an import names them
MODULES = ("exportmatrix_suite", "exportmatrix_suite.declare")
# behaviour()'s parameters that a call may give by position, in order (declare.py)
PARAMETERS = ("id", "description", "tags", "inputs")


class Spellings(NamedTuple):
    """How a file can name the decorator: as a plain name, or as an attribute
    of a name bound to one of MODULES (dotted: `exportmatrix_suite.declare`)."""

    names: FrozenSet[str]
    modules: FrozenSet[str]

    def decorates(self, decorator: ast.expr) -> bool:
        """Whether `decorator` is a call of the suite's behaviour()."""
        if not isinstance(decorator, ast.Call):
            return False
        dotted = _dotted(decorator.func)
        if dotted is None:
            return False
        owner, _, name = dotted.rpartition(".")
        return dotted in self.names if not owner else name == DECORATOR and owner in self.modules


class Declaration(NamedTuple):
    """One class decorated with behaviour(...)."""

    node: ast.ClassDef
    call: ast.Call  # the decorator
    # the options the call names, by parameter name (positional ones too)
    options: Dict[str, ast.expr]
    # the call unpacks *args or **kwargs: what they hold is not known without running it
    unpacks: bool

    @property
    def line(self) -> int:
        return self.call.lineno


def spellings(tree: ast.AST) -> Spellings:
    """The names under which `tree`'s imports (anywhere in it) bind the decorator or its modules."""
    names, modules = {DECORATOR}, set(MODULES)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # inside the suite: `from ..declare import behaviour`, `from .. import behaviour`
                module: Optional[str] = "exportmatrix_suite" + ("." + node.module if node.module else "")
            else:
                module = node.module
            for alias in node.names:
                if module in MODULES and alias.name == DECORATOR:
                    names.add(alias.asname or alias.name)
                elif "%s.%s" % (module, alias.name) in MODULES:  # `from exportmatrix_suite import declare`
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES and alias.asname:  # without `as`, the dotted name itself is bound
                    modules.add(alias.asname)
    return Spellings(frozenset(names), frozenset(modules))


def declaration(node: ast.ClassDef, spelt: Spellings) -> Optional[Declaration]:
    """The class's declaration: its first decorator that calls behaviour(), or None."""
    for decorator in node.decorator_list:
        if spelt.decorates(decorator):
            assert isinstance(decorator, ast.Call)
            starred = [i for i, arg in enumerate(decorator.args) if isinstance(arg, ast.Starred)]
            positional = decorator.args[: starred[0]] if starred else decorator.args  # *args: position unknown after
            options = {name: value for name, value in zip(PARAMETERS, positional)}
            options.update((keyword.arg, keyword.value) for keyword in decorator.keywords if keyword.arg)
            unpacks = bool(starred) or any(keyword.arg is None for keyword in decorator.keywords)
            return Declaration(node, decorator, options, unpacks)
    return None


def declarations(tree: ast.AST) -> List[Declaration]:
    """Every declaration of a parsed file, in the order of its source (nested classes too)."""
    spelt = spellings(tree)
    found = [declaration(node, spelt) for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    return sorted((d for d in found if d is not None), key=_position)


def _position(found: Declaration) -> Tuple[int, int]:
    return found.call.lineno, found.call.col_offset


def _dotted(expression: ast.expr) -> Optional[str]:
    """`a.b.c` for a chain of attributes on a name; None for anything else."""
    if isinstance(expression, ast.Name):
        return expression.id
    if isinstance(expression, ast.Attribute):
        owner = _dotted(expression.value)
        return None if owner is None else owner + "." + expression.attr
    return None
