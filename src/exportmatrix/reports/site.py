"""`exportmatrix site MATRIX --out DIR`: the matrix as a static site, plain
files that work from file:// and any static host (nothing loaded from the
network).

    index.html              the matrix page itself (reports/html.py: one grid, not two), with search
    behaviour/<id>.html     description, tags, its code as declared, a capture paths × releases grid
                            per device and shapes (a cell's permalink: #export_strict-2.10), its
                            stories, the short reproducer of each distinct outcome, upstream links
    release/<release>.html  its stories against the previous release, its environments (torch,
                            Python, build, packages), an environment that is not ok said so
    path/<exporter>.html    its capture code as recorded in each release, its outcomes per release
    search.js               what the search box searches: ids, descriptions, tags, releases, paths
    assets/                 the grid's style and script (templates/), once for every page

Every page reads the view model only; a behaviour page embeds only its own cells."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from exportmatrix.base import (
    DEVICE,
    STATIC,
    SYMBOLS,
    Cell,
    Matrix,
    release_key,
    reproducer,
    upgrade,
    write_folder_atomically,
)
from exportmatrix.config.cases import builtin_declarations
from exportmatrix.reports import html
from exportmatrix.reports.grid import behaviour_grids, cell_anchor, page_data
from exportmatrix.reports.stories import Story, side
from exportmatrix.reports.view import axis_of, view

_KEPT = re.compile(r"[A-Za-z0-9._-]")
DECLARED = "# -- the behaviour, as declared"
DECLARED_END = "\nmake_inputs = "


def page_name(name: str) -> str:
    """A file name for an id, a release or a path: letters, digits, '.', '_'
    and '-' kept, anything else (and a leading '.') as ~XX of its UTF-8 bytes."""
    named = "".join(c if _KEPT.match(c) else "".join("~%02X" % b for b in c.encode()) for c in name)
    return "~2E" + named[1:] if named.startswith(".") else named


@dataclass
class Pages:
    """Where each page is, seen from a page `root` below the site's top."""

    root: str
    releases: list[tuple[str, str]] = field(default_factory=list)  # (release, what is not ok in it, or "")

    def behaviour(self, identifier: str) -> str:
        return "%sbehaviour/%s.html" % (self.root, page_name(identifier))

    def release(self, label: str) -> str:
        return "%srelease/%s.html" % (self.root, page_name(label))

    def path(self, exporter: str) -> str:
        return "%spath/%s.html" % (self.root, page_name(exporter))


def _json_script(value: Any) -> str:
    """JSON safe inside a <script> element and in a .js file."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def declared_source(full: str | None) -> str | None:
    """The behaviour's code as its full reproducer carries it (as declared)."""
    if not full or DECLARED not in full:
        return None
    start = full.index("\n", full.index(DECLARED)) + 1
    end = full.find(DECLARED_END, start)
    return full[start : end if end >= 0 else None].strip("\n")


