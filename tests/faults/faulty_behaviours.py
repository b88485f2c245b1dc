"""Behaviours that break the process on purpose, loaded into the real suite
with --exportmatrix-behaviours by the fault tests."""

import ctypes
import time

import torch
from exportmatrix_suite import behaviour


@behaviour(
    id="fault.segfault",
    description="forward dereferences a null pointer: the interpreter dies with SIGSEGV",
    tags=("fault",),
    inputs=lambda: (torch.randn(2),),
)
class Segfault(torch.nn.Module):
    def forward(self, x):
        ctypes.string_at(0)
        return x


@behaviour(
    id="fault.hang",
    description="forward never returns",
    tags=("fault",),
    inputs=lambda: (torch.randn(2),),
)
class Hang(torch.nn.Module):
    def forward(self, x):
        while True:
            time.sleep(1)
