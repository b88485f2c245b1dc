"""Hostile strings in observations: HTML and script tags, control
characters, a 1 MB message, bytes that are not UTF-8. The JSON stays valid,
the Markdown stays a table, the HTML page shows them as text and loads."""

import re
import subprocess
import sys

from selenium.webdriver.common.by import By
from streams_factory import environment, line, observation

from exportmatrix.base import read_matrix

SCRIPT = "<script>window.pwned = 1</script><img src=x onerror='window.pwned = 2'>"
HUGE = "x" * 1_000_000


def hostile_stream(folder):
    folder.mkdir(parents=True)
    cells = [
        observation(
            "attr.tensor_reassign",
            "dynamo_export",
            "export-error",
            {"phase": "capture", "error": {"type": "ValueError", "module": "builtins", "message": SCRIPT}},
        ),
        observation(
            "attr.tensor_reassign",
            "export_strict",
            "export-error",
            {"phase": "capture", "error": {"type": "E\x1b[31m", "module": "m", "message": "bell\x07|pipe\nline"}},
        ),
        observation(
            "attr.tensor_reassign",
            "compile_fullgraph",
            "run-error",
            {"phase": "call 1", "error": {"type": "RuntimeError", "module": "m", "message": HUGE}},
        ),
    ]
    text = (
        "\n".join(
            [line("environment", environment("torch-2.4.1-py3.11", "2.4", "2.4.1"))]
            + [line("observation", cell) for cell in cells]
            + [line("end", {"observations": 3})]
        )
        + "\n"
    )
    # bytes that are not UTF-8 inside a message, as a broken writer would leave them
    data = text.encode().replace(b"bell", b"bell\xff\xfe")
    (folder / "hostile.jsonl").write_bytes(data)
    second = [line("environment", environment("torch-2.5.1-py3.11", "2.5", "2.5.1"))]
    second += [
        line("observation", observation("attr.tensor_reassign", e, "holds"))
        for e in ("dynamo_export", "export_strict", "compile_fullgraph")
    ]
    (folder / "calm.jsonl").write_text("\n".join(second + [line("end", {"observations": 3})]) + "\n")


def test_hostile_strings_stay_data_everywhere(tmp_path, browser):
    results = tmp_path / "results"
    hostile_stream(results / "envs")
    done = subprocess.run(
        [sys.executable, "-m", "exportmatrix", "aggregate", "--results", str(results)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr

    matrix = read_matrix(results / "matrix.json")  # valid JSON, valid UTF-8
    messages = [o["evidence"].get("error", {}).get("message") for o in matrix["observations"]]
    assert SCRIPT in messages and HUGE in messages

    markdown = (results / "matrix.md").read_text(encoding="utf-8")
    tables = re.findall(r"(?m)(?:^\|.*\n?)+", markdown)  # each table's lines: a hostile text cannot add a column
    assert tables and all(len({t.count("|") - t.count("\\|") for t in table.splitlines()}) == 1 for table in tables)
    changes = markdown.split("## Release notes")[1].split("\n## ")[0]
    assert "&lt;script&gt;" in changes and "<script>" not in changes
    assert "\x07" not in markdown and "\x1b" not in markdown
    assert max(len(text) for text in markdown.splitlines()) < 2000  # the 1 MB message is cut in reports

    browser.get((results / "matrix.html").as_uri())
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    assert browser.find_element(By.ID, "cell-count").text == "6"

    def open_cell(index):  # the grid shows one capture path at a time: its tab first
        exporter = matrix["observations"][index]["exporter"]
        browser.find_element(By.CSS_SELECTOR, '.path-tab[data-exporter="%s"]' % exporter).click()
        browser.find_element(By.CSS_SELECTOR, 'td.cell[data-index="%d"]' % index).click()

    open_cell(0)
    assert SCRIPT in browser.find_element(By.ID, "ev-error").text  # the error's table, as text
    assert browser.execute_script("return window.pwned") is None
    open_cell(2)
    shown = browser.find_element(By.ID, "ev-error").get_attribute("textContent")
    assert HUGE in shown
