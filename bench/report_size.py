"""Benchmark: how large a results folder's matrix and reports are, and how
soon the page is usable in Chromium (its script done).

    .venv/bin/python bench/report_size.py results/

Prints matrix.json's size in all and per environment (and what the same
cells take as exportmatrix/2, each cell an object of its own), the page's
and matrix.md's sizes, the streams' sizes, how many stories the changes
make, and the page's time to usable from disk, the median of a few loads.
Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from exportmatrix.base import read_matrix  # noqa: E402
from exportmatrix.config.upstream_links import load_links  # noqa: E402
from exportmatrix.reports.changes import outcome_changes  # noqa: E402
from exportmatrix.reports.stories import stories  # noqa: E402

MB = 1e6


def page_ready_ms(page: Path, loads: int) -> list[float]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "chromedriver"), options=options)
    try:
        found = []
        for _ in range(loads):
            driver.get("about:blank")
            driver.get(page.as_uri())
            found.append(float(driver.execute_script("return window.exportmatrixReady")))
        return found
    finally:
        driver.quit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "results", nargs="?", type=Path, default=Path("results"), help="a results folder, or its matrix.json"
    )
    parser.add_argument("--loads", type=int, default=5, help="page loads to take the median of (default 5)")
    arguments = parser.parse_args()
    if arguments.results.name == "matrix.json":
        arguments.results = arguments.results.parent
    path = arguments.results / "matrix.json"
    if not path.is_file():
        parser.error("%s: no matrix.json there (give a results folder, as nox -s matrix writes it)" % arguments.results)
    schema = json.loads(path.read_text(encoding="utf-8")).get("schema")
    matrix = read_matrix(path)
    size = path.stat().st_size
    environments, cells = len(matrix["environments"]), len(matrix["observations"])
    as_2 = len(json.dumps({**matrix, "schema": "exportmatrix/2"}, separators=(",", ":")).encode())
    print("matrix.json: %.2f MB (%s), %d environments, %d cells" % (size / MB, schema, environments, cells))
    print("  per environment: %.3f MB; per cell: %d bytes" % (size / MB / max(environments, 1), size // max(cells, 1)))
    print("  the same cells as exportmatrix/2 (each cell an object): %.2f MB" % (as_2 / MB))
    for name in ("matrix.html", "matrix.md"):
        report = arguments.results / name
        if report.exists():
            print("%s: %.2f MB" % (name, report.stat().st_size / MB))
    streams = sorted((arguments.results / "envs").glob("*.jsonl"))
    if streams:
        sizes = [stream.stat().st_size / MB for stream in streams]
        print("streams (envs/*.jsonl): %d, the largest %.2f MB, %.2f MB in all" % (len(sizes), max(sizes), sum(sizes)))
    changes = outcome_changes(matrix)
    found = stories(matrix, changes, load_links())
    unexplained = sum(story.unexplained for story in found)
    print("%d outcome changes in %d stories, %d of them unexplained" % (len(changes), len(found), unexplained))
    page = arguments.results / "matrix.html"
    if page.exists() and shutil.which("chromium") and shutil.which("chromedriver"):
        ready = page_ready_ms(page.resolve(), arguments.loads)
        print(
            "matrix.html usable %.0f ms after navigation started (median of %d loads; %s)"
            % (statistics.median(ready), len(ready), ", ".join("%.0f" % r for r in ready))
        )
    else:
        print("matrix.html: no timing (needs the page, chromium and chromedriver)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
