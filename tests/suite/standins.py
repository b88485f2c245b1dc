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


@dataclass
class StandInExporter:
    name: str
    capture_with: Callable[[Any, tuple], Artifact]
    lazy: bool = False
    reason: Optional[str] = None
    detail: str = "stand-in"
    captures: list = field(default_factory=list)

    def unavailable_reason(self) -> Optional[str]:
        return self.reason

    def capture(self, module: Any, args: tuple) -> Artifact:
        self.captures.append(module)
        return self.capture_with(module, args)


def faithful(module: Any, args: tuple) -> Artifact:
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
