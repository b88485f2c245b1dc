"""User inputs mutated in forward: in place, indexed, through views, out=,
in containers, with conversion, in loops."""

import torch

from exportmatrix_suite import behaviour


def _x() -> tuple:
    return (torch.randn(4),)


@behaviour(
    id="input.add_",
    description="forward adds to its input tensor in place",
    tags=("state=input", "change=in-place", "reach=direct"),
    inputs=_x,
    mutates=("input 0",),
)
class InputAddInPlace(torch.nn.Module):
    def forward(self, x):
        x.add_(1)
        return x * 2


@behaviour(
    id="input.view_slice",
    description="forward mutates a slice (a view) of its input: x[:2].mul_(3)",
    tags=("state=input-view", "change=in-place", "reach=direct"),
    inputs=_x,
    mutates=("input 0",),
)
class InputSliceInPlace(torch.nn.Module):
    def forward(self, x):
        x[:2].mul_(3)
        return x.sum()


@behaviour(
    id="input.out_argument",
    description="forward writes its result into an input through out=: torch.add(x, 1, out=y)",
    tags=("state=input", "change=out", "reach=direct"),
    inputs=lambda: (torch.randn(4), torch.zeros(4)),
    mutates=("input 1",),
)
class InputOutArgument(torch.nn.Module):
    def forward(self, x, y):
        torch.add(x, 1, out=y)
        return y * 2


@behaviour(
    id="input.in_list",
    description="forward mutates a tensor inside a list input in place",
    tags=("state=input-nested", "change=in-place", "reach=container-element"),
    inputs=lambda: ([torch.randn(4), torch.randn(4)],),
    mutates=("input 0",),
)
class InputInList(torch.nn.Module):
    def forward(self, xs):
        xs[0].add_(1)
        return xs[0] + xs[1]


@behaviour(
    id="input.in_dict",
    description="forward mutates a tensor inside a dict input in place",
    tags=("state=input-nested", "change=in-place", "reach=container-element"),
    inputs=lambda: ({"a": torch.randn(4), "b": torch.randn(4)},),
    mutates=("input 0",),
)
class InputInDict(torch.nn.Module):
    def forward(self, d):
        d["a"].mul_(2)
        return d["a"] - d["b"]


@behaviour(
    id="input.mutated_and_returned",
    description="forward mutates its input in place and returns it (the output aliases the input)",
    tags=("state=input", "change=in-place", "reach=direct", "returned"),
    inputs=_x,
    mutates=("input 0",),
)
class InputReturned(torch.nn.Module):
    def forward(self, x):
        x.mul_(2)
        return x


@behaviour(
    id="input.index_assign",
    description="forward assigns into its input: x[0] = 0.0",
    tags=("state=input", "change=index-assign", "reach=direct"),
    inputs=_x,
    mutates=("input 0",),
)
class InputIndexAssign(torch.nn.Module):
    def forward(self, x):
        x[0] = 0.0
        return x * 2


@behaviour(
    id="input.copy_convert",
    description="forward copies a float32 result into its float64 input: x.copy_(x.float() * 2)",
    tags=("state=input", "change=copy-convert", "reach=direct", "dtype"),
    inputs=lambda: (torch.randn(4, dtype=torch.float64),),
    mutates=("input 0",),
)
class InputCopyConvert(torch.nn.Module):
    def forward(self, x):
        x.copy_(x.float() * 2)
        return x + 1


@behaviour(
    id="input.nested_index_assign",
    description='forward assigns into a tensor inside a dict input: d["k"][0] = 1.0',
    tags=("state=input-nested", "change=index-assign", "reach=container-element"),
    inputs=lambda: ({"k": torch.randn(4)},),
    mutates=("input 0",),
)
class InputNestedIndexAssign(torch.nn.Module):
    def forward(self, d):
        d["k"][0] = 1.0
        return d["k"] * 2


@behaviour(
    id="input.in_place_loop",
    description="forward doubles its input in place in a Python loop: for _ in range(3): x.mul_(2)",
    tags=("state=input", "change=in-place", "reach=loop"),
    inputs=_x,
    mutates=("input 0",),
)
class InputInPlaceLoop(torch.nn.Module):
    def forward(self, x):
        for _ in range(3):
            x.mul_(2)
        return x + 1


@behaviour(
    id="input.view_out",
    description="forward writes into a view of its input through out=: torch.mul(y, 2, out=x[:2])",
    tags=("state=input-view", "change=out", "reach=direct"),
    inputs=lambda: (torch.randn(4), torch.randn(2)),
    mutates=("input 0",),
    dynamic_dims=(0, None),
)
class InputViewOut(torch.nn.Module):
    def forward(self, x, y):
        torch.mul(y, 2, out=x[:2])
        return x.sum()
