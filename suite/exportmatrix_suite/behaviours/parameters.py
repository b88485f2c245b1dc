"""Parameters: updated under no_grad, reassigned, requires_grad toggled."""

import torch

from exportmatrix_suite import behaviour


def _x() -> tuple:
    return (torch.randn(4),)


@behaviour(
    id="param.no_grad_update",
    description="forward updates a parameter in place under torch.no_grad()",
    tags=("state=parameter", "change=no-grad", "reach=direct"),
    inputs=_x,
    mutates=("parameter weight",),
)
class ParameterUpdatedUnderNoGrad(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(4))

    def forward(self, x):
        with torch.no_grad():
            self.weight.mul_(0.5)
        return x * self.weight


@behaviour(
    id="param.reassign",
    description="forward replaces a parameter with a new Parameter",
    tags=("state=parameter", "change=rebind", "reach=direct"),
    inputs=_x,
    mutates=("parameter weight",),
)
class ParameterReassigned(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(4))

    def forward(self, x):
        self.weight = torch.nn.Parameter(self.weight.detach() + 1)
        return x * self.weight


@behaviour(
    id="param.requires_grad_toggle",
    description="forward switches a parameter's requires_grad off",
    tags=("state=parameter", "change=requires-grad", "reach=direct"),
    inputs=_x,
    mutates=("parameter weight",),
)
class ParameterRequiresGradToggled(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(4))

    def forward(self, x):
        self.weight.requires_grad_(False)
        return x * self.weight
