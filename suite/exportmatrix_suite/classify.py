"""The rule that classifies a cell: run a behaviour eagerly and through an
exporter, then say whether the artifact holds.

This one module is the whole rule. The suite calls observe() for every cell,
and every reproducer carries this file's text verbatim and calls the same
observe(), so a reproducer's verdict and the matrix's cannot drift apart. It
imports the standard library only, never torch: tensors are recognised by
duck typing, and stand-ins of plain Python prove the rule without a release.

The rule, in the order observe() applies it:

1. An exporter that does not exist in this release (for these shapes) is
   `unsupported`; so is a behaviour whose pattern the release cannot express
   (its unavailable_reason(), e.g. no torch.library.custom_op), and a
   `dynamic` cell of a behaviour whose shapes cannot be dynamic (it says why,
   or its eager run fails at other sizes).
2. Eager: a fresh instance runs its warm-up calls, then two successive calls;
   after each, its output and every observable value are frozen.
3. Capture: another fresh instance runs the same warm-up calls and is captured;
   capture raising is `export-error` (and where capture changed the caller's
   objects before it raised, the evidence names them: `changed_by_capture`;
   where it left process-wide registrations behind, which the exporter then
   removed, the error says so as `left_by_capture` and so does the evidence).
4. Two successive calls of the artifact, on the same objects capture was given
   (so what capture itself changed counts). A call raising is `run-error`,
   except the first call of a lazy exporter (torch.compile captures there),
   which is `export-error`. After call k the output and the observable state
   are compared with eager's after call k: any difference is `diverges`,
   none is `holds`.

Between the calls. A behaviour may declare what its user does between the
first and the second call (`between_calls(module)`: a class attribute
changed, a module attribute reassigned after capture). It is applied to the
module the user holds, after call 1 and before call 2, identically on the
eager side and the exported side (and a reproducer carries it), so that a
difference it causes is the artifact's, never the step's.

Shapes. A `static` cell captures and calls with the declared inputs. In a
`dynamic` cell one dimension of each tensor input (dimension 0 unless the
behaviour names others) is declared dynamic at capture, and call k gets
inputs whose dynamic dimensions are k elements longer (see resized()), made
afresh for each call; eager gets the very same sequence of inputs.

An artifact whose `state_hidden` is true keeps its own copy of the module's
state (an AOTInductor package). Where the release offers a way to read that
copy back after a call (the artifact's `state_readback()`: {dotted name:
tensor}, e.g. AOTInductor's runner's extract_constants_map), each buffer and
parameter it returns is judged like any artifact's state, by its value
(a constant carries no requires_grad); the module's other names, and all of
them where nothing can be read back, are not observable: it is judged on its
outputs, its inputs and the state outside the module, and the evidence lists
the names that were not observable (`not_observable`) and those read back
(`read_back`).

Observable state, by the names of the module the user exported: every
buffer, parameter (with its requires_grad) and public instance attribute of
the module and its submodules, each looked up first on the artifact's
`user_view` (where the exporter hands back something carrying the module's
names) and then on the module; every input as the caller holds it; and the
behaviour's extra state (globals, closures, class attributes).

Comparison is exact: see freeze() for what a value becomes and difference()
for when two frozen values are the same. Every element counts; nothing is
sampled or truncated.
"""

from __future__ import annotations

import contextlib
import math
import re
import time
import warnings
from typing import Any, Callable, Dict, Iterator, List, Optional, Protocol, Tuple

# -- the outcomes this rule produces (the host adds crash and timeout) -------

HOLDS = "holds"
DIVERGES = "diverges"
EXPORT_ERROR = "export-error"
RUN_ERROR = "run-error"
UNSUPPORTED = "unsupported"
OUTCOMES = (HOLDS, DIVERGES, EXPORT_ERROR, RUN_ERROR, UNSUPPORTED)

CALLS = 2  # successive calls of the artifact: a value baked in at capture shows on the second
MAX_DIFFERENCES = 10
MAX_WARNINGS = 10

# -- the tolerance: the one stated rule for numbers ---------------------------
# Floats (and each part of a complex) are the same when math.isclose with these
# tolerances (those of torch.testing for float32: a captured graph may differ
# from eager in the last bits after decompositions), or both NaN. Ints and
# bools are the same only when equal.
REL_TOL = 1.3e-6
ABS_TOL = 1e-5

# -- numerics: a float tensor judged against a float64 reference --------------
# A float tensor that differs by the rule above may still be the same
# computation rounded another way (a compiler fuses, reorders and picks other
# kernels). It is then judged as PyTorch's accuracy gate judges it
# (torch._dynamo.utils.same with fp64_ref): the artifact's root-mean-square
# error to a float64 eager run must be within a small multiple of eager fp32's
# own error to that run, plus NUMERICS_TOL / 10 (see within_numerics). A lost
# or wrong update is far outside that bound; a compiler's noise is inside it.
NUMERICS_TOL = 1e-4  # same()'s default tol
FLOAT_DTYPES = ("torch.float32", "torch.float16", "torch.bfloat16", "torch.float64")
HALF_DTYPES = ("torch.float16", "torch.bfloat16")
# A float64 run is a reference only where it computes what eager float32 does:
# where eager's own error to it exceeds this share of its size (a dtype
# conversion that copies in float64 and converts in place in float32, a tensor
# held twice that the conversion split), the tensor is judged by the exact rule.
REFERENCE_FIT = 1e-2

# Nesting deeper than this freezes by class and normalised repr (see freeze).
MAX_DEPTH = 12

# The kinds of state snapshot() finds on a module, and the kinds a behaviour's
# extra_state() may add; a state name is "<kind> <name>", e.g. "buffer buf",
# "input 0", "global TOTALS".
MODULE_STATE_KINDS = ("buffer", "parameter", "attribute")
INPUT_KIND = "input"
EXTRA_STATE_KINDS = ("global", "closure", "class attribute")
STATE_KINDS = MODULE_STATE_KINDS + (INPUT_KIND,) + EXTRA_STATE_KINDS

MISSING = ("missing",)

STATIC = "static"
DYNAMIC = "dynamic"
SHAPES = (STATIC, DYNAMIC)
MIN_DYNAMIC_SIZE = 2  # export specializes a dimension of size 0 or 1


# -- the contracts: what observe() needs of a behaviour and an exporter -------


class Instance(Protocol):
    """A fresh module and the arguments it is called with."""

    module: Any
    args: tuple


class Behaviour(Protocol):
    """One mutation pattern."""

    id: str
    warmup_calls: int  # eager calls on the module before it is captured
    # per input, the dimension a dynamic cell makes dynamic (None: none of
    # that input); None as a whole: dimension 0 of every tensor input
    dynamic_dims: Optional[Tuple[Optional[int], ...]]
    static_shapes_because: Optional[str]  # why its shapes cannot be dynamic, if they cannot

    def instantiate(self, device: str) -> Instance:
        """A fresh module and inputs, identical every time."""

    def reset(self) -> None:
        """Reset the state outside the module (globals, class attributes)."""

    def extra_state(self, module: Any) -> Dict[str, Any]:
        """State outside the module, by name ("global TOTALS": value)."""

    # optional (read with getattr, so a behaviour without them is one with none):
    # between_calls(module): what the user does between call 1 and call 2;
    # unavailable_reason(): why this release cannot express the pattern, or None


