"""State outside the module: global tensors, a global int, a global list,
closure cells, class attributes. Each is reset before a run and read back as
a side effect."""

import torch

from exportmatrix_suite import behaviour

TOTALS = torch.zeros(3)
CALLS = 0


def _x() -> tuple:
    return (torch.randn(3),)


def _x4() -> tuple:
    return (torch.randn(4),)


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
    rewrites={"step_counter.int64_add_": {"global CALLS": "buffer calls"}},
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
    rewrites={"buffer.non_persistent": {"closure count": "buffer steps"}},
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
    rewrites=("step_counter.int64_add_",),
)
class ClassAttributeIncremented(torch.nn.Module):
    calls = 0

    def forward(self, x):
        type(self).calls += 1
        return x + type(self).calls


LOG = []  # a module-level registry of calls
GLOBAL_T = torch.zeros(4)


def _reset_log() -> None:
    LOG.clear()


@behaviour(
    id="global.list_append",
    description="forward appends to a module-level list (a call log): LOG.append(len(LOG))",
    tags=("state=global", "change=container-update", "reach=direct"),
    inputs=_x4,
    mutates=("global LOG",),
    extra_reset=_reset_log,
    extra_state=lambda module: {"global LOG": LOG},
)
class GlobalListAppend(torch.nn.Module):
    def forward(self, x):
        LOG.append(len(LOG))
        return x * len(LOG)


def _reset_global_t() -> None:
    GLOBAL_T.zero_()


@behaviour(
    id="global.tensor_index_assign",
    description="forward assigns into a module-level tensor: GLOBAL_T[0] = x.sum()",
    tags=("state=global", "change=index-assign", "reach=direct"),
    inputs=_x4,
    mutates=("global GLOBAL_T",),
    extra_reset=_reset_global_t,
    extra_state=lambda module: {"global GLOBAL_T": GLOBAL_T},
    rewrites={"buffer.index_set": {"global GLOBAL_T": "buffer table"}},
)
class GlobalTensorIndexAssign(torch.nn.Module):
    def forward(self, x):
        GLOBAL_T[0] = x.sum()
        return x + GLOBAL_T


def _reset_class_tensor() -> None:
    ClassTensorInPlace.shared.zero_()


@behaviour(
    id="class_attr.tensor_in_place",
    description="forward updates a class-level tensor shared by all instances in place: self.shared.add_(x)",
    tags=("state=class-attribute", "change=in-place", "reach=direct"),
    inputs=_x4,
    mutates=("class attribute shared",),
    extra_reset=_reset_class_tensor,
    extra_state=lambda module: {"class attribute shared": type(module).shared},
    rewrites={"buffer.add_": {"class attribute shared": "buffer buf"}},
)
class ClassTensorInPlace(torch.nn.Module):
    shared = torch.zeros(4)

    def forward(self, x):
        self.shared.add_(x)
        return x * 2 + self.shared


def _make_accumulator():
    acc = torch.zeros(4)

    def accumulate(x):
        acc.add_(x)
        return acc

    def read():
        return acc

    return accumulate, read


@behaviour(
    id="closure.tensor_in_place",
    description="forward calls a closure whose captured tensor it updates in place: acc.add_(x)",
    tags=("state=closure", "change=in-place", "reach=helper-method"),
    inputs=_x4,
    mutates=("closure acc",),
    extra_state=lambda module: {"closure acc": module.read_acc()},
    rewrites={"buffer.add_": {"closure acc": "buffer buf"}},
)
class ClosureTensorInPlace(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.accumulate, self.read_acc = _make_accumulator()

    def forward(self, x):
        return x * 2 + self.accumulate(x)
