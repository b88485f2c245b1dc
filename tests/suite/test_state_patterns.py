"""`mutates` by pattern ("buffer *.running_mean", "buffer net.**"): what an
entry matches, which entries are refused, and the eager check's message,
grouped and short whatever the model (no torch needed)."""

import pytest
from exportmatrix_suite import behaviour
from exportmatrix_suite.declare import REGISTRY, Behaviour, Source, mutates_problem
from exportmatrix_suite.state_patterns import compare, describe, entry_problem, matches


class Module:
    def __call__(self, x):
        return x


def _inputs():
    return (1.0,)


def _declared(mutates):
    return Behaviour("case.model", "d", ("test",), Module, _inputs, mutates=mutates, source=Source("m.py", None, True))


def resnet18_buffers():
    """The 60 buffers a training-mode resnet18 changes in a call: 20 BatchNorms'
    running_mean, running_var and num_batches_tracked, at three depths."""
    norms = ["bn1"]
    for layer in range(1, 5):
        for block in range(2):
            norms += ["layer%d.%d.bn1" % (layer, block), "layer%d.%d.bn2" % (layer, block)]
    norms += ["layer%d.0.downsample.1" % layer for layer in (2, 3, 4)]
    assert len(norms) == 20
    return [
        "buffer %s.%s" % (norm, name)
        for norm in norms
        for name in ("running_mean", "running_var", "num_batches_tracked")
    ]


@pytest.mark.parametrize(
    "entry, name, expected",
    [
        ("buffer *.running_mean", "buffer bn.running_mean", True),
        ("buffer *.running_mean", "buffer layer1.0.bn1.running_mean", False),  # * is one component
        ("buffer *.running_mean", "buffer running_mean", False),
        ("buffer **.running_mean", "buffer layer1.0.bn1.running_mean", True),  # ** is any depth
        ("buffer **.running_mean", "buffer running_mean", True),  # ... none included
        ("buffer net.**", "buffer net.block.0.norm.running_var", True),
        ("buffer net.**", "buffer network.running_var", False),
        ("buffer a.**.c", "buffer a.c", True),
        ("buffer a.**.c", "buffer a.b.d.c", True),
        ("buffer a.**.c", "buffer ab.c", False),
        ("buffer **", "buffer anything.at.all", True),
        ("buffer bn*.running_*", "buffer bn2.running_var", True),  # * within a component
        ("buffer bn*.running_*", "buffer layer1.bn2.running_var", False),
        ("parameter **", "buffer bn.running_mean", False),  # the kind is literal
        ("attribute **", "class attribute calls", False),
        ("class attribute *", "class attribute calls", True),
        ("input *", "input 2", True),
        ("buffer bn.running_mean", "buffer bn.running_mean", True),  # no wildcard: exactly this name
        ("buffer bn.running_mean", "buffer bn.running_meant", False),
        ("global CACHE[0]", "global CACHE[0]", True),  # only * is special
    ],
)
def test_an_entry_matches_the_names_its_pattern_spans(entry, name, expected):
    assert matches(entry, name) is expected


@pytest.mark.parametrize(
    "entry, problem",
    [
        ("buffer a**", "mutates pattern 'buffer a**': ** must be a whole component"),
        ("buffer net.**.**", "mutates pattern 'buffer net.**.**': ** twice in a row"),
        ("buffer *..running_mean", "mutates pattern 'buffer *..running_mean': an empty component"),
        ("buffer .*", "mutates pattern 'buffer .*': an empty component"),
        ("buffer *.run ning", "mutates pattern 'buffer *.run ning': a pattern has no spaces"),
        ("input *.0", "mutates pattern 'input *.0': an input is named by its position"),
        ("input x", "mutates names 'input x', whose kind is none of"),
        ("buffer norm..weight", "mutates names 'buffer norm..weight': an empty component"),
        ("tensor *.weight", "mutates names 'tensor *.weight', whose kind is none of"),  # the kind stays literal
        ("*.running_mean", "mutates names '*.running_mean', whose kind is none of"),
    ],
)
def test_a_malformed_entry_is_refused_naming_it(entry, problem):
    assert entry_problem(entry).startswith(problem)


@pytest.mark.parametrize(
    "entry", ["buffer *.running_mean", "buffer net.**", "buffer **", "input *", "buffer bn.running_mean", "input 0"]
)
def test_a_well_formed_entry_is_accepted(entry):
    assert entry_problem(entry) is None


def test_a_declaration_with_a_malformed_pattern_is_refused_when_declared():
    before = list(REGISTRY)
    try:
        with pytest.raises(ValueError, match=r"behaviour 'test\.patterns': mutates pattern 'buffer net\.\*\*x'"):
            behaviour(id="test.patterns", tags=("test",), inputs=_inputs, mutates=("buffer net.**x",))(Module)
        behaviour(id="test.patterns", tags=("test",), inputs=_inputs, mutates=("buffer **.running_mean",))(Module)
    finally:
        REGISTRY[:] = before


