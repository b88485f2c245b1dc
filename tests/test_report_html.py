"""The HTML report in a real headless browser (Debian's chromium, driven by
selenium through chromedriver): it opens on the grid (at 1400 x 1000, rows
of every release without scrolling sideways), a click shows a cell's
evidence as tables, the path tabs and filters show what they should, and
hostile text stays text. A screenshot lands in test-output/."""

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
        observation(
            "attr.tensor_reassign",
            "dynamo_export",
            "export-error",
            dict(ERROR, reproducer=REPRODUCER, left_by_capture=["global_buffer_registration_hooks hook"]),
        ),
        observation("attr.tensor_reassign", "export_strict", "holds", {"reproducer": TEMPLATED}),
        observation(
            "attr.tensor_reassign",
            "compile_fullgraph",
            "diverges",
            {
                "differences": [{"what": "attribute a", "after_call": 1, "eager": "1", "exported": "0"}],
                "read_back": ["buffer b"],
            },
        ),
    ]
    write_stream(tmp_path / "envs", environment("torch-2.4.1-py3.11", "2.4", "2.4.1", reproducer_header=HEADER), cells)
    write_stream(
        tmp_path / "envs",
        environment("torch-2.10.0-py3.11", "2.10", "2.10.0"),
        [observation("attr.tensor_reassign", e, "holds") for e in ("dynamo_export", "export_strict")],
    )
    return aggregate(tmp_path / "envs").matrix


def panel_fields(browser):
    """The open cell panel's evidence fields, each name followed by its value."""
    found = browser.find_elements(By.CSS_SELECTOR, "#ev-summary dt, #ev-summary dd, #ev-fields dt, #ev-fields dd")
    return [row.text for row in found]


