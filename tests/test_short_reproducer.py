"""The short reproducer (exportmatrix.repro): made on the host from a cell's
full reproducer and its evidence, with stand-in matrices; tests/e2e runs real
ones in their releases."""

import ast
import textwrap

from exportmatrix.base import SUITE_DIR, compact, write_matrix
from exportmatrix.cli import main
from exportmatrix.repro import MAX_LINES, short_reproducer, undecidable
from exportmatrix.repro.short import non_blank, parts, state_names


def _template() -> str:
    """The suite's reproducer TEMPLATE, read without importing the suite."""
    tree = ast.parse((SUITE_DIR / "exportmatrix_suite" / "reproducer.py").read_text())
    values = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id in ("HEADER", "TEMPLATE"):
                value = node.value
                parts = [value.left, value.right] if isinstance(value, ast.BinOp) else [value]
                values[node.targets[0].id] = "".join(
                    values[p.id] if isinstance(p, ast.Name) else ast.literal_eval(p) for p in parts
                )
    return values["TEMPLATE"]


TEMPLATE, QUOTE = _template(), "'''"

SUPPORT = """def _x() -> tuple:
    return (torch.randn(4),)


class Counter(torch.nn.Module):

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer('buf', torch.zeros(4))
        self.n = 0

    def forward(self, x):
        self.buf.add_(x)
        self.n += 1
        return x * self.n"""

STRICT = "program = torch.export.export(mod, args, strict=True)\nartifact = program.module()"


def full(snippet=STRICT, shapes="static", outcome="diverges", lazy=False, state_hidden=False):
    return TEMPLATE.format_map(_Fields(
        id="stub.counter", exporter="export_strict", device="cpu", shapes=shapes, state_hidden=state_hidden,
        dynamic_dims=None, static_shapes_because=None, description="counts", torch="2.10.0", python="3.11.7",
        outcome=outcome, lazy=lazy, module_class="Counter", warmup_calls=0,
        snippet=textwrap.indent(snippet, "    "), classify="CLASSIFY_TEXT = 1\n", quote=QUOTE,
        future="", imports="", support=SUPPORT, inputs="_x", reset="lambda: None",
        extra_state="lambda module: {}",
    ))  # fmt: skip


class _Fields(dict):
    """A field the suite's template gained since (None, as the suite writes an option not declared)."""

    def __missing__(self, key):
        return "None"


def matrix(text, outcome="diverges", shapes="static", evidence=None):
    cell = {
        "environment": "torch-2.10.0-py3.11", "behaviour": "stub.counter", "exporter": "export_strict",
        "device": "cpu", "shapes": shapes, "outcome": outcome,
        "evidence": {"reproducer": text, **(evidence or {})},
    }  # fmt: skip
    whole = {
        "schema": "exportmatrix/1",
        "environments": [{"id": "torch-2.10.0-py3.11", "torch": "2.10.0", "python": "3.11.7", "status": "ok"}],
        "behaviours": [{"id": "stub.counter", "description": "counts", "mutates": ["buffer buf", "attribute n"]}],
        "observations": [cell],
        "upstream": [],
    }
    held = compact(whole, {})
    return held, held["observations"][0]


DIFFERS = {"differences": [{"what": "attribute n", "after_call": 1, "eager": "1", "exported": "0"}]}


def test_the_parts_of_a_full_reproducer():
    found = parts(full())
    assert found.module_class == "Counter" and found.inputs == "_x" and found.capture == STRICT
    assert found.reset is None and found.extra_state is None and found.device == "cpu" and not found.lazy


def test_a_short_reproducer_is_short_imports_torch_only_and_names_the_state():
    held, cell = matrix(full(), evidence=DIFFERS)
    text = short_reproducer(held, cell)
    assert text is not None and non_blank(text) <= MAX_LINES
    tree = ast.parse(text)
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert imported == {"torch"}
    assert "'buffer buf': getattr(artifact, 'buf'" in text and "'attribute n': getattr(artifact, 'n'" in text
    assert STRICT.split("\n")[0] in text and "(torch.randn(4),)" in text and "def _x" not in text
    assert text.rstrip().endswith('print("OUTCOME:", outcome or "holds")')
    assert "recorded diverges (attribute n)" in text.splitlines()[0]


