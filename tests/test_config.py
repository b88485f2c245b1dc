"""matrix.toml → a checked config, and each error names key and value."""

import pytest

from exportmatrix.config import ConfigError, load

VALID = """
releases = ["2.0", "2.4", "2.4.0", "2.10"]
default-build = "pypi"
python = "3.11"
requirements = ["pytest"]

[[rule]]
releases = "<2.1"
python = "3.10"

[[rule]]
releases = "<2.3"
pins = ["numpy<2"]

[builds.pypi]
index = "https://pypi.org/simple"
releases = ">=2.0"

[builds.cu121]
index = "https://download.pytorch.org/whl/cu121/"
releases = ">=2.1,<2.6"
"""


def write(tmp_path, text):
    path = tmp_path / "matrix.toml"
    path.write_text(text)
    return path


def test_a_valid_file_loads(tmp_path):
    config = load(write(tmp_path, VALID))
    assert config.releases == ("2.0", "2.4", "2.4.0", "2.10")
    assert config.python_for("2.0") == "3.10"
    assert config.python_for("2.4") == "3.11"
    assert config.pins_for("2.0") == ("numpy<2",)
    assert config.pins_for("2.10") == ()
    assert config.builds["cu121"].index == "https://download.pytorch.org/whl/cu121"


def test_the_repository_matrix_loads(root):
    config = load(root / "matrix.toml")
    assert config.releases[0] == "2.0"
    assert {"pypi", "cpu", "cu118", "cu121", "cu124", "cu126", "cu128"} <= set(config.builds)
    assert any(name.startswith("rocm") for name in config.builds)
    assert config.python_for("2.0") == "3.10"
    assert "numpy<2" in config.pins_for("2.2")
    assert "numpy<2" not in config.pins_for("2.3")


@pytest.mark.parametrize(
    "change, expected",
    [
        (("releases = [", "colour = 'red'\nreleases = ["), "colour = 'red': unknown key"),
        (('"2.10"]', '"2.x"]'), "releases[3] = '2.x': not a version"),
        (('"2.10"]', '"2.10+cpu"]'), "releases[3] = '2.10+cpu': expected a release"),
        (('"2.10"]', '"2.4"]'), "releases[3] = '2.4': this release is listed twice"),
        (('default-build = "pypi"', 'default-build = "cu999"'), "default-build = 'cu999': unknown build"),
        (('python = "3.11"', 'python = "three"'), "python = 'three': expected a Python version"),
        (('pins = ["numpy<2"]', 'pins = ["numpy<<2"]'), "rule[1].pins[0] = 'numpy<<2': not a requirement"),
        (('releases = ">=2.1,<2.6"', 'releases = "newest"'), "builds.cu121.releases = 'newest': not a version spec"),
        (('index = "https://pypi.org/simple"', 'index = "pypi"'), "builds.pypi.index = 'pypi': expected the URL"),
        (("[builds.cu121]", "[builds.cu121]\nmirror = 1"), "builds.cu121.mirror = 1: unknown key"),
    ],
)
def test_each_error_is_one_line_naming_key_and_value(tmp_path, change, expected):
    path = write(tmp_path, VALID.replace(*change, 1))
    with pytest.raises(ConfigError) as raised:
        load(path)
    message = str(raised.value)
    assert message.startswith(str(path) + ": ")
    assert expected in message
    assert "\n" not in message


def test_unreadable_files_are_named(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load(tmp_path / "absent.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(write(tmp_path, "releases = ["))
