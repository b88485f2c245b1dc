"""What the end-to-end tests share: a matrix.toml of torch 2.4, 2.10 and a
release that does not exist; environments under the repository's .nox/."""

import re

import pytest


@pytest.fixture(scope="module")
def config(root, tmp_path_factory):
    folder = tmp_path_factory.mktemp("e2e")
    text = (root / "matrix.toml").read_text()
    text = re.sub(r"(?ms)^releases = \[.*?\]", 'releases = ["2.4", "2.10", "2.99"]', text, count=1)
    (folder / "matrix.toml").write_text(text)
    return folder / "matrix.toml"
