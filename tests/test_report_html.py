"""The HTML report in a real headless browser (Debian's chromium, driven by
selenium through chromedriver): it loads cleanly, shows the matrix, a click
shows a cell's evidence, filters hide what they should, and hostile text
stays text. A screenshot lands in test-output/."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from streams_factory import environment, observation, write_stream

from exportmatrix.merge import aggregate
from exportmatrix.reports.html import render

HOSTILE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> \x07 \u202e'
ERROR = {"phase": "capture", "error": {"type": "AssertionError", "module": "builtins", "message": HOSTILE}}
REPRODUCER = "import torch\n\n\nclass Foo(torch.nn.Module):\n    pass\n\n\n</script><b>print('OUTCOME: holds')</b>"
# the suite's header template, as a stream carries it: the compact matrix stores it once and the page formats it
HEADER = '"""{id} under {exporter} on {device}, {shapes}: {outcome} with torch {torch} ({python}).\n{description}"""'
TEMPLATED = (
    '"""attr.tensor_reassign under export_strict on cpu, static: holds with torch 2.4.1 (3.11.7).\n'
    'forward reassigns a tensor attribute"""\n\n\n' + REPRODUCER
)


@pytest.fixture
def matrix(tmp_path):
    cells = [
        observation("attr.tensor_reassign", "dynamo_export", "export-error", dict(ERROR, reproducer=REPRODUCER)),
        observation("attr.tensor_reassign", "export_strict", "holds", {"reproducer": TEMPLATED}),
        observation(
            "attr.tensor_reassign",
            "compile_fullgraph",
            "diverges",
            {"differences": [{"what": "attribute a", "after_call": 1, "eager": "1", "exported": "0"}]},
        ),
    ]
    write_stream(tmp_path / "envs", environment("torch-2.4.1-py3.11", "2.4", "2.4.1", reproducer_header=HEADER), cells)
    write_stream(
        tmp_path / "envs",
        environment("torch-2.10.0-py3.11", "2.10", "2.10.0"),
        [observation("attr.tensor_reassign", e, "holds") for e in ("dynamo_export", "export_strict")],
    )
    return aggregate(tmp_path / "envs").matrix


