"""What the probe records without torch: every installed distribution."""

import pytest
from exportmatrix_suite import probe
from exportmatrix_suite.probe import normalise_name, packages


def test_every_installed_distribution_is_recorded_by_normalised_name_sorted():
    found = packages()
    assert found["pytest"] == pytest.__version__
    assert list(found) == sorted(found)
    assert all(name == normalise_name(name) for name in found)


def test_names_are_normalised_as_pep_503_says():
    assert normalise_name("Typing_Extensions") == "typing-extensions"
    assert normalise_name("zope.interface") == "zope-interface"
    assert normalise_name("nvidia-cuda-runtime-cu12") == "nvidia-cuda-runtime-cu12"


def test_a_distribution_vendored_inside_a_package_is_not_an_installed_one(tmp_path, monkeypatch):
    """setuptools puts its _vendor folder, with dist-infos, on sys.path when
    imported: what it vendors is not installed in the environment."""
    site_packages = tmp_path / "site-packages"
    for folder, name in ((site_packages, "installedthing"), (site_packages / "tool" / "_vendor", "vendoredthing")):
        info = folder / ("%s-1.0.dist-info" % name)
        info.mkdir(parents=True)
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: %s\nVersion: 1.0\n" % name)
    monkeypatch.syspath_prepend(str(site_packages / "tool" / "_vendor"))
    monkeypatch.syspath_prepend(str(site_packages))
    real = probe.site_folders()
    monkeypatch.setattr(probe, "site_folders", lambda: [str(site_packages.resolve())] + real)
    found = packages()
    assert found["installedthing"] == "1.0"
    assert "vendoredthing" not in found
    assert found["pytest"] == pytest.__version__
