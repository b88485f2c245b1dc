"""Issue 31's additions, without torch: the step a behaviour declares between
its calls (applied alike on both sides, carried by the reproducer), an
artifact judged on the state it reads back (and the fallback where it reads
nothing back), an export-error that notes what capture changed, and the
upstream links of the catalogue's behaviours."""

from __future__ import annotations

import ast
import copy
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest
import tomllib
from exportmatrix_suite.classify import DIVERGES, EXPORT_ERROR, HOLDS, observe
from exportmatrix_suite.declare import REGISTRY, Behaviour
from exportmatrix_suite.reproducer import render
from standins import Artifact, Instance, StandInExporter, Vec, bakes_value_at_capture, faithful
from test_reproducer import StubExporter, run

SUITE = Path(__file__).resolve().parents[2] / "suite" / "exportmatrix_suite"
CATALOGUE = SUITE / "behaviours"
KNOWN = SUITE / "upstream" / "known.toml"


# -- the step between the calls ---------------------------------------------------


class Scaled:
    """Multiplies by a scale the user may change between calls."""

    def __init__(self) -> None:
        self.scale = 2.0

    def __call__(self, x: float) -> float:
        return x * self.scale


@dataclass
class Between:
    id: str = "stub.between"
    warmup_calls: int = 0
    dynamic_dims: Optional[tuple] = None
    static_shapes_because: Optional[str] = None
    steps: List[int] = field(default_factory=list)  # id() of each module the step was applied to

    def instantiate(self, device: str) -> Instance:
        return Instance(Scaled(), (3.0,))

    def reset(self) -> None:
        pass

    def extra_state(self, module: Any) -> Dict[str, Any]:
        return {}

    def between_calls(self, module: Any) -> None:
        self.steps.append(id(module))
        module.scale = 5.0


def test_the_step_between_the_calls_is_applied_on_both_sides():
    declared = Between()
    exporter = StandInExporter("faithful", faithful)
    cell = observe(declared, exporter, "cpu")
    assert cell["outcome"] == HOLDS, cell
    (captured,) = exporter.captures
    assert len(declared.steps) == 2  # once on eager's module, once on the module the artifact was captured from
    assert declared.steps[1] == id(captured)


def test_an_artifact_that_ignores_the_step_diverges_at_the_second_call():
    cell = observe(Between(), StandInExporter("baked", bakes_value_at_capture), "cpu")
    assert cell["outcome"] == DIVERGES
    (found,) = cell["evidence"]["differences"]
    assert found["what"] == "output of call 2" and found["eager"] == "15.0" and found["exported"] == "6.0"


CASE_FILE = """
from exportmatrix_suite import behaviour


def _raise_scale(module):
    module.scale = 5.0


@behaviour(
    id="stub.scaled_between",
    description="the user changes the scale between the two calls",
    tags=("test",),
    inputs=lambda: (3.0,),
    between_calls=_raise_scale,
)
class Scaled:
    def __init__(self):
        self.scale = 2.0

    def to(self, device):
        return self

    def __call__(self, x):
        return x * self.scale
"""


@pytest.fixture
def scaled(tmp_path):
    before = list(REGISTRY)
    path = tmp_path / "stub_between.py"
    path.write_text(CASE_FILE)
    spec = importlib.util.spec_from_file_location("stub_between", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["stub_between"] = module
    spec.loader.exec_module(module)
    yield REGISTRY[-1]
    REGISTRY[:] = before
    del sys.modules["stub_between"]


def test_the_declaration_records_the_step(scaled):
    assert scaled.between_calls is not None and scaled.declaration()["between_calls"] is True


@pytest.mark.parametrize(
    "code, outcome",
    [("artifact = mod", HOLDS), ("baked = mod(*args)\nartifact = lambda x: baked", DIVERGES)],
)
def test_the_reproducer_carries_the_step_and_applies_it_on_both_sides(scaled, tmp_path, code, outcome):
    text = render(scaled, StubExporter("stub", code), "cpu", "static", outcome, "2.4.1")
    assert "def _raise_scale(module):" in text and "between_calls = _raise_scale" in text
    printed, done = run(tmp_path, text)
    assert printed == ["OUTCOME: " + outcome], done.stdout + done.stderr
    if outcome == DIVERGES:
        assert "output of call 2 (arose at call 2): eager 15.0, exported 6.0" in done.stdout


def test_a_behaviour_the_release_cannot_express_is_unsupported():
    declared = Behaviour(
        "stub.unavailable", "x", ("test",), Scaled, lambda: (1.0,), unavailable=lambda: "no custom_op here"
    )
    cell = observe(declared, StandInExporter("faithful", faithful), "cpu")
    assert cell == {"outcome": "unsupported", "evidence": {"reason": "no custom_op here"}}


def test_between_calls_and_upstream_are_checked():
    with pytest.raises(ValueError, match="upstream must be a tuple of owner/repo#number"):
        Behaviour("stub.bad", "x", ("test",), Scaled, lambda: (1.0,), upstream=("#111676",))
    with pytest.raises(ValueError, match="between_calls must be callable"):
        Behaviour("stub.bad", "x", ("test",), Scaled, lambda: (1.0,), between_calls=3)  # type: ignore[arg-type]


# -- a capture that fails but changed the module ------------------------------------


@dataclass
class Plain:
    """A behaviour of a plain Python module class (Behaviour.instantiate needs torch)."""

    id: str
    module_class: type
    warmup_calls: int = 0
    dynamic_dims: Optional[tuple] = None
    static_shapes_because: Optional[str] = None

    def instantiate(self, device: str) -> Instance:
        return Instance(self.module_class(), (1.0,))

    def reset(self) -> None:
        pass

    def extra_state(self, module: Any) -> Dict[str, Any]:
        return {}


class Counter:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, x: float) -> float:
        self.n += 1
        return x + self.n