def _between_calls(behaviour: Behaviour, module: Any) -> None:
    """The behaviour's step between the calls, on the module the user holds."""
    step = getattr(behaviour, "between_calls", None)
    if step is not None:
        step(module)


def _behaviour_unavailable(behaviour: Behaviour) -> Optional[str]:
    reason = getattr(behaviour, "unavailable_reason", None)
    return reason() if reason is not None else None


class Artifact(Protocol):
    """What capture produced."""

    call: Callable[..., Any]  # how the user calls it
    user_view: Any  # what the user holds in place of the module (None: nothing)
    signature_mutations: Optional[Dict[str, Any]]  # torch.export's mutation entries, where there are some
    state_hidden: bool  # it keeps its own copy of the module's state, which the user's names do not reach
    # optional: where state_hidden, a function reading that copy back after a
    # call ({dotted name: tensor}); absent or None where the release offers none


class Exporter(Protocol):
    """One capture entry point."""

    name: str
    lazy: bool  # capture happens at the first call (torch.compile)

    def unavailable_reason(self, shapes: str) -> Optional[str]:
        """Why this exporter (or its dynamic-shape form) does not exist in this release, or None."""

    def detail(self, args: tuple, dims: Any) -> str:
        """The capture code for these arguments, for the evidence (dims: see dynamic_dims(); None when static)."""

    def capture(self, module: Any, args: tuple, dims: Any) -> Artifact:
        """Capture `module` called with `args`, the dimensions `dims` declared
        dynamic. Where it raises, the error may carry `left_by_capture`: what the
        failed capture left registered process-wide (names), removed since."""


class BehaviourBroken(Exception):
    """The eager run itself failed: a bug in the behaviour, not an observation."""


# -- messages: the same failure reads the same everywhere ---------------------

MAX_MESSAGE = 300
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_PATTERNS = [
    (_ADDRESS, "0x…"),
    (re.compile(r"\.py:\d+"), ".py:N"),
    (re.compile(r"(/tmp|/var/folders|/private/var)/[^\s'\":,)]+"), "<tmp>"),
    # an installed package's path names the machine and the environment, not the failure
    (re.compile(r"[^\s'\"(<]*[/\\](site|dist)-packages[/\\]"), "<site-packages>/"),
    (re.compile(r"File \"[^\"]+\""), 'File "<file>"'),
    (re.compile(r"\bline \d+"), "line N"),
    # control characters and bidirectional overrides would garble a report
    (re.compile("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]"), ""),
]


def first_line(message: str) -> str:
    for line in str(message).splitlines():
        if line.strip():
            return line.strip()
    return ""


def normalise_message(message: str) -> str:
    """The first non-blank line, without addresses, temp paths or line numbers."""
    text = first_line(message)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def describe_error(error: BaseException) -> Dict[str, str]:
    kind = type(error)
    return {"type": kind.__name__, "module": kind.__module__, "message": normalise_message(str(error))}


# -- freezing: a plain, comparable copy that later mutation cannot change -----


def _is_tensor(value: Any) -> bool:
    return all(hasattr(value, name) for name in ("detach", "dtype", "shape", "tolist"))


class Values:
    """Every element of a tensor, in flat order, as plain numbers: read from a
    private copy of the tensor when first needed. Two copies that are equal
    element for element (the tensor's own `equal`) are the same without
    reading a single element into Python, which keeps a model's millions of
    unchanged parameters cheap; any other comparison reads them all."""

    __slots__ = ("_copy", "_items")

    def __init__(self, copy: Any) -> None:
        self._copy = copy
        self._items: Optional[List[Any]] = None

    @property
    def items(self) -> List[Any]:
        if self._items is None:
            self._items = self._copy.tolist()
        return self._items

    def identical(self, other: Any) -> bool:
        """Equal element for element by the copies' own `equal` (False where they cannot tell)."""
        try:
            return isinstance(other, Values) and bool(self._copy.equal(other._copy))
        except Exception:
            return False

    def head(self, count: int) -> List[Any]:
        if self._items is None:
            try:
                return self._copy.narrow(0, 0, min(count, len(self))).tolist()
            except Exception:
                pass
        return self.items[:count]

    def __len__(self) -> int:
        return int(self._copy.numel())

    def __iter__(self) -> Any:
        return iter(self.items)

    def __getitem__(self, index: Any) -> Any:
        return self.items[index]

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, Values):
            return self.identical(other) or self.items == other.items
        return bool(self.items == other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self.items)


def _tensor_values(tensor: Any) -> Any:
    """Every element: a Values where the tensor can be copied and compared
    whole (clone, narrow, equal), else a list; or why there are none: a fake,
    meta or symbolic tensor left behind by a capture has no data."""
    try:
        data = tensor.detach().cpu().reshape(-1)
        whole = all(hasattr(data, name) for name in ("clone", "narrow", "equal"))
        if whole:
            data = data.clone()
            values = data.narrow(0, 0, 1).tolist() if data.numel() else []  # a tensor's elements are of one type
        else:
            values = data.tolist() if data.numel() else []
    except Exception as error:
        return "<no data: %s %s>" % (type(tensor).__name__, type(error).__name__)
    for item in values:
        if type(item) not in (int, float, bool, complex):
            return "<no data: %s holds %s>" % (type(tensor).__name__, type(item).__name__)
    return Values(data) if whole else values


def _qualified_name(kind: type) -> str:
    return "%s.%s" % (kind.__module__, kind.__qualname__)


def _instance_attributes(value: Any) -> Dict[str, Any]:
    """An object's own state: its __dict__ and its filled __slots__."""
    found: Dict[str, Any] = {}
    try:
        found.update(vars(value))
    except TypeError:
        pass
    for kind in type(value).__mro__:
        slots = kind.__dict__.get("__slots__", ())
        for name in [slots] if isinstance(slots, str) else slots:
            if name not in ("__dict__", "__weakref__") and hasattr(value, name):
                found.setdefault(name, getattr(value, name))
    return found


def _normalised_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception as error:
        return "<repr raised %s>" % type(error).__name__
    return _ADDRESS.sub("0x…", text)


def freeze(value: Any) -> Any:
    """A plain, comparable copy of `value`:

    - None, bool, int, float, complex, str, bytes: themselves;
    - a tensor (anything with detach, dtype, shape, tolist):
      ("tensor", dtype, shape, device, every element in flat order: a Values), or the
      reason in place of the elements when the data cannot be read;
    - a list or tuple (subclasses included): (type name, frozen items);
      a dict: ("dict", (repr(key), frozen value) in order);
      a set: (type name, frozen items sorted by their repr);
    - any other object with instance attributes (its __dict__ and filled
      __slots__): ("object", qualified class name, "attributes",
      (name, frozen value) sorted by name);
    - any other object without: ("object", qualified class name, "repr",
      its repr with addresses 0x… normalised).

    An object met again inside itself freezes as ("cycle", how many levels
    up); a value nested deeper than MAX_DEPTH as ("object", qualified class
    name, "repr", normalised repr).
    """
    return _freeze(value, [])


