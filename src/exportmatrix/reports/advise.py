"""What a model author can pin (DESIGN.md, "What to do about it"): for their
own cases, per capture path, the releases where each case holds and the
floor, the oldest release from which every case holds through the newest.

Read from the matrix alone: `advise` is a pure function from a matrix to an
`Advice`; `render` writes it for a terminal, `as_json` for scripts. Nothing runs.

The catalogue's rewrites (a behaviour that computes the same thing in a form
export handles) are not declared yet: `advise` takes them as a mapping, a case
id → the ids of its rewrites, and lists under a case that does not hold on a
path each rewrite that holds there through the newest release. Without one
(the command today) every `rewrites` is empty."""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from exportmatrix.base import (
    STATIC,
    Outcome,
    Status,
    behaviours,
    cell_index,
    exact_version,
    label,
    release_key,
    shapes_of,
)
from exportmatrix.reports.changes import release_labels, series

NOT_OBSERVED = "not observed"  # a case without a cell in a release its path was observed in
LABEL_WIDTH = 100  # an outcome's label in the text, cut here: the text fits a screen


@dataclass(frozen=True)
class Rewrite:
    """A declared rewrite of a case that holds on the path where the case does not."""

    behaviour: str
    holds: tuple[tuple[str, str], ...]
    since: str  # the oldest release from which it holds through the newest


@dataclass(frozen=True)
class CaseAdvice:
    """One case on one path: the releases where it holds, and its outcome in the newest."""

    behaviour: str
    holds: tuple[tuple[str, str], ...]  # ranges of releases (first, last), oldest first
    since: str | None  # the oldest release from which it holds through the newest; None: not in the newest
    newest: str  # its outcome's label in the newest release (NOT_OBSERVED where it has no cell there)
    row: tuple[str, ...]  # its outcome in each release of its path (NOT_OBSERVED where it has no cell)
    rewrites: tuple[Rewrite, ...] = ()

    @property
    def ranges(self) -> str:
        """ "2.4–2.5, 2.8–2.15"; "" where it holds nowhere."""
        return ", ".join(first if first == last else "%s–%s" % (first, last) for first, last in self.holds)


@dataclass(frozen=True)
class PathAdvice:
    """One capture path of one series: its releases, each case, and the floor."""

    exporter: str
    releases: tuple[str, ...]  # the releases the path was observed in (report labels), oldest first
    torch: tuple[str, ...]  # the exact torch version of each
    cases: tuple[CaseAdvice, ...]

    @property
    def floor(self) -> str | None:
        """The oldest release from which every case holds through the newest; None: no release."""
        if any(case.since is None for case in self.cases):
            return None
        return max((case.since for case in self.cases if case.since), key=self.releases.index, default=None)

    @property
    def blocking(self) -> tuple[CaseAdvice, ...]:
        """The cases that do not hold in the newest release (no floor while there is one)."""
        return tuple(case for case in self.cases if case.since is None)

    @property
    def below(self) -> tuple[str, tuple[CaseAdvice, ...]] | None:
        """The release just below the floor and the cases that do not hold there; None at the oldest."""
        floor = self.floor
        if floor is None or self.releases.index(floor) == 0:
            return None
        return self.releases[self.releases.index(floor) - 1], tuple(c for c in self.cases if c.since == floor)

    def pin(self) -> str | None:
        """ "torch>=2.6": the floor as a requirement (its release as the reports name it, first word)."""
        floor = self.floor
        return None if floor is None else "torch>=" + floor.split(" ", 1)[0]


@dataclass(frozen=True)
class Series:
    """The releases of one build, on one device, with one kind of shapes."""

    build: str
    device: str
    shapes: str
    paths: tuple[PathAdvice, ...]


@dataclass(frozen=True)
class Advice:
    cases: tuple[str, ...]
    chosen: str  # how the cases were chosen, for people: "the behaviours of model_cases.py"
    series: tuple[Series, ...]
    skipped: tuple[dict[str, Any], ...] = field(default=())  # the environments not ok: id, release, status, reason


def case_files(matrix: dict[str, Any]) -> list[str]:
    """The case files the matrix's environments ran, in first-seen order."""
    return list(dict.fromkeys(f for e in matrix["environments"] for f in e.get("case_files") or []))


def default_cases(matrix: dict[str, Any]) -> list[str]:
    """The behaviours declared in the case files the matrix ran; a ValueError where it ran none."""
    files = set(case_files(matrix))
    found = [b["id"] for b in behaviours(matrix) if (b.get("source") or {}).get("file") in files]
    if not found:
        why = "ran no case file" if not files else "holds no behaviour of its case files (%s)" % ", ".join(files)
        raise ValueError(
            "the matrix %s: name the cases with --behaviours ID|PATTERN (e.g. --behaviours 'kv_cache.*')" % why
        )
    return found


