"""The suite's pytest plugin lives in the exportmatrix_suite package; this
rootdir conftest only registers it (pytest puts this folder on sys.path)."""

pytest_plugins = ["exportmatrix_suite.plugin"]