def test_patterns_that_cover_every_change_pass_and_an_unchanged_match_is_fine():
    changed = resnet18_buffers()
    declared = _declared(("buffer **.running_mean", "buffer **.running_var", "buffer **.num_batches_tracked"))
    assert mutates_problem(declared, changed) is None
    # a BatchNorm whose running_mean stays put (mobilenet_v2 at 32x32): a pattern need not match every name it spans
    assert mutates_problem(declared, [name for name in changed if name != "buffer bn1.running_mean"]) is None
    # literal entries still work as they always did
    assert mutates_problem(_declared(tuple(changed)), changed) is None


def test_every_change_must_be_matched_and_every_entry_must_match():
    found = compare(("buffer *.running_mean", "buffer cache"), ["buffer bn.running_mean", "buffer bn.running_var"])
    assert found.matched == {"buffer *.running_mean": ["buffer bn.running_mean"]}
    assert found.unmatched == ["buffer bn.running_var"] and found.unused == ["buffer cache"]
    assert not found.agrees
    assert compare(("buffer *.running_*",), ["buffer bn.running_mean", "buffer bn.running_var"]).agrees


def test_a_resnet_declared_by_three_names_fails_in_a_few_grouped_lines():
    changed = resnet18_buffers()
    declared = _declared(("buffer bn1.running_mean", "buffer bn1.running_var", "buffer bn1.num_batches_tracked"))
    problem = mutates_problem(declared, changed)
    lines = problem.splitlines()
    assert lines == [
        "mutates does not match the eager run: 57 of the 60 names it changed match no entry",
        "  behaviour 'case.model', declared in m.py (class Module); "
        "mutates=('buffer bn1.running_mean', 'buffer bn1.running_var', 'buffer bn1.num_batches_tracked')",
        "  it changed 60 names: 'buffer bn1.running_mean' matched 1, 'buffer bn1.running_var' matched 1, "
        "'buffer bn1.num_batches_tracked' matched 1",
        "  matching no entry (57):",
        "    19 like 'buffer **.num_batches_tracked': 'buffer layer1.0.bn1.num_batches_tracked', "
        "'buffer layer1.0.bn2.num_batches_tracked', …",
        "    19 like 'buffer **.running_mean': 'buffer layer1.0.bn1.running_mean', "
        "'buffer layer1.0.bn2.running_mean', …",
        "    19 like 'buffer **.running_var': 'buffer layer1.0.bn1.running_var', 'buffer layer1.0.bn2.running_var', …",
    ]
    assert sum(line.count("'buffer ") for line in lines) < 20  # never the 60 names, let alone twice


def test_a_resnet_with_a_pattern_missing_and_a_stray_entry_says_both():
    changed = resnet18_buffers()
    declared = _declared(("buffer *.running_mean", "buffer **.running_var", "buffer **.running_mean", "buffer cache"))
    lines = mutates_problem(declared, changed).splitlines()
    assert lines[0] == (
        "mutates does not match the eager run: 20 of the 60 names it changed match no entry; "
        "1 entry matches nothing it changed"
    )
    assert lines[2] == (
        "  it changed 60 names: 'buffer *.running_mean' matched 1, 'buffer **.running_var' matched 20, "
        "'buffer **.running_mean' matched 20"
    )
    assert lines[3:] == [
        "  matching no entry (20):",
        "    20 like 'buffer **.num_batches_tracked': 'buffer bn1.num_batches_tracked', "
        "'buffer layer1.0.bn1.num_batches_tracked', …",
        "  matching nothing it changed: 'buffer cache'",
    ]


def test_the_message_stays_short_whatever_the_number_of_entries_and_kinds():
    changed = (
        resnet18_buffers()
        + ["attribute step%d" % n for n in range(30)]
        + ["parameter w%d.weight" % n for n in range(9)]
    )
    # the old style: every name literally, and a few that did not change
    declared = _declared(tuple(resnet18_buffers()[:40]) + tuple("buffer gone_%d" % n for n in range(12)))
    lines = mutates_problem(declared, changed).splitlines()
    assert len(lines) <= 10
    assert all(len(line) <= 400 for line in lines)
    assert lines[0] == (
        "mutates does not match the eager run: 59 of the 99 names it changed match no entry; "
        "12 entries match nothing it changed"
    )
    assert lines[2].endswith("and 36 more entries")
    assert lines[-1].endswith("and 8 more entries")
    assert "... and" in lines[-2]  # the groups beyond the shown ones, counted


def test_a_run_that_changed_nothing_or_a_control_that_changed_something():
    assert describe(compare(("buffer **",), [])) == [
        "mutates does not match the eager run: it changed nothing, where mutates has 1 entry",
        "  matching nothing it changed: 'buffer **'",
    ]
    assert describe(compare((), ["buffer buf"])) == [
        "mutates does not match the eager run: no entry matches the name it changed",
        "  matching no entry (1):",
        "    'buffer buf'",
    ]
    assert describe(compare((), [])) == []