def choose_cases(matrix: dict[str, Any], named: Sequence[str]) -> list[str]:
    """The behaviours named by id or fnmatch pattern ("kv_cache.*"), in the
    matrix's order; a ValueError naming the first that matches none."""
    ids = [b["id"] for b in behaviours(matrix)]
    chosen: set[str] = set()
    for name in named:
        matched = fnmatch.filter(ids, name)
        if not matched:
            close = difflib.get_close_matches(name, ids, n=3)
            hint = "; did you mean %s?" % ", ".join(close) if close else " (it has %d behaviours)" % len(ids)
            what = "matches no behaviour" if any(c in name for c in "*?[") else "is no behaviour's id"
            raise ValueError("--behaviours %s: %s in the matrix%s" % (name, what, hint))
        chosen.update(matched)
    return [identifier for identifier in ids if identifier in chosen]


def _ranges(releases: Sequence[str], held: Sequence[bool]) -> tuple[tuple[str, str], ...]:
    found: list[tuple[str, str]] = []
    start = None
    for n, holds in enumerate([*held, False]):
        if holds and start is None:
            start = n
        elif not holds and start is not None:
            found.append((releases[start], releases[n - 1]))
            start = None
    return tuple(found)


def _since(releases: Sequence[str], held: Sequence[bool]) -> str | None:
    """The oldest release from which every later one holds; None where the newest does not."""
    since = None
    for n in range(len(held) - 1, -1, -1):
        if not held[n]:
            break
        since = releases[n]
    return since


def _judge(cells: dict, observed: list[dict[str, Any]], releases: tuple[str, ...], cell: tuple) -> CaseAdvice:
    """One case on one path; `cell`: (behaviour, exporter, device, shapes)."""
    row = [cells.get((e["id"], *cell)) for e in observed]
    held = [o is not None and o["outcome"] == Outcome.HOLDS for o in row]
    return CaseAdvice(
        cell[0],
        _ranges(releases, held),
        _since(releases, held),
        NOT_OBSERVED if row[-1] is None else label(row[-1]),
        tuple(NOT_OBSERVED if o is None else o["outcome"] for o in row),
    )


def advise(
    matrix: dict[str, Any],
    cases: Sequence[str],
    chosen: str = "",
    rewrites: Mapping[str, Sequence[str]] | None = None,
) -> Advice:
    """Per series (build, device, shapes) and capture path: where each case
    holds and the floor. Only environments whose status is ok count; the
    others are in `skipped`. A path's releases are those where one of the
    cases has a cell on it. `rewrites`: a case id → its declared rewrites."""
    cells = cell_index(matrix)
    named = release_labels(matrix)
    keys = list(dict.fromkeys((o["device"], shapes_of(o), o["exporter"]) for o in matrix["observations"]))
    found = []
    for build, environments in series(matrix).items():  # the reports' order: per build, oldest release first
        usable = [e for e in environments if e["status"] == Status.OK]
        for device, shapes in dict.fromkeys(key[:2] for key in keys):
            paths = []
            for exporter in [key[2] for key in keys if key[:2] == (device, shapes)]:
                observed = [e for e in usable if any((e["id"], c, exporter, device, shapes) in cells for c in cases)]
                if not observed:
                    continue
                releases = tuple(named[e["id"]] for e in observed)
                judgements = []
                for case in cases:
                    judgement = _judge(cells, observed, releases, (case, exporter, device, shapes))
                    if judgement.since is None and rewrites:
                        tried = [
                            _judge(cells, observed, releases, (r, exporter, device, shapes))
                            for r in rewrites.get(case, ())
                        ]
                        kept = tuple(Rewrite(r.behaviour, r.holds, r.since) for r in tried if r.since)
                        judgement = dataclasses.replace(judgement, rewrites=kept)
                    judgements.append(judgement)
                torch = tuple(exact_version(e) for e in observed)
                paths.append(PathAdvice(exporter, releases, torch, tuple(judgements)))
            if paths:
                found.append(Series(build, device, shapes, tuple(paths)))
    skipped = tuple(
        {"environment": e["id"], "release": named[e["id"]], "status": e["status"], "reason": e.get("reason")}
        for e in sorted(matrix["environments"], key=release_key)
        if e["status"] != Status.OK
    )
    return Advice(tuple(cases), chosen, tuple(found), skipped)


def _cut(text: str) -> str:
    return text if len(text) <= LABEL_WIDTH else text[: LABEL_WIDTH - 1] + "…"


def _never(case: CaseAdvice, newest: str) -> str:
    """Why one case gives its path no floor, in a few words (its line below gives the newest's label)."""
    if not case.holds and len(set(case.row)) == 1:
        return "%s %s in every release" % (case.behaviour, case.row[-1])
    if not case.holds:
        return "%s holds in no release (%s: %s)" % (case.behaviour, newest, case.row[-1])
    return "%s holds %s, not %s (%s)" % (case.behaviour, case.ranges, newest, case.row[-1])