def test_the_page_in_a_real_browser(matrix, browser, tmp_path, root):
    page = tmp_path / "matrix.html"
    page.write_text(render(matrix), encoding="utf-8")
    browser.get(page.as_uri())

    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
    assert browser.find_element(By.ID, "cell-count").text == str(len(matrix["observations"])) == "5"

    # it opens on the first capture path's grid; a click shows that cell's evidence, the hostile message as plain text
    tabs = browser.find_elements(By.CSS_SELECTOR, ".path-tab")
    assert [t.text for t in tabs] == ["dynamo_export", "export_strict", "compile_fullgraph", "all paths"]
    assert tabs[0].get_attribute("aria-selected") == "true"
    cell = browser.find_element(By.CSS_SELECTOR, 'td.cell[data-outcome="export-error"]')
    cell.click()
    assert browser.find_element(By.ID, "ev-title").text == "attr.tensor_reassign / dynamo_export"  # cpu left out
    error = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "#ev-error tr")]
    assert error[:2] == ["phase capture", "error AssertionError"]
    assert error[2].startswith("message <script>window.pwned = 1</script><img src=x")
    assert browser.execute_script("return window.pwned") is None
    assert browser.find_elements(By.CSS_SELECTOR, "#evidence img") == []
    fields = panel_fields(browser)
    left = fields.index("left registered by the failed capture (removed before the next cell)")
    assert "global_buffer_registration_hooks hook" in fields[left + 1]
    reproducer = browser.find_element(By.ID, "ev-reproducer").get_attribute("textContent")
    assert reproducer == REPRODUCER
    # a reproducer whose first block was stored as the template comes back whole
    assert len(matrix["reproducers"]) == 2 and matrix["reproducers"][1]["header"] is not None
    (index,) = [i for i, o in enumerate(matrix["observations"]) if o["evidence"].get("reproducer") == 1]
    browser.find_element(By.CSS_SELECTOR, '.path-tab[data-exporter="export_strict"]').click()
    browser.find_element(By.CSS_SELECTOR, 'td.cell[data-index="%d"]' % index).click()
    assert browser.find_element(By.ID, "ev-reproducer").get_attribute("textContent") == TEMPLATED
    # an artifact's state read back after each call (AOTInductor's runner) is listed too
    browser.find_element(By.CSS_SELECTOR, '.path-tab[data-exporter="compile_fullgraph"]').click()
    browser.find_element(By.CSS_SELECTOR, 'td.cell[data-outcome="diverges"]').click()
    fields = panel_fields(browser)
    assert "buffer b" in fields[fields.index("read back from the artifact after each call") + 1]

    root.joinpath("test-output").mkdir(exist_ok=True)
    assert browser.save_screenshot(str(root / "test-output" / "matrix-page.png"))

    # "all paths": each cell the worst of its release's paths, opening the list of them
    browser.find_element(By.CSS_SELECTOR, '.path-tab[data-exporter=""]').click()
    summaries = browser.find_elements(By.CSS_SELECTOR, "td.cell.summary")
    assert [td.get_attribute("data-outcome") for td in summaries] == ["diverges", "holds"]
    summaries[0].click()
    listed = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "#ev-paths tbody tr")]
    assert listed == ["dynamo_export E export-error", "export_strict ✓ holds", "compile_fullgraph ≠ diverges"]
    browser.find_element(By.CSS_SELECTOR, "#ev-paths a.path-cell").click()
    assert browser.find_element(By.ID, "ev-title").text == "attr.tensor_reassign / dynamo_export"

    # the outcome filter hides exactly the cells of other outcomes
    browser.find_element(By.CSS_SELECTOR, '.path-tab[data-exporter="dynamo_export"]').click()
    Select(browser.find_element(By.ID, "filter-outcome")).select_by_value("holds")
    shown = [
        td
        for td in browser.find_elements(By.CSS_SELECTOR, "td.cell")
        if "hidden-by-filter" not in td.get_attribute("class")
    ]
    assert [td.get_attribute("data-outcome") for td in shown] == ["holds"]
    assert browser.find_element(By.ID, "visible-count").get_attribute("data-count") == "1"

    # the capture path's tab shows its grid, the tag filter hides other rows
    Select(browser.find_element(By.ID, "filter-outcome")).select_by_value("")
    browser.find_element(By.CSS_SELECTOR, '.path-tab[data-exporter="export_strict"]').click()
    (block,) = browser.find_elements(By.CSS_SELECTOR, ".grid-block")
    assert block.get_attribute("data-exporter") == "export_strict"
    assert browser.find_element(By.ID, "visible-count").get_attribute("data-count") == "2"
    # rows are grouped by their state
    assert [g.text for g in browser.find_elements(By.CSS_SELECTOR, "th.group")] == ["state: tensor-attribute"]
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
    assert browser.find_element(By.ID, "ev-title").text == "attr.tensor_reassign / aoti [dynamic shapes]"
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
    # one capture path's grid at a time: 86 behaviours x 16 releases of the 11,008 cells
    assert len(matrix["observations"]) == 11008
    assert len(browser.find_elements(By.CSS_SELECTOR, "td.cell")) == 86 * 16
    (index,) = [
        i
        for i, o in enumerate(matrix["observations"])
        if (o["environment"], o["behaviour"], o["exporter"]) == ("torch-2.9.1+cu121-py3.11", "behaviour.50", "export_0")
    ]
    browser.find_element(By.CSS_SELECTOR, 'td.cell[data-index="%d"]' % index).click()
    shown = browser.find_element(By.ID, "ev-reproducer").get_attribute("textContent")
    from exportmatrix.base import reproducer

    assert shown == reproducer(matrix, matrix["observations"][index])
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

    # the page opens on the grid; the release notes are a view of their own
    assert browser.find_element(By.ID, "matrix").is_displayed()
    assert not browser.find_element(By.ID, "release-notes").is_displayed()
    browser.find_element(By.CSS_SELECTOR, 'nav.views a[href="#release-notes"]').click()
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
    assert browser.find_element(By.ID, "ev-outcome").text == "diverges in 2.10 (torch-2.10.0-py3.11)"
    assert browser.find_element(By.ID, "matrix").is_displayed()  # shown in its grid
    assert browser.find_element(By.CSS_SELECTOR, "td.cell.selected").get_attribute("data-outcome") == "diverges"
    differences = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "#ev-differences tr")]
    assert differences == ["what after call arose eager exported where", "attribute a 1 call 1 1 0"]

    Select(browser.find_element(By.ID, "filter-pair")).select_by_visible_text("2.9 → 2.10 (build pypi)")
    shown = [
        td
        for td in browser.find_elements(By.CSS_SELECTOR, "td.cell")
        if "hidden-by-filter" not in td.get_attribute("class")
    ]
    assert sorted(td.get_attribute("data-outcome") for td in shown) == ["diverges", "export-error"]
    assert browser.find_element(By.ID, "visible-count").get_attribute("data-count") == "2"
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_the_page_opens_on_the_grid_with_every_release_in_view(browser, tmp_path, root):
    """At 1400 x 1000 the first screen is the grid: at least 10 behaviours'
    rows of all 16 releases, no sideways scrolling (a stand-in of the default
    matrix's size: 16 releases x 86 behaviours). A diverges cell opens its
    differences as a table, its short reproducer first where it has one."""
    from standin import standin

    matrix = standin(tmp_path / "envs")
    page = tmp_path / "matrix.html"
    page.write_text(render(matrix), encoding="utf-8")
    browser.set_window_size(1400, 1000)
    inner = browser.execute_script("return [window.innerWidth, window.innerHeight]")
    browser.set_window_size(2800 - inner[0], 2000 - inner[1])
    browser.get(page.as_uri())
    assert browser.execute_script("return [window.innerWidth, window.innerHeight]") == [1400, 1000]
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 1400
    releases = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "table.grid th.release")]
    assert releases == ["2.%d" % minor for minor in range(16)]
    in_view = browser.execute_script(
        """return Array.from(document.querySelectorAll("td.cell"), td => [td.getBoundingClientRect(), td])
             .filter(([r]) => r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth)
             .map(([r, td]) => [td.parentElement.rowIndex, td.cellIndex])"""
    )
    rows = {}
    for row, column in in_view:
        rows.setdefault(row, set()).add(column)
    full = [row for row, columns in rows.items() if len(columns) == 16]
    assert len(full) >= 10, "%d rows of 16 cells in the first screen" % len(full)
    # the groups of the state axis, each with its header row
    groups = [g.text for g in browser.find_elements(By.CSS_SELECTOR, "th.group")]
    assert groups[0] == "state: buffer" and len(groups) == 7

    browser.find_element(By.CSS_SELECTOR, 'td.cell[data-outcome="diverges"]').click()
    table = browser.find_element(By.ID, "ev-differences")
    assert table.is_displayed()
    assert [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")] == [
        "what",
        "after call",
        "arose",
        "eager",
        "exported",
        "where",
    ]
    assert [td.text for td in table.find_elements(By.CSS_SELECTOR, "tbody td")] == [
        "buffer buf",
        "2",
        "call 1",
        "tensor([2.])",
        "tensor([1.])",
        "",
    ]
    assert browser.find_element(By.ID, "ev-reproducer").text.startswith('"""stand-in reproducer of')
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    root.joinpath("test-output").mkdir(exist_ok=True)
    assert browser.save_screenshot(str(root / "test-output" / "matrix-first-screen.png"))


