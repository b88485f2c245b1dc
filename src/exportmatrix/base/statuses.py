"""The status vocabulary of an environment: whether its suite ran, and how
far. The matrix schema lists the same names; a test keeps them equal."""

from __future__ import annotations

from enum import Enum


class Status(str, Enum):
    """Exactly one per environment (DESIGN.md and docs/matrix-format.md say what each means)."""

    OK = "ok"  # the suite ran to its end, and every test of it passed
    INSTALL_FAILED = "install-failed"  # no environment: the reason is the installer's
    IMPORT_FAILED = "import-failed"  # torch does not import there
    INCOMPLETE = "incomplete"  # the suite stopped before its end line; the cells it recorded are kept
    # the suite ran to its end, but a test of it failed (a case file's declaration check, a behaviour
    # that is broken): its `failures` name each; the cells recorded, the other behaviours', are kept
    CHECKS_FAILED = "checks-failed"


# the statuses of an environment whose suite ran: its cells are compared with other releases'
RAN = (Status.OK, Status.INCOMPLETE, Status.CHECKS_FAILED)


def suite_ran(environment: dict) -> bool:
    """Whether an environment's suite ran (its cells count), whatever else went wrong."""
    return environment.get("status") in RAN