def floor_line(path: PathAdvice) -> str:
    """ "export_nonstrict: torch>=2.6 (2.5: decoder.kv_cache export-error)"; or
    "export_strict: no release — decoder.step: diverges in every release (...)"."""
    pin, newest = path.pin(), path.releases[-1]
    if pin is None:
        blocking = path.blocking
        if len(blocking) == 1:
            return "%s: no release — %s" % (path.exporter, _never(blocking[0], newest))
        names = ", ".join(c.behaviour for c in blocking[:3])
        more = " and %d more" % (len(blocking) - 3) if len(blocking) > 3 else ""
        return "%s: no release — %d cases do not hold in %s: %s%s" % (
            path.exporter,
            len(blocking),
            newest,
            names,
            more,
        )
    below = path.below
    if below is None:
        return "%s: %s (every release observed, %s–%s)" % (path.exporter, pin, path.releases[0], newest)
    release, cases = below
    failing = ", ".join("%s %s" % (c.behaviour, c.row[path.releases.index(release)]) for c in cases)
    return "%s: %s (%s: %s)" % (path.exporter, pin, release, failing)


def case_line(path: PathAdvice, case: CaseAdvice) -> str:
    """ "2.4–2.5, 2.8–2.15"; where it does not hold in the newest, its outcome there."""
    if case.since is not None:
        return case.ranges
    there = "%s: %s" % (path.releases[-1], _cut(case.newest))
    return "%s; %s" % (case.ranges, there) if case.holds else "holds nowhere (%s)" % there


def render(advice: Advice) -> str:
    """The terminal text: per path its floor, then each case's releases."""
    cases = "%d case%s" % (len(advice.cases), "" if len(advice.cases) == 1 else "s")
    lines = ["exportmatrix advise: %s (%s)" % (cases, advice.chosen or ", ".join(advice.cases))]
    for skipped in advice.skipped:
        reason = ": " + _cut(skipped["reason"]) if skipped.get("reason") else ""
        where = "%s (%s)" % (skipped["release"], skipped["environment"])
        lines.append("skipped, not ok: %s %s%s" % (where, skipped["status"], reason))
    if advice.skipped:
        lines.append("(the ranges and floors below are of the other releases)")
    if not advice.series:
        lines.append("no ok environment holds a cell of these cases: nothing to advise")
    several = len({(s.build, s.device, s.shapes) for s in advice.series}) > 1
    width = max((len(c) for c in advice.cases), default=0)
    for group in advice.series:
        if several:
            shapes = "" if group.shapes == STATIC else ", %s shapes" % group.shapes
            lines.append("\n== build %s, %s%s" % (group.build, group.device, shapes))
        for path in group.paths:
            lines.append("")
            lines.append(floor_line(path))
            for case in path.cases:
                lines.append("  %-*s  %s" % (width, case.behaviour, case_line(path, case)))
                for rewrite in case.rewrites:
                    lines.append("    rewrite %s holds from %s" % (rewrite.behaviour, rewrite.since))
    return "\n".join(lines)


def as_json(advice: Advice) -> dict[str, Any]:
    """The advice for scripts: every series, path, floor and case."""

    def case_record(path: PathAdvice, case: CaseAdvice) -> dict[str, Any]:
        return {
            "behaviour": case.behaviour,
            "holds": [list(r) for r in case.holds],
            "ranges": case.ranges,
            "since": case.since,
            "newest": {"release": path.releases[-1], "outcome": case.row[-1], "label": case.newest},
            "outcomes": dict(zip(path.releases, case.row)),
            # the catalogue's rewrites that hold on this path where the case does not (none declared yet)
            "rewrites": [
                {"behaviour": r.behaviour, "holds": [list(x) for x in r.holds], "since": r.since} for r in case.rewrites
            ],
        }

    def path_record(path: PathAdvice) -> dict[str, Any]:
        floor = path.floor
        return {
            "path": path.exporter,
            "releases": list(path.releases),
            "floor": None
            if floor is None
            else {"release": floor, "torch": path.torch[path.releases.index(floor)], "requirement": path.pin()},
            "blocking": [c.behaviour for c in path.blocking],
            "summary": floor_line(path),
            "cases": [case_record(path, c) for c in path.cases],
        }

    return {
        "cases": list(advice.cases),
        "chosen": advice.chosen,
        "skipped": list(advice.skipped),
        "series": [
            {"build": s.build, "device": s.device, "shapes": s.shapes, "paths": [path_record(p) for p in s.paths]}
            for s in advice.series
        ],
    }