def test_the_committed_default_matrix_opens_on_its_grid(browser, tmp_path, root):
    """The committed default matrix (examples/cpu-default-matrix/): at 1400 x
    1000, at least 10 rows of all 16 releases' cells in the first screen, every
    grid cell with its outcome; a diverges cell opens its differences table."""
    from exportmatrix.base import read_matrix

    matrix = read_matrix(root / "examples" / "cpu-default-matrix" / "matrix.json")
    releases = sorted({e["release"] for e in matrix["environments"]}, key=lambda r: tuple(map(int, r.split("."))))
    page = tmp_path / "matrix.html"
    page.write_text(render(matrix), encoding="utf-8")
    browser.set_window_size(1400, 1000)
    inner = browser.execute_script("return [window.innerWidth, window.innerHeight]")
    browser.set_window_size(2800 - inner[0], 2000 - inner[1])
    browser.get(page.as_uri())
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 1400
    assert [th.text for th in browser.find_elements(By.CSS_SELECTOR, "table.grid th.release")] == releases
    assert len(releases) == 16
    in_view = browser.execute_script(
        """return Array.from(document.querySelectorAll("td.cell"), td => [td.getBoundingClientRect(), td])
             .filter(([r]) => r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth)
             .map(([r, td]) => [td.parentElement.rowIndex, td.cellIndex, td.dataset.outcome])"""
    )
    rows = {}
    for row, column, outcome in in_view:
        assert outcome in {"holds", "diverges", "export-error", "run-error", "unsupported", "crash", "timeout"}
        rows.setdefault(row, set()).add(column)
    assert len([row for row, columns in rows.items() if len(columns) == 16]) >= 10
    browser.find_element(By.CSS_SELECTOR, 'td.cell[data-outcome="diverges"]').click()
    assert browser.find_element(By.ID, "ev-differences").is_displayed()
    # its short reproducer first where the page carries it, else the command that prints it
    kind, command = (browser.find_element(By.ID, name).text for name in ("ev-reproducer-kind", "ev-short-command"))
    assert kind == "Short reproducer" or (command.startswith("Its short reproducer") and command.endswith(" --short"))
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
