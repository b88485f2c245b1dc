"""Which capture paths and shapes a run observes: named capture-path sets
(`default`, `deploy`) or single paths, and `static` / `dynamic` shapes.

The sets are defined once, in the suite's exportmatrix_suite/paths.py, as
plain literals; the host reads that file without importing it (the suite
package belongs to the torch environments), so a misspelt name stops before
anything is installed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from exportmatrix.base import PATH_SETS_FILE
from exportmatrix.config.errors import ConfigError

NAMES = ("PATH_SETS", "DEFAULT_PATHS", "SHAPES", "DEFAULT_SHAPES")  # what paths.py assigns


@dataclass(frozen=True)
class PathSets:
    """The literals of paths.py."""

    sets: dict[str, tuple[str, ...]]
    default_paths: tuple[str, ...]
    shapes: tuple[str, ...]
    default_shapes: tuple[str, ...]

    @property
    def exporters(self) -> tuple[str, ...]:
        """Every single capture path of every set, in the order of the file."""
        return tuple(dict.fromkeys(name for members in self.sets.values() for name in members))

    def expand(self, names: Iterable[str]) -> tuple[str, ...]:
        """Set names replaced by their capture paths, each path once."""
        return tuple(dict.fromkeys(path for name in names for path in self.sets.get(name, (name,))))

    def path_choices(self) -> str:
        return "sets: %s; paths: %s" % (", ".join(self.sets), ", ".join(self.exporters))

    def path_problem(self, name: Any) -> str | None:
        """Why `name` is not a set or a capture path; None when it is one."""
        if isinstance(name, str) and (name in self.sets or name in self.exporters):
            return None
        return "unknown capture path %r (%s)" % (name, self.path_choices())

    def shapes_problem(self, name: Any) -> str | None:
        if isinstance(name, str) and name in self.shapes:
            return None
        return "unknown shapes %r (choices: %s)" % (name, ", ".join(self.shapes))

    def describe_sets(self) -> str:
        """For --help: each set and what it holds."""
        return "; ".join("%s = %s" % (name, ", ".join(members)) for name, members in self.sets.items())


def _strings(file: Path, name: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, (tuple, list)) or not value or not all(isinstance(v, str) and v for v in value):
        raise ConfigError("%s: %s = %r: expected a non-empty tuple of names" % (file, name, value))
    return tuple(value)


def read_path_sets(file: Path) -> PathSets:
    """paths.py's module-level literals (ast.literal_eval: nothing is imported or run)."""
    try:
        tree = ast.parse(file.read_bytes(), filename=str(file))
    except (OSError, SyntaxError) as error:
        raise ConfigError("%s: cannot read the capture-path sets (%s)" % (file, error)) from None
    found: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in NAMES:
                try:
                    found[name] = ast.literal_eval(node.value)
                except ValueError:
                    raise ConfigError("%s:%d: %s is not a plain literal" % (file, node.lineno, name)) from None
    missing = [name for name in NAMES if name not in found]
    if missing:
        raise ConfigError("%s: assigns no %s" % (file, ", ".join(missing)))
    if not isinstance(found["PATH_SETS"], dict) or not found["PATH_SETS"]:
        raise ConfigError("%s: PATH_SETS = %r: expected a dict of set name → paths" % (file, found["PATH_SETS"]))
    sets = {str(name): _strings(file, "PATH_SETS[%r]" % name, paths) for name, paths in found["PATH_SETS"].items()}
    read = PathSets(
        sets,
        _strings(file, "DEFAULT_PATHS", found["DEFAULT_PATHS"]),
        _strings(file, "SHAPES", found["SHAPES"]),
        _strings(file, "DEFAULT_SHAPES", found["DEFAULT_SHAPES"]),
    )
    wrong = [p for p in (read.path_problem(n) for n in read.default_paths) if p]
    wrong += [p for p in (read.shapes_problem(n) for n in read.default_shapes) if p]
    if wrong:
        raise ConfigError("%s: a default names %s" % (file, wrong[0]))
    return read


