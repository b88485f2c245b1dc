"""State outside the module: a global tensor, a global int, a closure cell,
a class attribute. Each is reset before a run and read back as a side effect."""

import torch

from exportmatrix_suite import behaviour

TOTALS = torch.zeros(3)
CALLS = 0


def _x() -> tuple:
    return (torch.randn(3),)


def _reset_totals() -> None:
    TOTALS.zero_()


@behaviour(
    id="global.tensor_add_",
    description="forward updates a module-level (global) tensor in place",
    tags=("state=global", "change=in-place", "reach=direct"),
    inputs=_x,
    mutates=("global TOTALS",),
    extra_reset=_reset_totals,
    extra_state=lambda module: {"global TOTALS": TOTALS},
)
class GlobalTensorInPlace(torch.nn.Module):
    def forward(self, x):
        TOTALS.add_(x)
        return x * 2


def _reset_calls() -> None:
    global CALLS
    CALLS = 0


@behaviour(
    id="global.int_rebind",
    description="forward rebinds a global int: global CALLS; CALLS += 1",
    tags=("state=global", "change=rebind", "reach=direct", "step-counter"),
    inputs=_x,
    mutates=("global CALLS",),
    extra_reset=_reset_calls,
    extra_state=lambda module: {"global CALLS": CALLS},
)
class GlobalIntRebound(torch.nn.Module):
    def forward(self, x):
        global CALLS
        CALLS += 1
        return x + CALLS


def _make_counter():
    count = 0

    def bump():
        nonlocal count
        count += 1
        return count

    def read():
        return count

    return bump, read


@behaviour(
    id="closure.cell_rebind",
    description="forward calls a closure that rebinds its nonlocal counter",
    tags=("state=closure", "change=rebind", "reach=helper-method", "step-counter"),
    inputs=_x,
    mutates=("closure count",),
    extra_state=lambda module: {"closure count": module.read_count()},
)
class ClosureCellRebound(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.bump, self.read_count = _make_counter()

    def forward(self, x):
        return x * self.bump()


def _reset_class_counter() -> None:
    ClassAttributeIncremented.calls = 0


@behaviour(
    id="class_attr.increment",
    description="forward increments a class attribute: type(self).calls += 1",
    tags=("state=class-attribute", "change=rebind", "reach=direct", "step-counter"),
    inputs=_x,
    mutates=("class attribute calls",),
    extra_reset=_reset_class_counter,
    extra_state=lambda module: {"class attribute calls": type(module).calls},
)
class ClassAttributeIncremented(torch.nn.Module):
    calls = 0

    def forward(self, x):
        type(self).calls += 1
        return x + type(self).calls