def _freeze(value: Any, path: List[int]) -> Any:
    try:
        tensor = _is_tensor(value)
    except Exception as error:  # a lazy module's uninitialised parameter raises on its shape
        return ("tensor", "?", (), "", "<no data: %s %s>" % (type(value).__name__, type(error).__name__))
    if tensor:
        device = str(getattr(value, "device", ""))
        return ("tensor", str(value.dtype), tuple(value.shape), device, _tensor_values(value))
    if isinstance(value, (bool, int, float, complex, str, bytes, type(None))):
        return value
    if id(value) in path:
        return ("cycle", len(path) - path.index(id(value)))
    if len(path) >= MAX_DEPTH:
        return ("object", _qualified_name(type(value)), "repr", _normalised_repr(value))
    inner = path + [id(value)]
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_freeze(item, inner) for item in value))
    if isinstance(value, dict):
        return ("dict", tuple((repr(key), _freeze(item, inner)) for key, item in value.items()))
    if isinstance(value, (set, frozenset)):
        return (type(value).__name__, tuple(sorted((_freeze(item, inner) for item in value), key=repr)))
    attributes = _instance_attributes(value)
    if attributes:
        frozen = tuple((name, _freeze(attributes[name], inner)) for name in sorted(attributes))
        return ("object", _qualified_name(type(value)), "attributes", frozen)
    return ("object", _qualified_name(type(value)), "repr", _normalised_repr(value))


# -- comparing: when two frozen values are the same, and where they differ ----


def _same_float(a: float, b: float) -> bool:
    if math.isnan(a) and math.isnan(b):
        return True
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def _same_number(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, complex) or isinstance(b, complex):
        a, b = complex(a), complex(b)
        return _same_float(a.real, b.real) and _same_float(a.imag, b.imag)
    if isinstance(a, float) or isinstance(b, float):
        return _same_float(a, b)
    return bool(a == b)


def _is_tagged(value: Any, tag: str) -> bool:
    return isinstance(value, tuple) and len(value) > 0 and value[0] == tag


def _short(value: Any) -> str:
    return describe(value, limit=60)


def _whole(path: str, a: Any, b: Any) -> str:
    """Two values that differ as wholes: where, inside the compared value."""
    return "%s: eager %s, exported %s" % (path, _short(a), _short(b)) if path else ""


def _at(path: str, text: str) -> str:
    return "%s: %s" % (path, text) if path else text


def _tensor_difference(a: tuple, b: tuple, path: str) -> Optional[str]:
    """Dtype and shape exactly, then every element by the number rule (the
    device is where the cell ran, not a difference)."""
    if a[1] != b[1]:
        return _at(path, "dtype: eager %s, exported %s" % (a[1], b[1]))
    if a[2] != b[2]:
        return _at(path, "shape: eager %s, exported %s" % (list(a[2]), list(b[2])))
    if isinstance(a[4], str) or isinstance(b[4], str):
        return None if a[4] == b[4] else _at(path, "data: eager %s, exported %s" % (_data(a[4]), _data(b[4])))
    if len(a[4]) != len(b[4]):
        return _at(path, "element count: eager %d, exported %d" % (len(a[4]), len(b[4])))
    if isinstance(a[4], Values) and a[4].identical(b[4]):
        return None
    for index, (x, y) in enumerate(zip(a[4], b[4])):
        if type(x) is not type(y) or not _same_number(x, y):
            return _at(path, "element %d: eager %r, exported %r" % (index, x, y))
    return None


def _data(values: Any) -> str:
    return values if isinstance(values, str) else "%d elements" % len(values)


def _parameter_difference(a: tuple, b: tuple, path: str) -> Optional[str]:
    found = _difference(a[1], b[1], path)
    if found is None and a[2] != b[2]:
        return _at(path, "requires_grad: eager %s, exported %s" % (a[2], b[2]))
    return found


def _object_difference(a: tuple, b: tuple, path: str) -> Optional[str]:
    """Objects: of one class, compared by attributes (or by normalised repr)."""
    if a[1] != b[1]:
        return _at(path, "class: eager %s, exported %s" % (a[1], b[1]))
    if a[2] != b[2] or a[2] == "repr":
        return None if a[2:] == b[2:] else _whole(path, a, b)
    names_a, names_b = [name for name, _ in a[3]], [name for name, _ in b[3]]
    if names_a != names_b:
        return _at(path, "attributes: eager %s, exported %s" % (names_a, names_b))
    return _first_difference((path + "." + name, x, y) for (name, x), (_, y) in zip(a[3], b[3]))


def _dict_difference(a: tuple, b: tuple, path: str) -> Optional[str]:
    keys_a, keys_b = [key for key, _ in a[1]], [key for key, _ in b[1]]
    if keys_a != keys_b:
        return _at(path, "keys: eager [%s], exported [%s]" % (", ".join(keys_a), ", ".join(keys_b)))
    return _first_difference(("%s[%s]" % (path, key), x, y) for (key, x), (_, y) in zip(a[1], b[1]))


def _sequence_difference(a: tuple, b: tuple, path: str) -> Optional[str]:
    if len(a[1]) != len(b[1]):
        return _at(path, "length: eager %d, exported %d" % (len(a[1]), len(b[1])))
    return _first_difference(("%s[%d]" % (path, index), x, y) for index, (x, y) in enumerate(zip(a[1], b[1])))


def _first_difference(pairs: Any) -> Optional[str]:
    for path, x, y in pairs:
        found = _difference(x, y, path)
        if found is not None:
            return found
    return None


_TAGGED = {
    "tensor": _tensor_difference,
    "parameter": _parameter_difference,
    "object": _object_difference,
    "dict": _dict_difference,
}


def _difference(a: Any, b: Any, path: str) -> Optional[str]:
    if isinstance(a, tuple) and isinstance(b, tuple) and a and b:  # frozen forms: (tag, ...)
        if a[0] != b[0] or len(a) != len(b):
            return _whole(path, a, b)
        if a[0] in _TAGGED:
            return _TAGGED[a[0]](a, b, path)
        if len(a) == 2 and isinstance(a[1], tuple):  # a sequence or set: (type name, items)
            return _sequence_difference(a, b, path)
        return None if a == b else _whole(path, a, b)  # ("missing",), ("cycle", levels up)
    if isinstance(a, (int, float, complex)) and isinstance(b, (int, float, complex)):
        same = type(a) is type(b) and _same_number(a, b)
    else:
        same = type(a) is type(b) and a == b
    return None if same else _whole(path, a, b)


def difference(a: Any, b: Any) -> Optional[str]:
    """None when two frozen values are the same; otherwise where they first
    differ: "element 4999: eager 1.0, exported 2.0" (a tensor's flat index),
    "[2]['k']: eager 1, exported 2" (a path into containers), ".n: eager 1,
    exported 2" (an object's attribute), "dtype: ...", "length: ..."; or ""
    when they are two plain values that differ as wholes.

    The same means: of one type (1 and 1.0 differ, a list and a tuple
    differ); tensors of one dtype and shape whose every element agrees by the
    number rule (see REL_TOL), or which both have no data for the same reason;
    containers of one length (dicts: the same keys in the same order) whose
    items are the same; objects of one qualified class whose attributes are
    the same (or, without attributes, whose normalised reprs are equal).
    """
    return _difference(a, b, "")


