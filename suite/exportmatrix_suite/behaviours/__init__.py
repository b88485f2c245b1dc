"""The catalogue: every behaviour of the suite. Import a case module here to add its cases."""

from exportmatrix_suite.behaviours import (  # noqa: F401  (importing a module registers its behaviours)
    buffers,
    control_flow,
    globals_and_closures,
    inputs,
    library_modules,
    model_patterns,
    module_attributes,
    parameters,
    plain_attributes,
    reported_upstream,
)
from exportmatrix_suite.declare import REGISTRY

BEHAVIOURS = REGISTRY  # the same list: behaviours loaded later (--exportmatrix-behaviours) join it

_UNKNOWN = [(b.id, r.id) for b in REGISTRY for r in b.rewrites if r.id not in {known.id for known in REGISTRY}]
if _UNKNOWN:  # the catalogue's rewrites name its own behaviours (whether each is equivalent: rewrites.py)
    raise ValueError(
        "; ".join("behaviour %r names rewrite %r, which the catalogue does not declare" % u for u in _UNKNOWN)
    )

__all__ = ["BEHAVIOURS"]
