"""Attributes of a module (Python values and tensors that are not buffers)
mutated in forward: counters, containers, attributes created or deleted,
nested submodules, tensor copy_/out=, lazy flags, data-dependent counts."""

import torch

from exportmatrix_suite import behaviour


def _x() -> tuple:
    return (torch.randn(3),)


def _x4() -> tuple:
    return (torch.randn(4),)


@behaviour(
    id="attr.int_counter",
    description="forward increments an int attribute: self.calls += 1, and uses it",
    tags=("state=scalar-attribute", "change=rebind", "reach=direct", "step-counter"),
    inputs=_x,
    mutates=("attribute calls",),
    rewrites={
        "step_counter.int64_step_add_": {"attribute calls": "buffer step"},
        "buffer.non_persistent": {"attribute calls": "buffer steps"},
    },
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
    rewrites=("buffer.constant_add_",),
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
    rewrites={"step_counter.int64_add_": {"attribute stats": "buffer calls"}},
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


@behaviour(
    id="attr.tensor_copy_",
    description="forward overwrites a plain tensor attribute in place: self.scratch.copy_(x)",
    tags=("state=tensor-attribute", "change=copy", "reach=direct"),
    inputs=_x4,
    mutates=("attribute scratch",),
)
class TensorAttributeCopy(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scratch = torch.zeros(4)

    def forward(self, x):
        self.scratch.copy_(x)
        return self.scratch * 2


@behaviour(
    id="attr.tensor_out",
    description="forward writes into a preallocated tensor attribute: torch.add(x, 1, out=self.scratch)",
    tags=("state=tensor-attribute", "change=out", "reach=direct"),
    inputs=_x4,
    mutates=("attribute scratch",),
)
class TensorAttributeOut(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scratch = torch.zeros(4)

    def forward(self, x):
        torch.add(x, 1, out=self.scratch)
        return self.scratch * 2


@behaviour(
    id="attr.tensor_delete",
    description="forward reads a plain tensor attribute, then deletes it the first time: if hasattr: del self.t",
    tags=("state=tensor-attribute", "change=delete", "reach=direct"),
    inputs=_x4,
    mutates=("attribute t",),
)
class TensorAttributeDeleted(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.t = torch.ones(4)

    def forward(self, x):
        if hasattr(self, "t"):
            x = x + self.t
            del self.t
        return x * 2


@behaviour(
    id="attr.lazy_init_flag",
    description="lazy init on the first call: if not hasattr(self, 'initialized'): self.initialized = True",
    tags=("state=scalar-attribute", "change=create", "reach=python-if"),
    inputs=_x4,
    mutates=("attribute initialized",),
)
class LazyInitFlag(torch.nn.Module):
    def forward(self, x):
        if not hasattr(self, "initialized"):
            self.initialized = True
        return x * 2 if self.initialized else x


@behaviour(
    id="attr.count_by_data",
    description="forward counts on a tensor's value: if x.sum() > 0: self.positive_calls += 1 (inputs are positive)",
    tags=("state=scalar-attribute", "change=rebind", "reach=data-dependent"),
    inputs=lambda: (torch.rand(4) + 0.5,),
    mutates=("attribute positive_calls",),
)
class CountByData(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.positive_calls = 0

    def forward(self, x):
        if x.sum() > 0:
            self.positive_calls += 1
        return x * 2
