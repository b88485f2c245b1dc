"""The patterns users report upstream: each behaviour is the smallest module
that does what an upstream thread shows (its `upstream=` refs; each has a
[[link]] in upstream/known.toml saying what the thread says)."""

import torch
import torch.nn.functional as F
from torch.nn.utils import parametrize

from exportmatrix_suite import behaviour


def _x() -> tuple:
    return (torch.randn(4),)


def _ones() -> tuple:
    return (torch.ones(4),)


# -- buffers -------------------------------------------------------------------


@behaviour(
    id="buffer.augmented_assign",
    description="forward updates a buffer with augmented assignment: self.buf += x (not add_)",
    tags=("state=buffer", "change=augmented-assign", "reach=direct"),
    inputs=_x,
    mutates=("buffer buf",),
    upstream=("pytorch/pytorch#111676",),
    rewrites=("buffer.add_",),
)
class BufferAugmentedAssign(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("buf", torch.zeros(4))

    def forward(self, x):
        self.buf += x
        return x * 2 + self.buf


@behaviour(
    id="buffer.to_same_dtype_then_in_place",
    description="forward converts a buffer to its own dtype with .to(), which returns the buffer itself, "
    "and updates the result in place: self.buf.to(torch.float32).add_(x)",
    tags=("state=buffer", "change=in-place", "reach=alias", "dtype"),
    inputs=_x,
    mutates=("buffer buf",),
    upstream=("pytorch/pytorch#131679",),
    rewrites=("buffer.add_",),
)
class BufferToSameDtypeInPlace(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("buf", torch.zeros(4))

    def forward(self, x):
        converted = self.buf.to(torch.float32)  # the same tensor: its dtype already is float32
        converted.add_(x)
        return x * 2 + self.buf


def _channels() -> tuple:
    return (torch.randn(2, 3, 4),)


@behaviour(
    id="buffer.functional_norm_stats",
    description="forward passes running statistics kept as buffers to F.instance_norm(use_input_stats=True), "
    "which updates them in place inside the functional op",
    tags=("state=buffer", "change=functional-op", "reach=direct", "running-stats"),
    inputs=_channels,
    mutates=("buffer running_mean", "buffer running_var"),
    upstream=("pytorch/pytorch#197096",),
)
class FunctionalNormStats(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("running_mean", torch.zeros(3))
        self.register_buffer("running_var", torch.ones(3))

    def forward(self, x):
        return F.instance_norm(x, self.running_mean, self.running_var, use_input_stats=True, momentum=0.1)


_CUSTOM_OPS: dict = {}  # the custom op, made on first use (the releases without custom_op never make it)


def _accumulate():
    """exportmatrix::accumulate(buf, x): buf += x, declared with mutates_args."""
    if "accumulate" not in _CUSTOM_OPS:

        @torch.library.custom_op("exportmatrix::accumulate", mutates_args=("buf",))
        def accumulate(buf: torch.Tensor, x: torch.Tensor) -> None:
            buf.add_(x)

        @accumulate.register_fake
        def _(buf, x):
            return None

        _CUSTOM_OPS["accumulate"] = accumulate
    return _CUSTOM_OPS["accumulate"]


def _no_custom_op():
    if hasattr(torch.library, "custom_op"):
        return None
    return "torch.library.custom_op does not exist in this release (it arrived in 2.4)"


@behaviour(
    id="buffer.custom_op_mutates",
    description="forward updates a buffer through a custom op declared with "
    "torch.library.custom_op(..., mutates_args=('buf',))",
    tags=("state=buffer", "change=custom-op", "reach=direct"),
    inputs=_x,
    mutates=("buffer buf",),
    unavailable=_no_custom_op,
    upstream=("pytorch/pytorch#129372",),
    rewrites=("buffer.add_",),
)
class BufferCustomOp(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("buf", torch.zeros(4))
        _accumulate()  # registers torch.ops.exportmatrix.accumulate

    def forward(self, x):
        torch.ops.exportmatrix.accumulate(self.buf, x)
        return x * 2 + self.buf


class _CountingDouble(torch.nn.Module):
    """A parametrization that keeps state: it counts its evaluations."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("evaluations", torch.zeros(()))

    def forward(self, weight):
        self.evaluations.add_(1)
        return weight * 2


@behaviour(
    id="buffer.parametrization_state",
    description="a weight under torch.nn.utils.parametrize whose parametrization counts its evaluations "
    "in a buffer, read twice under parametrize.cached() (evaluated once per call)",
    tags=("state=buffer", "change=in-place", "reach=parametrization", "counting-hook", "cache"),
    inputs=_x,
    mutates=("buffer lin.parametrizations.weight.0.evaluations",),
    upstream=("pytorch/pytorch#124524", "pytorch/pytorch#167645"),
)
class ParametrizationState(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = torch.nn.Linear(4, 4)
        parametrize.register_parametrization(self.lin, "weight", _CountingDouble())

    def forward(self, x):
        with parametrize.cached():
            return self.lin(x) + self.lin(x * 2)


class _Accumulator(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("total", torch.zeros(4))

    def forward(self, x):
        self.total.add_(x)
        return x + self.total


@behaviour(
    id="buffer.functional_call_writes_back",
    description="forward runs a submodule through torch.func.functional_call with a buffer of its own "
    "passed in for the submodule's buffer; the submodule's in-place update writes into the passed buffer",
    tags=("state=buffer", "change=in-place", "reach=functional-call"),
    inputs=_x,
    mutates=("buffer shadow",),
    upstream=("pytorch/pytorch#77133",),
)
class FunctionalCallWritesBack(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inner = _Accumulator()
        self.register_buffer("shadow", torch.zeros(4))

    def forward(self, x):
        return torch.func.functional_call(self.inner, {"total": self.shadow}, (x,)) * 2


@behaviour(
    id="buffer.two_names_one_tensor",
    description="one tensor registered under two buffer names: forward updates it through one name "
    "and reads it through the other",
    tags=("state=buffer", "change=in-place", "reach=alias"),
    inputs=_x,
    mutates=("buffer first",),  # named_buffers() lists the tensor once, under its first name
    upstream=("pytorch/pytorch#122824",),
    rewrites={"buffer.add_": {"buffer first": "buffer buf"}},
)
class TwoBufferNamesOneTensor(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        shared = torch.zeros(4)
        self.register_buffer("first", shared)
        self.register_buffer("second", shared)

    def forward(self, x):
        self.first.add_(x)
        return x * 2 + self.second


class _SharedStateHalf(torch.nn.Module):
    def __init__(self, shared: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("state", shared)

    def forward(self, x):
        self.state.add_(x)
        return x + self.state


@behaviour(
    id="buffer.shared_by_submodules",
    description="two submodules hold one tensor as their own buffer (the layout torch.export.unflatten "
    "rebuilds): each updates it in place in turn and reads it back",
    tags=("state=buffer", "change=in-place", "reach=submodule", "reach=alias", "read-after-write"),
    inputs=_x,
    mutates=("buffer first.state",),  # named_buffers() lists the shared tensor once
    upstream=("pytorch/pytorch#117893",),
)
class SharedBySubmodules(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        shared = torch.zeros(4)
        self.first = _SharedStateHalf(shared)
        self.second = _SharedStateHalf(shared)

    def forward(self, x):
        return self.first(x) * self.second(x)


# -- inputs --------------------------------------------------------------------


def _one_tensor_twice() -> tuple:
    shared = torch.randn(4)
    return (shared, shared)


@behaviour(
    id="input.same_tensor_twice",
    description="the two example inputs are the same tensor: forward updates the first in place and reads the second",
    tags=("state=input", "change=in-place", "reach=alias"),
    inputs=_one_tensor_twice,
    mutates=("input 0", "input 1"),
    static_shapes_because="the two inputs must stay one tensor, and inputs of other sizes are made one by one",
)
class SameTensorTwice(torch.nn.Module):
    def forward(self, a, b):
        a.add_(1)
        return b * 2


def _x_and_dict() -> tuple:
    return (torch.randn(4), {"a": torch.randn(4)})


@behaviour(
    id="input.dict_update",
    description="forward adds entries to an input dict with dict.update",
    tags=("state=input-container", "change=container-update", "reach=direct"),
    inputs=_x_and_dict,
    mutates=("input 1",),
    upstream=("pytorch/pytorch#147213",),
)
class InputDictUpdate(torch.nn.Module):
    def forward(self, x, d):
        d.update({"c": x.sin(), "d": x.cos()})
        return x + d["a"]


# -- state outside the module ----------------------------------------------------

STEPS = torch.zeros(1)


def _reset_steps() -> None:
    STEPS.zero_()


@behaviour(
    id="global.constant_update",
    description="forward adds a constant (not the input) to a global tensor in place; non-strict capture "
    "runs such an input-independent op for real",
    tags=("state=global", "change=in-place", "reach=direct", "step-counter"),
    inputs=_x,
    mutates=("global STEPS",),
    extra_reset=_reset_steps,
    extra_state=lambda module: {"global STEPS": STEPS},
    rewrites={"buffer.non_persistent": {"global STEPS": "buffer steps"}},
)
class GlobalConstantUpdate(torch.nn.Module):
    def forward(self, x):
        STEPS.add_(1)
        return x * STEPS


# -- what the user does between the calls -----------------------------------------


def _reset_factor() -> None:
    ScaledByClassAttribute.factor = 1.0


def _raise_factor(module) -> None:
    type(module).factor = 10.0


@behaviour(
    id="class_attr.changed_between_calls",
    description="the user changes a class attribute forward reads between the two calls "
    "(ScaledByClassAttribute.factor = 10.0)",
    tags=("state=class-attribute", "change=between-calls", "reach=direct"),
    inputs=_x,
    extra_reset=_reset_factor,
    extra_state=lambda module: {"class attribute factor": type(module).factor},
    between_calls=_raise_factor,
    upstream=("pytorch/pytorch#176851", "pytorch/pytorch#124357"),
    rewrites=("buffer.filled_between_calls",),
)
class ScaledByClassAttribute(torch.nn.Module):
    factor = 1.0

    def forward(self, x):
        return x * ScaledByClassAttribute.factor


def _replace_offset(module) -> None:
    module.offset = torch.full((4,), 5.0)


@behaviour(
    id="attr.tensor_replaced_between_calls",
    description="the user replaces a plain tensor attribute forward reads between the two calls "
    "(mod.offset = torch.full((4,), 5.0))",
    tags=("state=tensor-attribute", "change=between-calls", "reach=direct"),
    inputs=_x,
    between_calls=_replace_offset,
    upstream=("pytorch/pytorch#115774", "pytorch/pytorch#111785"),
    rewrites=("buffer.copied_between_calls",),
)
class TensorReplacedBetweenCalls(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.offset = torch.ones(4)

    def forward(self, x):
        return x + self.offset


def _fill_factor(module) -> None:
    module.factor.fill_(10.0)


@behaviour(
    id="buffer.filled_between_calls",
    description="the user fills a buffer forward reads between the two calls (mod.factor.fill_(10.0))",
    tags=("state=buffer", "change=between-calls", "reach=direct"),
    inputs=_x,
    between_calls=_fill_factor,
)
class ScaledByBuffer(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("factor", torch.ones(()))

    def forward(self, x):
        return x * self.factor


def _copy_offset(module) -> None:
    module.offset.copy_(torch.full((4,), 5.0))


@behaviour(
    id="buffer.copied_between_calls",
    description="the user overwrites a buffer forward reads between the two calls "
    "(mod.offset.copy_(torch.full((4,), 5.0)))",
    tags=("state=buffer", "change=between-calls", "reach=direct"),
    inputs=_x,
    between_calls=_copy_offset,
)
class OffsetBufferCopiedBetweenCalls(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("offset", torch.ones(4))

    def forward(self, x):
        return x + self.offset


# -- a capture that fails --------------------------------------------------------

HITS = torch.zeros(1)


def _reset_hits() -> None:
    HITS.zero_()


@behaviour(
    id="global.changed_by_failed_capture",
    description="forward counts its calls in a global tensor (by a constant), then branches on a tensor's "
    "value: a capture that refuses the branch may already have counted, for real",
    tags=("state=global", "change=in-place", "reach=direct", "step-counter", "capture-fails"),
    inputs=_ones,
    mutates=("global HITS",),
    extra_reset=_reset_hits,
    extra_state=lambda module: {"global HITS": HITS},
)
class ChangedByFailedCapture(torch.nn.Module):
    def forward(self, x):
        HITS.add_(1)
        if x.sum() > 0:  # data-dependent: strict and non-strict capture refuse it
            return x * 2
        return x - 1
