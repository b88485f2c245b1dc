"""What the probe records without torch: every installed distribution."""

import pytest
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
