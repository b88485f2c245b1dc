"""A model author's case file: the state a small decoder keeps, one
behaviour per kind of mutation, and the whole block at once.

Run it against the matrix's releases with
    nox -s matrix -- --behaviours examples/model-author/model_cases.py --only-cases
"""

import torch
from exportmatrix_suite import behaviour

DIM = 8
MAX_LEN = 6


def _token() -> tuple:
    """One token's hidden state and the position it is written at."""
    return (torch.randn(1, DIM), torch.tensor([2]))


def _batch() -> tuple:
    return (torch.randn(4, DIM),)


class KVCache(torch.nn.Module):
    """Keys and values of the tokens seen so far, written at a tensor position."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("k_cache", torch.zeros(MAX_LEN, DIM))
        self.register_buffer("v_cache", torch.zeros(MAX_LEN, DIM))
        self.k = torch.nn.Linear(DIM, DIM)
        self.v = torch.nn.Linear(DIM, DIM)
        self.q = torch.nn.Linear(DIM, DIM)

    def forward(self, x, pos):
        self.k_cache.index_copy_(0, pos, self.k(x))
        self.v_cache.index_copy_(0, pos, self.v(x))
        scores = self.q(x) @ self.k_cache.t() / DIM**0.5
        return torch.softmax(scores, dim=-1) @ self.v_cache


@behaviour(
    id="model.kv_cache",
    description="attention writes this token's key and value into cache buffers at a tensor position (index_copy_)",
    tags=("model", "buffer", "in-place"),
    inputs=_token,
    mutates=("buffer k_cache", "buffer v_cache"),
)
class KVCacheAttention(KVCache):
    pass


@behaviour(
    id="model.step_counter",
    description="forward counts its calls in a plain int attribute and scales the output by it",
    tags=("model", "attribute"),
    inputs=_batch,
    mutates=("attribute step",),
)
class StepCounter(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.step = 0
        self.proj = torch.nn.Linear(DIM, DIM)

    def forward(self, x):
        self.step += 1
        return self.proj(x) * self.step


@behaviour(
    id="model.batchnorm_train",
    description="BatchNorm1d in train mode updates its running statistics and batch count",
    tags=("model", "buffer", "library"),
    inputs=_batch,
    mutates=("buffer norm.running_mean", "buffer norm.running_var", "buffer norm.num_batches_tracked"),
)
class NormInTraining(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.proj = torch.nn.Linear(DIM, DIM)
        self.norm = torch.nn.BatchNorm1d(DIM)

    def forward(self, x):
        return self.norm(self.proj(x))


@behaviour(
    id="model.ema",
    description="forward keeps an exponential moving average of a weight in a buffer, under torch.no_grad()",
    tags=("model", "buffer", "in-place", "no_grad"),
    inputs=_batch,
    mutates=("buffer ema",),
)
class WeightEMA(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.proj = torch.nn.Linear(DIM, DIM)
        self.register_buffer("ema", torch.zeros(DIM, DIM))

    def forward(self, x):
        with torch.no_grad():
            self.ema.mul_(0.9).add_(self.proj.weight, alpha=0.1)
        return self.proj(x)


@behaviour(
    id="model.decoder_block",
    description="a whole decoder block: KV cache at a position, step counter, BatchNorm in train mode, EMA",
    tags=("model", "buffer", "attribute", "in-place"),
    inputs=_token,
    mutates=(
        "buffer attention.k_cache",
        "buffer attention.v_cache",
        "attribute step",
        "buffer norm.running_mean",
        "buffer norm.running_var",
        "buffer norm.num_batches_tracked",
        "buffer ema",
    ),
)
class DecoderBlock(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.attention = KVCache()
        self.norm = torch.nn.BatchNorm1d(DIM)
        self.mlp = torch.nn.Linear(DIM, DIM)
        self.register_buffer("ema", torch.zeros(DIM, DIM))
        self.step = 0

    def forward(self, x, pos):
        self.step += 1
        h = x + self.attention(x, pos)
        h = h + self.mlp(self.norm(torch.cat([h, h * self.step])))[:1]
        with torch.no_grad():
            self.ema.mul_(0.9).add_(self.mlp.weight, alpha=0.1)
        return h
