"""Declaring a behaviour: validated when declared, an id only once (no torch needed)."""

import dataclasses

import pytest
from exportmatrix_suite import behaviour
from exportmatrix_suite.declare import REGISTRY, state_kind


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
    }


def test_an_id_declared_twice_is_refused(registry):
    declare()
    with pytest.raises(ValueError, match="'test.declared' is declared twice"):
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
    ],
)
def test_an_invalid_declaration_is_refused_with_the_reason(registry, changes, problem):
    with pytest.raises(ValueError, match="behaviour .*" + problem):
        declare(**changes)
    assert "test.declared" not in [b.id for b in registry]


def test_an_unknown_option_is_refused(registry):
    with pytest.raises(TypeError):
        declare(mutate=("attribute n",))


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
