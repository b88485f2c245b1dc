"""The catalogue's three axes, their vocabulary, and the coverage table
generated from the declarations.

Every behaviour of the suite's catalogue carries one `state=` tag (where the
state lives), one `change=` tag (how it changes) and one or more `reach=` tags
(how forward reaches it); its other tags come from THEMES (the model pattern it
stands for: KV cache, running statistics, ...). A case file may use the axes'
tags too (their values are checked) but need not.

The coverage table is two grids, state × change and reach × state: each cell
names its behaviours or, when it has none, the rule of EMPTY that says why
(impossible, or not yet). A grid cell with neither is an error, and so is an
`impossible` rule over a cell that has behaviours: the table cannot drift from
the declarations.

Torch-free; `python -m exportmatrix_suite.coverage` prints the table of the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

__all__ = ["AXES", "EMPTY", "THEMES", "axis_problems", "coverage", "markdown", "values"]

# axis -> {value: what it means}; a tag is "axis=value"
AXES: Dict[str, Dict[str, str]] = {
    "state": {
        "buffer": "a registered buffer",
        "parameter": "an nn.Parameter",
        "tensor-attribute": "a plain tensor attribute (not registered)",
        "scalar-attribute": "a Python int/float/bool attribute",
        "container-attribute": "a list, dict or tuple attribute (of tensors or scalars)",
        "class-attribute": "an attribute of the module's class",
        "global": "a module-level global",
        "closure": "a closure cell",
        "input": "a user input tensor",
        "input-view": "a view of a user input",
        "input-nested": "a tensor nested in a list or dict input",
        "input-container": "a list or dict input itself (its entries, not a tensor in it)",
        "local": "nothing outside forward (a control)",
    },
    "change": {
        "in-place": "an in-place op (add_, mul_, index_copy_, ...)",
        "rebind": "the name is bound to a new value (self.a = ..., n += 1)",
        "index-assign": "indexed assignment (t[i] = v)",
        "copy": "copy_ of the same dtype and device",
        "copy-convert": "copy_ that converts the dtype",
        "out": "an op's out= argument",
        "data": "through .data",
        "no-grad": "an in-place op under torch.no_grad()",
        "requires-grad": "requires_grad switched",
        "register": "register_buffer / register_parameter in forward",
        "create": "a new attribute set in forward",
        "delete": "del in forward",
        "container-update": "append, setitem or update on a Python container",
        "augmented-assign": "augmented assignment (self.t += x): an in-place op whose result Python binds to "
        "the name again",
        "functional-op": "a functional op updates it in place (running statistics passed to F.batch_norm, "
        "F.instance_norm)",
        "custom-op": "a custom op declared with torch.library.custom_op(..., mutates_args=...)",
        "between-calls": "the user changes it between two calls, not forward (the behaviour's between_calls "
        "step, applied alike to eager and the exported side)",
        "none": "nothing changes (a control)",
    },
    "reach": {
        "direct": "forward touches it itself",
        "submodule": "through a submodule's forward",
        "helper-method": "through a helper method forward calls",
        "pre-hook": "through a forward pre-hook",
        "forward-hook": "through a forward hook",
        "alias": "through a second name for the same tensor",
        "container-element": "through an element of a container",
        "python-if": "in a Python if on a Python value",
        "data-dependent": "in a Python if on a tensor's value",
        "torch.cond": "inside or after torch.cond",
        "loop": "in a Python loop",
        "parametrization": "through a torch.nn.utils.parametrize parametrization, run when the weight is read",
        "functional-call": "through torch.func.functional_call, which swaps tensors in for a submodule's names",
    },
}

# the other tags a catalogue behaviour may carry: what it stands for
THEMES: Dict[str, str] = {
    "seed": "one of the five tests of PyTorch's test_export_mutations.py",
    "library": "a torch.nn module of the library does the mutating",
    "kv-cache": "a decoder's key/value cache",
    "running-stats": "running statistics (BatchNorm-like)",
    "ema": "an exponential moving average",
    "step-counter": "a step or call counter",
    "counting-hook": "a hook that counts or records calls",
    "cache": "a cache of computed tensors",
    "returned": "forward also returns the mutated state (the output aliases it)",
    "read-after-write": "forward reads the state back after changing it",
    "non-persistent": "a buffer registered with persistent=False",
    "warm-up": "the module already ran eagerly before capture",
    "init-only": "the state changes in __init__ only",
    "dtype": "the change converts a dtype",
    "capture-fails": "capture refuses the module, and may have changed it on the way",
}

AXIS_ORDER = ("state", "change", "reach")
REQUIRED = {"state": "exactly one", "change": "exactly one", "reach": "at least one"}


def values(tags: Iterable[str], axis: str) -> List[str]:
    """The values of `axis` among `tags` ("state=buffer" -> "buffer"), in order."""
    prefix = axis + "="
    return [tag[len(prefix) :] for tag in tags if tag.startswith(prefix)]


def axis_problems(tags: Sequence[str], catalogue: bool) -> List[str]:
    """What is wrong with a behaviour's tags: an axis value outside the
    vocabulary; for the suite's catalogue (catalogue=True) also a missing
    or repeated axis and a tag that is neither an axis's nor a theme."""
    found = []
    for axis in AXIS_ORDER:
        given = values(tags, axis)
        found += [
            "tag %r: %r is not a value of the %s axis (%s)" % (axis + "=" + value, value, axis, ", ".join(AXES[axis]))
            for value in given
            if value not in AXES[axis]
        ]
        if catalogue and (not given or (len(given) > 1 and REQUIRED[axis] == "exactly one")):
            found.append("a catalogue behaviour needs %s %s= tag (it has %d)" % (REQUIRED[axis], axis, len(given)))
    if catalogue:
        found += [
            "tag %r is neither axis=value nor a theme (%s)" % (tag, ", ".join(THEMES))
            for tag in tags
            if "=" not in tag and tag not in THEMES
        ]
    return found


