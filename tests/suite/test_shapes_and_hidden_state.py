"""The classifier's rules for dynamic shapes and for artifacts that keep
their own copy of the module's state, proven with stand-ins (no torch)."""

from exportmatrix_suite.classify import dynamic_dims, freeze, observe, resized
from standins import (
    AppendsToInput,
    Artifact,
    Counter,
    FixedLength,
    StandInBehaviour,
    StandInExporter,
    SumsAndCounts,
    Vec,
    faithful,
    hides_state,
    hides_state_and_bakes,
    loses_side_effect,
    specializes,
)

COUNTER = StandInBehaviour("attr.counter", Counter, lambda: (1.0,))
SUMS = StandInBehaviour("sums", SumsAndCounts, lambda: (Vec([1.0, 2.0, 3.0]),))


# -- hidden state: judged on outputs and the state outside the module ----------


def test_an_artifact_with_hidden_state_is_judged_on_what_the_user_can_read():
    observation = observe(COUNTER, StandInExporter("opaque", hides_state), "cpu")
    assert observation["outcome"] == "holds"  # its outputs are eager's; the module's n is not the user's to read
    assert observation["evidence"]["not_observable"] == ["attribute n"]


def test_the_same_artifact_without_the_flag_diverges_on_the_module_state():
    observation = observe(COUNTER, StandInExporter("lossy", loses_side_effect), "cpu")
    assert observation["outcome"] == "diverges"
    assert "not_observable" not in observation["evidence"]


def test_hidden_state_still_diverges_on_its_outputs():
    observation = observe(COUNTER, StandInExporter("opaque", hides_state_and_bakes), "cpu")
    assert observation["outcome"] == "diverges"
    assert [d["what"] for d in observation["evidence"]["differences"]] == ["output of call 2"]
    assert observation["evidence"]["not_observable"] == ["attribute n"]


def test_hidden_state_still_compares_the_inputs():
    """Right outputs, but the input the caller holds is never appended to."""

    def counts_privately(module, args):
        calls = []
        return Artifact(lambda items: calls.append(1) or len(calls), None, None, state_hidden=True)

    behaviour = StandInBehaviour("input.append", AppendsToInput, lambda: ([],))
    observation = observe(behaviour, StandInExporter("opaque", counts_privately), "cpu")
    assert observation["outcome"] == "diverges"
    assert {d["what"] for d in observation["evidence"]["differences"]} == {"input 0"}


# -- dynamic shapes ------------------------------------------------------------


def test_a_dynamic_cell_captures_at_one_size_and_calls_at_two_others():
    seen = []

    def records(module, args):
        seen.append(len(args[0].values))
        return faithful(module, args)

    exporter = StandInExporter("faithful", records)
    observation = observe(SUMS, exporter, "cpu", "dynamic")
    assert observation["outcome"] == "holds"
    assert seen == [3] and exporter.dims == [(0,)]
    assert observation["evidence"]["dynamic"] == {
        "dims": "(0,)",
        "sizes": {"capture": [3], "call 1": [4], "call 2": [5]},
    }


def test_an_artifact_specialized_to_the_capture_size_diverges_only_when_dynamic():
    exporter = StandInExporter("specializes", specializes)
    assert observe(SUMS, exporter, "cpu", "static")["outcome"] == "holds"
    observation = observe(SUMS, exporter, "cpu", "dynamic")
    assert observation["outcome"] == "diverges"
    first = observation["evidence"]["differences"][0]
    assert first["what"] == "output of call 1"  # 1+2+3+1 (the fourth element, 1.0, cut off) vs eager's 8
    assert (first["eager"], first["exported"]) == ("8.0", "7.0")


def test_a_behaviour_whose_eager_run_fails_at_other_sizes_is_unsupported_when_dynamic():
    behaviour = StandInBehaviour("fixed", FixedLength, lambda: (Vec([1.0, 2.0, 3.0]),))
    exporter = StandInExporter("faithful", faithful)
    assert observe(behaviour, exporter, "cpu", "static")["outcome"] == "holds"
    observation = observe(behaviour, exporter, "cpu", "dynamic")
    assert observation["outcome"] == "unsupported"
    assert observation["evidence"]["reason"].startswith(
        "its eager run fails at other sizes of the dynamic dimension (RuntimeError: The size of tensor a (4)"
    )
    assert exporter.captures == [exporter.captures[0]]  # only the static cell captured


def test_declared_static_shapes_and_missing_apis_are_unsupported_with_their_reasons():
    declared = StandInBehaviour("sums", SumsAndCounts, SUMS.make_args, static_shapes_because="a cache of fixed size")
    observation = observe(declared, StandInExporter("faithful", faithful), "cpu", "dynamic")
    assert observation == {
        "outcome": "unsupported",
        "evidence": {"reason": "its shapes cannot be dynamic: a cache of fixed size"},
    }
    old = StandInExporter("old", faithful, dynamic_reason="no dynamic_shapes in this release")
    assert observe(SUMS, old, "cpu", "dynamic")["evidence"] == {"reason": "no dynamic_shapes in this release"}
    assert observe(SUMS, old, "cpu", "static")["outcome"] == "holds"


def test_nothing_to_make_dynamic_and_a_size_of_one_are_unsupported():
    exporter = StandInExporter("faithful", faithful)
    reason = observe(COUNTER, exporter, "cpu", "dynamic")["evidence"]["reason"]
    assert reason == "none of its inputs is a tensor with a dimension to make dynamic"
    one = StandInBehaviour("one", SumsAndCounts, lambda: (Vec([1.0]),))
    reason = observe(one, exporter, "cpu", "dynamic")["evidence"]["reason"]
    assert reason == "a dynamic dimension has size 1 at capture (export specializes sizes 0 and 1)"


def test_unknown_shapes_are_refused():
    try:
        observe(SUMS, StandInExporter("faithful", faithful), "cpu", "ragged")
    except ValueError as error:
        assert "static, dynamic" in str(error)
    else:
        raise AssertionError("ragged shapes were accepted")


def test_resized_inputs_repeat_the_declared_values_and_keep_the_nesting():
    args = ([Vec([0, 2]), 7], {"k": Vec([5.0, 6.0, 7.0])}, "text")
    dims = dynamic_dims(args)
    assert dims == ([0, None], {"k": 0}, None)
    longer = resized(args, dims, 2)
    assert freeze(longer[0][0])[4] == [0, 2, 0, 2]  # an index stays one the behaviour chose
    assert longer[0][1] == 7 and longer[2] == "text"
    assert freeze(longer[1]["k"])[4] == [5.0, 6.0, 7.0, 5.0, 6.0]
    assert freeze(args[1]["k"])[4] == [5.0, 6.0, 7.0]  # the captured inputs are untouched


def test_declared_dimensions_choose_per_input():
    args = (Vec([1.0, 2.0]), Vec([3.0, 4.0]))
    assert dynamic_dims(args, (None, 0)) == (None, 0)
    try:
        dynamic_dims(args, (0,))
    except ValueError as error:
        assert "names 1 inputs, the behaviour has 2" in str(error)
    else:
        raise AssertionError("a declaration of the wrong length was accepted")