def same(a: Any, b: Any) -> bool:
    """Whether two frozen values are the same (see difference)."""
    return difference(a, b) is None


def _rmse(reference: List[Any], values: List[Any]) -> float:
    total = 0.0
    for r, v in zip(reference, values):
        total += (float(r) - float(v)) ** 2
    return math.sqrt(total / max(len(values), 1))


def numerics_bound(dtype: str, shape: Tuple[int, ...], eager_error: float) -> float:
    """How far from the float64 reference an artifact's float tensor may be:
    same()'s multiplier (3 for half precision, for under 1000 elements and for
    4-d tensors whose last two dimensions are 1; else 2) times eager fp32's own
    error, plus NUMERICS_TOL / 10."""
    count = 1
    for size in shape:
        count *= size
    small = count < 1000 or (len(shape) == 4 and shape[-1] == shape[-2] == 1)
    multiplier = 3.0 if dtype in HALF_DTYPES or small else 2.0
    return multiplier * eager_error + NUMERICS_TOL / 10.0


def _rms(values: List[Any]) -> float:
    return math.sqrt(sum(float(v) ** 2 for v in values) / max(len(values), 1))


def within_numerics(eager: tuple, exported: tuple, reference: tuple) -> Optional[Dict[str, Any]]:
    """How a float tensor the artifact gave that differs from eager's by the
    exact rule fares against the float64 reference (three frozen tensors of
    one shape): {"error": its RMSE to the reference, "eager_error": eager's,
    "bound": numerics_bound(...), "fits": whether the reference computes what
    eager does (see REFERENCE_FIT), "within": fits and error <= bound}; None
    where the rule does not apply (not a float tensor, shapes differ, no
    data). A NaN the reference does not have is never within."""
    if not (_is_tagged(eager, "tensor") and _is_tagged(exported, "tensor") and _is_tagged(reference, "tensor")):
        return None
    if eager[1] != exported[1] or eager[1] not in FLOAT_DTYPES or reference[1] not in FLOAT_DTYPES:
        return None
    if not eager[2] == exported[2] == reference[2]:
        return None
    values = (eager[4], exported[4], reference[4])
    if any(isinstance(v, str) for v in values) or not len(values[0]) == len(values[1]) == len(values[2]):
        return None
    if any(isinstance(v, complex) for v in values[1]):
        return None
    eager_error, error = _rmse(values[2], values[0]), _rmse(values[2], values[1])
    bound = numerics_bound(eager[1], tuple(eager[2]), eager_error)
    # float32 runs in float64, any other dtype as it is (a float16 buffer keeps its rounding)
    promoted = "torch.float64" if eager[1] == "torch.float32" else eager[1]
    fits = reference[1] == promoted and eager_error <= REFERENCE_FIT * _rms(values[2]) + NUMERICS_TOL / 10.0
    within = fits and not math.isnan(error) and error <= bound
    if fits and math.isnan(error) and math.isnan(eager_error):  # both NaN where the reference is not: one failure
        within = True
    return {"error": error, "eager_error": eager_error, "bound": bound, "fits": fits, "within": within}


def _numerics_pairs(a: Any, b: Any, ref: Any, path: str) -> Optional[List[Tuple[str, Any, Any, Any]]]:
    """The (path, eager, exported, reference) float tensors at which `a` and `b`
    differ, walking the three frozen values together; None where they differ
    anywhere else (a dtype, a length, an integer, a name), which no float64
    reference can excuse."""
    if difference(a, b) is None:
        return []
    if _is_tagged(a, "tensor") and _is_tagged(b, "tensor"):
        ref = ref[1] if _is_tagged(ref, "parameter") else ref  # a read-back name is judged by value
        return [(path, a, b, ref)] if a[1] == b[1] and a[1] in FLOAT_DTYPES else None
    if _is_tagged(a, "parameter") and _is_tagged(b, "parameter"):
        if a[2] != b[2]:
            return None
        return _numerics_pairs(a[1], b[1], ref[1] if _is_tagged(ref, "parameter") else ref, path)
    if not (isinstance(a, tuple) and isinstance(b, tuple) and a and b and a[0] == b[0] and len(a) == len(b)):
        return None
    if a[0] == "dict":
        if [k for k, _ in a[1]] != [k for k, _ in b[1]]:
            return None
        refs = dict(ref[1]) if _is_tagged(ref, "dict") else {}
        items = [("%s[%s]" % (path, k), x, y, refs.get(k, MISSING)) for (k, x), (_, y) in zip(a[1], b[1])]
    elif a[0] == "object":
        if a[1] != b[1] or a[2] != "attributes" or b[2] != "attributes":
            return None
        if [n for n, _ in a[3]] != [n for n, _ in b[3]]:
            return None
        refs = dict(ref[3]) if _is_tagged(ref, "object") and len(ref) == 4 and ref[2] == "attributes" else {}
        items = [(path + "." + n, x, y, refs.get(n, MISSING)) for (n, x), (_, y) in zip(a[3], b[3])]
    elif len(a) == 2 and isinstance(a[1], tuple) and isinstance(b[1], tuple) and len(a[1]) == len(b[1]):
        refs_seq = ref[1] if isinstance(ref, tuple) and len(ref) == 2 and isinstance(ref[1], tuple) else ()
        refs_list = list(refs_seq) if len(refs_seq) == len(a[1]) else [MISSING] * len(a[1])
        items = [("%s[%d]" % (path, i), x, y, r) for i, (x, y, r) in enumerate(zip(a[1], b[1], refs_list))]
    else:
        return None
    found: List[Tuple[str, Any, Any, Any]] = []
    for item_path, x, y, r in items:
        inner = _numerics_pairs(x, y, r, item_path)
        if inner is None:
            return None
        found += inner
    return found


def judge_numerics(a: Any, b: Any, reference: Any) -> Optional[Dict[str, Any]]:
    """How the differences between eager's frozen value `a` and the
    artifact's `b` fare against the float64 reference: None where some
    difference is not a float tensor (no reference can excuse it); else the
    worst float tensor's within_numerics (by error over bound, with its
    "where" inside the value), "within" only where every one is."""
    pairs = _numerics_pairs(a, b, reference, "")
    if not pairs:
        return None
    worst: Optional[Dict[str, Any]] = None
    for path, x, y, r in pairs:
        judged = within_numerics(x, y, r)
        if judged is None:
            return None
        ratio = judged["error"] / judged["bound"] if judged["within"] and judged["bound"] else math.inf
        if worst is None or ratio > worst["ratio"]:
            worst = dict(judged, ratio=ratio, where=path)
    return worst


def _head(values: Any, count: int) -> List[Any]:
    return values.head(count) if isinstance(values, Values) else list(values[:count])


def describe(value: Any, limit: int = 120) -> str:
    """A short human-readable rendering of a frozen value."""
    if _is_tagged(value, "tensor") and len(value) == 5:
        _, dtype, shape, _device, values = value
        shown = (
            values
            if isinstance(values, str)
            else [round(v, 4) if isinstance(v, float) else v for v in _head(values, 6)]
        )
        text = "tensor(%s, shape=%s, %s)" % (shown, list(shape), dtype)
    elif _is_tagged(value, "parameter") and len(value) == 3:
        text = "parameter(%s, requires_grad=%s)" % (describe(value[1], limit), value[2])
    elif _is_tagged(value, "object") and len(value) == 4 and value[2] == "repr":
        text = value[3]
    elif _is_tagged(value, "object") and len(value) == 4:
        text = "<%s %s>" % (value[1], ", ".join("%s=%s" % (name, describe(item, limit)) for name, item in value[3]))
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- state: everything a user can observe -------------------------------------


