"""Capture entry points, each with adapters for every release from 2.0 on.

An exporter is a short piece of code, chosen for the installed release, that
turns `mod` and `args` into `artifact` (and `program`, where there is an
ExportedProgram). The suite executes exactly that code, and the reproducer of
a cell quotes it, so what a user pastes is what was observed. Wrapping the
capture call rather than copying tests follows PyTorch's own export test
variants (non-strict, serdes, retraceability).
"""

from __future__ import annotations

import atexit
import importlib
import inspect
import io
import os
import re
import shutil
import tempfile
from typing import Any, Dict, List, Optional, Set, Tuple

import torch
import torch._dynamo  # not imported by `import torch` in 2.0

from exportmatrix_suite.classify import DYNAMIC, dynamic_sizes
from exportmatrix_suite.paths import PATH_SETS
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
    has none). A hidden-state artifact (an AOTInductor package) holds nothing
    the user can read the module's names on."""

    def __init__(self, artifact: Any, program: Any = None, state_hidden: bool = False):
        self.call = artifact
        self.user_view = None if state_hidden else artifact
        self.signature_mutations = signature_mutations(program) if program is not None else None
        self.state_hidden = state_hidden
        self.switches: Dict[str, str] = {}  # what the comparison switched on (Exporter.switches)
        # where the artifact keeps its own state and the capture code gave it a
        # way to read that back after a call (AOTInductor's runner): that way
        self.state_readback = getattr(artifact, "read_state", None) if state_hidden else None


# -- dynamic shapes as capture code: torch.export.Dim, or 2.1's constraints ----


def _leaves(value: Any, dims: Any, path: str) -> List[Tuple[str, int, int]]:
    """(how the capture code reaches a tensor, its dynamic dimension, its size)."""
    if isinstance(value, torch.Tensor):
        return [] if dims is None else [(path, dims, int(value.shape[dims]))]
    if isinstance(value, (list, tuple)):
        return [
            leaf for i, (item, dim) in enumerate(zip(value, dims)) for leaf in _leaves(item, dim, "%s[%d]" % (path, i))
        ]
    if isinstance(value, dict):
        return [leaf for key in value for leaf in _leaves(value[key], dims[key], "%s[%r]" % (path, key))]
    return []


def _dim_names(args: tuple, dims: tuple) -> Dict[int, str]:
    """One torch.export.Dim per capture size: inputs of one size share it (a batch)."""
    sizes = sorted(set(dynamic_sizes(args, dims)))
    return {size: "batch" if len(sizes) == 1 else "batch_%d" % size for size in sizes}


def _spec(value: Any, dims: Any, names: Dict[int, str]) -> str:
    if isinstance(value, torch.Tensor):
        return "None" if dims is None else "{%d: %s}" % (dims, names[int(value.shape[dims])])
    if isinstance(value, (list, tuple)):
        items = [_spec(item, dim, names) for item, dim in zip(value, dims)]
        if isinstance(value, list):
            return "[%s]" % ", ".join(items)
        return "(%s)" % (items[0] + "," if len(items) == 1 else ", ".join(items))
    if isinstance(value, dict):
        return "{%s}" % ", ".join("%r: %s" % (key, _spec(value[key], dims[key], names)) for key in value)
    return "None"


def dynamic_shapes_code(args: tuple, dims: tuple) -> str:
    """Lines that define `dynamic_shapes` for torch.export (2.2 and later)."""
    names = _dim_names(args, dims)
    lines = ['%s = torch.export.Dim("%s")' % (name, name) for name in names.values()]
    return "\n".join(lines + ["dynamic_shapes = %s" % _spec(args, dims, names)])


def constraints_code(args: tuple, dims: tuple) -> str:
    """Lines that define `constraints` (torch.export.dynamic_dim, 2.1 and 2.2);
    inputs of one size are constrained equal."""
    leaves = _leaves(args, dims, "args")
    terms = ["torch.export.dynamic_dim(%s, %d)" % (path, dim) for path, dim, _ in leaves]
    for i, (_, _, size) in enumerate(leaves):
        first = next(j for j, leaf in enumerate(leaves) if leaf[2] == size)
        if first != i:
            terms.append("%s == %s" % (terms[first], terms[i]))
    return "constraints = [\n%s\n]" % "".join("    %s,\n" % term for term in terms).rstrip("\n")


