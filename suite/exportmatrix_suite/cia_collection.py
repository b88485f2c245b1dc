"""One saving inside torch's run_decompositions(), exact, because the suite
pays it on every export_decomposed cell (and every run_decompositions the
deploy paths make): the only place the suite changes torch's own code.

Each call collects torch's CompositeImplicitAutograd operators twice
(`torch._export.utils._collect_all_valid_cia_ops`). A collection walks every
operator namespace, and for each one first asks the dispatcher for all such
operators and getattr's each into torch.ops (`_materialize_cpp_cia_ops`),
although the first namespace's step already made them all; with some thirty
namespaces that repetition is most of a collection's time
(bench/README.md has the figures). Here a collection materialises once, then
walks the namespaces with that step a no-op. Nothing registers an operator
while a collection walks the namespaces, so it collects the same set
(tests/e2e checks it against the original on a real release); the torch
comment above the function says why torch cannot cache it *between*
collections, and this does not. A reproducer runs torch unchanged.

Private names, so only where a release has both (the environment line says
whether the suite ran with it: `cia_materialized_once`).
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any, Callable, Optional

COLLECT = "_collect_all_valid_cia_ops"
MATERIALIZE = "_materialize_cpp_cia_ops"


def _already_materialized() -> None:
    """The per-namespace step, within a collection that did it at its start."""


def materializing_once(utils: ModuleType) -> Callable[[], Any]:
    """utils' collection, materialising once at its start."""
    collect = getattr(utils, COLLECT)
    materialize = getattr(utils, MATERIALIZE)

    def collect_materializing_once() -> Any:
        materialize()
        setattr(utils, MATERIALIZE, _already_materialized)
        try:
            return collect()
        finally:
            setattr(utils, MATERIALIZE, materialize)

    collect_materializing_once.original = collect  # type: ignore[attr-defined]
    return collect_materializing_once


def materialize_once_per_collection(utils: Optional[ModuleType] = None) -> Optional[bool]:
    """Install the collection above in place of torch's, in torch._export.utils
    and in every loaded module that imported it by name; later imports take it
    from utils. True once installed (again: no change), None where the
    release has no such functions."""
    if utils is None:
        try:
            from torch._export import utils as loaded
        except ImportError:
            return None
        utils = loaded
    collect = getattr(utils, COLLECT, None)
    if collect is None or not callable(getattr(utils, MATERIALIZE, None)):
        return None
    if hasattr(collect, "original"):
        return True
    replacement = materializing_once(utils)
    for name, module in list(sys.modules.items()):
        if name.startswith("torch.") and getattr(module, COLLECT, None) is collect:
            setattr(module, COLLECT, replacement)
    setattr(utils, COLLECT, replacement)
    return True