class _Site:
    def __init__(self, matrix: Matrix) -> None:
        self.matrix = upgrade(matrix)
        self.shown = view(self.matrix)
        self.templates = html.templates()
        self._shorts: dict[int, str | None] = {}
        ordered = sorted(self.matrix["environments"], key=release_key)
        self.labels = list(dict.fromkeys(self.shown.labels[e["id"]] for e in ordered))
        self.not_ok = {
            label: ", ".join(
                "%s %s" % (e["id"], e["status"])
                for e in ordered
                if self.shown.labels[e["id"]] == label and e["status"] != "ok"
            )
            for label in self.labels
        }
        self.cells_of: dict[str, list[int]] = {}
        for index, observation in enumerate(self.matrix["observations"]):
            self.cells_of.setdefault(observation["behaviour"], []).append(index)
        self.order = {e["id"]: n for n, e in enumerate(ordered)}
        self.declarations = {d.id: d for d in builtin_declarations()}

    def pages(self, root: str) -> Pages:
        return Pages(root, [(label, self.not_ok[label]) for label in self.labels])

    def short(self, index: int) -> str | None:
        if index not in self._shorts:
            self._shorts[index] = html.shorts(self.matrix, [index]).get(index)
        return self._shorts[index]

    def render(self, template: str, **values: Any) -> str:
        return self.templates.get_template(template).render(
            matrix=self.matrix, symbols=SYMBOLS, outcomes=list(SYMBOLS), **values
        )

    def files(self) -> dict[str, str]:
        files = {"index.html": html.render(self.matrix, self.shown, self.pages(""))}
        for name in html.ASSETS:
            files["assets/" + name] = html.asset(name)
        files["search.js"] = "window.exportmatrixSearch = %s;\n" % _json_script(self.search())
        top = self.pages("")
        for behaviour in self.shown.behaviours:
            files[top.behaviour(behaviour["id"])] = self.behaviour_page(behaviour)
        for label in self.labels:
            files[top.release(label)] = self.release_page(label)
        for exporter in self.shown.exporters:
            files[top.path(exporter)] = self.path_page(exporter)
        return files

    def search(self) -> list[list[str]]:
        top = self.pages("")
        found = [
            ["behaviour", b["id"], "%s %s" % (b["description"], " ".join(b["tags"])), top.behaviour(b["id"])]
            for b in self.shown.behaviours
        ]
        found += [["release", label, self.not_ok[label], top.release(label)] for label in self.labels]
        return found + [["capture path", exporter, "", top.path(exporter)] for exporter in self.shown.exporters]

    def _stories_of(self, keep: Callable[[Story], bool], pages: Pages) -> list[dict[str, Any]]:
        return [
            {
                "story": story,
                "cells": [
                    (
                        change,
                        pages.behaviour(change.behaviour)
                        + "#"
                        + cell_anchor(self.shown, self.shown.index[change.key(1)]),
                    )
                    for change in story.changes
                ],
            }
            for story in self.shown.stories
            if keep(story)
        ]

    def behaviour_page(self, behaviour: dict[str, Any]) -> str:
        identifier = behaviour["id"]
        pages = self.pages("../")
        indexes = sorted(self.cells_of.get(identifier, []), key=lambda i: self._cell_order(i))
        local = {index: n for n, index in enumerate(indexes)}
        observations = self.matrix["observations"]
        by_outcome: dict[str, list[int]] = {}
        for index in indexes:
            by_outcome.setdefault(observations[index]["outcome"], []).append(index)
        outcomes: list[dict[str, Any]] = []
        for outcome, found in by_outcome.items():
            representative = max(found, key=lambda i: (self._cell_order(i)[0], *self._plain(i)))
            sides: dict[str, int] = {}
            for index in found:
                text = side(observations[index])
                sides[text] = sides.get(text, 0) + 1
            outcomes.append(
                {
                    "outcome": outcome,
                    "cells": len(found),
                    "sides": sorted(sides.items(), key=lambda item: -item[1]),
                    "index": local[representative],
                    "where": self._where(representative),
                    "short": self.short(representative),
                    "full": reproducer(self.matrix, observations[representative]),
                }
            )
        shorts = {indexes[o["index"]]: o["short"] for o in outcomes if o["short"]}
        grids = behaviour_grids(self.shown, identifier, local.get, pages.release, pages.path)  # type: ignore[arg-type]
        data = page_data(
            self.matrix,
            self.shown,
            grids,
            indexes,
            shorts,
            behaviour_href=pages.behaviour,
            anchors=True,
        )
        full = next(
            (
                reproducer(self.matrix, observations[i])
                for i in indexes
                if observations[i]["evidence"].get("reproducer") is not None
            ),
            None,
        )
        declared = self.declarations.get(identifier)
        source_file = (behaviour.get("source") or {}).get("file")
        return self.render(
            "behaviour.html.j2",
            root="../",
            pages=pages,
            behaviour=behaviour,
            tags=[(axis_of(tag), tag.partition("=")[2] or tag) for tag in behaviour.get("tags", [])],
            declared=("%s:%d" % (declared.file.name, declared.line)) if declared else source_file,
            source=declared_source(full),
            distinct=outcomes,
            stories=self._stories_of(lambda s: identifier in s.behaviours, pages),
            links=[link for link in self.shown.links if identifier in link.behaviours],
            example=data["cells"]["anchor"][0] if data["cells"]["anchor"] else "export_strict-2.10",
            data=Markup(_json_script(data)),
        )

    def release_page(self, label: str) -> str:
        pages = self.pages("../")
        environments = [e for e in self.matrix["environments"] if self.shown.labels[e["id"]] == label]
        position = self.labels.index(label)
        counts = {
            e["id"]: {
                outcome: sum(
                    1 for o in self.matrix["observations"] if o["environment"] == e["id"] and o["outcome"] == outcome
                )
                for outcome in SYMBOLS
            }
            for e in environments
        }
        return self.render(
            "release.html.j2",
            root="../",
            pages=pages,
            label=label,
            environments=environments,
            counts=counts,
            previous=self.labels[position - 1] if position else None,
            next=self.labels[position + 1] if position + 1 < len(self.labels) else None,
            stories=self._stories_of(lambda s: s.first_after == label, pages),
        )

    def path_page(self, exporter: str) -> str:
        pages = self.pages("../")
        texts = self.matrix["texts"]
        rows: list[dict[str, Any]] = []
        for environment in sorted(self.matrix["environments"], key=release_key):
            cells = [
                o
                for o in self.matrix["observations"]
                if o["environment"] == environment["id"] and o["exporter"] == exporter
            ]
            codes = []
            for o in cells:
                detail = o["evidence"].get("exporter_detail")
                code = texts[detail] if isinstance(detail, int) else detail
                if code and code not in codes:
                    codes.append(code)
            counts = [(outcome, sum(o["outcome"] == outcome for o in cells)) for outcome in SYMBOLS]
            entry = {
                "environment": environment,
                "label": self.shown.labels[environment["id"]],
                "codes": codes,
                "counts": [(outcome, n) for outcome, n in counts if n],
                "cells": len(cells),
            }
            if rows and rows[-1]["codes"] == codes and codes:
                rows[-1]["same"].append(entry)
            else:
                rows.append({**entry, "same": [entry]})
        return self.render("path.html.j2", root="../", pages=pages, exporter=exporter, rows=rows)

    def _cell_order(self, index: int) -> tuple:
        observation = self.matrix["observations"][index]
        exporters = self.shown.exporters
        return (
            self.order.get(observation["environment"], 0),
            exporters.index(observation["exporter"]) if observation["exporter"] in exporters else 0,
        )

    def _plain(self, index: int) -> tuple[bool, bool]:
        """A cpu, static cell before others (as a story's representative)."""
        cell = Cell.of(self.matrix["observations"][index])
        return (cell.device == DEVICE, cell.shapes == STATIC)

    def _where(self, index: int) -> str:
        observation = self.matrix["observations"][index]
        where = "%s in %s" % (observation["exporter"], self.shown.labels[observation["environment"]])
        return where + Cell.of(observation).on


def site_files(matrix: Matrix) -> dict[str, str]:
    """Every file of the site, by its path below the site's folder."""
    return _Site(matrix).files()


def write_site(matrix: Matrix, out: Path) -> dict[str, str]:
    """Write the site into `out` whole: into a temporary folder, then in its place."""
    files = site_files(matrix)
    write_folder_atomically(out, files)
    return files


__all__ = ["Pages", "declared_source", "page_name", "site_files", "write_site"]
