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
        (("[builds.cu121]", "[builds.cu121]\nfind-links = 'wheels'"), "builds.cu121 = {"),  # index and find-links
        (('index = "https://download.pytorch.org/whl/cu121/"\n', ""), "expected exactly one of index"),
        (("[builds.cu121]", "[builds.cu121]\nextra-index = 'pypi'"), "builds.cu121.extra-index = 'pypi': expected"),
        (("[builds.cu121]", "[builds.cu121]\nlocal-tag = 'cu 121'"), "builds.cu121.local-tag = 'cu 121': expected"),
        (('default-build = "pypi"', 'default-builds = ["pypi", "cu999"]'), "default-builds[1] = 'cu999': unknown"),
        (('default-build = "pypi"', "default-builds = []"), "default-builds = []: expected a non-empty list"),
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


WHEELHOUSE = """
[builds.house]
find-links = "wheels"
releases = ">=2.4"
"""


def wheelhouse(tmp_path, names=("torch-2.4.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",)):
    (tmp_path / "wheels").mkdir(exist_ok=True)
    for name in names:
        (tmp_path / "wheels" / name).write_bytes(b"")
    return load(write(tmp_path, VALID + WHEELHOUSE))


def test_a_wheelhouse_build_installs_its_wheel_by_path_and_the_rest_from_pypi(tmp_path):
    from exportmatrix.config import plan

    config = wheelhouse(
        tmp_path,
        [
            "torch-2.4.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "torch-2.4.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "torch-2.4.1-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        ],
    )
    build = config.builds["house"]
    assert build.find_links == tmp_path / "wheels" and build.local_tag is None and build.index == ""
    (environment,) = plan(config, ["2.4"], ["house"])
    assert environment.session_name == "torch-2.4-house" and environment.source_problem() is None
    wheel = tmp_path / "wheels" / "torch-2.4.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    assert environment.install_steps() == [["torch @ " + wheel.as_uri(), "pytest"]]  # the newest 2.4.x for 3.11
    assert environment.describe()["index"] == "wheelhouse %s" % (tmp_path / "wheels")


def test_a_wheelhouse_without_the_release_is_named_before_installing(tmp_path):
    from exportmatrix.config import plan

    config = wheelhouse(tmp_path, ["torch-2.5.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"])
    (environment,) = plan(config, ["2.4"], ["house"])
    assert environment.source_problem() == (
        "build house: no torch 2.4 wheel for Python 3.11 on this machine in %s (it holds: "
        "torch-2.5.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl)" % (tmp_path / "wheels")
    )


def test_a_missing_wheelhouse_is_named_at_load(tmp_path):
    with pytest.raises(ConfigError, match=r"builds.house.find-links = 'wheels': no such folder \(looked for "):
        load(write(tmp_path, VALID + WHEELHOUSE))


def test_extra_index_and_local_tag(tmp_path):
    text = VALID.replace(
        "[builds.cu121]", "[builds.cu121]\nextra-index = 'https://mirror.example/simple'\nlocal-tag = ''"
    )
    config = load(write(tmp_path, text))
    build = config.builds["cu121"]
    assert build.extra_index == "https://mirror.example/simple" and build.local_tag == ""
    assert load(write(tmp_path, VALID)).builds["cu121"].local_tag == "cu121"  # an index build: its name, unless said
    assert load(write(tmp_path, VALID)).builds["pypi"].local_tag is None  # PyPI promises no tag


def test_default_builds_run_every_release_in_each_build_that_offers_it(tmp_path):
    from exportmatrix.config import default_matrix

    config = load(write(tmp_path, VALID.replace('default-build = "pypi"', 'default-builds = ["pypi", "cu121"]')))
    assert config.default_builds == ("pypi", "cu121")
    sessions = [e.session_name for e in default_matrix(config)]
    assert sessions == [
        "torch-2.0",
        "torch-2.4",
        "torch-2.4-cu121",
        "torch-2.4.0",
        "torch-2.4.0-cu121",
        "torch-2.10",
    ]  # cu121 offers >=2.1,<2.6


def test_a_build_that_offers_none_of_the_releases_asked_for_is_named(tmp_path):
    from exportmatrix.config import plan

    config = load(write(tmp_path, VALID))
    with pytest.raises(ConfigError, match=r"build 'cu121' offers none of 2.10 \(it offers <2.6,>=2.1, per "):
        plan(config, ["2.10"], ["pypi", "cu121"])
    assert [e.session_name for e in plan(config, ["2.4", "2.10"], ["pypi", "cu121"])] == [
        "torch-2.4",
        "torch-2.4-cu121",
        "torch-2.10",
    ]


def test_a_mirror_named_at_run_time_replaces_the_builds_source(tmp_path, monkeypatch):
    from exportmatrix.config import mirror_variable, plan

    assert mirror_variable("rocm6.2") == "EXPORTMATRIX_INDEX_ROCM6_2"
    monkeypatch.setenv("EXPORTMATRIX_INDEX_CU121", "https://proxy.corp.example/pytorch/cu121/simple/")
    config = load(write(tmp_path, VALID))
    build = config.builds["cu121"]
    assert build.index == "https://proxy.corp.example/pytorch/cu121/simple"
    assert build.source == "https://proxy.corp.example/pytorch/cu121/simple (mirror from $EXPORTMATRIX_INDEX_CU121)"
    (environment,) = plan(config, ["2.4"], ["cu121"])
    assert environment.install_steps()[0] == ["torch==2.4.*", "--index-url", build.index]
    monkeypatch.setenv("EXPORTMATRIX_INDEX_CU121", "proxy")
    with pytest.raises(ConfigError, match=r"\$EXPORTMATRIX_INDEX_CU121 = 'proxy': expected the URL"):
        load(write(tmp_path, VALID))
