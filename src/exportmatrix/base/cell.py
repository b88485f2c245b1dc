"""One cell of the matrix, less its environment: a behaviour under one
capture path, device and shapes. It is the one place that says how a cell
is keyed, named (what its name leaves out), anchored on its behaviour page
and asked for with `exportmatrix repro`; reports and commands ask it
rather than spell any of these out again."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

DEVICE = "cpu"  # the device a cell's name leaves out
STATIC = "static"  # the shapes a cell's name leaves out, and those of a cell that does not say (older streams)
SHAPES_WORD = " shapes"  # "dynamic shapes": how a name says the shapes

CellKey = tuple[str, str, str, str, str]  # (environment, behaviour, exporter, device, shapes)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")  # what an anchor (an element id) does not keep


def shapes_or_static(shapes: Any) -> str:
    """The one rule for a cell's shapes: absent, None or "" mean static."""
    return str(shapes or STATIC)


def key_of(observation: dict[str, Any]) -> CellKey:
    """An observation's cell key: Cell.of(observation).key(its environment),
    without making the Cell (a matrix indexes every one of its cells)."""
    return (
        observation["environment"],
        observation["behaviour"],
        observation["exporter"],
        observation["device"],
        shapes_or_static(observation.get("shapes")),
    )


@dataclass(frozen=True)
class Cell:
    behaviour: str
    path: str  # the capture path (the matrix file's "exporter")
    device: str = DEVICE
    shapes: str = STATIC

    def __post_init__(self) -> None:
        object.__setattr__(self, "shapes", shapes_or_static(self.shapes))

    @classmethod
    def of(cls, observation: dict[str, Any]) -> Cell:
        """The cell of an observation (a matrix's or a stream's)."""
        shapes = shapes_or_static(observation.get("shapes"))
        return cls(observation["behaviour"], observation["exporter"], observation["device"], shapes)

    @classmethod
    def named(cls, name: str) -> Cell:
        """The cell a name (`name`) names: "buffer.add_ / aoti [cuda, dynamic shapes]"."""
        head, extras = name, ""
        if name.endswith("]") and " [" in name:
            head, _, extras = name[:-1].rpartition(" [")
        behaviour, separator, path = head.rpartition(" / ")
        if not separator:
            raise ValueError("%r: not a cell's name (expected 'behaviour / path [device, shapes shapes]')" % name)
        device, shapes = DEVICE, STATIC
        for extra in extras.split(", ") if extras else []:
            if extra.endswith(SHAPES_WORD):
                shapes = extra[: -len(SHAPES_WORD)]
            else:
                device = extra
        return cls(behaviour, path, device, shapes)

    def key(self, environment: str) -> CellKey:
        """Its key in one environment: how a matrix's cells are looked up."""
        return (environment, self.behaviour, self.path, self.device, self.shapes)

    def _left_in(self) -> list[tuple[str, str]]:
        """(axis, value) of its device and its shapes, each only where not the
        default (cpu, static): the one rule for what its names leave out."""
        found = [("device", self.device), ("shapes", self.shapes)]
        return [(axis, value) for axis, value in found if value != (DEVICE if axis == "device" else STATIC)]

    @property
    def extras(self) -> tuple[str, ...]:
        """Its device and shapes where not the default: ("cuda", "dynamic")."""
        return tuple(value for _, value in self._left_in())

    @property
    def tags(self) -> str:
        """ " [cuda, dynamic shapes]": its extras, bracketed ("" where none)."""
        words = [value + (SHAPES_WORD if axis == "shapes" else "") for axis, value in self._left_in()]
        return " [%s]" % ", ".join(words) if words else ""

    @property
    def name(self) -> str:
        """ "buffer.add_ / aoti", and its extras: "buffer.add_ / aoti [cuda, dynamic shapes]"."""
        return "%s / %s%s" % (self.behaviour, self.path, self.tags)

    @property
    def on(self) -> str:
        """Its extras as a sentence goes on: " on cuda, dynamic shapes", ", dynamic shapes" or ""."""
        words = {axis: value for axis, value in self._left_in()}
        where = " on " + words["device"] if "device" in words else ""
        return where + (", %s%s" % (words["shapes"], SHAPES_WORD) if "shapes" in words else "")

    def anchor(self, release: str, build: str | None = None) -> str:
        """Its id on its behaviour page in one release: "export_strict-2.10",
        then the build (where a matrix has several) and its extras."""
        parts = [self.path, release] + ([build] if build else []) + list(self.extras)
        return _UNSAFE.sub("_", "-".join(parts))

    def repro(self, matrix_path: str, environment: str, short: bool = False) -> str:
        """The command that prints its reproducer in one environment."""
        command = "exportmatrix repro %s %s %s %s" % (matrix_path, environment, self.behaviour, self.path)
        command += "".join(" --%s %s" % found for found in self._left_in())
        return command + (" --short" if short else "")


__all__ = ["DEVICE", "STATIC", "Cell", "CellKey", "key_of", "shapes_or_static"]