def _export_has(parameter: str) -> bool:
    return _has_torch_export() and parameter in _export_parameters()


def _dynamo_export_has(parameter: str) -> bool:
    return parameter in inspect.signature(torch._dynamo.export).parameters


# torch.nn's process-wide module hooks (private registries, the only place they
# are kept): 2.4 and 2.5's non-strict export registers a buffer-registration
# hook and leaves it registered when the export raises, after which every
# buffer assignment in the process runs it (torch.compile then refuses to trace
# it). One cell's failed capture must not decide the next cell's outcome.
_GLOBAL_HOOKS = (
    "_global_buffer_registration_hooks",
    "_global_module_registration_hooks",
    "_global_parameter_registration_hooks",
    "_global_forward_pre_hooks",
    "_global_forward_hooks",
    "_global_backward_pre_hooks",
    "_global_backward_hooks",
)


def global_hooks() -> Dict[str, List[int]]:
    """The ids of the module hooks registered process-wide, by registry."""
    from torch.nn.modules import module

    found = {name: getattr(module, name, None) for name in _GLOBAL_HOOKS}
    return {name: list(hooks) for name, hooks in found.items() if isinstance(hooks, dict)}


def remove_hooks_added_since(before: Dict[str, List[int]]) -> List[str]:
    """Remove the process-wide module hooks registered since `before`; their names."""
    from torch.nn.modules import module

    removed = []
    for name, ids in global_hooks().items():
        registry = getattr(module, name)
        for hook_id in ids:
            if hook_id not in before.get(name, ()):
                hook = registry.pop(hook_id)
                removed.append("%s %s" % (name.strip("_"), getattr(hook, "__qualname__", repr(hook))))
    return removed


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


def _export_dims(args: tuple, dims: Any) -> Tuple[str, str]:
    """(lines defining the dynamic dimensions, the option passing them) for
    torch.export.export: dynamic_shapes where it has them, else 2.1's constraints."""
    if dims is None:
        return "", ""
    if _export_has("dynamic_shapes"):
        return dynamic_shapes_code(args, dims) + "\n", ", dynamic_shapes=dynamic_shapes"
    return constraints_code(args, dims) + "\n", ", constraints=constraints"


def _export_dynamic_reason(shapes: str) -> Optional[str]:
    if shapes == DYNAMIC and not (_export_has("dynamic_shapes") or _export_has("constraints")):
        return "torch.export.export declares no dynamic dimension in this release (no dynamic_shapes, no constraints)"
    return None


def _device_of(module: Any, args: tuple) -> str:
    for tensor in list(module.parameters()) + list(module.buffers()) + [a for a in args if isinstance(a, torch.Tensor)]:
        return tensor.device.type
    return "cpu"


class Exporter:
    """One capture entry point (a classify.Exporter): the code in snippet(),
    run by capture() and quoted by the cell's reproducer."""

    name = ""
    lazy = False  # capture happens at the first call (torch.compile)
    state_hidden = False  # the artifact keeps its own copy of the module's state

    def unavailable_reason(self, shapes: str) -> Optional[str]:
        return None

    # what the comparison switches on in the compiler, quoted at the top of the
    # capture code and named in the evidence (see INDUCTOR_SWITCHES)
    switches: Dict[str, str] = {}

    def snippet(self, args: tuple, dims: Any) -> str:
        """Code that makes `artifact` (and maybe `program`) from `mod`, `args`
        (and DEVICE), with the dimensions `dims` dynamic (None: static),
        after the code of the comparison's switches."""
        return "".join(code for code in self.switches.values()) + self.capture_code(args, dims)

    def capture_code(self, args: tuple, dims: Any) -> str:
        """The capture itself (see snippet)."""
        raise NotImplementedError

    def detail(self, args: tuple, dims: Any) -> str:
        return self.snippet(args, dims)

    def capture(self, module: Any, args: tuple, dims: Any) -> Artifact:
        torch._dynamo.reset()  # no cache or recompile count carried between cells
        _has_torch_export()
        namespace: Dict[str, Any] = {"torch": torch, "io": io, "os": os, "tempfile": tempfile}
        namespace.update(mod=module, args=args, DEVICE=_device_of(module, args))
        hooks = global_hooks()
        try:
            exec(compile(self.snippet(args, dims), "<%s>" % self.name, "exec"), namespace)
        except BaseException as error:
            left = remove_hooks_added_since(hooks)  # a failed capture's leftovers (see _GLOBAL_HOOKS)
            if left:  # the cell's evidence names them (classify: left_by_capture)
                error.left_by_capture = left  # type: ignore[attr-defined]
            raise
        finally:
            self.captured(namespace)
        artifact = Artifact(namespace["artifact"], namespace.get("program"), self.state_hidden)
        artifact.switches = {name: "on" for name in self.switches}
        return artifact

    def captured(self, namespace: Dict[str, Any]) -> None:
        """Called after the capture code ran (or raised), with its names."""