def _resolve(root: Any, dotted: str) -> Any:
    value = root
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def _state_names(module: Any) -> List[Tuple[str, str]]:
    """(kind, dotted name) of everything observable on a module."""
    names: List[Tuple[str, str]] = []
    if hasattr(module, "named_modules"):
        names += [("buffer", name) for name, _ in module.named_buffers()]
        names += [("parameter", name) for name, _ in module.named_parameters()]
        for prefix, sub in module.named_modules():
            for key in vars(sub):
                if not key.startswith("_") and key != "training":
                    names.append(("attribute", prefix + "." + key if prefix else key))
    else:
        names += [("attribute", key) for key in vars(module) if not key.startswith("_")]
    return names


def _freeze_state(kind: str, value: Any) -> Any:
    if kind == "parameter":
        return ("parameter", freeze(value), bool(getattr(value, "requires_grad", False)))
    return freeze(value)


def _look_up(kind: str, name: str, roots: Tuple[Any, ...]) -> Any:
    """The frozen value of `name` on the first root that has it."""
    for root in roots:
        if root is None:
            continue
        try:
            return _freeze_state(kind, _resolve(root, name))
        except AttributeError:
            continue
    return MISSING


def snapshot(module: Any, user_view: Any, args: tuple, extra_state: Dict[str, Any]) -> Dict[str, Any]:
    """Everything a user can observe, by the names of the module they gave.
    Each name is looked up first on `user_view` (what the exporter handed
    back, when it mirrors the module's names), then on the module itself."""
    state: Dict[str, Any] = {}
    for kind, name in _state_names(module):
        state[kind + " " + name] = _look_up(kind, name, (user_view, module))
    for index, arg in enumerate(args):
        state["%s %d" % (INPUT_KIND, index)] = freeze(arg)
    for name, value in extra_state.items():
        state[name] = freeze(value)
    return state


# -- dynamic shapes: which dimensions, and inputs of other sizes ------------


def dynamic_dims(args: tuple, declared: Optional[Tuple[Optional[int], ...]] = None) -> tuple:
    """Per input, mirroring its nesting (lists, tuples, dicts): for a tensor the
    dimension made dynamic (or None), for anything else None. `declared` gives
    one dimension (or None) per input; without it, dimension 0 of every tensor
    with at least one dimension."""
    if declared is not None and len(declared) != len(args):
        raise ValueError("dynamic_dims names %d inputs, the behaviour has %d" % (len(declared), len(args)))
    chosen = declared if declared is not None else (0,) * len(args)
    return tuple(_dims_of(arg, dim) for arg, dim in zip(args, chosen))


def _dims_of(value: Any, dim: Optional[int]) -> Any:
    if _is_tensor(value):
        return dim if dim is not None and len(value.shape) > dim else None
    if isinstance(value, (list, tuple)):
        return type(value)(_dims_of(item, dim) for item in value)
    if isinstance(value, dict):
        return {key: _dims_of(item, dim) for key, item in value.items()}
    return None


def _pairs(value: Any, dims: Any) -> List[Tuple[Any, int]]:
    """(tensor, dynamic dimension) of every tensor with one, in order."""
    if _is_tensor(value):
        return [] if dims is None else [(value, dims)]
    if isinstance(value, (list, tuple)):
        return [pair for item, dim in zip(value, dims) for pair in _pairs(item, dim)]
    if isinstance(value, dict):
        return [pair for key in value for pair in _pairs(value[key], dims[key])]
    return []


def dynamic_sizes(args: tuple, dims: tuple) -> List[int]:
    """The capture sizes of the dynamic dimensions, in order."""
    return [int(tensor.shape[dim]) for tensor, dim in _pairs(args, dims)]


