"""Capture entry points, each with adapters for every release from 2.0 on.

An exporter is a short piece of code, chosen for the installed release, that
turns `mod` and `args` into `artifact` (and `program`, where there is an
ExportedProgram). The suite executes exactly that code, and the reproducer of
a cell quotes it, so what a user pastes is what was observed. Wrapping the
capture call rather than copying tests follows PyTorch's own export test
variants (non-strict, serdes, retraceability).
"""

from __future__ import annotations

import importlib
import inspect
import io
import re
from typing import Any, Dict, List, Optional, Tuple

import torch
import torch._dynamo  # not imported by `import torch` in 2.0

from exportmatrix_suite.probe import torch_version


def release() -> Tuple[int, int]:
    """The installed release as (major, minor)."""
    match = re.match(r"(\d+)\.(\d+)", torch_version())
    assert match, torch_version()
    return int(match.group(1)), int(match.group(2))


def signature_mutations(program: Any) -> Dict[str, Any]:
    signature = program.graph_signature
    found = {}
    for field in ("buffers_to_mutate", "user_inputs_to_mutate", "parameters_to_mutate"):
        value = getattr(signature, field, None)
        if value is not None:
            found[field] = {str(k): str(v) for k, v in dict(value).items()}
    return found


class Artifact:
    """What capture produced (a classify.Artifact): how to call it, what the
    user holds, and the mutations its graph signature declares (None where it
    has none)."""

    def __init__(self, artifact: Any, program: Any = None):
        self.call = artifact
        self.user_view = artifact
        self.signature_mutations = signature_mutations(program) if program is not None else None


def _has_torch_export() -> bool:
    """Whether torch.export exists; importing it also makes `torch.export`
    usable as an attribute in the snippets."""
    try:
        torch_export = importlib.import_module("torch.export")
    except ImportError:
        return False
    return hasattr(torch_export, "export")


def _export_parameters() -> List[str]:
    import torch.export as torch_export

    return list(inspect.signature(torch_export.export).parameters)


class Exporter:
    """One capture entry point (a classify.Exporter): the code in snippet(),
    run by capture() and quoted by the cell's reproducer."""

    name = ""
    lazy = False  # capture happens at the first call (torch.compile)

    def unavailable_reason(self) -> Optional[str]:
        return None

    def snippet(self) -> str:
        """Code that makes `artifact` (and maybe `program`) from `mod`, `args`."""
        raise NotImplementedError

    @property
    def detail(self) -> str:
        return self.snippet()

    def capture(self, module: Any, args: tuple) -> Artifact:
        torch._dynamo.reset()  # no cache or recompile count carried between cells
        _has_torch_export()
        namespace: Dict[str, Any] = {"torch": torch, "io": io, "mod": module, "args": args}
        exec(compile(self.snippet(), "<%s>" % self.name, "exec"), namespace)
        return Artifact(namespace["artifact"], namespace.get("program"))


class DynamoExport(Exporter):
    """torch._dynamo.export: `export(f, *args)` in 2.0, `export(f)(*args)` after."""

    name = "dynamo_export"

    def snippet(self) -> str:
        if release() < (2, 1):
            return "artifact, guards = torch._dynamo.export(mod, *args)"
        return "artifact, guards = torch._dynamo.export(mod)(*args)"


class TorchExport(Exporter):
    """torch.export.export with strict=True or strict=False."""

    def __init__(self, strict: bool):
        self.strict = strict
        self.name = "export_strict" if strict else "export_nonstrict"

    def unavailable_reason(self) -> Optional[str]:
        if not _has_torch_export():
            return "torch.export does not exist before 2.1"
        if not self.strict and "strict" not in _export_parameters():
            return "torch.export.export has no strict parameter in this release (non-strict mode came later)"
        return None

    def snippet(self) -> str:
        if "strict" in _export_parameters():
            call = "torch.export.export(mod, args, strict=%s)" % self.strict
        else:
            call = "torch.export.export(mod, args)  # strict is the only mode in this release"
        return "program = %s\nartifact = program.module()" % call


class ExportThen(Exporter):
    """torch.export.export as users call it (the release's default strictness),
    then one more step: decompositions, a save/load round trip, or a retrace."""

    STEPS = {
        "export_decomposed": "program = torch.export.export(mod, args).run_decompositions()\n"
        "artifact = program.module()",
        "export_saveload": "buffer = io.BytesIO()\n"
        "torch.export.save(torch.export.export(mod, args), buffer)\n"
        "buffer.seek(0)\n"
        "program = torch.export.load(buffer)\n"
        "artifact = program.module()",
        "export_retrace": "program = torch.export.export(torch.export.export(mod, args).module(), args)\n"
        "artifact = program.module()",
    }

    def __init__(self, name: str):
        self.name = name

    def unavailable_reason(self) -> Optional[str]:
        if not _has_torch_export():
            return "torch.export does not exist before 2.1"
        import torch.export as torch_export

        if self.name == "export_decomposed" and not hasattr(torch_export.ExportedProgram, "run_decompositions"):
            return "ExportedProgram.run_decompositions does not exist in this release"
        if self.name == "export_saveload" and not hasattr(torch_export, "save"):
            return "torch.export.save does not exist in this release"
        return None

    def snippet(self) -> str:
        return self.STEPS[self.name]


class CompileFullgraph(Exporter):
    """torch.compile(fullgraph=True) with a backend; compiles at the first call."""

    lazy = True

    def __init__(self, backend: str):
        self.backend = backend
        self.name = "compile_fullgraph" if backend == "eager" else "compile_fullgraph_" + backend

    def snippet(self) -> str:
        return 'artifact = torch.compile(mod, fullgraph=True, backend="%s")' % self.backend


EXPORTERS: List[Exporter] = [
    DynamoExport(),
    TorchExport(strict=True),
    TorchExport(strict=False),
    ExportThen("export_decomposed"),
    ExportThen("export_saveload"),
    ExportThen("export_retrace"),
    CompileFullgraph("eager"),
    CompileFullgraph("aot_eager"),
]