class DynamoExport(Exporter):
    """torch._dynamo.export: `export(f, *args)` in 2.0, `export(f)(*args)` after;
    dynamic dimensions as dynamic_shapes (2.3 on) or constraints (2.1, 2.2)."""

    name = "dynamo_export"

    def unavailable_reason(self, shapes: str) -> Optional[str]:
        if shapes == DYNAMIC and not (_dynamo_export_has("dynamic_shapes") or _dynamo_export_has("constraints")):
            return (
                "torch._dynamo.export declares no dynamic dimension in this release (no dynamic_shapes, no constraints)"
            )
        return None

    def capture_code(self, args: tuple, dims: Any) -> str:
        if release() < (2, 1):
            return "artifact, guards = torch._dynamo.export(mod, *args)"
        if dims is None:
            return "artifact, guards = torch._dynamo.export(mod)(*args)"
        if _dynamo_export_has("dynamic_shapes"):
            return dynamic_shapes_code(args, dims) + (
                "\nartifact, guards = torch._dynamo.export(mod, dynamic_shapes=dynamic_shapes)(*args)"
            )
        return (
            constraints_code(args, dims)
            + "\nartifact, guards = torch._dynamo.export(mod, constraints=constraints)(*args)"
        )


class TorchExport(Exporter):
    """torch.export.export with strict=True or strict=False."""

    def __init__(self, strict: bool):
        self.strict = strict
        self.name = "export_strict" if strict else "export_nonstrict"

    def unavailable_reason(self, shapes: str) -> Optional[str]:
        if not _has_torch_export():
            return "torch.export does not exist before 2.1"
        if not self.strict and "strict" not in _export_parameters():
            return "torch.export.export has no strict parameter in this release (non-strict mode came later)"
        return _export_dynamic_reason(shapes)

    def capture_code(self, args: tuple, dims: Any) -> str:
        prelude, option = _export_dims(args, dims)
        if "strict" in _export_parameters():
            call = "torch.export.export(mod, args%s, strict=%s)" % (option, self.strict)
        else:
            call = "torch.export.export(mod, args%s)  # strict is the only mode in this release" % option
        return prelude + "program = %s\nartifact = program.module()" % call


class ExportThen(Exporter):
    """torch.export.export as users call it (the release's default strictness),
    then one more step: decompositions, a save/load round trip, or a retrace."""

    STEPS = {
        "export_decomposed": "program = {export}.run_decompositions()\nartifact = program.module()",
        "export_saveload": "buffer = io.BytesIO()\n"
        "torch.export.save({export}, buffer)\n"
        "buffer.seek(0)\n"
        "program = torch.export.load(buffer)\n"
        "artifact = program.module()",
        "export_retrace": "program = {retrace}\nartifact = program.module()",
    }

    def __init__(self, name: str):
        self.name = name

    def unavailable_reason(self, shapes: str) -> Optional[str]:
        if not _has_torch_export():
            return "torch.export does not exist before 2.1"
        import torch.export as torch_export

        if self.name == "export_decomposed" and not hasattr(torch_export.ExportedProgram, "run_decompositions"):
            return "ExportedProgram.run_decompositions does not exist in this release"
        if self.name == "export_saveload" and not hasattr(torch_export, "save"):
            return "torch.export.save does not exist in this release"
        return _export_dynamic_reason(shapes)

    def capture_code(self, args: tuple, dims: Any) -> str:
        prelude, option = _export_dims(args, dims)
        export = "torch.export.export(mod, args%s)" % option
        retrace = "torch.export.export(%s.module(), args%s)" % (export, option)
        return prelude + self.STEPS[self.name].format(export=export, retrace=retrace)