@dataclass(frozen=True)
class Empty:
    """Why the grid cells it covers have no behaviour: `impossible` (the
    combination cannot happen or cannot be observed) or `not yet`."""

    grid: str  # "state×change" or "reach×state"
    rows: Tuple[str, ...]  # () means every row
    columns: Tuple[str, ...]  # () means every column
    kind: str  # "impossible" or "not yet"
    why: str

    def covers(self, grid: str, row: str, column: str) -> bool:
        return self.grid == grid and row in (self.rows or (row,)) and column in (self.columns or (column,))


SC, RS = "state×change", "reach×state"
TENSOR_ONLY = ("in-place", "index-assign", "copy", "copy-convert", "out", "data", "no-grad", "requires-grad")
INPUTS = ("input", "input-view", "input-nested")
OUTSIDE = ("class-attribute", "global", "closure")

# first match wins
EMPTY: Tuple[Empty, ...] = (
    Empty(
        SC,
        ("local",),
        tuple(c for c in AXES["change"] if c != "none"),
        "impossible",
        "a change to a local is invisible outside forward (local.rebind is the control)",
    ),
    Empty(
        SC,
        (),
        ("none",),
        "not yet",
        "a no-mutation control exists for the states that matter (buffers read in eval, locals)",
    ),
    Empty(SC, ("scalar-attribute",), TENSOR_ONLY, "impossible", "a Python scalar has no tensor ops"),
    Empty(
        SC,
        ("tensor-attribute", "scalar-attribute", "container-attribute", "class-attribute", "global", "closure"),
        ("register",),
        "impossible",
        "register_* makes a buffer or parameter",
    ),
    Empty(
        SC,
        ("buffer", "parameter", "tensor-attribute", "scalar-attribute") + INPUTS,
        ("container-update",),
        "impossible",
        "not a Python container",
    ),
    Empty(
        SC,
        INPUTS,
        ("rebind", "register", "create", "delete"),
        "impossible",
        "rebinding or deleting a parameter name inside forward changes nothing the caller holds",
    ),
    Empty(SC, ("buffer",), ("create",), "impossible", "a buffer is made by register_buffer (change=register)"),
    Empty(
        SC,
        ("parameter",),
        ("create",),
        "impossible",
        "a parameter is made by register_parameter or by setting an nn.Parameter (change=register, rebind)",
    ),
    Empty(
        SC,
        ("buffer", "tensor-attribute", "input", "input-view", "input-nested") + OUTSIDE + ("container-attribute",),
        ("requires-grad",),
        "not yet",
        "requires_grad is switched on parameters in real models (param.requires_grad_toggle)",
    ),
    Empty(
        SC,
        ("closure", "class-attribute", "global"),
        ("create", "delete"),
        "not yet",
        "creating or deleting globals, class attributes or closure cells in forward is rare in models",
    ),
    Empty(
        SC,
        ("parameter",),
        ("in-place", "out", "copy-convert"),
        "impossible",
        "an in-place write to a parameter that requires grad raises eagerly; models write it under no_grad or "
        "through .data (change=no-grad, data, copy, index-assign)",
    ),
    Empty(
        SC,
        OUTSIDE,
        ("index-assign", "copy", "copy-convert", "out", "data", "no-grad"),
        "not yet",
        "for state outside the module, an in-place op and rebinding show how each path treats it; the other "
        "tensor writes are covered on module state and inputs",
    ),
    Empty(
        SC,
        INPUTS,
        ("copy", "data", "no-grad", "copy-convert", "out", "index-assign"),
        "not yet",
        "inputs are covered by in-place ops, indexed assignment, out= and a dtype-converting copy_ on the plain "
        "input; the view and nested forms add one write each",
    ),
    Empty(
        SC,
        ("tensor-attribute", "buffer", "container-attribute"),
        (),
        "not yet",
        "the remaining writes to module tensors are covered on buffers or plain attributes (the two lift differently)",
    ),
    Empty(
        SC,
        ("scalar-attribute", "container-attribute"),
        ("create", "delete"),
        "not yet",
        "created and deleted attributes are covered on tensors and Python scalars",
    ),
    Empty(SC, (), (), "not yet", "no model pattern we know of needs it yet"),
    Empty(
        RS,
        ("pre-hook", "forward-hook"),
        INPUTS + OUTSIDE + ("local",),
        "not yet",
        "hooks in real models record into module state",
    ),
    Empty(
        RS,
        tuple(r for r in AXES["reach"] if r != "direct"),
        ("local",),
        "impossible",
        "a local is reached directly or not at all",
    ),
    Empty(
        RS,
        ("submodule", "helper-method", "alias", "python-if", "data-dependent", "torch.cond", "loop"),
        INPUTS + OUTSIDE,
        "not yet",
        "the indirect ways forward reaches state are covered on module state, where models keep it; inputs and "
        "state outside the module are reached directly",
    ),
    Empty(
        RS,
        ("container-element",),
        ("buffer", "parameter", "tensor-attribute", "scalar-attribute", "class-attribute", "global", "closure"),
        "not yet",
        "containers are covered as a container attribute and as nested inputs",
    ),
    Empty(RS, (), (), "not yet", "no model pattern we know of needs it yet"),
)


