"""Shared fixtures of the host tests."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEST_TORCH = "2.4"  # the release the fault tests run the real suite in


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture
def browser():
    """Debian's chromium, headless, driven by selenium through chromedriver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver_path, "scripts/bootstrap installs Debian's chromium and chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,900",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()


def uv() -> str:
    beside = Path(sys.executable).parent / "uv"
    found = str(beside) if beside.exists() else shutil.which("uv")
    assert found, "uv comes with the dev dependencies"
    return found


TEST_CACHE = "EXPORTMATRIX_TEST_CACHE"


@pytest.fixture(scope="session")
def test_cache(tmp_path_factory) -> Path:
    """The tests' own cache (downloaded wheels): a fresh folder on every run,
    so a fixture that cannot fill it from nothing fails here as on a new
    machine. A developer may point EXPORTMATRIX_TEST_CACHE at a folder to keep
    it between runs; `.ci/run` never does."""
    kept = os.environ.get(TEST_CACHE)
    folder = Path(kept) if kept else tmp_path_factory.mktemp("test-cache")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def torch_python() -> Path:
    """A Python with a real torch release for tests that run the suite
    itself: made once with uv under .nox/ (seconds from uv's cache). It may
    outlive a run: like nox's torch environments it is keyed by its exact
    request (its name says the release), and uv checks the install each time."""
    venv = ROOT / ".nox" / ("tests-torch-" + TEST_TORCH.replace(".", "-"))
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([uv(), "venv", "-q", "-p", "3.11", str(venv)], check=True)
    subprocess.run(
        [
            uv(),
            "pip",
            "install",
            "-q",
            "--python",
            str(python),
            "torch==%s.*" % TEST_TORCH,
            "numpy",
            "pytest",
            "expecttest",
            "setuptools",
        ],
        check=True,
        env=dict(os.environ, UV_HTTP_TIMEOUT="60"),
    )
    return python