# Inductor draws random numbers its own way unless fallback_random is on (its
# documented switch for matching eager's random stream): the paths that compile
# with inductor turn it on, so that dropout's masks are eager's and a difference
# is the artifact's, not the draw's.
INDUCTOR_SWITCHES = {
    # (imported as a name of its own: a reproducer runs this code inside a function, where
    # `import torch._inductor.config` would make `torch` a local name of that function)
    "inductor fallback_random": "import torch._inductor.config as inductor_config\n"
    "inductor_config.fallback_random = True  # random draws as eager's, for the comparison\n"
}


class ExportThenCompile(Exporter):
    """The chained path users take to speed up an exported program:
    torch.export.export (the release's default strictness), .module(), then
    torch.compile with inductor (fullgraph); compiles at the first call;
    dynamic=True for dynamic shapes, as compile_fullgraph does."""

    name = "export_then_compile"
    lazy = True
    switches = INDUCTOR_SWITCHES

    def unavailable_reason(self, shapes: str) -> Optional[str]:
        if not _has_torch_export():
            return "torch.export does not exist before 2.1"
        return _export_dynamic_reason(shapes)

    def capture_code(self, args: tuple, dims: Any) -> str:
        prelude, option = _export_dims(args, dims)
        dynamic = ", dynamic=True" if dims is not None else ""
        return prelude + (
            "program = torch.export.export(mod, args%s)\n"
            "artifact = torch.compile(program.module(), fullgraph=True%s)" % (option, dynamic)
        )


class CompileFullgraph(Exporter):
    """torch.compile(fullgraph=True) with a backend (None: the default,
    inductor); compiles at the first call; dynamic=True for dynamic shapes,
    since it captures at the first call, on the inputs of that call."""

    lazy = True

    def __init__(self, backend: Optional[str], name: str):
        self.backend = backend
        self.name = name
        self.switches = INDUCTOR_SWITCHES if backend is None else {}  # None: inductor

    def capture_code(self, args: tuple, dims: Any) -> str:
        options = "" if self.backend is None else ', backend="%s"' % self.backend
        options += ", dynamic=True" if dims is not None else ""
        return "artifact = torch.compile(mod, fullgraph=True%s)" % options


_PACKAGES: List[str] = []  # folders of earlier AOTInductor packages, removed at the next capture


def _remove_packages() -> None:
    while _PACKAGES:
        shutil.rmtree(_PACKAGES.pop(), ignore_errors=True)


atexit.register(_remove_packages)


def runner_reads_back() -> bool:
    """Whether this release's AOTInductor model runner can read its constants
    back after a call (AOTIModelContainerRunner.extract_constants_map: 2.8 and
    later have it; 2.3 to 2.7 do not). The package loader
    (AOTIModelPackageLoader, what aoti_load_package wraps) offers only
    get_constant_fqns, load_constants and update_constant_buffer, and does not
    hand out its runner, in every release observed."""
    aoti = getattr(torch._C, "_aoti", None)
    return hasattr(getattr(aoti, "AOTIModelContainerRunnerCpu", None), "extract_constants_map")


# the loaded model with a read-back: the runner the package loader itself wraps,
# called as AOTICompiledModel and aot_load call it (flattened by its call spec)
_RUNNER_CALL = """runner = (
    torch._C._aoti.AOTIModelContainerRunnerCpu(so_path, 1)
    if DEVICE == "cpu"
    else torch._C._aoti.AOTIModelContainerRunnerCuda(so_path, 1, DEVICE, os.path.dirname(so_path))
)
in_spec, out_spec = [torch.utils._pytree.treespec_loads(spec) for spec in runner.get_call_spec()]


def artifact(*inputs):
    flat = torch.utils._pytree.tree_flatten((inputs, {}))[0]
    return torch.utils._pytree.tree_unflatten(runner.run(flat), out_spec)


artifact.read_state = lambda: runner.extract_constants_map(False)  # its constants after a call, by name"""


