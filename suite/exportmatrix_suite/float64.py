"""The float64 form of a behaviour, the reference numerics are judged against
(classify.float64_trace): the module and inputs with their float32 tensors in
float64 (a float16 buffer keeps its rounding), and random draws made as the
float32 run makes them.

Why the draws: from one seed, a float32 and a float64 tensor draw different
dropout masks (bernoulli_ fills each dtype its own way), so a float64 run left
alone compares another random draw, not the same computation at a higher
precision. Under float32_draws(), each dropout of a float64 tensor draws its
mask on a float32 tensor of the same shape, as the float32 run does, and
applies it in float64.
"""

from __future__ import annotations

import inspect
from typing import Any

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

# the dropouts whose mask is drawn on a tensor of the input's shape: (input, p, training, inplace)
DROPOUTS = tuple(getattr(F, name) for name in ("dropout", "dropout1d", "dropout2d", "dropout3d") if hasattr(F, name))


def module_to_float64(module: torch.nn.Module) -> torch.nn.Module:
    """`module` with its float32 parameters and buffers in float64, any other
    dtype left as it is. Module.to(torch.float64) would convert a float16 or
    bfloat16 buffer too and so remove the rounding the module chose; _apply is
    the function it uses, given a conversion of float32 alone (the one private
    name this file uses)."""
    return module._apply(lambda tensor: tensor.to(torch.float64) if tensor.dtype == torch.float32 else tensor)


def to_float64(value: Any) -> Any:
    """`value` with each float32 tensor in float64 (lists, tuples and dicts walked)."""
    if isinstance(value, torch.Tensor) and value.dtype == torch.float32:
        return value.detach().to(torch.float64).requires_grad_(value.requires_grad)
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(to_float64(item) for item in value)
    if isinstance(value, dict):
        return {key: to_float64(item) for key, item in value.items()}
    return value


class float32_draws(TorchFunctionMode):
    """Dropout on a float64 tensor draws its mask in float32 (see the module's docstring)."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in DROPOUTS and args and isinstance(args[0], torch.Tensor) and args[0].dtype == torch.float64:
            bound = inspect.signature(func).bind(*args, **kwargs)
            bound.apply_defaults()
            x, p, training = bound.arguments["input"], bound.arguments["p"], bound.arguments["training"]
            if not training or p == 0:
                return x
            ones = torch.ones(x.shape, dtype=torch.float32, device=x.device)
            kept = func(ones, p, training, False) != 0
            mask = kept.to(torch.float64) / (1.0 - p) if p < 1 else kept.to(torch.float64)
            return x.mul_(mask) if bound.arguments.get("inplace") else x * mask
        return func(*args, **kwargs)
