"""The catalogue's axes: tags checked at declaration, and the coverage table
generated from declarations (no torch needed)."""

import pytest
from exportmatrix_suite import axes
from exportmatrix_suite.axes import AXES, EMPTY, Empty, axis_problems, coverage, markdown
from exportmatrix_suite.declare import Behaviour, Source

CATALOGUE = Source("exportmatrix_suite/behaviours/fake.py", None)
CASE_FILE = Source("my_cases.py", None, case_file=True)


class Module:
    pass


def declared(tags, source=CATALOGUE, id="fake.one"):
    return Behaviour(id, "a fake behaviour", tuple(tags), Module, lambda: (1.0,), source=source)


def test_a_catalogue_behaviour_needs_one_state_one_change_and_a_reach():
    declared(("state=buffer", "change=in-place", "reach=direct", "reach=loop", "ema"))
    with pytest.raises(ValueError, match="needs exactly one state= tag \\(it has 0\\)"):
        declared(("change=in-place", "reach=direct"))
    with pytest.raises(ValueError, match="needs exactly one change= tag \\(it has 2\\)"):
        declared(("state=buffer", "change=in-place", "change=copy", "reach=direct"))
    with pytest.raises(ValueError, match="needs at least one reach= tag"):
        declared(("state=buffer", "change=in-place"))


def test_an_axis_value_or_theme_outside_the_vocabulary_is_refused_naming_it():
    with pytest.raises(ValueError, match="'state=bufer': 'bufer' is not a value of the state axis"):
        declared(("state=bufer", "change=in-place", "reach=direct"))
    with pytest.raises(ValueError, match="tag 'buffer' is neither axis=value nor a theme"):
        declared(("state=buffer", "change=in-place", "reach=direct", "buffer"))


def test_a_case_file_may_use_free_tags_but_not_a_wrong_axis_value():
    declared(("my-model", "decoder"), source=CASE_FILE)
    declared(("state=buffer", "decoder"), source=CASE_FILE)
    with pytest.raises(ValueError, match="'reach=hook': 'hook' is not a value of the reach axis"):
        declared(("reach=hook",), source=CASE_FILE)


def test_every_empty_cell_needs_a_rule(monkeypatch):
    monkeypatch.setattr(axes, "EMPTY", tuple(rule for rule in EMPTY if rule.rows or rule.columns))  # no catch-all
    with pytest.raises(ValueError, match="has no behaviour and no rule saying why"):
        coverage([])


def test_an_impossible_rule_over_a_cell_with_behaviours_fails():
    one = {"id": "local.oops", "tags": ["state=local", "change=in-place", "reach=direct"]}
    with pytest.raises(ValueError, match="local/in-place is declared impossible .* but has local.oops"):
        coverage([one])


def test_the_table_names_each_behaviour_in_its_cells_and_each_empty_cell_with_its_reason(monkeypatch):
    rule = Empty("state×change", ("global",), ("copy",), "not yet", "a reason only this test gives")
    monkeypatch.setattr(axes, "EMPTY", (rule,) + EMPTY)
    ema = {"id": "ema.buffer", "tags": ["state=buffer", "change=in-place", "reach=direct", "reach=loop"]}
    grids = coverage([ema])
    assert grids["state×change"][("buffer", "in-place")] == ["ema.buffer"]
    assert grids["reach×state"][("loop", "buffer")] == ["ema.buffer"]
    assert grids["state×change"][("global", "copy")] is rule
    text = markdown([ema])
    assert "| `buffer` | `in-place`: `ema.buffer` |" in text
    assert "| `loop` | `buffer`: `ema.buffer` |" in text
    assert "- not yet — a reason only this test gives: global/copy\n" in text
    assert len(AXES["state"]) * len(AXES["change"]) == len(grids["state×change"])


def test_axis_problems_of_tags_alone():
    assert axis_problems(["state=buffer", "change=none", "reach=direct", "seed"], catalogue=True) == []
    assert axis_problems(["anything"], catalogue=False) == []
