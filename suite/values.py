"""Freeze observed values into plain data and compare them.

Works on tensors by duck typing, so the classifier never imports torch and
can be tested with plain Python stand-ins.
"""

from __future__ import annotations

import math
from typing import Any

# Tolerances of torch.testing for float32; outputs of a captured graph may
# differ from eager in the last bits after decompositions.
REL_TOL = 1.3e-6
ABS_TOL = 1e-5
MAX_ELEMENTS = 4096


def _is_tensor(value: Any) -> bool:
    return all(hasattr(value, name) for name in ("detach", "dtype", "shape", "tolist"))


def _tensor_values(tensor: Any) -> Any:
    """The elements as plain numbers, or why there are none: a fake, meta or
    symbolic tensor left behind by a capture has no real data."""
    try:
        data = tensor.detach().cpu()
        values = data.reshape(-1)[:MAX_ELEMENTS].tolist() if data.numel() else []
    except Exception as error:
        return "<no data: %s %s>" % (type(tensor).__name__, type(error).__name__)
    for item in values:
        if type(item) not in (int, float, bool, complex):
            return "<no data: %s holds %s>" % (type(tensor).__name__, type(item).__name__)
    return values


def freeze(value: Any) -> Any:
    """A plain, comparable copy of `value`: tensors become tagged tuples."""
    if _is_tensor(value):
        return (
            "tensor",
            str(value.dtype),
            tuple(value.shape),
            str(getattr(value, "device", "")),
            _tensor_values(value),
        )
    if isinstance(value, (bool, int, float, str, type(None))):
        return value
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(freeze(item) for item in value))
    if isinstance(value, dict):
        return ("dict", tuple((repr(key), freeze(item)) for key, item in value.items()))
    return ("object", type(value).__name__)


def _same_number(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, float) or isinstance(b, float):
        if math.isnan(a) and math.isnan(b):
            return True
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return bool(a == b)


def same(a: Any, b: Any) -> bool:
    """Whether two frozen values are equal, floats within tolerance."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        if a and b and a[0] == "tensor" and b[0] == "tensor":
            # dtype and shape must match exactly; device is where the cell ran
            if a[1:3] != b[1:3] or isinstance(a[4], str) or isinstance(b[4], str):
                return a[1:3] == b[1:3] and a[4] == b[4]
            return len(a[4]) == len(b[4]) and all(_same_number(x, y) for x, y in zip(a[4], b[4]))
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return type(a) is type(b) and _same_number(a, b)
    return type(a) is type(b) and a == b


def describe(value: Any, limit: int = 120) -> str:
    """A short human-readable rendering of a frozen value."""
    if isinstance(value, tuple) and value and value[0] == "tensor":
        _, dtype, shape, _device, values = value
        shown = values if isinstance(values, str) else [round(v, 4) if isinstance(v, float) else v for v in values[:6]]
        text = "tensor(%s, shape=%s, %s)" % (shown, list(shape), dtype)
    elif isinstance(value, tuple) and value and value[0] == "object":
        text = "<%s>" % value[1]
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
