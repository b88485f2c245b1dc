"""The classifier's rules, proven with stand-ins (no torch needed)."""

import pytest
from exportmatrix_suite.classify import BehaviourBroken, observe, shared_eager_trace
from standins import (
    AppendsToInput,
    Artifact,
    BumpsGlobal,
    Counter,
    Pure,
    StandInBehaviour,
    StandInExporter,
    bakes_value_at_capture,
    copies_inputs,
    faithful,
    loses_side_effect,
    raises_at_call,
    raises_at_capture,
    runs_forward_at_capture,
)

COUNTER = StandInBehaviour("attr.counter", Counter, lambda: (1.0,))
PURE = StandInBehaviour("pure", Pure, lambda: (3.0,))


def test_a_faithful_artifact_holds():
    observation = observe(COUNTER, StandInExporter("faithful", faithful), "cpu")
    assert observation["outcome"] == "holds"
    assert observation["evidence"]["signature_mutations"] == {"buffers_to_mutate": {}}
    assert observation["evidence"]["duration_s"] >= 0


def test_a_lost_side_effect_diverges_and_names_the_attribute():
    observation = observe(COUNTER, StandInExporter("lossy", loses_side_effect), "cpu")
    assert observation["outcome"] == "diverges"
    differences = observation["evidence"]["differences"]
    assert {"what": "attribute n", "after_call": 1, "eager": "1", "exported": "0", "arose": "call 1"} in differences
    assert all(d["what"] != "output of call 1" for d in differences)  # outputs were right


def test_a_value_baked_in_at_capture_diverges_on_the_second_call():
    observation = observe(COUNTER, StandInExporter("baked", bakes_value_at_capture), "cpu")
    assert observation["outcome"] == "diverges"
    whats = [d["what"] for d in observation["evidence"]["differences"]]
    assert "output of call 2" in whats
    assert "output of call 1" not in whats


def test_two_calls_are_needed_to_see_a_baked_value():
    """A pure module has nothing to bake wrongly: baking it still holds."""
    assert observe(PURE, StandInExporter("baked", bakes_value_at_capture), "cpu")["outcome"] == "holds"


def test_a_capture_error_is_an_export_error_with_a_normalised_message():
    observation = observe(COUNTER, StandInExporter("raises", raises_at_capture), "cpu")
    assert observation["outcome"] == "export-error"
    assert observation["evidence"]["phase"] == "capture"
    assert observation["evidence"]["error"] == {
        "type": "AssertionError",
        "module": "builtins",
        "message": "Mutating module attribute n during export at 0x…",
    }


def test_a_failed_capture_that_left_registrations_behind_says_which():
    """An exporter that removed what its failed capture left registered
    process-wide (a module hook) hands the names over on the error: the
    evidence keeps them; an error without them adds nothing."""

    def leaves_a_hook(module, args):
        error = RuntimeError("trace failed")
        error.left_by_capture = ["global_buffer_registration_hooks _map_assigned_buffer_to_proxy"]
        raise error

    observation = observe(COUNTER, StandInExporter("leaves a hook", leaves_a_hook), "cpu")
    assert observation["outcome"] == "export-error"
    assert observation["evidence"]["left_by_capture"] == [
        "global_buffer_registration_hooks _map_assigned_buffer_to_proxy"
    ]
    plain = observe(COUNTER, StandInExporter("raises", raises_at_capture), "cpu")
    assert "left_by_capture" not in plain["evidence"]


@pytest.mark.parametrize("call", [1, 2])
def test_an_error_when_called_is_a_run_error(call):
    observation = observe(COUNTER, StandInExporter("fails", raises_at_call(call)), "cpu")
    assert observation["outcome"] == "run-error"
    assert observation["evidence"]["phase"] == "call %d" % call
    assert observation["evidence"]["error"]["message"] == "graph failed in <tmp>, line N"


def test_a_lazy_exporter_failing_at_its_first_call_failed_to_capture():
    exporter = StandInExporter("lazy", raises_at_call(1), lazy=True)
    observation = observe(COUNTER, exporter, "cpu")
    assert observation["outcome"] == "export-error"
    assert observation["evidence"]["phase"].startswith("call 1")
    # ...but a lazy exporter failing later has captured: that is a run error
    assert observe(COUNTER, StandInExporter("lazy", raises_at_call(2), lazy=True), "cpu")["outcome"] == "run-error"


def test_an_unavailable_exporter_is_unsupported_with_its_reason():
    exporter = StandInExporter("missing", faithful, reason="torch.export does not exist before 2.1")
    observation = observe(COUNTER, exporter, "cpu")
    assert observation == {"outcome": "unsupported", "evidence": {"reason": "torch.export does not exist before 2.1"}}
    assert exporter.captures == []


def test_a_mutated_input_that_the_artifact_leaves_alone_diverges():
    behaviour = StandInBehaviour("input.append", AppendsToInput, lambda: ([],))
    assert observe(behaviour, StandInExporter("faithful", faithful), "cpu")["outcome"] == "holds"
    observation = observe(behaviour, StandInExporter("copies", copies_inputs), "cpu")
    assert observation["outcome"] == "diverges"
    assert "input 0" in [d["what"] for d in observation["evidence"]["differences"]]


def test_a_global_mutation_is_observed():
    behaviour = StandInBehaviour("global.counter", BumpsGlobal, lambda: (1,), observe_globals=True)
    assert observe(behaviour, StandInExporter("faithful", faithful), "cpu")["outcome"] == "holds"
    observation = observe(behaviour, StandInExporter("lossy", loses_side_effect), "cpu")
    # a deep copy of the module still bumps the same global: that holds
    assert observation["outcome"] == "holds"
    baked = observe(behaviour, StandInExporter("baked", bakes_value_at_capture), "cpu")
    assert baked["outcome"] == "diverges"
    assert "global COUNTER" in [d["what"] for d in baked["evidence"]["differences"]]


