"""Two behaviours with a batch dimension, for the deploy paths and the shape
axis end to end: a running statistic kept in a buffer, and a Python counter."""

import torch
from exportmatrix_suite import behaviour


def _batch() -> tuple:
    return (torch.randn(3, 4),)


@behaviour(
    id="deploy.running_sum",
    description="forward adds the batch's column sums to a buffer: self.total.add_(x.sum(0))",
    tags=("buffer", "in-place", "batch"),
    inputs=_batch,
    mutates=("buffer total",),
)
class RunningSum(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("total", torch.zeros(4))

    def forward(self, x):
        self.total.add_(x.sum(0))
        return x + self.total


@behaviour(
    id="deploy.call_counter",
    description="forward counts its calls in a Python int and scales by it: self.calls += 1",
    tags=("attribute", "python-int", "batch"),
    inputs=_batch,
    mutates=("attribute calls",),
)
class CallCounter(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return x * self.calls
