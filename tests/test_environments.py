"""Environments: session names, ids, and what gets installed from where."""

import pytest

from exportmatrix.config import ConfigError, default_matrix, load, make_id, plan


@pytest.fixture
def config(root):
    return load(root / "matrix.toml")


def test_one_session_per_release_and_build_that_offers_it(config):
    names = [e.session_name for e in plan(config)]
    assert "torch-2.4" in names and "torch-2.4-cu121" in names and "torch-2.4-cpu" in names
    assert "torch-2.0-cu121" not in names  # cu121 starts at 2.1
    assert "torch-2.10-cu118" not in names  # cu118 stops before 2.8
    assert len(names) == len(set(names))


def test_the_default_matrix_is_every_release_in_the_default_build(config):
    environments = default_matrix(config)
    assert [e.release for e in environments] == list(config.releases)
    assert all(e.session_name == "torch-" + e.release for e in environments)


def test_install_arguments_pick_the_newest_patch_and_the_build_index(config):
    (env_24,) = plan(config, ["2.4"], ["pypi"])
    (step,) = env_24.install_steps()
    assert step[0] == "torch==2.4.*" and "--index-url" not in step
    (env_cpu,) = plan(config, ["2.2"], ["cpu"])
    # torch from the build's index alone, then the rest from PyPI
    torch_step, rest = env_cpu.install_steps()
    assert torch_step == ["torch==2.2.*", "--index-url", "https://download.pytorch.org/whl/cpu"]
    assert rest[0] == "numpy<2" and "pytest" in rest


def test_python_follows_the_rules(config):
    assert plan(config, ["2.0"], ["pypi"])[0].python == "3.10"
    assert plan(config, ["2.5"], ["pypi"])[0].python == "3.11"


def test_ids_carry_the_installed_version_and_a_non_default_build():
    assert make_id("2.4.1+cu121", "3.11.7", "pypi", True) == "torch-2.4.1+cu121-py3.11"
    assert make_id("2.4.1+cu121", "3.11.7", "cu121", False) == "torch-2.4.1+cu121-py3.11-cu121"


def test_unknown_releases_and_builds_are_refused(config):
    with pytest.raises(ConfigError, match="release '1.13': not in"):
        plan(config, ["1.13"])
    with pytest.raises(ConfigError, match="build 'tpu': unknown"):
        plan(config, None, ["tpu"])
