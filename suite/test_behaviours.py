"""Each behaviour really performs, eagerly, the mutation it names, and only
that: a behaviour can never silently stop exercising mutation."""

import pytest
from exportmatrix_suite.behaviours import BEHAVIOURS
from exportmatrix_suite.classify import MISSING, same, snapshot
from exportmatrix_suite.declare import mutates_problem


def _state(behaviour, instance):
    return snapshot(instance.module, None, instance.args, behaviour.extra_state(instance.module))


@pytest.mark.keyed_check  # an unchanged behaviour in an unchanged environment passes again
@pytest.mark.parametrize("behaviour", BEHAVIOURS, ids=[b.id for b in BEHAVIOURS])
def test_the_eager_run_performs_the_mutation_it_names(behaviour):
    unavailable = behaviour.unavailable_reason()
    if unavailable:  # its cells are `unsupported` in this release, for this reason
        pytest.skip(unavailable)
    behaviour.reset()
    instance = behaviour.instantiate("cpu")
    before = _state(behaviour, instance)
    for _ in range(behaviour.warmup_calls + 1):
        instance.module(*instance.args)
    after = _state(behaviour, instance)
    changed = {key for key in list(before) + list(after) if not same(before.get(key, MISSING), after.get(key, MISSING))}
    problem = mutates_problem(behaviour, sorted(changed))
    if problem:
        pytest.fail(problem, pytrace=False)
