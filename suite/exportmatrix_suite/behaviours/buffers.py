"""Buffers: in-place updates, reassignment, registration in forward, aliasing,
copy with conversion, out=, .data, no_grad, deletion."""

import torch

from exportmatrix_suite import behaviour


def _x() -> tuple:
    return (torch.randn(4),)


@behaviour(
    id="buffer.add_",
    description="forward updates a buffer in place: self.buf.add_(x)",
    tags=("state=buffer", "change=in-place", "reach=direct"),
    inputs=_x,
    mutates=("buffer buf",),
)
class BufferAddInPlace(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("buf", torch.zeros(4))

    def forward(self, x):
        self.buf.add_(x)
        return x * 2 + self.buf


@behaviour(
    id="buffer.copy_",
    description="forward overwrites a buffer in place: self.buf.copy_(x * 3)",
    tags=("state=buffer", "change=copy", "reach=direct"),
    inputs=_x,
    mutates=("buffer buf",),
)
class BufferCopyInPlace(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("buf", torch.zeros(4))

    def forward(self, x):
        self.buf.copy_(self.buf + x * 3)
        return x.sum() + self.buf.sum()


@behaviour(
    id="buffer.index_assign",
    description="forward assigns into part of a buffer: self.buf[0] = self.buf[0] + x.sum()",
    tags=("state=buffer", "change=index-assign", "reach=direct"),
    inputs=_x,
    mutates=("buffer buf",),
)
class BufferIndexAssign(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("buf", torch.zeros(4))

    def forward(self, x):
        self.buf[0] = self.buf[0] + x.sum()
        return x + self.buf


@behaviour(
    id="buffer.reassign",
    description="forward rebinds a buffer to a new tensor: self.buf = self.buf + 1",
    tags=("state=buffer", "change=rebind", "reach=direct"),
    inputs=_x,
    mutates=("buffer buf",),
)
class BufferReassigned(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("buf", torch.zeros(4))

    def forward(self, x):
        self.buf = self.buf + 1
        return x + self.buf


@behaviour(
    id="buffer.register_in_forward",
    description="forward registers a new buffer the first time it runs",
    tags=("state=buffer", "change=register", "reach=direct"),
    inputs=_x,
    mutates=("buffer late",),
    rewrites=("buffer.registered_in_init",),
)
class BufferRegisteredInForward(torch.nn.Module):
    def forward(self, x):
        if not hasattr(self, "late"):
            self.register_buffer("late", torch.ones(4))
        return x + self.late


@behaviour(
    id="buffer.non_persistent",
    description="forward updates a non-persistent buffer (not in state_dict) in place",
    tags=("state=buffer", "change=in-place", "reach=direct", "non-persistent", "step-counter"),
    inputs=_x,
    mutates=("buffer steps",),
)
class NonPersistentBuffer(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("steps", torch.zeros(1), persistent=False)

    def forward(self, x):
        self.steps.add_(1)
        return x * self.steps


class _Inner(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("count", torch.zeros(4))

    def forward(self, x):
        self.count.add_(1)
        return x + self.count


@behaviour(
    id="buffer.in_submodule",
    description="a submodule's forward updates its own buffer in place",
    tags=("state=buffer", "change=in-place", "reach=submodule"),
    inputs=_x,
    mutates=("buffer inner.count",),
)
class SubmoduleBuffer(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inner = _Inner()

    def forward(self, x):
        return self.inner(x) * 2


@behaviour(
    id="buffer.mutated_and_returned",
    description="forward updates a buffer in place and returns it (the output aliases the buffer)",
    tags=("state=buffer", "change=in-place", "reach=direct", "returned"),
    inputs=_x,
    mutates=("buffer buf",),
)
class BufferReturned(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("buf", torch.zeros(4))

    def forward(self, x):
        self.buf.add_(x)
        return self.buf


@behaviour(
    id="buffer.copy_convert",
    description="forward copies a float32 result into a float16 buffer: self.buf.copy_(x * 2)",
    tags=("state=buffer", "change=copy-convert", "reach=direct", "dtype"),
    inputs=_x,
    mutates=("buffer buf",),
)
class BufferCopyConvert(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("buf", torch.zeros(4, dtype=torch.float16))

    def forward(self, x):
        self.buf.copy_(x * 2)
        return x + self.buf.float()


@behaviour(
    id="buffer.out",
    description="forward writes into a buffer through out=: torch.mul(x, 2, out=self.buf)",
    tags=("state=buffer", "change=out", "reach=direct"),
    inputs=_x,
    mutates=("buffer buf",),
)
class BufferOut(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("buf", torch.zeros(4))

    def forward(self, x):
        torch.mul(x, 2, out=self.buf)
        return x + self.buf


@behaviour(
    id="buffer.data",
    description="forward updates a buffer through .data: self.buf.data.add_(x)",
    tags=("state=buffer", "change=data", "reach=direct"),
    inputs=_x,
    mutates=("buffer buf",),
    rewrites=("buffer.add_", "buffer.no_grad"),
)
class BufferData(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("buf", torch.zeros(4))

    def forward(self, x):
        self.buf.data.add_(x)
        return x * 2 + self.buf


@behaviour(
    id="buffer.no_grad",
    description="forward updates a buffer in place under torch.no_grad(): self.buf.add_(x)",
    tags=("state=buffer", "change=no-grad", "reach=direct"),
    inputs=_x,
    mutates=("buffer buf",),
)
class BufferNoGrad(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("buf", torch.zeros(4))

    def forward(self, x):
        with torch.no_grad():
            self.buf.add_(x)
        return x * 2 + self.buf


@behaviour(
    id="buffer.delete",
    description="forward reads a registered buffer, then deletes it the first time: if hasattr: del self.buf",
    tags=("state=buffer", "change=delete", "reach=direct"),
    inputs=_x,
    mutates=("buffer buf",),
)
class BufferDeleted(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("buf", torch.ones(4))

    def forward(self, x):
        if hasattr(self, "buf"):
            x = x + self.buf
            del self.buf
        return x * 2


@behaviour(
    id="buffer.constant_add_",
    description="forward adds a constant to a 0-dim buffer in place and uses it: self.total.add_(0.5); x + self.total",
    tags=("state=buffer", "change=in-place", "reach=direct"),
    inputs=_x,
    mutates=("buffer total",),
)
class BufferAddConstant(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("total", torch.zeros(()))

    def forward(self, x):
        self.total.add_(0.5)
        return x + self.total


@behaviour(
    id="buffer.index_set",
    description="forward sets one element of a buffer: self.table[0] = x.sum()",
    tags=("state=buffer", "change=index-assign", "reach=direct"),
    inputs=_x,
    mutates=("buffer table",),
)
class BufferIndexSet(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("table", torch.zeros(4))

    def forward(self, x):
        self.table[0] = x.sum()
        return x + self.table


@behaviour(
    id="buffer.registered_in_init",
    description="a buffer registered in __init__, only read in forward (buffer.register_in_forward's portable form)",
    tags=("state=buffer", "change=none", "reach=direct", "init-only"),
    inputs=_x,
)
class BufferRegisteredInInit(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("late", torch.ones(4))

    def forward(self, x):
        return x + self.late