def resized(value: Any, dims: Any, extra: int) -> Any:
    """A fresh copy of `value` whose dynamic dimensions are `extra` elements
    longer: the tensor repeated along that dimension and cut to length, so
    values stay those the behaviour chose (an index stays in range)."""
    if _is_tensor(value):
        if dims is None:
            return value.clone()
        size = int(value.shape[dims])
        repeats = [1] * len(value.shape)
        repeats[dims] = -(-(size + extra) // max(size, 1))
        longer = value.detach().repeat(*repeats).narrow(dims, 0, size + extra).clone()
        return longer.requires_grad_() if getattr(value, "requires_grad", False) else longer
    if isinstance(value, (list, tuple)):
        return type(value)(resized(item, dim, extra) for item, dim in zip(value, dims))
    if isinstance(value, dict):
        return {key: resized(item, dims[key], extra) for key, item in value.items()}
    return value


def sizes_by_call(args: tuple, dims: tuple) -> Dict[str, List[int]]:
    """The sizes of the dynamic dimensions at capture and at each call."""
    found = {"capture": dynamic_sizes(args, dims)}
    for call in range(1, CALLS + 1):
        found["call %d" % call] = [size + call for size in found["capture"]]
    return found


def describe_dims(dims: Any) -> str:
    """dims as text: "(0,)", "([0, 0],)", "({'a': 0},)"."""
    return repr(dims)


# -- the steps of one cell -----------------------------------------------------

Observed = Tuple[Any, Dict[str, Any]]  # a call's frozen output, and the state after it


def _held_state(behaviour: Behaviour, instance: Instance) -> Optional[Dict[str, Any]]:
    """The state the caller holds (the module they gave, their inputs, the
    extra state), read on their own objects; None where it cannot be read."""
    try:
        return snapshot(instance.module, None, instance.args, behaviour.extra_state(instance.module))
    except Exception:
        return None  # only the annotation of when a difference arose is lost


def _changed_by_capture(before: Optional[Dict[str, Any]], after: Optional[Dict[str, Any]]) -> List[str]:
    """The names whose value capture itself changed (eager changes nothing before its first call)."""
    if before is None or after is None:
        return []
    keys = list(before) + [k for k in after if k not in before]
    return [k for k in keys if difference(before.get(k, MISSING), after.get(k, MISSING)) is not None]


def _mark_when(differences: List[Dict[str, Any]], changed_by_capture: List[str]) -> None:
    """Say of each difference when it arose: during capture (capture changed
    that state the caller holds), or at the first call after which it differed."""
    first: Dict[str, str] = {}
    for entry in differences:
        if "after_call" not in entry:  # an output: it arises at its own call
            entry["arose"] = entry["what"].replace("output of ", "")
            continue
        during = "capture" if entry["what"] in changed_by_capture else "call %d" % entry["after_call"]
        entry["arose"] = first.setdefault(entry["what"], during)


Compared = Tuple[str, Optional[int], Any, Any]  # what, the call after which (None: an output), eager's, the artifact's


def _compared(call: int, eager: Observed, exported: Observed) -> List[Compared]:
    """Everything compared after call `call`: its output, then each state name."""
    found: List[Compared] = [("output of call %d" % call, None, eager[0], exported[0])]
    for key in list(eager[1]) + [k for k in exported[1] if k not in eager[1]]:
        found.append((key, call, eager[1].get(key, MISSING), exported[1].get(key, MISSING)))
    return found


def _reference_value(trace: List[Observed], what: str, call: int) -> Any:
    """The float64 run's counterpart of `what` after call `call`."""
    output, state = trace[call - 1]
    return output if what.startswith("output of call ") else state.get(what, MISSING)


def _differences(
    call: int,
    eager: Observed,
    exported: Observed,
    float64: Optional[Callable[[], Optional[List[Observed]]]] = None,
    misfits: Optional[List[str]] = None,
) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    """What differs after call `call`, and what differs only within numerics.
    A difference entry says what, eager's and the exported value, and where
    inside the value (when it is not a plain value). A float tensor that
    differs is first judged against the float64 reference (`float64()`, run
    only when needed; None where there is none): within its bound, it is a
    numerics entry (what, the call, the largest error and its bound), not a
    difference."""
    found, numerics = [], []
    for what, after, a, b in _compared(call, eager, exported):
        where = difference(a, b)
        if where is None:
            continue
        trace = float64() if float64 is not None and _has_float_tensor(a) else None
        judged = judge_numerics(a, b, _reference_value(trace, what, call)) if trace is not None else None
        if judged is not None and not judged["fits"] and misfits is not None:
            misfits.append("%s after call %d" % (what, call))
        if judged is not None and judged["within"]:
            entry: Dict[str, Any] = {"what": what, "call": call, "error": judged["error"], "bound": judged["bound"]}
            entry["eager_error"] = judged["eager_error"]
            numerics.append(dict(entry, where=judged["where"]) if judged["where"] else entry)
            continue
        entry = {"what": what}
        if after is not None:
            entry["after_call"] = after
        entry.update(eager=describe(a), exported=describe(b))
        found.append(dict(entry, where=where) if where else entry)
    return found, numerics


def _has_float_tensor(value: Any) -> bool:
    """Whether a frozen value holds a float tensor somewhere (only then can numerics excuse a difference)."""
    if _is_tagged(value, "tensor"):
        return len(value) == 5 and value[1] in FLOAT_DTYPES
    if isinstance(value, tuple):
        return any(_has_float_tensor(item) for item in value)
    return False


def _fresh(behaviour: Behaviour, device: str) -> Instance:
    """Reset, instantiate, and run the warm-up calls."""
    behaviour.reset()
    instance = behaviour.instantiate(device)
    for _ in range(behaviour.warmup_calls):
        instance.module(*instance.args)
    return instance


def _call_args(instance: Instance, dims: Any) -> List[tuple]:
    """The arguments of each call: the captured ones (static), or for call k
    new ones whose dynamic dimensions are k elements longer, made before
    anything runs (so capture and earlier calls cannot change them)."""
    if dims is None:
        return [instance.args] * CALLS
    return [resized(instance.args, dims, call) for call in range(1, CALLS + 1)]


def _observe_call(
    behaviour: Behaviour, call: Callable[..., Any], instance: Instance, user_view: Any, args: tuple
) -> Observed:
    output = freeze(call(*args))
    extra = behaviour.extra_state(instance.module)
    return output, snapshot(instance.module, user_view, args, extra)


# eager_trace's results by (id(behaviour), device, shapes), each with its behaviour (held, so the id stays its own)
_EAGER: Dict[Tuple[int, str, str], Tuple[Behaviour, List[Observed]]] = {}


def shared_eager_trace(behaviour: Behaviour, device: str, shapes: str = STATIC) -> List[Observed]:
    """eager_trace, computed once per process for each behaviour, device and
    shapes and shared by that behaviour's cells of every capture path: eager
    runs a fresh seeded instance after reset(), so it is the same run each time
    (were it not, no cell could hold). Its values are frozen, never changed."""
    key = (id(behaviour), device, shapes)
    if key not in _EAGER:
        _EAGER[key] = (behaviour, eager_trace(behaviour, device, shapes))
    return _EAGER[key][1]


def eager_trace(behaviour: Behaviour, device: str, shapes: str = STATIC) -> List[Observed]:
    """What eager does over the successive calls: the reference."""
    try:
        instance = _fresh(behaviour, device)
        dims = dynamic_dims(instance.args, behaviour.dynamic_dims) if shapes == DYNAMIC else None
        return _calls(behaviour, instance, dims)
    except Exception as error:
        raise BehaviourBroken("%s: eager run raised %r" % (behaviour.id, error)) from error


def _calls(behaviour: Behaviour, instance: Instance, dims: Any) -> List[Observed]:
    """The successive eager calls of an instance, each observed."""
    observed = []
    for call, args in enumerate(_call_args(instance, dims), start=1):
        if call > 1:
            _between_calls(behaviour, instance.module)
        _seed_call(behaviour, call)
        observed.append(_observe_call(behaviour, instance.module, instance, None, args))
    return observed


def _seed_call(behaviour: Behaviour, call: int) -> None:
    """Seed the global generator as before call `call` on every side (eager,
    float64, artifact), so that a module drawing random numbers draws the
    same ones: randomness is not a divergence."""
    seed = getattr(behaviour, "seed_call", None)
    if seed is not None:
        seed(call)


# float64_trace's results, by the same key as _EAGER
_FLOAT64: Dict[Tuple[int, str, str], Tuple[Behaviour, Tuple[Optional[List[Observed]], Optional[str]]]] = {}


def shared_float64_trace(
    behaviour: Behaviour, device: str, shapes: str = STATIC
) -> Tuple[Optional[List[Observed]], Optional[str]]:
    """float64_trace, computed once per process for each behaviour, device and shapes."""
    key = (id(behaviour), device, shapes)
    if key not in _FLOAT64:
        _FLOAT64[key] = (behaviour, float64_trace(behaviour, device, shapes))
    return _FLOAT64[key][1]


def float64_trace(
    behaviour: Behaviour, device: str, shapes: str = STATIC
) -> Tuple[Optional[List[Observed]], Optional[str]]:
    """The reference for numerics: eager_trace of the same behaviour in float64
    (the behaviour's instantiate_float64(device): the fresh instance with its
    floating state and inputs in float64), its random draws made as the fp32
    run makes them (the behaviour's float64_draws(), a context, where it has
    one); or None and why there is none (a module that cannot run in float64)."""
    make = getattr(behaviour, "instantiate_float64", None)
    if make is None:
        return None, "the behaviour has no float64 form"
    draws = getattr(behaviour, "float64_draws", None)
    try:
        behaviour.reset()
        instance = make(device)
        with draws() if draws is not None else _no_context():
            for _ in range(behaviour.warmup_calls):
                instance.module(*instance.args)
            dims = dynamic_dims(instance.args, behaviour.dynamic_dims) if shapes == DYNAMIC else None
            return _calls(behaviour, instance, dims), None
    except Exception as error:
        return None, "it cannot run in float64: %s: %s" % (type(error).__name__, normalise_message(str(error)))
    finally:
        behaviour.reset()


@contextlib.contextmanager
def _no_context() -> Iterator[None]:
    yield


def _call_failed(exporter: Exporter, call: int, error: Exception) -> Tuple[str, Dict[str, Any]]:
    if exporter.lazy and call == 1:
        phase = "call 1 (capture happens at the first call)"
        return EXPORT_ERROR, {"phase": phase, "error": describe_error(error)}
    return RUN_ERROR, {"phase": "call %d" % call, "error": describe_error(error)}


def _hidden(observed: Observed) -> Observed:
    """Without the module's own state (buffers, parameters, attributes)."""
    output, state = observed
    kept = {name: value for name, value in state.items() if name.split(" ", 1)[0] not in MODULE_STATE_KINDS}
    return output, kept


READ_BACK_KINDS = ("buffer", "parameter")  # what an artifact's own copy of the state can hold


def _by_value(kind: str, frozen: Any) -> Any:
    """A read-back name's frozen value without what a constant cannot carry (requires_grad)."""
    return frozen[1] if kind == "parameter" and _is_tagged(frozen, "parameter") else frozen


def _read_back(reference: Observed, observed: Observed, read: Dict[str, Any]) -> Tuple[Observed, Observed]:
    """Eager's and the artifact's observations, hidden but for the names its
    read-back returned: those the artifact's copy of each holds, by value."""
    (out_a, state_a), (out_b, state_b) = _hidden(reference), _hidden(observed)
    for name, value in reference[1].items():
        kind, _, dotted = name.partition(" ")
        if kind in READ_BACK_KINDS and dotted in read:
            state_a[name] = _by_value(kind, value)
            state_b[name] = freeze(read[dotted])
    return (out_a, state_a), (out_b, state_b)


def _read_state(readback: Optional[Callable[[], Dict[str, Any]]], evidence: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The artifact's copy of the state after a call, or None where it cannot
    be read back (a read-back that raises is noted, not the artifact's failure)."""
    if readback is None:
        return None
    try:
        return dict(readback())
    except Exception as error:
        evidence["read_back_error"] = describe_error(error)
        return None


def _readable(names: List[str], read: Dict[str, Any]) -> List[str]:
    return [name for name in names if name.split(" ", 1)[0] in READ_BACK_KINDS and name.split(" ", 1)[1] in read]


Float64 = Callable[[], Optional[List[Observed]]]  # the float64 reference, run when first asked for


def _capture_and_compare(
    behaviour: Behaviour,
    exporter: Exporter,
    instance: Instance,
    expected: List[Observed],
    dims: Any,
    float64: Optional[Float64] = None,
) -> Tuple[str, Dict[str, Any]]:
    """Capture the instance, call the artifact CALLS times, compare with eager."""
    calls = _call_args(instance, dims)
    before = _held_state(behaviour, instance)
    try:
        artifact = exporter.capture(instance.module, instance.args, dims)
    except Exception as error:
        failed: Dict[str, Any] = {"phase": "capture", "error": describe_error(error)}
        changed = _changed_by_capture(before, _held_state(behaviour, instance))
        if changed:  # the refusal still left the caller's objects changed
            failed["changed_by_capture"] = changed
        left = getattr(error, "left_by_capture", None)
        if left:  # or the process: registrations it never removed (the exporter removed them since)
            failed["left_by_capture"] = [str(item) for item in left]
        return EXPORT_ERROR, failed
    evidence: Dict[str, Any] = {"signature_mutations": artifact.signature_mutations}
    switches = getattr(artifact, "switches", None)
    if switches:  # what the comparison switched on in the compiler (inductor's fallback_random)
        evidence["switches"] = dict(switches)
    changed = _changed_by_capture(before, _held_state(behaviour, instance))
    if changed:  # whatever the outcome: exporting touched the caller's objects
        evidence["changed_by_capture"] = changed
    readback = getattr(artifact, "state_readback", None) if artifact.state_hidden else None
    module_names = sorted(set(expected[0][1]) - set(_hidden(expected[0])[1]))
    if artifact.state_hidden:
        evidence["not_observable"] = module_names
    compared: List[Tuple[int, Observed, Observed]] = []
    for call in range(1, CALLS + 1):
        if call > 1:
            _between_calls(behaviour, instance.module)
        _seed_call(behaviour, call)
        try:
            observed = _observe_call(behaviour, artifact.call, instance, artifact.user_view, calls[call - 1])
        except Exception as error:
            outcome, failure = _call_failed(exporter, call, error)
            evidence.update(failure)
            return outcome, evidence
        read = _read_state(readback, evidence)
        reference = expected[call - 1]
        if read is not None:
            readable = _readable(module_names, read)
            evidence["read_back"] = readable
            evidence["not_observable"] = [name for name in module_names if name not in readable]
            reference, observed = _read_back(reference, observed, read)
        elif artifact.state_hidden:
            reference, observed = _hidden(reference), _hidden(observed)
        compared.append((call, reference, observed))
    # judged after the last call: the float64 run resets and changes the state outside the module
    differences: List[Dict[str, Any]] = []
    numerics: List[Dict[str, Any]] = []
    misfits: List[str] = []
    for call, reference, observed in compared:
        found, within = _differences(call, reference, observed, float64, misfits)
        differences += found
        numerics += within
    if misfits:  # judged by the exact rule: the float64 run computes something else there
        evidence["float64_misfits"] = misfits
    owners = _owners(instance.module)
    if numerics:
        evidence["numerics"] = group_numerics(numerics, owners)
    if differences:
        _mark_when(differences, changed)
        groups = group_differences(differences, owners)
        evidence["difference_groups"] = groups
        evidence["differences"] = _kept(differences, owners)
        return DIVERGES, evidence
    return HOLDS, evidence


# -- evidence a person reads: differences grouped by kind ---------------------


def _owners(module: Any) -> Dict[str, str]:
    """Each submodule's dotted name and its class's name ("layer1.0.bn1": "BatchNorm2d")."""
    try:
        return {name: type(sub).__name__ for name, sub in module.named_modules()}
    except Exception:
        return {}


def _kind_and_name(what: str) -> Tuple[str, str, str]:
    """A compared name as (kind, owner's dotted name, leaf): "buffer
    layer1.0.bn1.num_batches_tracked" -> ("buffer", "layer1.0.bn1",
    "num_batches_tracked"); an output or an input is its own leaf."""
    if what.startswith("output of call "):
        return "output", "", what
    for kind in sorted(STATE_KINDS, key=len, reverse=True):
        if what.startswith(kind + " "):
            name = what[len(kind) + 1 :]
            if kind in MODULE_STATE_KINDS and "." in name:
                owner, _, leaf = name.rpartition(".")
                return kind, owner, leaf
            return kind, "", name
    return "", "", what


def _group_key(what: str, owners: Dict[str, str]) -> Tuple[str, str, str]:
    kind, owner, leaf = _kind_and_name(what)
    return kind, leaf, owners.get(owner, "") if owner else ""


def _plural(count: int, word: str) -> str:
    return "%d %s" % (count, word if count == 1 or word.endswith("s") else word + "s")


def _members(kind: str, leaf: str, owner_class: str, names: List[str]) -> str:
    """How a group's members read: "`num_batches_tracked` of 20 BatchNorm2ds"."""
    if len(names) == 1:
        return names[0]
    return "%s `%s` of %s" % (kind, leaf, _plural(len(names), owner_class or "modules"))


def group_differences(differences: List[Dict[str, Any]], owners: Dict[str, str]) -> List[Dict[str, Any]]:
    """The differences grouped by kind: one group per kind of state, name
    within its owner, owner's class and call (every BatchNorm's
    `num_batches_tracked` after call 2 is one group). Each group has its
    count, every member's name, eager's and the artifact's value (those of its
    first member, and whether all members agree on them) and a line a person
    reads. No group is ever left out."""
    groups: Dict[Tuple[Any, ...], Dict[str, Any]] = {}
    for entry in differences:
        key = _group_key(entry["what"], owners) + (entry.get("after_call"),)
        group = groups.get(key)
        if group is None:
            group = groups[key] = {"kind": key[0], "name": key[1], "owner": key[2] or None, "names": []}
            group.update({k: entry[k] for k in ("after_call", "arose", "eager", "exported", "where") if k in entry})
            group["same_values"] = True
        elif (entry["eager"], entry["exported"]) != (group["eager"], group["exported"]):
            group["same_values"] = False
        group["names"].append(entry["what"])
    found = []
    for (kind, leaf, owner_class, after), group in groups.items():
        group["count"] = len(group["names"])
        values = "eager %s, exported %s" % (group["eager"], group["exported"])
        if not group["same_values"]:
            values = "e.g. %s: %s" % (group["names"][0], values)
        when = " after call %d" % after if after is not None else ""
        group["summary"] = "%s: %s%s" % (_members(kind, leaf, owner_class, group["names"]), values, when)
        found.append(group)
    return found


def group_numerics(numerics: List[Dict[str, Any]], owners: Dict[str, str]) -> List[Dict[str, Any]]:
    """The float tensors judged within numerics, grouped as group_differences
    groups (over both calls): count, names, the largest error and the bound
    it was judged against, and a line a person reads."""
    groups: Dict[Tuple[str, str, str], Dict[str, Any]] = {}
    for entry in numerics:
        key = _group_key(entry["what"], owners)
        if key[0] == "output":
            key = ("output", "output", "")
        group = groups.setdefault(key, {"kind": key[0], "name": key[1], "owner": key[2] or None, "names": []})
        if entry["what"] not in group["names"]:
            group["names"].append(entry["what"])
        if "error" not in group or entry["error"] > group["error"]:
            group.update(error=entry["error"], bound=entry["bound"], eager_error=entry["eager_error"])
            group["worst"] = "%s after call %d" % (entry["what"], entry["call"])
    found = []
    for (kind, leaf, owner_class), group in groups.items():
        group["count"] = len(group["names"])
        who = "the output" if kind == "output" else _members(kind, leaf, owner_class, group["names"])
        group["summary"] = "%s within numerics (largest error %.2g, bound %.2g; eager's own %.2g)" % (
            who,
            group["error"],
            group["bound"],
            group["eager_error"],
        )
        found.append(group)
    return found


def _kept(differences: List[Dict[str, Any]], owners: Dict[str, str]) -> List[Dict[str, Any]]:
    """The differences listed one by one, at most MAX_DIFFERENCES: the first
    of each group before any second one, in the order they were found (the
    groups name every one)."""
    seen: set = set()
    firsts: List[int] = []
    rest: List[int] = []
    for index, entry in enumerate(differences):
        key = _group_key(entry["what"], owners) + (entry.get("after_call"),)
        (rest if key in seen else firsts).append(index)
        seen.add(key)
    chosen = set((firsts + rest)[:MAX_DIFFERENCES])
    return [entry for index, entry in enumerate(differences) if index in chosen]


def _warning_texts(caught: list) -> List[str]:
    texts: List[str] = []
    for item in caught:
        text = "%s: %s" % (item.category.__name__, normalise_message(str(item.message)))
        if text not in texts:
            texts.append(text)
    return texts[:MAX_WARNINGS]


def _static_only(behaviour: Behaviour, device: str) -> Optional[str]:
    """Why a dynamic cell of this behaviour cannot be observed, or None (an
    eager run that fails at the other sizes is found by observe's own trace)."""
    if behaviour.static_shapes_because:
        return "its shapes cannot be dynamic: %s" % behaviour.static_shapes_because
    instance = _fresh(behaviour, device)
    dims = dynamic_dims(instance.args, behaviour.dynamic_dims)
    sizes = dynamic_sizes(instance.args, dims)
    if not sizes:
        return "none of its inputs is a tensor with a dimension to make dynamic"
    small = [size for size in sizes if size < MIN_DYNAMIC_SIZE]
    if small:
        return "a dynamic dimension has size %d at capture (export specializes sizes 0 and 1)" % small[0]
    return None


def _fails_at_other_sizes(broken: BehaviourBroken) -> str:
    error = broken.__cause__ or broken
    return "its eager run fails at other sizes of the dynamic dimension (%s: %s)" % (
        type(error).__name__,
        normalise_message(str(error)),
    )


def observe(
    behaviour: Behaviour,
    exporter: Exporter,
    device: str,
    shapes: str = STATIC,
    clock: Callable[[], float] = time.perf_counter,
    eager: Callable[[Behaviour, str, str], List[Observed]] = eager_trace,
    float64: Callable[[Behaviour, str, str], Tuple[Optional[List[Observed]], Optional[str]]] = float64_trace,
) -> Dict[str, Any]:
    """Run one cell and return {"outcome": ..., "evidence": {...}}; `eager`
    gives the reference (shared_eager_trace shares it between the cells of a
    behaviour), `float64` the reference for numerics, run only where a float
    tensor differs (shared_float64_trace shares it)."""
    if shapes not in SHAPES:
        raise ValueError("shapes must be one of %s, not %r" % (", ".join(SHAPES), shapes))
    reason = (
        exporter.unavailable_reason(shapes)
        or _behaviour_unavailable(behaviour)
        or (_static_only(behaviour, device) if shapes == DYNAMIC else None)
    )
    if reason:
        return {"outcome": UNSUPPORTED, "evidence": {"reason": reason}}
    try:
        expected = eager(behaviour, device, shapes)
    except BehaviourBroken as broken:
        if shapes != DYNAMIC:
            raise
        return {"outcome": UNSUPPORTED, "evidence": {"reason": _fails_at_other_sizes(broken)}}
    instance = _fresh(behaviour, device)
    dims = dynamic_dims(instance.args, behaviour.dynamic_dims) if shapes == DYNAMIC else None
    asked: Dict[str, Any] = {}

    def reference() -> Optional[List[Observed]]:
        if "trace" not in asked:
            with warnings.catch_warnings():  # its warnings are not the capture's
                warnings.simplefilter("ignore")
                asked["trace"], asked["why_not"] = float64(behaviour, device, shapes)
        return asked["trace"]

    started = clock()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outcome, evidence = _capture_and_compare(behaviour, exporter, instance, expected, dims, reference)
    if asked.get("why_not"):  # a float tensor differed, and no float64 run could judge it
        evidence["float64_reference"] = asked["why_not"]
    evidence["warnings"] = _warning_texts(caught)
    evidence["duration_s"] = round(clock() - started, 4)
    evidence["exporter_detail"] = exporter.detail(instance.args, dims)
    if dims is not None:
        evidence["dynamic"] = {"dims": describe_dims(dims), "sizes": sizes_by_call(instance.args, dims)}
    return {"outcome": outcome, "evidence": evidence}
