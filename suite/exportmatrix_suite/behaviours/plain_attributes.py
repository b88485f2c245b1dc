"""Plain Python attributes of a module mutated in forward: counters,
containers, attributes created or deleted, nested submodules."""

import torch

from exportmatrix_suite import behaviour


def _x() -> tuple:
    return (torch.randn(3),)


@behaviour(
    id="attr.int_counter",
    description="forward increments an int attribute: self.calls += 1, and uses it",
    tags=("state=scalar-attribute", "change=rebind", "reach=direct", "step-counter"),
    inputs=_x,
    mutates=("attribute calls",),
)
class IntCounter(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return x * self.calls


@behaviour(
    id="attr.float_counter",
    description="forward accumulates a float attribute: self.total += 0.5",
    tags=("state=scalar-attribute", "change=rebind", "reach=direct"),
    inputs=_x,
    mutates=("attribute total",),
)
class FloatCounter(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.total = 0.0

    def forward(self, x):
        self.total += 0.5
        return x + self.total


@behaviour(
    id="attr.list_append",
    description="forward appends to a list attribute (a log of calls)",
    tags=("state=container-attribute", "change=container-update", "reach=direct"),
    inputs=_x,
    mutates=("attribute history",),
)
class ListAppend(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.history = []

    def forward(self, x):
        self.history.append(len(self.history))
        return x * len(self.history)


@behaviour(
    id="attr.dict_update",
    description="forward updates a dict attribute: self.stats['calls'] += 1",
    tags=("state=container-attribute", "change=container-update", "reach=direct", "step-counter"),
    inputs=_x,
    mutates=("attribute stats",),
)
class DictUpdate(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stats = {"calls": 0}

    def forward(self, x):
        self.stats["calls"] += 1
        return x + self.stats["calls"]


@behaviour(
    id="attr.created_in_forward",
    description="forward creates a tensor attribute that __init__ never set",
    tags=("state=tensor-attribute", "change=create", "reach=direct"),
    inputs=_x,
    mutates=("attribute last",),
)
class AttributeCreatedInForward(torch.nn.Module):
    def forward(self, x):
        self.last = x * 2
        return x + 1


@behaviour(
    id="attr.deleted_in_forward",
    description="forward deletes an attribute the first time it runs",
    tags=("state=scalar-attribute", "change=delete", "reach=direct"),
    inputs=_x,
    mutates=("attribute pending",),
)
class AttributeDeletedInForward(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.pending = 1.0

    def forward(self, x):
        if hasattr(self, "pending"):
            del self.pending
            return x + 1
        return x


class _Leaf(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = torch.ones(3)

    def forward(self, x):
        self.scale = self.scale * 2
        return x * self.scale


@behaviour(
    id="attr.nested_submodule",
    description="a nested submodule reassigns its own tensor attribute in forward",
    tags=("state=tensor-attribute", "change=rebind", "reach=submodule"),
    inputs=_x,
    mutates=("attribute block.leaf.scale",),
)
class NestedSubmoduleAttribute(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block = torch.nn.Sequential()
        self.block.leaf = _Leaf()

    def forward(self, x):
        return self.block.leaf(x) + 1


@behaviour(
    id="attr.mutate_then_read",
    description="forward reassigns a tensor attribute, then reads it back in the same call",
    tags=("state=tensor-attribute", "change=rebind", "reach=direct", "read-after-write"),
    inputs=_x,
    mutates=("attribute state",),
)
class MutateThenRead(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.state = torch.zeros(3)

    def forward(self, x):
        self.state = self.state + x
        return self.state * 2