class AOTInductor(Exporter):
    """torch.export.export, compiled ahead of time by inductor into a package
    in a temporary folder, loaded and called: aoti_compile_and_package and
    aoti_load_package (2.6 on); torch._export.aot_compile (which exports
    itself) and aot_load before (2.3 to 2.5). The loaded artifact keeps its
    own copy of the module's state.

    Where the release's model runner reads its constants back
    (runner_reads_back()), the compiled model is loaded by that runner, which
    is what aoti_load_package and aot_load wrap, and the artifact carries
    `read_state`: the cell is judged on the package's own buffers after each
    call. Elsewhere nothing can be read back and the cell is judged on its
    outputs (the evidence's not_observable lists the module's names)."""

    name = "aoti"
    switches = INDUCTOR_SWITCHES
    state_hidden = True

    def unavailable_reason(self, shapes: str) -> Optional[str]:
        if not _has_torch_export():
            return "torch.export does not exist before 2.1"
        import torch._export as private_export
        import torch._inductor as inductor

        if not hasattr(inductor, "aoti_compile_and_package") and not hasattr(private_export, "aot_load"):
            return "AOTInductor has no Python loader in this release (torch._export.aot_load arrived in 2.3)"
        if (
            not hasattr(inductor, "aoti_compile_and_package")
            and shapes == DYNAMIC
            and "dynamic_shapes" not in (inspect.signature(private_export.aot_compile).parameters)
        ):
            return "torch._export.aot_compile has no dynamic_shapes in this release"
        return _export_dynamic_reason(shapes)

    def capture_code(self, args: tuple, dims: Any) -> str:
        import torch._inductor as inductor

        prelude, option = _export_dims(args, dims)
        folder = 'folder = tempfile.mkdtemp(prefix="exportmatrix-aoti-")\n'
        reads_back = runner_reads_back()
        if hasattr(inductor, "aoti_compile_and_package"):
            steps = (
                "program = torch.export.export(mod, args%s)\n"
                'path = os.path.join(folder, "model.pt2")\n'
                "package = torch._inductor.aoti_compile_and_package(program, package_path=path)\n"
            ) % option
            if not reads_back:
                return prelude + folder + steps + "artifact = torch._inductor.aoti_load_package(package)"
            return (
                prelude
                + folder
                + steps
                + "# aoti_load_package's loader wraps a model runner it does not hand out; this release's\n"
                "# runner reads its constants back, so the package's model is loaded by the runner itself\n"
                "import glob\n"
                "import zipfile\n"
                "\n"
                'unpacked = os.path.join(folder, "unpacked")\n'
                "with zipfile.ZipFile(package) as archive:\n"
                "    archive.extractall(unpacked)\n"
                '(so_path,) = glob.glob(os.path.join(unpacked, "**", "aotinductor", "**", "*.so"), recursive=True)\n'
                + _RUNNER_CALL
            )
        steps = (
            "so_path = torch._export.aot_compile(\n"
            '    mod, args%s, options={"aot_inductor.output_path": os.path.join(folder, "model.so")}\n'
            ")\n"
        ) % option
        if not reads_back:
            return prelude + folder + steps + "artifact = torch._export.aot_load(so_path, DEVICE)"
        held = "# aot_load's runner, held here so that it reads its constants back\n"
        return prelude + folder + steps + held + _RUNNER_CALL

    def capture(self, module: Any, args: tuple, dims: Any) -> Artifact:
        _remove_packages()  # the previous cell's package is no longer called
        return super().capture(module, args, dims)

    def captured(self, namespace: Dict[str, Any]) -> None:
        if "folder" in namespace:
            _PACKAGES.append(namespace["folder"])


EXPORTERS: List[Exporter] = [
    DynamoExport(),
    TorchExport(strict=True),
    TorchExport(strict=False),
    ExportThen("export_decomposed"),
    ExportThen("export_saveload"),
    ExportThen("export_retrace"),
    CompileFullgraph("eager", "compile_fullgraph"),
    CompileFullgraph("aot_eager", "compile_fullgraph_aot_eager"),
    CompileFullgraph(None, "compile_inductor"),
    AOTInductor(),
    ExportThenCompile(),
]
assert sorted(e.name for e in EXPORTERS) == sorted(n for names in PATH_SETS.values() for n in names), "paths.py"


def selected_exporters(names: str) -> List[Exporter]:
    """The exporters of a comma-separated list of capture-path sets and
    exporter names ("default,aoti"), in the catalogue's order."""
    wanted: Set[str] = set()
    for name in [n.strip() for n in names.split(",") if n.strip()]:
        if name in PATH_SETS:
            wanted.update(PATH_SETS[name])
        elif any(name == e.name for e in EXPORTERS):
            wanted.add(name)
        else:
            known = ", ".join(list(PATH_SETS) + [e.name for e in EXPORTERS])
            raise ValueError("unknown capture path %r (known: %s)" % (name, known))
    return [exporter for exporter in EXPORTERS if exporter.name in wanted]