GRIDS = {SC: ("state", "change"), RS: ("reach", "state")}


def coverage(declarations: Sequence[Mapping[str, object]]) -> Dict[str, Dict[Tuple[str, str], object]]:
    """For each grid, {(row, column): [behaviour ids] or the Empty rule that covers it}.
    Raises ValueError when an empty cell has no rule or an `impossible` rule
    covers a cell that has behaviours."""
    grids: Dict[str, Dict[Tuple[str, str], object]] = {}
    problems = []
    for grid, (row_axis, column_axis) in GRIDS.items():
        cells: Dict[Tuple[str, str], object] = {}
        for row in AXES[row_axis]:
            for column in AXES[column_axis]:
                ids = [
                    str(declared["id"])
                    for declared in declarations
                    if row in values(_tags(declared), row_axis) and column in values(_tags(declared), column_axis)
                ]
                rule = _rule(grid, row, column)
                if ids:
                    if rule is not None and rule.kind == "impossible":
                        problems.append(
                            "%s %s/%s is declared impossible (%s) but has %s"
                            % (grid, row, column, rule.why, ", ".join(ids))
                        )
                    cells[(row, column)] = ids
                elif rule is None:
                    problems.append("%s %s/%s has no behaviour and no rule saying why" % (grid, row, column))
                else:
                    cells[(row, column)] = rule
        grids[grid] = cells
    if problems:
        raise ValueError("; ".join(problems))
    return grids


def _tags(declared: Mapping[str, Any]) -> List[str]:
    return [str(tag) for tag in declared.get("tags") or ()]


def _rule(grid: str, row: str, column: str) -> Optional[Empty]:
    return next((rule for rule in EMPTY if rule.covers(grid, row, column)), None)


def markdown(declarations: Sequence[Mapping[str, object]]) -> str:
    """The coverage table in Markdown: per grid, one line per row naming each
    non-empty cell's behaviours, then the empty cells grouped by their reason."""
    grids = coverage(declarations)
    lines = [
        "%d behaviours. Axes: %s."
        % (
            len(declarations),
            "; ".join("**%s** (%s)" % (axis, ", ".join("`%s`" % value for value in AXES[axis])) for axis in AXIS_ORDER),
        ),
        "",
    ]
    for grid, (row_axis, column_axis) in GRIDS.items():
        cells = grids[grid]
        lines += [
            "#### %s × %s" % (row_axis, column_axis),
            "",
            "| %s | %s: behaviours |" % (row_axis, column_axis),
            "| --- | --- |",
        ]
        for row in AXES[row_axis]:
            filled = [
                "`%s`: %s" % (column, ", ".join("`%s`" % i for i in cells[(row, column)]))  # type: ignore[attr-defined]
                for column in AXES[column_axis]
                if isinstance(cells[(row, column)], list)
            ]
            if filled:
                lines.append("| `%s` | %s |" % (row, "<br>".join(filled)))
        lines += ["", "Empty cells of %s × %s, and why:" % (row_axis, column_axis), ""]
        for rule in EMPTY:
            covered = ["%s/%s" % key for key, cell in cells.items() if cell is rule]
            if covered:
                lines.append("- %s — %s: %s" % (rule.kind, rule.why, ", ".join(covered)))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
