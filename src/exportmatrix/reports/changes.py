"""Where an outcome changes between consecutive releases of one build, and
how much each change matters (the short summary lists the worst first)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exportmatrix.base import STATIC, Outcome, cell_index, label, release_key, shapes_of

# how much a change matters, worst first (severity): a cell that now diverges
# (silently wrong results where it raised or held), one that stopped holding,
# then the rest (fixed, or another error)
NOW_DIVERGES, STOPPED_HOLDING, OTHER = 0, 1, 2


@dataclass(frozen=True)
class Change:
    behaviour: str
    exporter: str
    device: str
    build: str
    before: str  # outcome label
    last_before: str  # last release with `before`
    after: str
    first_after: str
    shapes: str = STATIC

    def __str__(self) -> str:
        tags = [] if self.device == "cpu" else [self.device]
        tags += [] if self.shapes == STATIC else [self.shapes + " shapes"]
        where = " [%s]" % ", ".join(tags) if tags else ""
        return "%s / %s%s: %s up to %s → %s from %s" % (
            self.behaviour,
            self.exporter,
            where,
            self.before,
            self.last_before,
            self.after,
            self.first_after,
        )

    @property
    def outcomes(self) -> tuple[str, str]:
        """The outcome before and after (a label begins with its outcome's name)."""
        return self.before.split(" ", 1)[0], self.after.split(" ", 1)[0]

    @property
    def severity(self) -> int:
        """NOW_DIVERGES, STOPPED_HOLDING or OTHER: the lower, the more it matters."""
        before, after = self.outcomes
        if after == Outcome.DIVERGES and before != Outcome.DIVERGES:
            return NOW_DIVERGES
        if before == Outcome.HOLDS:
            return STOPPED_HOLDING
        return OTHER


def series(matrix: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Environments that ran, per build, oldest release first."""
    by_build: dict[str, list[dict[str, Any]]] = {}
    for environment in sorted(matrix["environments"], key=release_key):
        if environment["status"] in ("ok", "incomplete"):
            by_build.setdefault(environment["build"], []).append(environment)
    return by_build


def outcome_changes(matrix: dict[str, Any]) -> list[Change]:
    cells = cell_index(matrix)
    keys = sorted(
        {(o["behaviour"], o["exporter"], o["device"], shapes_of(o)) for o in matrix["observations"]},
        key=lambda k: (k[:3], k[3] != STATIC, k[3]),  # a cell's static shapes before its dynamic ones
    )
    found = []
    for build, environments in series(matrix).items():
        for behaviour, exporter, device, shapes in keys:
            previous = None  # (label, release)
            for environment in environments:
                observation = cells.get((environment["id"], behaviour, exporter, device, shapes))
                if observation is None:
                    continue
                current = label(observation)
                if previous and previous[0] != current:
                    found.append(
                        Change(
                            behaviour,
                            exporter,
                            device,
                            build,
                            previous[0],
                            previous[1],
                            current,
                            environment["release"],
                            shapes,
                        )
                    )
                previous = (current, environment["release"])
    return found
