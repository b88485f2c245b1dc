"""Stories: the changes that share one cause (DESIGN.md, "Changes between
releases"). Changes of the same class between the same releases of one
build whose sides read the same once what is particular to a behaviour is
taken out are one story: the error's type and first line with names,
quoted text and numbers normalised; what differs as the kind of state
(buffer, attribute, input, global, ...; the output only where no state
differs) and when it arose (capture or which call). Stories are listed worst first: by class, then by size."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from exportmatrix.base import STATIC, Matrix, Outcome, cell_index
from exportmatrix.base.outcomes import MAX_LABEL, UNPRINTABLE
from exportmatrix.config.upstream_links import Link
from exportmatrix.reports.changes import Change

# what a message says of one behaviour in particular: quoted names, the name
# after the kind of state it is, object addresses, numbers
_QUOTED = re.compile(r"""(['"`])(?:(?!\1).){1,120}\1""")
_KINDS = r"attributes?|attr|buffers?|parameters?|globals?|inputs?|submodule|key|name|constant"
# words that follow a kind of state in prose, never a name ("Such attributes must be…")
_PROSE = r"(?:%s)\b" % "|".join(
    "must are is was were be been can cannot could should will would may might do does did has have had not "
    "and or of in on to for from with that which during after before as at by but".split()
)
_NAMED = re.compile(
    r"\b((?:(?:module|%s)\s+)*(?:%s)\s+(?:named\s+|called\s+)?)(?!%s)[A-Za-z_][\w.\[\]']*" % (_KINDS, _KINDS, _PROSE),
    re.IGNORECASE,
)
_DOTTED = re.compile(r"\b(?:self|L|G|L\['self'\])\.[\w.]+")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")
# one name or several: "…", "……']", "…, self.…[N]" read the same
_NAME = r"(?:self\.)?…(?:…|'\]|\]|\[N\])*"
_NAMES = re.compile(r"%s(?:, %s)*" % (_NAME, _NAME))
# "the tensor attributes … were assigned" reads as "the tensor attribute … was assigned"
_PLURAL = re.compile(r"\b(attribute|buffer|parameter|input|global)s … were\b")
_SPACES = re.compile(r"\s+")


def normalise(message: str) -> str:
    """A message with what names one behaviour's own state taken out (and
    what would garble a report line: control characters, bidirectional overrides)."""
    text = _QUOTED.sub("'…'", UNPRINTABLE.sub("", message))
    text = _NAMED.sub(lambda m: m.group(1) + "…", text)
    text = _DOTTED.sub("self.…", text)
    text = _SPACES.sub(" ", _NUMBER.sub("N", text)).strip()
    text = _PLURAL.sub(r"\1 … was", _NAMES.sub("…", text))
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"  # a huge message is cut, as labels are


def _state_kind(what: str) -> str:
    """ "buffer buf" -> "buffer"; "output of call 2" -> "output"."""
    return "output" if what.startswith("output") else what.split(" ", 1)[0]


def side(observation: dict[str, Any]) -> str:
    """One side of a change as a story reads it: the outcome, and either the
    error's kind and normalised first line, or the kinds of state that differ
    and when each arose."""
    outcome = observation["outcome"]
    evidence = observation.get("evidence", {})
    error = evidence.get("error")
    if error:
        kind = UNPRINTABLE.sub("", str(error.get("type")))
        return "%s (%s: %s)" % (outcome, kind, normalise(str(error.get("message", ""))))
    if outcome == Outcome.DIVERGES:
        found = {
            (_state_kind(d["what"]), d.get("arose", "call %s" % d.get("after_call", "?")))
            for d in evidence.get("differences", [])
        }
        # a wrong output follows from wrong state: where state differs, the state tells the story
        state = {(kind, arose) for kind, arose in found if kind != "output"} or found
        return (
            "diverges (%s)" % ", ".join("%s after %s" % kind_arose for kind_arose in sorted(state))
            if state
            else "diverges"
        )
    return str(outcome)


@dataclass(frozen=True)
class Story:
    """Changes that share one cause: one class, one release pair of one build,
    one transition (`before` → `after`, as side() reads them)."""

    kind: str
    build: str
    last_before: str  # the release before
    first_after: str  # the release after
    before: str
    after: str
    changes: tuple[Change, ...]  # its cells, the representative first
    links: tuple[Link, ...] = ()  # upstream links about any of its cells in either release

    @property
    def unexplained(self) -> bool:
        """No upstream link says anything of it: where a reader may have found a new bug."""
        return not self.links

    @property
    def representative(self) -> Change:
        return self.changes[0]

    @property
    def behaviours(self) -> list[str]:
        return list(dict.fromkeys(change.behaviour for change in self.changes))

    @property
    def paths(self) -> list[str]:
        return list(dict.fromkeys(change.exporter for change in self.changes))

    @property
    def title(self) -> str:
        """e.g. "2.9 → 2.10: became silent, 42 cells (7 behaviours × 6 paths)"."""
        return "%s → %s%s: %s, %d cell%s (%d behaviour%s, %d path%s)" % (
            self.last_before,
            self.first_after,
            "" if self.build == "pypi" else " (build %s)" % self.build,
            self.kind,
            len(self.changes),
            "" if len(self.changes) == 1 else "s",
            len(self.behaviours),
            "" if len(self.behaviours) == 1 else "s",
            len(self.paths),
            "" if len(self.paths) == 1 else "s",
        )

    @property
    def transition(self) -> str:
        return "%s → %s" % (self.before, self.after)


def _representative_order(change: Change) -> tuple:
    """The representative: a static cpu cell first, then the catalogue's order."""
    return (change.device != "cpu", change.shapes != STATIC)


def links_of(changes: tuple[Change, ...], links: list[Link] | tuple[Link, ...]) -> tuple[Link, ...]:
    """The links about any of these cells, in either of its releases."""
    return tuple(
        link
        for link in links
        if any(link.concerns(c.behaviour, c.exporter, (c.last_before, c.first_after)) for c in changes)
    )


def stories(matrix: Matrix, changes: list[Change], links: list[Link] | tuple[Link, ...] = ()) -> list[Story]:
    """The changes grouped into stories, worst first: by class, then the most cells."""
    cells = cell_index(matrix)
    groups: dict[tuple, list[Change]] = {}
    for change in changes:
        before, after = (
            side(cells[(environment, change.behaviour, change.exporter, change.device, change.shapes)])
            for environment in change.environments
        )
        groups.setdefault((change.kind, *change.pair, before, after), []).append(change)
    found = []
    for (kind, build, last_before, first_after, before, after), group in groups.items():
        ordered = tuple(sorted(group, key=_representative_order))
        found.append(Story(kind, build, last_before, first_after, before, after, ordered, links_of(ordered, links)))
    return sorted(found, key=lambda story: (story.representative.severity, -len(story.changes)))
