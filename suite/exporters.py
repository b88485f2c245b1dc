"""Capture entry points, each with adapters for every release from 2.0 on.

An exporter wraps the capture call, the way PyTorch's export test variants
wrap `export` rather than copying tests. `unavailable_reason()` says why an
entry point does not exist in the installed release (the cell is then
`unsupported`); `capture()` returns an Artifact the classifier calls.
"""

from __future__ import annotations

import inspect
import re
from typing import Any, Callable, Dict, List, Optional, Tuple

import torch
import torch._dynamo  # not imported by `import torch` in 2.0


def torch_version() -> Tuple[int, int]:
    match = re.match(r"(\d+)\.(\d+)", torch.__version__)
    assert match, torch.__version__
    return int(match.group(1)), int(match.group(2))


class Artifact:
    """What capture produced: how to call it, what the user holds, and the
    mutations its graph signature declares (None where it has none)."""

    def __init__(self, call: Callable[..., Any], user_view: Any, program: Any = None):
        self.call = call
        self.user_view = user_view
        self.signature_mutations = signature_mutations(program) if program is not None else None


def signature_mutations(program: Any) -> Dict[str, Any]:
    signature = program.graph_signature
    found = {}
    for field in ("buffers_to_mutate", "user_inputs_to_mutate", "parameters_to_mutate"):
        value = getattr(signature, field, None)
        if value is not None:
            found[field] = {str(k): str(v) for k, v in dict(value).items()}
    return found


def _exported_program_view(program: Any) -> Any:
    # ExportedProgram.module() gives an nn.Module with the original names;
    # where a release lacks it, the program itself is callable.
    return program.module() if hasattr(program, "module") else program


class Exporter:
    name = ""
    lazy = False  # capture happens at the first call (torch.compile)

    @property
    def detail(self) -> str:
        """Which adapter ran, so evidence says what was really called."""
        return ""

    def unavailable_reason(self) -> Optional[str]:
        return None

    def prepare(self) -> None:
        torch._dynamo.reset()  # no cache or recompile count carried between cells

    def capture(self, module: Any, args: tuple) -> Artifact:
        raise NotImplementedError


class DynamoExport(Exporter):
    """torch._dynamo.export: `export(f, *args)` in 2.0, `export(f)(*args)` after."""

    name = "dynamo_export"

    @property
    def detail(self) -> str:
        return "torch._dynamo.export(f, *args)" if torch_version() < (2, 1) else "torch._dynamo.export(f)(*args)"

    def capture(self, module: Any, args: tuple) -> Artifact:
        self.prepare()
        if torch_version() < (2, 1):
            graph, _guards = torch._dynamo.export(module, *args)
        else:
            graph, _guards = torch._dynamo.export(module)(*args)
        return Artifact(graph, graph)


class TorchExport(Exporter):
    """torch.export.export with strict=True or strict=False."""

    def __init__(self, strict: bool):
        self.strict = strict
        self.name = "export_strict" if strict else "export_nonstrict"

    @property
    def detail(self) -> str:
        if "strict" in self._parameters():
            return "torch.export.export(mod, args, strict=%s)" % self.strict
        return "torch.export.export(mod, args) (strict is the only mode)"

    def _parameters(self) -> List[str]:
        return list(inspect.signature(torch.export.export).parameters)

    def unavailable_reason(self) -> Optional[str]:
        if not hasattr(torch, "export") or not hasattr(torch.export, "export"):
            return "torch.export does not exist before 2.1"
        if not self.strict and "strict" not in self._parameters():
            return "torch.export.export has no strict parameter in this release (non-strict mode came later)"
        return None

    def capture(self, module: Any, args: tuple) -> Artifact:
        self.prepare()
        import torch.export as torch_export

        if "strict" in self._parameters():
            program = torch_export.export(module, args, strict=self.strict)
        else:
            program = torch_export.export(module, args)
        view = _exported_program_view(program)
        return Artifact(view, view, program)


class CompileFullgraph(Exporter):
    """torch.compile(fullgraph=True) with a backend; compiles at the first call."""

    lazy = True

    def __init__(self, backend: str):
        self.backend = backend
        self.name = "compile_fullgraph" if backend == "eager" else "compile_fullgraph_" + backend

    @property
    def detail(self) -> str:
        return 'torch.compile(mod, fullgraph=True, backend="%s")' % self.backend

    def capture(self, module: Any, args: tuple) -> Artifact:
        self.prepare()
        compiled = torch.compile(module, fullgraph=True, backend=self.backend)
        return Artifact(compiled, compiled)


EXPORTERS: List[Exporter] = [
    DynamoExport(),
    TorchExport(strict=True),
    TorchExport(strict=False),
    CompileFullgraph("eager"),
]