def test_warmup_calls_run_before_capture_on_both_sides():
    behaviour = StandInBehaviour("attr.counter.warm", Counter, lambda: (1.0,), warmup_calls=1)
    exporter = StandInExporter("faithful", faithful)
    assert observe(behaviour, exporter, "cpu")["outcome"] == "holds"
    assert exporter.captures[0].n >= 1  # the module had run before it was captured


def test_warnings_during_capture_are_kept():
    import warnings

    def warns(module, args):
        warnings.warn("capture noticed something at 0xabc", UserWarning, stacklevel=2)
        return faithful(module, args)

    observation = observe(COUNTER, StandInExporter("warns", warns), "cpu")
    assert observation["evidence"]["warnings"] == ["UserWarning: capture noticed something at 0x…"]


def test_a_broken_behaviour_is_an_error_not_an_observation():
    class Broken:
        def __call__(self, x):
            raise ValueError("bug in the behaviour")

    with pytest.raises(BehaviourBroken):
        observe(StandInBehaviour("broken", Broken, lambda: (1,)), StandInExporter("faithful", faithful), "cpu")


def test_a_difference_deep_inside_a_large_tensor_diverges_and_says_where():
    from test_values import FakeTensor

    class HoldsATensor:
        def __init__(self):
            self.table = FakeTensor([1.0] * 10_000)

        def __call__(self, x):
            return x

    def corrupts_one_element(module, args):
        def call(*call_args):
            module.table.values[4_999] = 2.0
            return module(*call_args)

        return Artifact(call, module)

    behaviour = StandInBehaviour("attr.table", HoldsATensor, lambda: (1.0,))
    observation = observe(behaviour, StandInExporter("corrupts", corrupts_one_element), "cpu")
    assert observation["outcome"] == "diverges"
    (first, *_) = observation["evidence"]["differences"]
    assert first["what"] == "attribute table" and first["after_call"] == 1
    assert first["where"] == "element 4999: eager 1.0, exported 2.0"


class Config:
    def __init__(self):
        self.steps = 0


class Stepper:
    def __init__(self):
        self.config = Config()

    def __call__(self, x):
        self.config.steps += 1
        return x


def test_an_object_attribute_whose_state_differs_diverges():
    behaviour = StandInBehaviour("attr.object", Stepper, lambda: (1.0,))
    assert observe(behaviour, StandInExporter("faithful", faithful), "cpu")["outcome"] == "holds"
    observation = observe(behaviour, StandInExporter("lossy", loses_side_effect), "cpu")
    assert observation["outcome"] == "diverges"
    assert {
        "what": "attribute config",
        "after_call": 1,
        "eager": "<test_classifier.Config steps=1>",
        "exported": "<test_classifier.Config steps=0>",
        "where": ".steps: eager 1, exported 0",
        "arose": "call 1",
    } in observation["evidence"]["differences"]


def test_evidence_says_when_a_difference_arose_during_capture_or_at_a_call():
    """Capture that runs forward on the caller's module (as dynamo did in 2.0)
    changes their counter before any call: the difference arose during capture,
    and the evidence lists what capture itself changed."""
    observation = observe(COUNTER, StandInExporter("runs forward", runs_forward_at_capture), "cpu")
    assert observation["outcome"] == "diverges"
    assert observation["evidence"]["changed_by_capture"] == ["attribute n"]
    arose = {(d["what"], d.get("after_call")): d["arose"] for d in observation["evidence"]["differences"]}
    assert arose[("attribute n", 1)] == "capture" and arose[("attribute n", 2)] == "capture"
    # a value baked in at capture changes nothing the caller holds: its output differs at call 2
    baked = observe(COUNTER, StandInExporter("baked", bakes_value_at_capture), "cpu")
    assert "changed_by_capture" not in baked["evidence"]
    assert {d["what"]: d["arose"] for d in baked["evidence"]["differences"]}["output of call 2"] == "call 2"
    # a lost side effect arises at the first call, and stays "call 1" after call 2
    lossy = observe(COUNTER, StandInExporter("lossy", loses_side_effect), "cpu")
    assert [d["arose"] for d in lossy["evidence"]["differences"] if d["what"] == "attribute n"] == ["call 1", "call 1"]
    # capture that changes the caller's state but leaves the calls right still says so, and holds
    assert observe(PURE, StandInExporter("runs forward", runs_forward_at_capture), "cpu")["outcome"] == "holds"


def test_a_shared_eager_reference_runs_eager_once_per_behaviour_and_changes_no_outcome():
    made = []

    def counted(device):
        made.append(device)
        return StandInBehaviour.instantiate(behaviour, device)

    behaviour = StandInBehaviour("attr.counter.shared", Counter, lambda: (1.0,))
    exporters = [StandInExporter("faithful", faithful), StandInExporter("lossy", loses_side_effect)]
    alone = [observe(behaviour, e, "cpu")["outcome"] for e in exporters]
    behaviour.instantiate = counted  # count the instances from here on
    shared = [observe(behaviour, e, "cpu", eager=shared_eager_trace)["outcome"] for e in exporters]
    assert shared == alone == ["holds", "diverges"]
    assert len(made) == 1 + len(exporters)  # one eager instance, then one per capture
    observe(behaviour, exporters[0], "cpu", eager=shared_eager_trace)
    assert len(made) == 2 + len(exporters)  # the eager run is not made again
