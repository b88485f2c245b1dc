"""Mutation inside library code users rely on: BatchNorm running statistics,
a KV-cache written the way attention code writes it."""

import torch

from exportmatrix_suite import behaviour


@behaviour(
    id="batchnorm.train",
    description="BatchNorm1d in train mode updates running_mean, running_var and num_batches_tracked",
    tags=("state=buffer", "change=in-place", "reach=submodule", "library", "running-stats"),
    inputs=lambda: (torch.randn(8, 4),),
    mutates=("buffer bn.running_mean", "buffer bn.running_var", "buffer bn.num_batches_tracked"),
)
class BatchNormTrain(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.bn = torch.nn.BatchNorm1d(4)

    def forward(self, x):
        return self.bn(x)


@behaviour(
    id="batchnorm.eval",
    description="BatchNorm1d in eval mode: reads its running statistics, changes nothing",
    tags=("state=buffer", "change=none", "reach=submodule", "library", "running-stats"),
    inputs=lambda: (torch.randn(8, 4),),
)
class BatchNormEval(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.bn = torch.nn.BatchNorm1d(4)
        self.bn.running_mean.fill_(0.5)
        self.eval()

    def forward(self, x):
        return self.bn(x)


@behaviour(
    id="kv_cache.index_put",
    description="a KV-cache buffer written at a tensor position: cache[:, pos] = k",
    tags=("state=buffer", "change=index-assign", "reach=direct", "kv-cache"),
    inputs=lambda: (torch.randn(1, 1, 4), torch.tensor([2])),
    mutates=("buffer cache",),
)
class KVCacheUpdate(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("cache", torch.zeros(1, 8, 4))

    def forward(self, k, pos):
        self.cache[:, pos] = k
        return self.cache.sum(dim=1)
