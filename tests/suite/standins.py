"""Stand-in behaviours and exporters of plain Python: they prove the
classifier's rules without any torch release and its quirks."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional

GLOBALS: Dict[str, int] = {"COUNTER": 0}


class Counter:
    """Adds its call count to the input and remembers it: a side effect."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, x: float) -> float:
        self.n += 1
        return x + self.n


class Pure:
    def __init__(self) -> None:
        self.scale = 2.0

    def __call__(self, x: float) -> float:
        return x * self.scale


class AppendsToInput:
    def __call__(self, items: list) -> int:
        items.append(len(items))
        return len(items)


class BumpsGlobal:
    def __call__(self, x: int) -> int:
        GLOBALS["COUNTER"] += 1
        return x


@dataclass
class Instance:
    module: Any
    args: tuple


@dataclass
class StandInBehaviour:
    id: str
    module_class: type
    make_args: Callable[[], tuple]
    warmup_calls: int = 0
    observe_globals: bool = False
    dynamic_dims: Optional[tuple] = None
    static_shapes_because: Optional[str] = None

    def instantiate(self, device: str) -> Instance:
        return Instance(self.module_class(), self.make_args())

    def reset(self) -> None:
        GLOBALS["COUNTER"] = 0

    def extra_state(self, module: Any) -> Dict[str, Any]:
        return {"global COUNTER": GLOBALS["COUNTER"]} if self.observe_globals else {}


@dataclass
class Artifact:
    call: Callable[..., Any]
    user_view: Any = None
    signature_mutations: Optional[dict] = None
    state_hidden: bool = False


@dataclass
class StandInExporter:
    name: str
    capture_with: Callable[[Any, tuple], Artifact]
    lazy: bool = False
    reason: Optional[str] = None
    dynamic_reason: Optional[str] = None  # why its dynamic-shape form does not exist
    captures: list = field(default_factory=list)
    dims: list = field(default_factory=list)  # the dynamic dimensions of each capture

    def unavailable_reason(self, shapes: str) -> Optional[str]:
        return self.reason or (self.dynamic_reason if shapes == "dynamic" else None)

    def detail(self, args: tuple, dims: Any) -> str:
        return "stand-in"

    def capture(self, module: Any, args: tuple, dims: Any) -> Artifact:
        self.captures.append(module)
        self.dims.append(dims)
        return self.capture_with(module, args)


def faithful(module: Any, args: tuple) -> Artifact:
    return Artifact(module, module, {"buffers_to_mutate": {}})


def runs_forward_at_capture(module: Any, args: tuple) -> Artifact:
    """Runs forward on the caller's own module while capturing, then is faithful."""
    module(*args)
    return Artifact(module, module, {"buffers_to_mutate": {}})


def loses_side_effect(module: Any, args: tuple) -> Artifact:
    """Runs a private copy: outputs right, the user's module never changes."""
    private = copy.deepcopy(module)
    return Artifact(private)


def bakes_value_at_capture(module: Any, args: tuple) -> Artifact:
    """Evaluates once at capture and returns that constant ever after."""
    baked = copy.deepcopy(module)(*copy.deepcopy(args))
    return Artifact(lambda *call_args: baked)


def copies_inputs(module: Any, args: tuple) -> Artifact:
    return Artifact(lambda *call_args: module(*copy.deepcopy(call_args)), module)


def raises_at_capture(module: Any, args: tuple) -> Artifact:
    raise AssertionError("Mutating module attribute n during export at 0x7f00deadbeef\nsecond line")


def raises_at_call(number: int) -> Callable[[Any, tuple], Artifact]:
    def capture(module: Any, args: tuple) -> Artifact:
        calls = []

        def call(*call_args: Any) -> Any:
            calls.append(1)
            if len(calls) == number:
                raise RuntimeError("graph failed in /tmp/tmpab12cd/graph.py, line 12")
            return module(*call_args)

        return Artifact(call, module)

    return capture


class Vec:
    """A 1-D tensor of plain Python, as far as the classifier needs one: it
    has detach, dtype, shape and tolist (so it freezes as a tensor), and
    repeat, narrow and clone (so a dynamic cell can make longer inputs)."""

    dtype = "float32"
    device = "cpu"
    requires_grad = False

    def __init__(self, values: list) -> None:
        self.values = list(values)

    @property
    def shape(self) -> tuple:
        return (len(self.values),)

    def detach(self) -> "Vec":
        return self

    def cpu(self) -> "Vec":
        return self

    def numel(self) -> int:
        return len(self.values)

    def reshape(self, *shape: int) -> "Vec":
        return self

    def tolist(self) -> list:
        return list(self.values)

    def repeat(self, times: int) -> "Vec":
        return Vec(self.values * times)

    def narrow(self, dim: int, start: int, length: int) -> "Vec":
        return Vec(self.values[start : start + length])

    def clone(self) -> "Vec":
        return Vec(self.values)


class SumsAndCounts:
    """Returns the sum of its input and counts its calls: fine at any length."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, x: Vec) -> float:
        self.calls += 1
        return sum(x.values) + self.calls


class FixedLength:
    """Adds a state of length 3 to its input: eager fails at any other length."""

    def __init__(self) -> None:
        self.state = [0.0, 0.0, 0.0]

    def __call__(self, x: Vec) -> Vec:
        if len(x.values) != len(self.state):
            raise RuntimeError("The size of tensor a (%d) must match the size of tensor b (3)" % len(x.values))
        return Vec([a + b for a, b in zip(x.values, self.state)])


def specializes(module: Any, args: tuple) -> Artifact:
    """Keeps the capture inputs' length: longer inputs are cut to it."""
    length = len(args[0].values)
    return Artifact(lambda x: module(Vec(x.values[:length])), module)


def hides_state(module: Any, args: tuple) -> Artifact:
    """Runs a private copy and says so (an AOTInductor package, say)."""
    private = copy.deepcopy(module)
    return Artifact(private, None, None, state_hidden=True)


def hides_state_and_bakes(module: Any, args: tuple) -> Artifact:
    baked = copy.deepcopy(module)(*copy.deepcopy(args))
    return Artifact(lambda *call_args: baked, None, None, state_hidden=True)