def counts_then_raises(module: Any, args: tuple) -> Artifact:
    module(*args)  # as non-strict export runs forward for real
    raise RuntimeError("data-dependent branch")


def test_an_export_error_notes_what_capture_changed_on_the_way():
    cell = observe(Plain("stub.counter", Counter), StandInExporter("half", counts_then_raises), "cpu")
    assert cell["outcome"] == EXPORT_ERROR
    assert cell["evidence"]["changed_by_capture"] == ["attribute n"]


def test_an_export_error_that_changed_nothing_says_nothing_of_it():
    def raises(module: Any, args: tuple) -> Artifact:
        raise RuntimeError("refused")

    cell = observe(Plain("stub.counter", Counter), StandInExporter("refuses", raises), "cpu")
    assert cell["outcome"] == EXPORT_ERROR and "changed_by_capture" not in cell["evidence"]


# -- an artifact judged on the state it reads back ------------------------------------


class Buffered:
    """A module stand-in with one buffer, updated in place by each call."""

    def __init__(self) -> None:
        self._buffers = {"buf": Vec([0.0, 0.0])}

    def named_buffers(self) -> list:
        return list(self._buffers.items())

    def named_parameters(self) -> list:
        return []

    def named_modules(self) -> list:
        return [("", self)]

    def __getattr__(self, name: str) -> Any:
        buffers = self.__dict__.get("_buffers", {})
        if name in buffers:
            return buffers[name]
        raise AttributeError(name)

    def __call__(self, x: float) -> float:
        self.buf.values = [value + x for value in self.buf.values]
        return x * 2


@dataclass
class Hidden:
    """An artifact that keeps its own copy of the state (AOTInductor's package)."""

    call: Callable[..., Any]
    user_view: Any = None
    signature_mutations: Optional[dict] = None
    state_hidden: bool = True
    state_readback: Optional[Callable[[], Dict[str, Any]]] = None


def keeps_its_copy(read_back: bool, updates: bool = True) -> Callable[[Any, tuple], Hidden]:
    def capture(module: Any, args: tuple) -> Hidden:
        private = copy.deepcopy(module)
        run = private if updates else (lambda x: x * 2)
        return Hidden(run, state_readback=(lambda: {"buf": private.buf}) if read_back else None)

    return capture


BUFFERED = Plain("stub.buffered", Buffered)


def test_a_hidden_copy_read_back_after_each_call_is_judged_like_any_state():
    cell = observe(BUFFERED, StandInExporter("aoti", keeps_its_copy(read_back=True)), "cpu")
    assert cell["outcome"] == HOLDS, cell
    assert cell["evidence"]["read_back"] == ["buffer buf"] and cell["evidence"]["not_observable"] == []


def test_a_hidden_copy_that_does_not_change_diverges_once_it_is_read_back():
    cell = observe(BUFFERED, StandInExporter("aoti", keeps_its_copy(read_back=True, updates=False)), "cpu")
    assert cell["outcome"] == DIVERGES
    assert [found["what"] for found in cell["evidence"]["differences"]] == ["buffer buf", "buffer buf"]


def test_where_nothing_can_be_read_back_the_outputs_alone_are_judged():
    cell = observe(BUFFERED, StandInExporter("aoti", keeps_its_copy(read_back=False, updates=False)), "cpu")
    assert cell["outcome"] == HOLDS
    assert cell["evidence"]["not_observable"] == ["buffer buf"] and "read_back" not in cell["evidence"]


def test_a_read_back_that_raises_is_noted_and_the_outputs_alone_are_judged():
    def capture(module: Any, args: tuple) -> Hidden:
        def broken() -> Dict[str, Any]:
            raise RuntimeError("no constants")

        return Hidden(copy.deepcopy(module), state_readback=broken)

    cell = observe(BUFFERED, StandInExporter("aoti", capture), "cpu")
    assert cell["outcome"] == HOLDS
    assert cell["evidence"]["read_back_error"]["message"] == "no constants"


# -- the catalogue's upstream links -----------------------------------------------------


def _declared_upstream() -> Dict[str, tuple]:
    """{behaviour id: its upstream refs}, read from the catalogue's source (torch-free)."""
    found = {}
    for path in sorted(CATALOGUE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                for decorator in node.decorator_list:
                    if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == "behaviour":
                        options = {keyword.arg: keyword.value for keyword in decorator.keywords}
                        refs = ast.literal_eval(options["upstream"]) if "upstream" in options else ()
                        found[ast.literal_eval(options["id"])] = tuple(refs)
    return found


def test_every_upstream_ref_of_a_behaviour_has_a_link_naming_it():
    links = tomllib.loads(KNOWN.read_text())["link"]
    declared = _declared_upstream()
    missing = [
        (identifier, ref)
        for identifier, refs in declared.items()
        for ref in refs
        if not any(link["ref"] == ref and identifier in link["behaviours"] for link in links)
    ]
    assert missing == []
    assert sum(1 for refs in declared.values() if refs) >= 11


def test_the_patterns_reported_upstream_are_in_the_catalogue():
    tree = ast.parse((CATALOGUE / "reported_upstream.py").read_text())
    ids = [
        ast.literal_eval(keyword.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "behaviour"
        for keyword in node.keywords
        if keyword.arg == "id"
    ]
    assert len(ids) >= 14 and len(set(ids)) == len(ids)