@lru_cache(maxsize=None)
def path_sets(file: Path = PATH_SETS_FILE) -> PathSets:
    """The suite's capture-path sets and shapes, read once a process."""
    return read_path_sets(file)


def split_names(text: str) -> list[str]:
    """Comma-separated names, blanks dropped, each once."""
    return list(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))


def _default_paths() -> tuple[str, ...]:
    return path_sets().default_paths


def _default_shapes() -> tuple[str, ...]:
    return path_sets().default_shapes


@dataclass(frozen=True)
class Selection:
    """The capture paths (set names or single paths, as asked) and the shapes
    a run observes; by default what paths.py says (DEFAULT_PATHS, DEFAULT_SHAPES);
    `behaviours`: only these behaviours' cells (default: every behaviour, the
    seed file too), as `exportmatrix bisect` asks for one cell."""

    paths: tuple[str, ...] = field(default_factory=_default_paths)
    shapes: tuple[str, ...] = field(default_factory=_default_shapes)
    behaviours: tuple[str, ...] = ()

    @classmethod
    def parse(
        cls, paths: str | None, shapes: str | None, base: Selection | None = None, behaviours: str | None = None
    ) -> Selection:
        """From the command line (--paths, --shapes, --only-behaviour: comma-separated; the
        last of a repeated option counts); what is not given comes from `base` (matrix.toml's),
        else the suite's defaults. Errors name the option, the value and the choices
        (behaviour ids are checked by the suite, which knows the case files' too)."""
        base = base or cls()
        known = path_sets()
        chosen_paths, chosen_shapes = base.paths, base.shapes
        if paths is not None:
            chosen_paths = tuple(split_names(paths))
            if not chosen_paths:
                raise ConfigError("--paths: %r names no capture path (%s)" % (paths, known.path_choices()))
            for name in chosen_paths:
                problem = known.path_problem(name)
                if problem:
                    raise ConfigError("--paths: %s" % problem)
        if shapes is not None:
            chosen_shapes = tuple(split_names(shapes))
            if not chosen_shapes:
                raise ConfigError("--shapes: %r names no shapes (choices: %s)" % (shapes, ", ".join(known.shapes)))
            for name in chosen_shapes:
                problem = known.shapes_problem(name)
                if problem:
                    raise ConfigError("--shapes: %s" % problem)
        chosen_behaviours = base.behaviours
        if behaviours is not None:
            chosen_behaviours = tuple(split_names(behaviours))
            if not chosen_behaviours:
                raise ConfigError("--only-behaviour: %r names no behaviour" % behaviours)
        return cls(chosen_paths, chosen_shapes, chosen_behaviours)

    @property
    def exporters(self) -> tuple[str, ...]:
        """The single capture paths this selection expands to."""
        return path_sets().expand(self.paths)

    def options(self) -> list[str]:
        """As the host's own options (posargs of a torch session, `exportmatrix run`)."""
        only = ["--only-behaviour", ",".join(self.behaviours)] if self.behaviours else []
        return ["--paths", ",".join(self.paths), "--shapes", ",".join(self.shapes), *only]

    def suite_arguments(self) -> list[str]:
        """The suite's own options for it."""
        only = ["--exportmatrix-only-behaviour", ",".join(self.behaviours)] if self.behaviours else []
        return ["--exportmatrix-paths", ",".join(self.paths), "--exportmatrix-shapes", ",".join(self.shapes), *only]

    def describe(self) -> dict[str, list[str]]:
        """What the environment line records."""
        described = {"capture_paths": list(self.paths), "shapes": list(self.shapes)}
        return {**described, "only_behaviours": list(self.behaviours)} if self.behaviours else described

    def fingerprint(self) -> str:
        """The cells it asks for: the same paths named by set or one by one,
        in any order, are the same request (a run of every behaviour keeps
        the fingerprint it had before behaviours could be chosen)."""
        found = "paths=%s;shapes=%s" % (",".join(sorted(self.exporters)), ",".join(sorted(self.shapes)))
        return found + (";behaviours=%s" % ",".join(sorted(self.behaviours)) if self.behaviours else "")
