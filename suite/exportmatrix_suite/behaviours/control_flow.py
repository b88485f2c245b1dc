"""Mutation under control flow: a branch on a tensor condition, a loop."""

import torch

from exportmatrix_suite import behaviour


@behaviour(
    id="control.branch_on_tensor",
    description="forward updates a buffer only in the branch taken on a tensor condition (python if)",
    tags=("state=buffer", "change=in-place", "reach=data-dependent"),
    inputs=lambda: (torch.rand(4) + 0.1,),
    mutates=("buffer hits",),
)
class MutationInTensorBranch(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("hits", torch.zeros(1))

    def forward(self, x):
        if x.sum() > 0:
            self.hits.add_(1)
            return x + 1
        return x - 1


def _cond(pred, true_fn, false_fn, operands):
    cond = getattr(torch, "cond", None)
    if cond is None:  # before 2.2 (or so) cond lived only in functorch's experimental control flow
        from functorch.experimental.control_flow import cond
    return cond(pred, true_fn, false_fn, operands)


@behaviour(
    id="control.cond_update",
    description="a buffer updated in place with what a torch.cond on a tensor condition returns "
    "(mutation inside a cond branch is refused even eagerly by recent releases)",
    tags=("state=buffer", "change=in-place", "reach=torch.cond"),
    inputs=lambda: (torch.rand(4) + 0.1,),
    mutates=("buffer hits",),
)
class MutationByCond(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("hits", torch.zeros(4))

    def forward(self, x):
        delta = _cond(x.sum() > 0, lambda x: x + 1, lambda x: x - 1, (x,))
        self.hits.add_(delta)
        return x + self.hits


@behaviour(
    id="control.loop",
    description="forward updates a buffer in place on every iteration of a loop",
    tags=("state=buffer", "change=in-place", "reach=loop"),
    inputs=lambda: (torch.randn(4),),
    mutates=("buffer acc",),
)
class MutationInLoop(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("acc", torch.zeros(4))

    def forward(self, x):
        for step in range(3):
            self.acc.add_(x * step)
        return self.acc + x
