"""A cell's reproducers beside the full one (the record, base/compact.py): the short one."""

from exportmatrix.repro.short import MAX_LINES, short_reproducer, undecidable

__all__ = ["MAX_LINES", "short_reproducer", "undecidable"]
