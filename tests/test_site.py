"""`exportmatrix site`: the static site, written from a stand-in matrix (16
releases, one of them install-failed, and a behaviour whose id and
description are hostile), then looked at in Debian's chromium: every
internal link resolves, search finds a behaviour, a behaviour page is usable
within a second and its permalink opens a cell, hostile text stays text."""

import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from selenium.webdriver.common.by import By
from standin import standin

from exportmatrix.base import write_matrix
from exportmatrix.cli import main
from exportmatrix.reports.site import page_name

HOSTILE_ID = "x.\"quote'<script>window.pwned=1</script>ü"
HOSTILE = {
    "id": HOSTILE_ID,
    "description": '<img src=x onerror="window.pwned=2"> & "naïve" \u2603',
    "tags": ["state=global", "change=rebind", "reach=direct"],
    "seed_test": None,
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    matrix = standin(folder / "envs", behaviours=12, hostile=HOSTILE, failed=("2.3",))
    write_matrix(folder / "matrix.json", matrix)
    out = folder / "site"
    assert main(["site", str(folder / "matrix.json"), "--out", str(out)]) == 0
    return out


def severe(browser):
    return [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def test_the_site_has_a_page_per_behaviour_release_and_path_and_is_replaced_whole(site, tmp_path):
    pages = sorted(str(p.relative_to(site)) for p in site.rglob("*.html"))
    assert "index.html" in pages
    assert len([p for p in pages if p.startswith("behaviour/")]) == 13
    assert sorted(p for p in pages if p.startswith("release/")) == sorted("release/2.%d.html" % m for m in range(16))
    assert sorted(p for p in pages if p.startswith("path/")) == [
        "path/dynamo_export.html",
        "path/export_nonstrict.html",
        "path/export_strict.html",
    ]
    assert (site / "behaviour" / "kv_cache.dict_grows.html").is_file()
    assert (site / "behaviour" / (page_name(HOSTILE_ID) + ".html")).is_file()
    assert not [p for p in site.parent.iterdir() if p.name.startswith(".")]  # no temporary folder left
    # nothing is loaded from the network
    for page in site.rglob("*.html"):
        text = page.read_text()
        assert "http://" not in text.replace('href="http', "") and 'src="http' not in text


def test_hostile_text_is_escaped_on_every_page(site):
    for path in site.rglob("*"):
        if path.is_file():
            assert "<script>window.pwned" not in path.read_text(), path
            assert "<img src=x" not in path.read_text(), path


def test_every_internal_link_of_the_site_resolves(site, browser):
    """Each page is loaded (its grids are drawn by its script, which gives the
    cells their anchors); each href and src to a local file must exist, and
    each #anchor must be an id of the page it names."""
    pages = sorted(site.rglob("*.html"))
    ids, links = {}, []
    for page in pages:
        browser.get(page.as_uri())
        assert severe(browser) == [], page
        assert browser.execute_script("return window.pwned") is None, page
        ids[page] = set(browser.execute_script("return Array.from(document.querySelectorAll('[id]'), e => e.id)"))
        found = browser.execute_script(
            "return Array.from(document.querySelectorAll('a[href], link[href], script[src], img[src]'),"
            " e => e.getAttribute('href') || e.getAttribute('src'))"
        )
        links += [(page, link) for link in found]
    assert len(pages) == 1 + 13 + 16 + 3
    checked = 0
    for page, link in links:
        parts = urlsplit(link)
        if parts.scheme in ("http", "https"):
            continue  # upstream issues: the only links out of the site
        assert parts.scheme == "" and not link.startswith("//"), (page, link)
        target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
        assert target.is_file(), (page, link)
        assert site in target.parents, (page, link)
        if parts.fragment and target.suffix == ".html":
            assert unquote(parts.fragment) in ids[target], (page, link)
        checked += 1
    assert checked > 500


def test_search_finds_a_behaviour_by_its_id(site, browser):
    browser.get((site / "index.html").as_uri())
    box = browser.find_element(By.ID, "search")
    box.send_keys("kv_cache")
    results = browser.find_elements(By.CSS_SELECTOR, "#search-results a")
    assert [r.text for r in results] == ["kv_cache.dict_grows"]
    results[0].click()
    assert browser.current_url.endswith("/behaviour/kv_cache.dict_grows.html")
    # from a page below the top too, and by a tag
    box = browser.find_element(By.ID, "search")
    box.send_keys("state=global")
    found = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#search-results a")]
    assert HOSTILE_ID in found and len(found) == 3
    browser.find_elements(By.CSS_SELECTOR, "#search-results a")[found.index(HOSTILE_ID)].click()
    assert browser.find_element(By.ID, "behaviour-id").text == HOSTILE_ID
    assert browser.find_element(By.ID, "description").text == HOSTILE["description"]
    assert browser.execute_script("return window.pwned") is None


def test_a_behaviour_page_is_usable_within_a_second_and_its_permalink_opens_the_cell(site, browser, capsys):
    page = site / "behaviour" / "kv_cache.dict_grows.html"
    started = time.monotonic()
    browser.get(page.as_uri() + "#export_strict-2.10")
    ready = browser.execute_script("return window.exportmatrixReady")
    loaded = time.monotonic() - started
    assert ready is not None and ready < 1000 and severe(browser) == []
    assert browser.find_element(By.ID, "ev-title").text == "kv_cache.dict_grows / export_strict"  # cpu left out
    assert browser.find_element(By.ID, "ev-outcome").text.startswith("diverges in 2.10")
    assert browser.find_element(By.CSS_SELECTOR, "td.cell.selected").get_attribute("id") == "export_strict-2.10"
    # capture paths x releases, the failed release not a column
    rows = browser.find_elements(By.CSS_SELECTOR, "#grid-blocks tr.behaviour-row")
    assert [r.find_element(By.TAG_NAME, "th").text for r in rows] == [
        "export_strict",
        "dynamo_export",
        "export_nonstrict",
    ]
    assert len(rows[0].find_elements(By.CSS_SELECTOR, "td.cell")) == 15
    # each distinct outcome with a reproducer; its code as declared; its stories
    outcomes = [e.get_attribute("data-outcome") for e in browser.find_elements(By.CSS_SELECTOR, "div.outcome")]
    assert sorted(outcomes) == ["diverges", "export-error", "holds"]
    assert "return x + 1  # kv_cache.dict_grows" in browser.find_element(By.ID, "source").text
    assert "became silent" in browser.find_element(By.CSS_SELECTOR, ".story h3").text
    with capsys.disabled():
        print("\nbehaviour page: usable %.0f ms after navigation started, %.2f s for get()" % (ready, loaded))


def test_a_release_whose_install_failed_says_so_on_its_page(site, browser):
    browser.get((site / "release" / "2.3.html").as_uri())
    (note,) = browser.find_elements(By.CSS_SELECTOR, ".environment-not-ok")
    assert note.text == "torch-2.3.0-py3.11: install-failed — No solution found when resolving: torch==2.3.*"
    browser.get((site / "release" / "2.10.html").as_uri())
    assert browser.find_elements(By.CSS_SELECTOR, ".environment-not-ok") == []
    titles = [h.text for h in browser.find_elements(By.CSS_SELECTOR, ".story h3")]
    assert titles and all(t.startswith("2.9 → 2.10: ") for t in titles)
    packages = browser.find_element(By.CSS_SELECTOR, "table.environments details")
    assert packages.find_element(By.TAG_NAME, "summary").text == "2 packages"


def test_a_path_page_shows_its_capture_code_per_release(site, browser):
    browser.get((site / "path" / "export_strict.html").as_uri())
    codes = [pre.text for pre in browser.find_elements(By.CSS_SELECTOR, "#path-code pre")]
    assert codes[0] == "torch.export.export(mod, args)  # 2.0" and len(codes) == 15
    assert "install-failed" in browser.find_element(By.ID, "path-code").text


def test_the_site_session_and_command(root):
    noxfile = (root / "noxfile.py").read_text()
    assert 'main(["site", str(RESULTS / "matrix.json"), "--out", str(RESULTS / "site")])' in noxfile
    assert Path(root / "src" / "exportmatrix" / "reports" / "site.py").is_file()


def test_a_release_label_that_is_no_file_name_links_to_its_page(tmp_path):
    """ "2.9" resolving to 2.9.1 beside a pinned "2.9.1" is labelled "2.9.1 (2.9)":
    the behaviour page's release links escape it as its page's file name does."""
    import json

    from streams_factory import environment, observation, write_stream

    from exportmatrix.merge import aggregate
    from exportmatrix.reports.site import site_files

    for env_id, release in (("torch-2.9.1-py3.11", "2.9"), ("torch-2.9.1-pinned-py3.11", "2.9.1")):
        write_stream(tmp_path, environment(env_id, release, "2.9.1"), [observation("b", "export_strict", "holds")])
    files = site_files(aggregate(tmp_path).matrix)
    assert "release/2.9.1~20~282.9~29.html" in files
    page = files["behaviour/b.html"]
    data = json.loads(page.split('<script type="application/json" id="matrix-data">')[1].split("</script>")[0])
    hrefs = [href for grid in data["grids"] for _, _, href in grid["columns"]]
    assert "../release/2.9.1~20~282.9~29.html" in hrefs
    for href in hrefs + [row[2] for grid in data["grids"] for _, rows in grid["groups"] for row in rows]:
        assert href.startswith("../") and href[3:] in files, href
