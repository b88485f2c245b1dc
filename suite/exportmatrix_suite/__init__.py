"""exportmatrix's mutation suite, run inside each torch environment.

A behaviour file needs one import besides torch:

    from exportmatrix_suite import behaviour

Importing this package does not import torch: the classification rule
(exportmatrix_suite.classify) and the declarations (exportmatrix_suite.declare)
can be used and tested where torch is not installed.

    classify      the rule that classifies a cell (torch-free; pasted into every reproducer)
    declare       @behaviour and the Behaviour it declares
    behaviours/   the catalogue of behaviours
    cases         case files: a user's files of behaviours, loaded whole or not at all
    exporters     the capture entry points, with their per-release adapters
    plugin        the pytest plugin: options, the stream, crash resume, reuse by key
    recorder      the stream of JSON lines (the line format)
    keys          what produced a cell, as a key a rerun can reuse
    probe         what is really installed
    reproducer    a standalone reproducer for one cell
    upstream/     PyTorch's seed test file, run as written
"""

from exportmatrix_suite.classify import OUTCOMES, BehaviourBroken, observe
from exportmatrix_suite.declare import REGISTRY, Behaviour, behaviour

__all__ = ["OUTCOMES", "REGISTRY", "Behaviour", "BehaviourBroken", "behaviour", "observe"]
