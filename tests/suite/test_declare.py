"""Declaring a behaviour: validated when declared, an id only once (no torch needed)."""

import dataclasses
import hashlib
from pathlib import Path

import pytest
from exportmatrix_suite import behaviour
from exportmatrix_suite.declare import (
    REGISTRY,
    Behaviour,
    Source,
    mutates_problem,
    selected,
    source_of,
    state_kind,
)


class Module:
    def __call__(self, x):
        return x


def _inputs():
    return (1.0,)


@pytest.fixture
def registry():
    """REGISTRY as the test found it, afterwards."""
    before = list(REGISTRY)
    yield REGISTRY
    REGISTRY[:] = before


def declare(**changes):
    options = dict(id="test.declared", description="a test declaration", tags=("test",), inputs=_inputs)
    options.update(changes)
    return behaviour(**options)(Module)


def test_a_valid_declaration_joins_the_registry(registry):
    declare(mutates=("attribute n", "input 0", "global TOTALS", "class attribute calls"), warmup_calls=1)
    (declared,) = [b for b in registry if b.id == "test.declared"]
    assert declared.module_class is Module and declared.tags == ("test",)
    assert declared.declaration() == {
        "id": "test.declared",
        "description": "a test declaration",
        "tags": ["test"],
        "seed_test": None,
        "mutates": ["attribute n", "input 0", "global TOTALS", "class attribute calls"],
        "source": {"file": __file__, "sha256": hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]},
    }
    assert not declared.source.case_file


def test_an_id_declared_twice_is_refused_naming_where_it_is(registry):
    declare()
    where = "already declared in %s \\(class Module\\)" % __file__
    with pytest.raises(ValueError, match="'test.declared' is declared twice: it is " + where):
        declare(description="another module, the same id")
    assert [b.id for b in registry].count("test.declared") == 1


@pytest.mark.parametrize(
    "changes, problem",
    [
        ({"id": "Test Declared"}, "the id must be"),
        ({"id": ""}, "the id must be"),
        ({"description": " "}, "the description must be"),
        ({"tags": ()}, "tags must be a non-empty tuple"),
        ({"tags": "buffer"}, "tags must be a non-empty tuple"),
        ({"tags": ("in place",)}, "tag 'in place'"),
        ({"inputs": (1.0,)}, "inputs must be callable"),
        ({"extra_state": {"global X": 1}}, "extra_state must be callable"),
        ({"mutates": ("buf",)}, "mutates names 'buf'"),
        ({"mutates": ("tensor buf",)}, "mutates names 'tensor buf'"),
        ({"mutates": ("input first",)}, "mutates names 'input first'"),
        ({"mutates": "buffer buf"}, "mutates must be a tuple"),
        ({"warmup_calls": -1}, "warmup_calls must not be negative"),
        ({"warmup_calls": 1.5}, "warmup_calls must be an int"),
        ({"seed_test": 3}, "seed_test must be"),
        ({"inputs": None}, "inputs is missing"),
    ],
)
def test_an_invalid_declaration_is_refused_with_the_reason(registry, changes, problem):
    with pytest.raises(ValueError, match="behaviour .*" + problem):
        declare(**changes)
    assert "test.declared" not in [b.id for b in registry]


def test_an_unknown_option_is_refused(registry):
    with pytest.raises(TypeError):
        declare(mutate=("attribute n",))
    with pytest.raises(TypeError, match="source"):  # recorded, never declared
        declare(source=Source("elsewhere.py", None))


def test_missing_inputs_are_named(registry):
    with pytest.raises(ValueError, match="behaviour 'test.declared': inputs is missing"):
        behaviour(id="test.declared", description="no inputs", tags=("test",))(Module)


def test_a_suite_file_is_recorded_relative_to_the_suite_folder():
    source = source_of(Behaviour)  # a class of exportmatrix_suite/declare.py
    package = Path(__file__).resolve().parents[2] / "suite" / "exportmatrix_suite"
    digest = hashlib.sha256((package / "declare.py").read_bytes()).hexdigest()[:16]
    assert source == Source("exportmatrix_suite/declare.py", digest, case_file=False)


def _declared(id, case_file, mutates=()):
    return Behaviour(id, "d", ("test",), Module, _inputs, mutates=mutates, source=Source("f.py", "0" * 16, case_file))


def test_only_cases_selects_the_case_files_behaviours_in_order():
    registry = [_declared("a.built_in", False), _declared("b.case", True), _declared("c.built_in", False)]
    registry.append(_declared("d.case", True))
    assert [b.id for b in selected(registry, only_cases=False)] == ["a.built_in", "b.case", "c.built_in", "d.case"]
    assert [b.id for b in selected(registry, only_cases=True)] == ["b.case", "d.case"]
    assert selected([_declared("a.built_in", False)], only_cases=True) == []


def test_a_mutation_the_eager_run_does_not_perform_is_named_with_what_it_did():
    declared = _declared("case.kv", True, mutates=("buffer cache", "attribute step"))
    assert mutates_problem(declared, ["attribute step", "buffer cache"]) is None
    problem = mutates_problem(declared, ["attribute step", "buffer k"])
    assert problem.splitlines() == [
        "mutates does not match the eager run: 1 of the 2 names it changed matches no entry; "
        "1 entry matches nothing it changed",
        "  behaviour 'case.kv', declared in f.py (class Module); mutates=('buffer cache', 'attribute step')",
        "  it changed 2 names: 'attribute step' matched 1",
        "  matching no entry (1):",
        "    'buffer k'",
        "  matching nothing it changed: 'buffer cache'",
    ]
    assert "it changed nothing" in mutates_problem(declared, [])


def test_a_declared_behaviour_is_frozen(registry):
    declare()
    (declared,) = [b for b in registry if b.id == "test.declared"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        declared.id = "test.renamed"


def test_state_names_have_a_kind_the_classifier_knows():
    assert state_kind("buffer bn.running_mean") == "buffer"
    assert state_kind("class attribute calls") == "class attribute"
    assert state_kind("attribute block.leaf.scale") == "attribute"
    assert state_kind("input 1") == "input"
    assert state_kind("closure count") == "closure"
    assert state_kind("input x") is None
    assert state_kind("buffer") is None
    assert state_kind("output 1") is None


def test_a_case_file_behaviour_needs_only_an_id_and_inputs(registry):
    class Counter:
        """Counts its calls in a buffer.

        More text that is not the description."""

    behaviour(id="my.counter", inputs=_inputs)(Counter)
    (declared,) = [b for b in registry if b.id == "my.counter"]
    assert declared.tags == ("user",) and declared.description == "Counts its calls in a buffer."
    behaviour(id="my.plain", inputs=_inputs)(Module)  # no docstring: the id describes it
    (plain,) = [b for b in registry if b.id == "my.plain"]
    assert plain.description == "my.plain"
