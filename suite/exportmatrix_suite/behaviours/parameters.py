"""Parameters: updated under no_grad (in place, copy_, indexed), through .data,
reassigned, registered or deleted in forward, requires_grad toggled."""

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


@behaviour(
    id="param.data_update",
    description="forward updates a weight through .data (the old optimizer idiom): self.w.data.add_(x.mean())",
    tags=("state=parameter", "change=data", "reach=direct"),
    inputs=_x,
    mutates=("parameter w",),
    rewrites=("param.no_grad_add_",),
)
class ParameterDataUpdate(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(4))

    def forward(self, x):
        self.w.data.add_(x.mean())
        return x * self.w


@behaviour(
    id="param.copy_no_grad",
    description="forward overwrites a parameter under torch.no_grad(): self.w.copy_(self.w * 0.5 + x)",
    tags=("state=parameter", "change=copy", "reach=direct"),
    inputs=_x,
    mutates=("parameter w",),
)
class ParameterCopyNoGrad(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(4))

    def forward(self, x):
        with torch.no_grad():
            self.w.copy_(self.w * 0.5 + x)
        return x * self.w


@behaviour(
    id="param.index_assign_no_grad",
    description="forward assigns into a parameter under torch.no_grad(): self.w[0] = x.sum()",
    tags=("state=parameter", "change=index-assign", "reach=direct"),
    inputs=_x,
    mutates=("parameter w",),
)
class ParameterIndexAssignNoGrad(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(4))

    def forward(self, x):
        with torch.no_grad():
            self.w[0] = x.sum()
        return x * self.w


@behaviour(
    id="param.register_in_forward",
    description="forward registers a new parameter the first time it runs: self.register_parameter('late', ...)",
    tags=("state=parameter", "change=register", "reach=direct"),
    inputs=_x,
    mutates=("parameter late",),
)
class ParameterRegisteredInForward(torch.nn.Module):
    def forward(self, x):
        if not hasattr(self, "late"):
            self.register_parameter("late", torch.nn.Parameter(torch.full((4,), 2.0)))
        return x * self.late


@behaviour(
    id="param.delete",
    description="forward reads a parameter, then deletes it the first time: if hasattr: del self.w",
    tags=("state=parameter", "change=delete", "reach=direct"),
    inputs=_x,
    mutates=("parameter w",),
)
class ParameterDeleted(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.full((4,), 3.0))

    def forward(self, x):
        if hasattr(self, "w"):
            x = x * self.w
            del self.w
        return x + 1


@behaviour(
    id="param.no_grad_add_",
    description="forward updates a weight in place under torch.no_grad() (param.data_update's portable form): "
    "self.w.add_(x.mean())",
    tags=("state=parameter", "change=no-grad", "reach=direct"),
    inputs=_x,
    mutates=("parameter w",),
)
class ParameterNoGradAdd(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(4))

    def forward(self, x):
        with torch.no_grad():
            self.w.add_(x.mean())
        return x * self.w