def test_the_page_in_a_real_browser(matrix, browser, tmp_path, root):
    page = tmp_path / "matrix.html"
    page.write_text(render(matrix), encoding="utf-8")
    browser.get(page.as_uri())

    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
    assert browser.find_element(By.ID, "cell-count").text == str(len(matrix["observations"])) == "5"

    # a click shows that cell's evidence, the hostile message as plain text
    cell = browser.find_element(By.CSS_SELECTOR, 'td.cell[data-outcome="export-error"]')
    cell.click()
    assert browser.find_element(By.ID, "ev-title").text == "attr.tensor_reassign / dynamo_export / cpu"
    fields = browser.find_element(By.ID, "ev-fields").text
    assert "AssertionError: <script>window.pwned = 1</script><img src=x" in fields
    assert browser.execute_script("return window.pwned") is None
    assert browser.find_elements(By.CSS_SELECTOR, "#evidence img") == []
    reproducer = browser.find_element(By.ID, "ev-reproducer").get_attribute("textContent")
    assert reproducer == REPRODUCER
    # a reproducer whose first block was stored as the template comes back whole
    assert len(matrix["reproducers"]) == 2 and matrix["reproducers"][1]["header"] is not None
    (index,) = [i for i, o in enumerate(matrix["observations"]) if o["evidence"].get("reproducer") == 1]
    browser.find_element(By.CSS_SELECTOR, 'td.cell[data-index="%d"]' % index).click()
    assert browser.find_element(By.ID, "ev-reproducer").get_attribute("textContent") == TEMPLATED

    root.joinpath("test-output").mkdir(exist_ok=True)
    assert browser.save_screenshot(str(root / "test-output" / "matrix-page.png"))

    # the outcome filter hides exactly the cells of other outcomes
    Select(browser.find_element(By.ID, "filter-outcome")).select_by_value("holds")
    shown = [
        td
        for td in browser.find_elements(By.CSS_SELECTOR, "td.cell")
        if "hidden-by-filter" not in td.get_attribute("class")
    ]
    assert sorted(td.get_attribute("data-outcome") for td in shown) == ["holds"] * 3
    assert browser.find_element(By.ID, "visible-count").get_attribute("data-count") == "3"

    # the capture path filter hides the other grids, the tag filter other rows
    Select(browser.find_element(By.ID, "filter-outcome")).select_by_value("")
    Select(browser.find_element(By.ID, "filter-exporter")).select_by_value("export_strict")
    visible = [
        b.get_attribute("data-exporter")
        for b in browser.find_elements(By.CSS_SELECTOR, ".grid-block")
        if b.is_displayed()
    ]
    assert visible == ["export_strict"]
    assert browser.find_element(By.ID, "visible-count").get_attribute("data-count") == "2"
    Select(browser.find_element(By.ID, "filter-tag")).select_by_value("seed")
    assert browser.find_element(By.ID, "visible-count").get_attribute("data-count") == "2"
    # the tags are grouped by the catalogue's axes, the axes first
    groups = browser.find_elements(By.CSS_SELECTOR, "#filter-tag optgroup")
    assert [g.get_attribute("label") for g in groups] == ["state", "change", "reach", "tag"]
    Select(browser.find_element(By.ID, "filter-tag")).select_by_value("state=tensor-attribute")
    assert browser.find_element(By.ID, "visible-count").get_attribute("data-count") == "2"
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_the_shapes_filter_in_a_real_browser(browser, tmp_path):
    from test_selection import static_and_dynamic

    page = tmp_path / "matrix.html"
    page.write_text(render(static_and_dynamic(tmp_path / "envs")), encoding="utf-8")
    browser.get(page.as_uri())
    Select(browser.find_element(By.ID, "filter-shapes")).select_by_value("dynamic")
    visible = [b for b in browser.find_elements(By.CSS_SELECTOR, ".grid-block") if b.is_displayed()]
    assert [b.get_attribute("data-shapes") for b in visible] == ["dynamic"]
    assert visible[0].find_element(By.TAG_NAME, "h2").text == "aoti on cpu, dynamic shapes (build pypi)"
    assert browser.find_element(By.ID, "visible-count").get_attribute("data-count") == "2"
    visible[0].find_element(By.CSS_SELECTOR, "td.cell").click()
    assert browser.find_element(By.ID, "ev-title").text == "attr.tensor_reassign / aoti / cpu / dynamic shapes"
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def default_sized_matrix():
    """As large as the default matrix: 16 releases x 86 behaviours x 8 capture
    paths, each cell with evidence and a reproducer whose blocks repeat as
    the suite's do (header template, behaviour, capture code per release, classifier)."""
    from exportmatrix.base import SEPARATOR, compact

    header = '"""exportmatrix reproducer: {id} under {exporter} on {device}, {shapes} shapes.\n{outcome} {torch}"""'
    classify = "CLASSIFY = r'''\n" + "".join("def rule_%d(value):\n    return value\n\n" % i for i in range(900))
    releases = ["2.%d" % minor for minor in range(16)]
    exporters = ["export_%d" % i for i in range(8)]
    outcomes = ["holds", "diverges", "export-error", "holds", "run-error"]
    environments, observations = [], []
    for r, release in enumerate(releases):
        env_id = "torch-%s.1+cu121-py3.11" % release
        environments.append(environment(env_id, release, release + ".1+cu121"))
        for b in range(86):
            for x, exporter in enumerate(exporters):
                outcome = outcomes[(b + x + r // 4) % len(outcomes)]
                fields = dict(id="behaviour.%d" % b, exporter=exporter, device="cpu", shapes="static", outcome=outcome)
                text = SEPARATOR.join(
                    [
                        header.format(torch=release + ".1+cu121", **fields),
                        "class Module%d(torch.nn.Module):\n    def forward(self, x):\n        return x + %d" % (b, b),
                        "def capture(mod, args):\n    return export_%d(mod, args)  # as in %s" % (x, releases[r // 4]),
                        classify,
                    ]
                )
                evidence = {"reproducer": text, "duration_s": 0.1 + b / 100, "exporter_detail": "export_%d(mod)" % x}
                if outcome == "diverges":
                    evidence["differences"] = [{"what": "buffer buf", "eager": "tensor([%d.0])" % b, "exported": "0"}]
                if outcome.endswith("error"):
                    message = "Mutating module attribute b%d during export." % b
                    evidence["error"] = {"type": "AssertionError", "module": "builtins", "message": message}
                observations.append(
                    {
                        "environment": env_id,
                        "shapes": "static",
                        **observation(fields["id"], exporter, outcome, evidence),
                    }
                )
    behaviours = [dict(BEHAVIOUR_OF, id="behaviour.%d" % b) for b in range(86)]
    matrix = {
        "schema": "exportmatrix/3",
        "environments": environments,
        "behaviours": behaviours,
        "observations": observations,
        "upstream": [],
    }
    return compact(matrix, {e["id"]: header for e in environments})


BEHAVIOUR_OF = {"id": "", "description": "a behaviour", "tags": ["buffer"], "seed_test": None}


def test_a_default_sized_page_opens_within_a_second_and_says_how_long_it_took(browser, tmp_path, capsys):
    """Prints the page's size and when it was usable (its script done); the
    figures are reported, not asserted: a timing assertion would be flaky."""
    import time

    matrix = default_sized_matrix()
    page = tmp_path / "matrix.html"
    page.write_text(render(matrix), encoding="utf-8")
    started = time.monotonic()
    browser.get(page.as_uri())
    ready = browser.execute_script("return window.exportmatrixReady")
    loaded = time.monotonic() - started
    assert ready is not None and [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    assert len(browser.find_elements(By.CSS_SELECTOR, "td.cell")) == len(matrix["observations"]) == 11008
    browser.find_element(By.CSS_SELECTOR, 'td.cell[data-index="5000"]').click()
    shown = browser.find_element(By.ID, "ev-reproducer").get_attribute("textContent")
    from exportmatrix.base import reproducer

    assert shown == reproducer(matrix, matrix["observations"][5000])
    with capsys.disabled():
        print(
            "\npage of %d cells: %.2f MB; usable %.0f ms after navigation started (script done), "
            "%.2f s for selenium's get()" % (11008, page.stat().st_size / 2**20, ready, loaded)
        )


def test_release_notes_lead_the_page_and_filter_the_grid_to_one_pair(browser, tmp_path):
    diverges = {"differences": [{"what": "attribute a", "after_call": 1, "eager": "1", "exported": "0"}]}
    releases = [
        ("2.8", [("b.silent", "export-error", ERROR), ("b.same", "holds", None), ("b.fixed", "export-error", ERROR)]),
        ("2.9", [("b.silent", "export-error", ERROR), ("b.same", "holds", None), ("b.fixed", "holds", None)]),
        ("2.10", [("b.silent", "diverges", diverges), ("b.same", "holds", None), ("b.fixed", "holds", None)]),
    ]
    for minor, cells in releases:
        version = minor + ".0"
        write_stream(
            tmp_path / "envs",
            environment("torch-%s-py3.11" % version, minor, version),
            [observation(b, "export_strict", outcome, evidence) for b, outcome, evidence in cells],
        )
    page = tmp_path / "matrix.html"
    page.write_text(render(aggregate(tmp_path / "envs").matrix), encoding="utf-8")
    browser.get(page.as_uri())

    notes = browser.find_elements(By.CSS_SELECTOR, "#release-notes .note")
    assert [n.find_element(By.TAG_NAME, "h3").text for n in notes] == [
        "2.8 → 2.9 (build pypi)",
        "2.9 → 2.10 (build pypi)",
    ]
    assert notes[0].find_element(By.CLASS_NAME, "note-counts").text == "1 fixed"
    assert notes[1].find_element(By.CLASS_NAME, "note-counts").text == "1 became silent"
    (silent,) = notes[1].find_elements(By.CSS_SELECTOR, "li.note-cell")
    assert silent.text.startswith("became silent b.silent / export_strict: export-error (AssertionError: <script>")
    assert silent.text.endswith(") in 2.9 → diverges (attribute a) in 2.10")
    assert browser.execute_script("return window.pwned") is None  # the hostile message stayed text
    # its later side opens that cell's evidence
    silent.find_elements(By.CSS_SELECTOR, "a.cell-link")[1].click()
    assert browser.find_element(By.ID, "ev-outcome").text == "diverges in torch-2.10.0-py3.11"

    Select(browser.find_element(By.ID, "filter-pair")).select_by_visible_text("2.9 → 2.10 (build pypi)")
    shown = [
        td
        for td in browser.find_elements(By.CSS_SELECTOR, "td.cell")
        if "hidden-by-filter" not in td.get_attribute("class")
    ]
    assert sorted(td.get_attribute("data-outcome") for td in shown) == ["diverges", "export-error"]
    assert browser.find_element(By.ID, "visible-count").get_attribute("data-count") == "2"
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
