"""Plain module attributes mutated (or not) around forward: the seed's five."""

import torch

from exportmatrix_suite import behaviour


def _x() -> tuple:
    return (torch.randn(3, 2),)


@behaviour(
    id="attr.tensor_reassign",
    description="forward reassigns a tensor attribute: self.a = self.a.to(torch.float64)",
    tags=("state=tensor-attribute", "change=rebind", "reach=direct", "seed", "dtype"),
    inputs=_x,
    seed_test="test_module_attribute_mutation_violation_positive_1",
    mutates=("attribute a",),
    rewrites=("attr.tensor_reassign_in_init",),
)
class TensorAttributeReassigned(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = torch.randn(3, 2)

    def forward(self, x):
        self.a = self.a.to(torch.float64)
        return x.sum() + self.a.sum()


@behaviour(
    id="attr.tensor_converted_not_stored",
    description="forward converts a tensor attribute without storing it back",
    tags=("state=tensor-attribute", "change=none", "reach=direct", "seed", "dtype"),
    inputs=_x,
    seed_test="test_module_attribute_mutation_violation_negative_1",
)
class TensorAttributeConverted(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = torch.randn(3, 2)

    def forward(self, x):
        return x.sum() + self.a.to(torch.float64).sum()


@behaviour(
    id="attr.tensor_reassign_in_init",
    description="a tensor attribute is reassigned twice in __init__, only read in forward",
    tags=("state=tensor-attribute", "change=none", "reach=direct", "seed", "init-only"),
    inputs=_x,
    seed_test="test_module_attribute_mutation_violation_negative_2",
)
class TensorAttributeReassignedInInit(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = torch.randn(3, 2)
        self.a = self.a.to(torch.float64)

    def forward(self, x):
        return x.sum() + self.a.sum()


@behaviour(
    id="local.rebind",
    description="forward rebinds a local variable (b = 1; b = b * 5), no attribute changes",
    tags=("state=local", "change=none", "reach=direct", "seed"),
    inputs=_x,
    seed_test="test_module_attribute_mutation_violation_negative_3",
)
class LocalVariableRebound(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = torch.randn(3, 2)

    def forward(self, x):
        b = 1
        b = b * 5
        return x.sum() + self.a.sum() + b


@behaviour(
    id="attr.tensor_reassign_after_eager_call",
    description="forward reassigns a tensor attribute, and the module already ran eagerly once before capture",
    tags=("state=tensor-attribute", "change=rebind", "reach=direct", "seed", "warm-up"),
    inputs=_x,
    seed_test="test_module_attribute_mutation_violation_negative_4",
    warmup_calls=1,
    mutates=("attribute a",),
    rewrites=("attr.tensor_reassign_in_init",),
)
class TensorAttributeReassignedAfterEagerCall(TensorAttributeReassigned):
    pass
