"""Real-model mutation patterns: KV caches, EMAs, running statistics, step
counters, hooks that count or record, caches of computed tensors, stateful
RNN carries, aliased buffers and tied weights. Each is the pattern cut down to
a tiny module."""

import torch

from exportmatrix_suite import behaviour


def _x() -> tuple:
    return (torch.randn(4),)


# -- KV caches -----------------------------------------------------------------


@behaviour(
    id="kv_cache.index_copy",
    description="a KV-cache buffer written at a tensor position: self.cache.index_copy_(0, pos, k)",
    tags=("state=buffer", "change=in-place", "reach=direct", "kv-cache"),
    inputs=lambda: (torch.randn(1, 4), torch.tensor([2])),
    mutates=("buffer cache",),
)
class KVCacheIndexCopy(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("cache", torch.zeros(8, 4))

    def forward(self, k, pos):
        self.cache.index_copy_(0, pos, k)
        return self.cache.sum(dim=0)


@behaviour(
    id="kv_cache.python_position",
    description="a KV-cache buffer written at a Python int position: self.k[self.pos] = x; self.pos += 1",
    tags=("state=buffer", "change=index-assign", "reach=direct", "kv-cache"),
    inputs=_x,
    mutates=("buffer k", "attribute pos"),
    rewrites=("kv_cache.tensor_position",),
)
class KVCachePythonPosition(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("k", torch.zeros(8, 4))
        self.pos = 0

    def forward(self, x):
        self.k[self.pos] = x
        self.pos += 1
        return self.k.sum(dim=0)


@behaviour(
    id="kv_cache.list_of_layers",
    description="per-layer caches in a plain list attribute (not buffers): for each layer, self.caches[i].add_(x)",
    tags=("state=container-attribute", "change=in-place", "reach=container-element", "reach=loop", "kv-cache"),
    inputs=_x,
    mutates=("attribute caches",),
    rewrites=("kv_cache.stacked_layers",),
)
class KVCacheListOfLayers(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.caches = [torch.zeros(4) for _ in range(2)]

    def forward(self, x):
        for i in range(len(self.caches)):
            self.caches[i].add_(x * (i + 1))
            x = x + self.caches[i]
        return x


@behaviour(
    id="kv_cache.dict_grows",
    description="a cache dict whose entry grows every call: self.cache['k'] = torch.cat([self.cache['k'], x[None]])",
    tags=("state=container-attribute", "change=container-update", "reach=container-element", "kv-cache", "cache"),
    inputs=_x,
    mutates=("attribute cache",),
)
class KVCacheDictGrows(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.cache = {"k": torch.zeros(0, 4)}

    def forward(self, x):
        self.cache["k"] = torch.cat([self.cache["k"], x[None]])
        return self.cache["k"].sum(dim=0)


@behaviour(
    id="kv_cache.tensor_position",
    description="a KV-cache buffer written at a position kept in an int64 buffer: "
    "self.k.index_copy_(0, self.pos, x[None]); self.pos.add_(1)",
    tags=("state=buffer", "change=in-place", "reach=direct", "kv-cache"),
    inputs=_x,
    mutates=("buffer k", "buffer pos"),
)
class KVCacheTensorPosition(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("k", torch.zeros(8, 4))
        self.register_buffer("pos", torch.zeros(1, dtype=torch.int64))

    def forward(self, x):
        self.k.index_copy_(0, self.pos, x[None])
        self.pos.add_(1)
        return self.k.sum(dim=0)


@behaviour(
    id="kv_cache.stacked_layers",
    description="per-layer caches as rows of one buffer: for each layer, self.caches[i].add_(x)",
    tags=("state=buffer", "change=in-place", "reach=loop", "kv-cache"),
    inputs=_x,
    mutates=("buffer caches",),
)
class KVCacheStackedLayers(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("caches", torch.zeros(2, 4))

    def forward(self, x):
        for i in range(self.caches.shape[0]):
            self.caches[i].add_(x * (i + 1))
            x = x + self.caches[i]
        return x


# -- exponential moving averages -------------------------------------------------


@behaviour(
    id="ema.buffer",
    description="an EMA buffer updated in place: self.avg.mul_(0.9).add_(0.1 * x)",
    tags=("state=buffer", "change=in-place", "reach=direct", "ema"),
    inputs=_x,
    mutates=("buffer avg",),
)
class EmaBuffer(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("avg", torch.zeros(4))

    def forward(self, x):
        self.avg.mul_(0.9).add_(0.1 * x)
        return x - self.avg


@behaviour(
    id="ema.shadow_params",
    description=(
        "EMA shadow buffers of a Linear's parameters, in a loop under no_grad: "
        "for p, s in zip(params, shadows): s.mul_(0.9).add_(p, alpha=0.1)"
    ),
    tags=("state=buffer", "change=no-grad", "reach=loop", "ema"),
    inputs=_x,
    mutates=("buffer shadow_weight", "buffer shadow_bias"),
)
class EmaShadowParams(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = torch.nn.Linear(4, 2)
        self.register_buffer("shadow_weight", torch.zeros(2, 4))
        self.register_buffer("shadow_bias", torch.zeros(2))

    def forward(self, x):
        y = self.net(x)
        with torch.no_grad():
            for p, s in zip((self.net.weight, self.net.bias), (self.shadow_weight, self.shadow_bias)):
                s.mul_(0.9).add_(p, alpha=0.1)
        return y


# -- running statistics --------------------------------------------------------


@behaviour(
    id="running_stats.welford",
    description="a helper method updates count and mean buffers in place: self._update(x) (Welford's running mean)",
    tags=("state=buffer", "change=in-place", "reach=helper-method", "running-stats"),
    inputs=_x,
    mutates=("buffer count", "buffer mean"),
)
class RunningStatsWelford(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("count", torch.zeros(()))
        self.register_buffer("mean", torch.zeros(4))

    def _update(self, x):
        self.count.add_(1)
        self.mean.add_((x - self.mean) / self.count)

    def forward(self, x):
        self._update(x)
        return x - self.mean


@behaviour(
    id="running_stats.training_only",
    description="if self.training: self.running_mean.mul_(0.9).add_(0.1 * x) (the module is in training mode)",
    tags=("state=buffer", "change=in-place", "reach=python-if", "running-stats"),
    inputs=_x,
    mutates=("buffer running_mean",),
)
class RunningStatsTrainingOnly(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("running_mean", torch.zeros(4))

    def forward(self, x):
        if self.training:
            self.running_mean.mul_(0.9).add_(0.1 * x)
        return x - self.running_mean


# -- step counters ---------------------------------------------------------------


@behaviour(
    id="step_counter.int64_buffer",
    description="an int64 step buffer incremented in place and used: self.step += 1; return x * self.step",
    tags=("state=buffer", "change=in-place", "reach=direct", "step-counter"),
    inputs=_x,
    mutates=("buffer step",),
    rewrites=("step_counter.int64_step_add_",),
)
class StepCounterInt64Buffer(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("step", torch.zeros((), dtype=torch.int64))

    def forward(self, x):
        self.step += 1
        return x * self.step


@behaviour(
    id="step_counter.warmup_branch",
    description=(
        "a Python int step picks the branch: if self.step < 1: y = x * 2 else: y = x + 1; "
        "self.step += 1 (call 1 and call 2 compute different things)"
    ),
    tags=("state=scalar-attribute", "change=rebind", "reach=python-if", "step-counter"),
    inputs=_x,
    mutates=("attribute step",),
    rewrites=("step_counter.where_branch",),
)
class StepCounterWarmupBranch(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.step = 0

    def forward(self, x):
        if self.step < 1:
            y = x * 2
        else:
            y = x + 1
        self.step += 1
        return y


@behaviour(
    id="step_counter.int64_step_add_",
    description="an int64 step buffer incremented with add_ (not +=) and used: self.step.add_(1); return x * self.step",
    tags=("state=buffer", "change=in-place", "reach=direct", "step-counter"),
    inputs=_x,
    mutates=("buffer step",),
)
class StepCounterInt64BufferAdd(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("step", torch.zeros((), dtype=torch.int64))

    def forward(self, x):
        self.step.add_(1)
        return x * self.step


@behaviour(
    id="step_counter.int64_add_",
    description="an int64 step buffer incremented with add_ and used: self.calls.add_(1); return x + self.calls",
    tags=("state=buffer", "change=in-place", "reach=direct", "step-counter"),
    inputs=_x,
    mutates=("buffer calls",),
)
class StepCounterInt64Add(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("calls", torch.zeros((), dtype=torch.int64))

    def forward(self, x):
        self.calls.add_(1)
        return x + self.calls


@behaviour(
    id="step_counter.where_branch",
    description="an int64 step buffer picks the result with torch.where: "
    "y = torch.where(self.step < 1, x * 2, x + 1); self.step.add_(1)",
    tags=("state=buffer", "change=in-place", "reach=direct", "step-counter"),
    inputs=_x,
    mutates=("buffer step",),
)
class StepCounterWhereBranch(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("step", torch.zeros((), dtype=torch.int64))

    def forward(self, x):
        y = torch.where(self.step < 1, x * 2, x + 1)
        self.step.add_(1)
        return y


# -- hooks that count or record ----------------------------------------------------


def _count_calls_in_buffer(module, args):
    module.calls.add_(1)


@behaviour(
    id="hook.pre_counts_calls",
    description="a forward pre-hook registered in __init__ counts calls in a buffer: module.calls.add_(1)",
    tags=("state=buffer", "change=in-place", "reach=pre-hook", "counting-hook"),
    inputs=_x,
    mutates=("buffer calls",),
)
class PreHookCountsCalls(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("calls", torch.zeros(()))
        self.register_forward_pre_hook(_count_calls_in_buffer)

    def forward(self, x):
        return x * 2 + self.calls


def _count_calls_in_int(module, args):
    module.calls += 1


@behaviour(
    id="hook.pre_counts_python",
    description="a forward pre-hook registered in __init__ counts calls in a Python int: module.calls += 1",
    tags=("state=scalar-attribute", "change=rebind", "reach=pre-hook", "counting-hook"),
    inputs=_x,
    mutates=("attribute calls",),
)
class PreHookCountsPython(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.register_forward_pre_hook(_count_calls_in_int)

    def forward(self, x):
        return x * 2


def _record_output(module, args, output):
    module.last_output = output.detach() * 1


@behaviour(
    id="hook.forward_records_output",
    description="a forward hook stores the output on the module: module.last_output = output.detach() * 1",
    tags=("state=tensor-attribute", "change=rebind", "reach=forward-hook", "counting-hook"),
    inputs=_x,
    mutates=("attribute last_output",),
)
class ForwardHookRecordsOutput(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.last_output = torch.zeros(4)
        self.register_forward_hook(_record_output)

    def forward(self, x):
        return x * 2


def _append_output(module, args, output):
    module.outputs.append(output.detach().clone())


@behaviour(
    id="hook.forward_appends",
    description="a forward hook appends each output to a list: module.outputs.append(output.detach().clone())",
    tags=("state=container-attribute", "change=container-update", "reach=forward-hook", "counting-hook"),
    inputs=_x,
    mutates=("attribute outputs",),
)
class ForwardHookAppends(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.outputs = []
        self.register_forward_hook(_append_output)

    def forward(self, x):
        return x * 2


class _Double(torch.nn.Module):
    def forward(self, x):
        return x * 2


@behaviour(
    id="hook.submodule_forward_hook",
    description="a forward hook on a child module updates the parent's buffer: self.seen.add_(output.detach())",
    tags=("state=buffer", "change=in-place", "reach=forward-hook", "reach=submodule", "counting-hook"),
    inputs=_x,
    mutates=("buffer seen",),
)
class SubmoduleForwardHook(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("seen", torch.zeros(4))
        self.child = _Double()
        self.child.register_forward_hook(self._record)

    def _record(self, module, args, output):
        self.seen.add_(output.detach())

    def forward(self, x):
        return self.child(x) + 1


# -- caches of computed tensors ------------------------------------------------------


@behaviour(
    id="cache.memo_once",
    description="a tensor computed on the first call and kept: if self.cached is None: self.cached = x * 2",
    tags=("state=tensor-attribute", "change=rebind", "reach=python-if", "cache"),
    inputs=_x,
    mutates=("attribute cached",),
)
class CacheMemoOnce(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.cached = None

    def forward(self, x):
        if self.cached is None:
            self.cached = x * 2
        return x + self.cached


# -- plain tensor attributes (the forgotten register_buffer) ---------------------------


@behaviour(
    id="attr.tensor_in_place",
    description="a plain (unregistered) tensor attribute updated in place: self.acc.add_(x)",
    tags=("state=tensor-attribute", "change=in-place", "reach=direct"),
    inputs=_x,
    mutates=("attribute acc",),
    rewrites={"buffer.helper_method": {"attribute acc": "buffer total"}},
)
class TensorAttributeInPlace(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.acc = torch.zeros(4)

    def forward(self, x):
        self.acc.add_(x)
        return x + self.acc


@behaviour(
    id="attr.tensor_index_assign",
    description="a plain (unregistered) tensor attribute assigned at an index: self.table[0] = x.sum()",
    tags=("state=tensor-attribute", "change=index-assign", "reach=direct"),
    inputs=_x,
    mutates=("attribute table",),
    rewrites=("buffer.index_set",),
)
class TensorAttributeIndexAssign(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.table = torch.zeros(4)

    def forward(self, x):
        self.table[0] = x.sum()
        return x + self.table


# -- stateful RNN carry ----------------------------------------------------------------


@behaviour(
    id="rnn.hidden_tuple_carry",
    description="a stateful RNN carry: h, c = self.state; ...; self.state = (h, c), a new tuple of tensors each call",
    tags=("state=container-attribute", "change=rebind", "reach=direct"),
    inputs=_x,
    mutates=("attribute state",),
    rewrites=("rnn.hidden_buffer_copy_",),
)
class RnnHiddenTupleCarry(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.state = (torch.zeros(4), torch.zeros(4))

    def forward(self, x):
        h, c = self.state
        c = 0.5 * c + torch.tanh(x + h)
        h = torch.tanh(c)
        self.state = (h, c)
        return h


@behaviour(
    id="rnn.hidden_buffer_copy_",
    description="a stateful RNN carry kept in one buffer (row 0: h, row 1: c), overwritten with copy_ each call",
    tags=("state=buffer", "change=copy", "reach=direct"),
    inputs=_x,
    mutates=("buffer state",),
)
class RnnHiddenBufferCopy(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("state", torch.zeros(2, 4))

    def forward(self, x):
        c = 0.5 * self.state[1] + torch.tanh(x + self.state[0])
        h = torch.tanh(c)
        self.state.copy_(torch.stack([h, c]))
        return h


# -- buffers reached by a helper or an alias, tied parameters --------------------------


@behaviour(
    id="buffer.helper_method",
    description="a helper method forward calls updates a buffer in place: self._accumulate(x)",
    tags=("state=buffer", "change=in-place", "reach=helper-method"),
    inputs=_x,
    mutates=("buffer total",),
)
class BufferHelperMethod(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("total", torch.zeros(4))

    def _accumulate(self, x):
        self.total.add_(x)

    def forward(self, x):
        self._accumulate(x)
        return x + self.total


@behaviour(
    id="buffer.alias_view",
    description=(
        "a view of a buffer kept as a plain attribute (self.window = self.buf[:2], remade when the module "
        "moves) is updated in place: self.window.add_(x[:2])"
    ),
    tags=("state=buffer", "change=in-place", "reach=alias"),
    inputs=_x,
    mutates=("buffer buf", "attribute window"),
)
class BufferAliasView(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("buf", torch.zeros(4))
        self.window = self.buf[:2]

    def _apply(self, *args, **kwargs):
        moved = super()._apply(*args, **kwargs)
        self.window = self.buf[:2]  # .to() moves the buffer, not the plain attribute
        return moved

    def forward(self, x):
        self.window.add_(x[:2])
        return x + self.buf


@behaviour(
    id="param.tied_weights",
    description=(
        "an LM head tied to the embedding (self.head.weight = self.embed.weight), "
        "scaled under no_grad through the head's name before use: self.head.weight.mul_(0.5)"
    ),
    tags=("state=parameter", "change=no-grad", "reach=alias", "reach=submodule"),
    inputs=lambda: (torch.tensor([0, 2, 3]),),
    mutates=("parameter embed.weight",),
)
class TiedWeights(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = torch.nn.Embedding(4, 2)
        self.head = torch.nn.Linear(2, 4, bias=False)
        self.head.weight = self.embed.weight

    def forward(self, tokens):
        with torch.no_grad():
            self.head.weight.mul_(0.5)
        return self.head(self.embed(tokens))
