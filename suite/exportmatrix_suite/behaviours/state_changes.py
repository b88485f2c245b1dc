"""The ways state changes (copy with conversion, out=, .data, no_grad,
register/del, indexed assignment, lazy creation, data-dependent updates) over
where it lives: buffers, parameters, plain attributes, state outside the module,
and the user's inputs."""

import torch

from exportmatrix_suite import behaviour


def _x() -> tuple:
    return (torch.randn(4),)


# -- buffers -------------------------------------------------------------------


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


# -- parameters ----------------------------------------------------------------


@behaviour(
    id="param.data_update",
    description="forward updates a weight through .data (the old optimizer idiom): self.w.data.add_(x.mean())",
    tags=("state=parameter", "change=data", "reach=direct"),
    inputs=_x,
    mutates=("parameter w",),
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


# -- plain attributes ----------------------------------------------------------


@behaviour(
    id="attr.tensor_copy_",
    description="forward overwrites a plain tensor attribute in place: self.scratch.copy_(x)",
    tags=("state=tensor-attribute", "change=copy", "reach=direct"),
    inputs=_x,
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
    inputs=_x,
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
    inputs=_x,
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
    inputs=_x,
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


# -- state outside the module --------------------------------------------------

LOG = []  # a module-level registry of calls
GLOBAL_T = torch.zeros(4)


def _reset_log() -> None:
    LOG.clear()


@behaviour(
    id="global.list_append",
    description="forward appends to a module-level list (a call log): LOG.append(len(LOG))",
    tags=("state=global", "change=container-update", "reach=direct"),
    inputs=_x,
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
    inputs=_x,
    mutates=("global GLOBAL_T",),
    extra_reset=_reset_global_t,
    extra_state=lambda module: {"global GLOBAL_T": GLOBAL_T},
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
    inputs=_x,
    mutates=("class attribute shared",),
    extra_reset=_reset_class_tensor,
    extra_state=lambda module: {"class attribute shared": type(module).shared},
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
    inputs=_x,
    mutates=("closure acc",),
    extra_state=lambda module: {"closure acc": module.read_acc()},
)
class ClosureTensorInPlace(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.accumulate, self.read_acc = _make_accumulator()

    def forward(self, x):
        return x * 2 + self.accumulate(x)


# -- inputs --------------------------------------------------------------------


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
