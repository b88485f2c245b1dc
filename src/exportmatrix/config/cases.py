"""Case files: users' files of behaviours, checked before anything is
installed. What needs no torch is checked here (syntax, ids, required
options); whether the eager run really mutates what a behaviour names is
checked by the suite in every environment."""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass
from pathlib import Path

from exportmatrix.base import CATALOGUE_DIR, suite_declarations

REQUIRED = ("id", "inputs")  # the options @behaviour cannot do without (description and tags have defaults)


@dataclass(frozen=True)
class Declared:
    id: str
    file: Path
    line: int


@dataclass(frozen=True)
class Cases:
    """The case files a run adds to the suite, and whether only they run."""

    files: tuple[Path, ...] = ()
    only: bool = False

    @property
    def active(self) -> bool:
        return bool(self.files) or self.only

    def suite_arguments(self) -> list[str]:
        """The suite's own options for them."""
        arguments = [argument for path in self.files for argument in ("--exportmatrix-behaviours", str(path))]
        return arguments + (["--exportmatrix-only-cases"] if self.only else [])

    def describe(self) -> dict:
        return {"case_files": [str(path) for path in self.files], "only_cases": self.only}

    def fingerprint(self) -> str:
        """What the case files hold, so an environment reruns when one changes
        (inside the suite, only the behaviours whose own code changed rerun)."""
        digest = hashlib.sha256(b"only" if self.only else b"all")
        for path in self.files:
            digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()[:16]


def declarations(path: Path) -> tuple[list[Declared], list[str]]:
    """The behaviours a file declares, and what is wrong with it (each
    problem names the file and line). Declarations are found by the suite's
    own parser (declarations.py), so every form the suite accepts counts."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError as error:
        return [], ["%s:%s: SyntaxError: %s" % (path, error.lineno, error.msg)]
    except OSError as error:
        return [], ["%s: cannot read it (%s)" % (path, error.strerror)]
    found, problems = [], []
    for declaration in suite_declarations().declarations(tree):
        options = declaration.options
        where = "%s:%d: class %s" % (path, declaration.line, declaration.node.name)
        # options unpacked from *args or **kwargs are known only when the file runs (the suite checks them)
        missing = [] if declaration.unpacks else [name for name in REQUIRED if name not in options]
        if missing:
            problems.append("%s: @behaviour needs %s" % (where, ", ".join(missing)))
            continue
        identifier = options.get("id")
        if not isinstance(identifier, ast.Constant) or not isinstance(identifier.value, str):
            problems.append("%s: the id must be a string literal" % where)
            continue
        found.append(Declared(identifier.value, path, declaration.line))
    if not found and not problems:
        problems.append("%s: declares no behaviour (no class decorated with @behaviour)" % path)
    return found, problems


def builtin_declarations() -> list[Declared]:
    return [d for path in sorted(CATALOGUE_DIR.glob("*.py")) for d in declarations(path)[0]]


def check_case_files(files: tuple[Path, ...]) -> tuple[tuple[Path, ...], list[str]]:
    """The files fit to run, and a line for each problem of the others: a
    syntax error, a missing option, an id that a built-in behaviour or an
    earlier file already declares."""
    seen = {d.id: d for d in builtin_declarations()}
    usable, problems = [], []
    for path in files:
        found, wrong = declarations(path)
        for declared in found:
            other = seen.get(declared.id)
            if other is not None:
                wrong.append(
                    "%s:%d: behaviour id %r is already declared in %s:%d"
                    % (path, declared.line, declared.id, other.file, other.line)
                )
        if wrong:
            problems += wrong
            continue
        seen.update({declared.id: declared for declared in found})
        usable.append(path)
    return tuple(usable), problems
