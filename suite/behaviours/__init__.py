"""Every behaviour of the suite. Import a case module here to add its cases."""

from behaviours import module_attributes  # noqa: F401
from behaviours.registry import REGISTRY, Behaviour

BEHAVIOURS = list(REGISTRY)

__all__ = ["BEHAVIOURS", "Behaviour"]