def test_a_declared_pattern_is_left_to_the_evidence_which_names_each_state_that_differs():
    held, cell = matrix(full(), evidence=DIFFERS)
    (declared,) = held["behaviours"]
    declared["mutates"] = ["buffer **.running_mean", "attribute n", "buffer *"]  # patterns name no one state
    assert state_names(held, cell) == ["attribute n"]
    text = short_reproducer(held, cell)
    assert text is not None and "**" not in text and "'attribute n': getattr(artifact, 'n'" in text
    ast.parse(text)


def test_dynamic_cells_grow_their_inputs_as_the_suite_does():
    snippet = 'batch = torch.export.Dim("batch")\ndynamic_shapes = ({0: batch},)\n' + STRICT.replace(
        "args,", "args, dynamic_shapes=dynamic_shapes,"
    )
    held, cell = matrix(full(snippet, shapes="dynamic"), shapes="dynamic", evidence={"dynamic": {"dims": "(0,)"}})
    text = short_reproducer(held, cell)
    assert "def grow(a, d, k)" in text and "zip(args, (0,))" not in text and "(0,), [k] * len(args)" in text
    assert 'torch.export.Dim("batch")' in text and non_blank(text) <= MAX_LINES


def test_an_opaque_package_is_judged_without_the_module_state():
    snippet = "artifact = torch._inductor.aoti_load_package(package)"
    held, cell = matrix(full(snippet, state_hidden=True), evidence={"not_observable": ["buffer buf"]})
    text = short_reproducer(held, cell)
    assert "not observable: buffer buf, attribute n" in text and "'buffer buf'" not in text


def test_a_crash_says_it_cannot_decide():
    held, cell = matrix(full(), outcome="crash")
    assert undecidable(cell) and "# cannot decide here: recorded crash" in short_reproducer(held, cell)


def test_a_cell_judged_within_numerics_judges_those_names_by_the_float64_rule():
    """The names the cell judged within numerics (output, and a buffer) are
    judged by close() against a float64 run of the same module; every other
    name stays exact."""
    numerics = [
        {"kind": "output", "name": "output", "names": ["output of call 1", "output of call 2"], "count": 2},
        {"kind": "buffer", "name": "buf", "names": ["buffer buf"], "count": 1},
    ]
    held, cell = matrix(full(), outcome="holds", evidence={"numerics": numerics})
    text = short_reproducer(held, cell)
    assert undecidable(cell) is None and "cannot decide" not in text
    ast.parse(text)
    assert "def close(want, got, ref):" in text and "reference = [observe(m64, m64" in text
    assert "if name in ['output', 'buffer buf'] and close(want, got, reference[call - 1][name]): continue" in text
    assert "'buffer buf': " in text  # compared although no difference names it
    assert non_blank(text) <= MAX_LINES
    held, cell = matrix(full())
    assert "def close" not in short_reproducer(held, cell)


def test_each_call_is_seeded_as_the_suite_seeds_it():
    held, cell = matrix(full())
    text = short_reproducer(held, cell)
    assert "torch.manual_seed(k)" in text and "for k, a in enumerate(calls, 1)" in text


def test_a_reproducer_not_of_the_template_has_no_short_form():
    held, cell = matrix('"""a stand-in"""\nprint("OUTCOME: holds")\n')
    assert short_reproducer(held, cell) is None


def test_repro_short_and_full(tmp_path, capsys):
    held, _ = matrix(full(), evidence=DIFFERS)
    path = tmp_path / "matrix.json"
    write_matrix(path, held)
    assert main(["repro", str(path), "torch-2.10.0-py3.11", "stub.counter", "export_strict", "--short"]) == 0
    assert capsys.readouterr().out.startswith("# exportmatrix short reproducer: stub.counter")
    assert main(["repro", str(path), "torch-2.10.0-py3.11", "stub.counter", "export_strict"]) == 0
    assert capsys.readouterr().out.startswith('"""exportmatrix reproducer: stub.counter')
