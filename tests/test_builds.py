"""Two builds of one release in one matrix: side by side, and every cell
whose outcome differs between them listed in the reports and by
`exportmatrix diff --builds`."""

import json

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from streams_factory import environment, observation, write_stream

from exportmatrix.cli import main
from exportmatrix.merge import aggregate
from exportmatrix.reports import markdown, terminal
from exportmatrix.reports.changes import build_differences
from exportmatrix.reports.html import render

DIVERGES = {"differences": [{"what": "buffer buf", "after_call": 1, "eager": "1", "exported": "0"}]}


def two_builds(folder):
    cells = {"b.same": "holds", "b.differs": "holds"}
    write_stream(
        folder,
        environment("torch-2.4.1+cu121-py3.11", "2.4", "2.4.1+cu121"),
        [observation(b, "export_strict", o) for b, o in cells.items()],
    )
    write_stream(
        folder,
        environment("torch-2.4.1+cpu-py3.11-cpu", "2.4", "2.4.1+cpu", build="cpu", session="torch-2.4-cpu"),
        [
            observation("b.same", "export_strict", "holds"),
            observation("b.differs", "export_strict", "diverges", DIVERGES),
        ],
    )
    write_stream(
        folder,
        environment("torch-2.10.0+cu128-py3.11", "2.10", "2.10.0+cu128"),
        [observation(b, "export_strict", "holds") for b in cells],
    )
    return aggregate(folder).matrix


def test_every_cell_that_differs_between_builds_of_a_release_is_found(tmp_path):
    matrix = two_builds(tmp_path / "envs")
    (difference,) = build_differences(matrix)
    assert str(difference) == "2.4, b.differs / export_strict: cpu diverges (buffer buf); pypi holds"
    assert build_differences(matrix, ("pypi", "cpu"), "2.10") == []  # 2.10 is in one build only
    text = markdown.render(matrix)
    section = text[text.index("## Where builds differ") :].split("\n## ")[0]
    assert "- 2.4, b.differs / export_strict: cpu diverges (buffer buf); pypi holds" in section
    assert "builds cpu, pypi: 1 cells differ between builds of 2.4 (exportmatrix diff --builds cpu pypi)" in (
        terminal.render(matrix)
    )


def test_diff_builds_prints_them_and_names_what_it_cannot_find(tmp_path, capsys):
    from exportmatrix.base import write_matrix

    path = tmp_path / "matrix.json"
    write_matrix(path, two_builds(tmp_path / "envs"))
    assert main(["diff", "--builds", "pypi", "cpu", "--release", "2.4", "--matrix", str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "2.4, b.differs / export_strict: cpu diverges (buffer buf); pypi holds",
        "1 cells differ between builds pypi and cpu of 2.4",
    ]
    assert main(["diff", "--builds", "pypi", "cpu", "--matrix", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {
            "release": "2.4",
            "cell": ["b.differs", "export_strict", "cpu", "static"],
            "outcomes": {"pypi": "holds", "cpu": "diverges (buffer buf)"},
        }
    ]
    assert main(["diff", "--builds", "pypi", "rocm6.2", "--matrix", str(path)]) == 2
    assert "--builds rocm6.2: no environment of that build in %s (it has: cpu, pypi)" % path in capsys.readouterr().err
    assert main(["diff", "--builds", "pypi", "cpu", "--release", "2.7", "--matrix", str(path)]) == 2
    assert "--release 2.7: not in" in capsys.readouterr().err
    assert main(["diff", "--matrix", str(path)]) == 2
    assert "name A and B" in capsys.readouterr().err


def test_the_page_lists_them_and_filters_the_grids_by_build(tmp_path, browser):
    page = tmp_path / "matrix.html"
    page.write_text(render(two_builds(tmp_path / "envs")), encoding="utf-8")
    browser.get(page.as_uri())
    browser.find_element(By.LINK_TEXT, "Release notes").click()  # where builds differ is said there, not on the grid
    (item,) = browser.find_elements(By.CSS_SELECTOR, "#build-differences li")
    assert item.text == "2.4, b.differs / export_strict: cpu diverges (buffer buf); pypi holds"
    item.find_elements(By.CSS_SELECTOR, "a.cell-link")[0].click()
    assert browser.find_element(By.ID, "ev-outcome").text == "diverges in 2.4 (torch-2.4.1+cpu-py3.11-cpu)"
    Select(browser.find_element(By.ID, "filter-build")).select_by_value("cpu")
    shown = [
        b.get_attribute("data-build") for b in browser.find_elements(By.CSS_SELECTOR, ".grid-block") if b.is_displayed()
    ]
    assert shown == ["cpu"]
    assert browser.find_element(By.ID, "visible-count").get_attribute("data-count") == "2"
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_builds_are_named_with_commas_or_repeated(root):
    from exportmatrix.cli.matrix import chosen_environments, matrix_parser
    from exportmatrix.config import load

    config = load(root / "matrix.toml")
    for given in (["--build", "pypi,cu121"], ["--build", "pypi", "--build", "cu121"]):
        arguments = matrix_parser().parse_args(["2.4", "2.10", *given])
        assert [e.session_name for e in chosen_environments(config, arguments)] == [
            "torch-2.4",
            "torch-2.4-cu121",
            "torch-2.10",
        ]  # cu121 offers >=2.1,<2.6: not 2.10
