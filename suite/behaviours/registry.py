"""How a behaviour is declared: a small module class plus data, as in ExportDB.

    @behaviour(id="attr.counter", description="...", tags=("attribute",),
               inputs=lambda: (torch.randn(3),))
    class Counter(torch.nn.Module): ...

Adding a behaviour is one such block in a module of this package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import torch

SEED = 0


@dataclass
class Instance:
    module: Any
    args: tuple


@dataclass
class Behaviour:
    id: str
    description: str
    tags: Tuple[str, ...]
    module_class: type
    make_inputs: Callable[[], tuple]
    seed_test: Optional[str] = None
    warmup_calls: int = 0  # eager calls on the module before it is captured
    # what an eager call changes, by the classifier's names ("buffer buf",
    # "attribute n", "input 0", "global TOTALS"); empty for a no-mutation control
    mutates: Tuple[str, ...] = ()
    # state outside the module (globals, closures, class attributes)
    extra_reset: Callable[[], None] = field(default=lambda: None)
    extra_state: Callable[[Any], Dict[str, Any]] = field(default=lambda module: {})

    def instantiate(self, device: str) -> Instance:
        """A fresh module and inputs, identical every time (seeded)."""
        torch.manual_seed(SEED)
        module = self.module_class().to(device)
        args = tuple(_to_device(arg, device) for arg in self.make_inputs())
        return Instance(module, args)

    def reset(self) -> None:
        self.extra_reset()

    def declaration(self) -> Dict[str, Any]:
        return {
            "id": self.id,
            "description": self.description,
            "tags": list(self.tags),
            "seed_test": self.seed_test,
            "mutates": list(self.mutates),
        }


def _to_device(value: Any, device: str) -> Any:
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, (list, tuple)):
        return type(value)(_to_device(item, device) for item in value)
    if isinstance(value, dict):
        return {key: _to_device(item, device) for key, item in value.items()}
    return value


REGISTRY: List[Behaviour] = []


def behaviour(
    id: str, description: str, tags: Tuple[str, ...], inputs: Callable[[], tuple], **options: Any
) -> Callable[[type], type]:
    def register(module_class: type) -> type:
        if any(existing.id == id for existing in REGISTRY):
            raise ValueError("behaviour %r is declared twice" % id)
        REGISTRY.append(Behaviour(id, description, tuple(tags), module_class, inputs, **options))
        return module_class

    return register
