"""base.Cell: one cell (behaviour, capture path, device, shapes) owns its key,
its name (cpu and static left out), its anchor and its `repro` command, and
"shapes default to static" is one rule, whatever says nothing."""

import pytest

from exportmatrix.base import STATIC, Cell, cell_index, cell_key, cell_name, shapes_of

CELLS = [
    Cell("buffer.add_", "export_strict"),
    Cell("buffer.add_", "aoti", "cuda"),
    Cell("buffer.add_", "aoti", shapes="dynamic"),
    Cell("buffer.parametrization_state", "aoti", "cuda", "dynamic"),
]
NAMES = [
    "buffer.add_ / export_strict",
    "buffer.add_ / aoti [cuda]",
    "buffer.add_ / aoti [dynamic shapes]",
    "buffer.parametrization_state / aoti [cuda, dynamic shapes]",
]


@pytest.mark.parametrize("cell, name", list(zip(CELLS, NAMES)))
def test_a_cells_name_leaves_out_cpu_and_static_and_round_trips(cell, name):
    assert cell.name == name
    assert Cell.named(name) == cell
    assert Cell.named(cell.name).name == name


def test_a_name_that_is_not_a_cells_is_refused():
    with pytest.raises(ValueError, match="not a cell's name"):
        Cell.named("buffer.add_")


@pytest.mark.parametrize("said", [{}, {"shapes": None}, {"shapes": ""}, {"shapes": "static"}])
def test_shapes_that_say_nothing_are_static_everywhere(said):
    observation = {"environment": "e", "behaviour": "b", "exporter": "p", "device": "cpu", **said}
    assert shapes_of(observation) == STATIC
    assert Cell.of(observation) == Cell("b", "p") == Cell("b", "p", "cpu", None)  # type: ignore[arg-type]
    assert cell_key(observation) == ("e", "b", "p", "cpu", "static") == Cell.of(observation).key("e")
    assert cell_name(observation) == ("b", "p", "cpu")  # what baselines store: unchanged by the shape axis


def test_key_name_anchor_and_repro_of_one_cell():
    cell = Cell.of(
        {
            "environment": "torch-2.10.0-py3.12",
            "behaviour": "b.x",
            "exporter": "aoti",
            "device": "cuda",
            "shapes": "dynamic",
        }
    )
    assert cell.key("torch-2.10.0-py3.12") == ("torch-2.10.0-py3.12", "b.x", "aoti", "cuda", "dynamic")
    assert cell_name({"behaviour": "b.x", "exporter": "aoti", "device": "cuda", "shapes": "dynamic"}) == (
        "b.x",
        "aoti",
        "cuda",
        "dynamic",
    )
    assert cell.extras == ("cuda", "dynamic")
    assert cell.on == " on cuda, dynamic shapes"
    assert Cell("b", "p", shapes="dynamic").on == ", dynamic shapes"
    assert Cell("b", "p").on == Cell("b", "p").tags == ""
    assert cell.anchor("2.10") == "aoti-2.10-cuda-dynamic"
    assert cell.anchor("2.9.1 (2.9)", "cu126") == "aoti-2.9.1__2.9_-cu126-cuda-dynamic"  # an element id
    assert Cell("b", "export_strict").anchor("2.10") == "export_strict-2.10"
    assert cell.repro("results/matrix.json", "torch-2.10.0-py3.12") == (
        "exportmatrix repro results/matrix.json torch-2.10.0-py3.12 b.x aoti --device cuda --shapes dynamic"
    )
    assert Cell("b", "p").repro("m.json", "e", short=True) == "exportmatrix repro m.json e b p --short"


def test_cells_are_values_and_index_a_matrix():
    observations = [
        {"environment": "e", "behaviour": "b", "exporter": "p", "device": "cpu"},
        {"environment": "e", "behaviour": "b", "exporter": "p", "device": "cpu", "shapes": "dynamic"},
    ]
    index = cell_index({"observations": observations})
    assert index[Cell("b", "p").key("e")] is observations[0]
    assert index[Cell("b", "p", shapes="dynamic").key("e")] is observations[1]
    assert len({Cell.of(o) for o in observations + observations}) == 2
