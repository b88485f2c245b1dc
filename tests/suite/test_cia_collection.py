"""The one change the suite makes to torch's own code, with a stand-in for
torch._export.utils that is built as torch's is: a collection walks the
operator namespaces and materialises before each (tests/e2e compares it with
the original on a real release)."""

import sys
from types import ModuleType

import pytest
from exportmatrix_suite.cia_collection import materialize_once_per_collection

REGISTERED = {"aten": ["add", "mul"], "quantized": ["linear"], "mylib": ["foo"]}


def standin_utils() -> ModuleType:
    utils = ModuleType("standin_utils")
    utils.calls = []  # type: ignore[attr-defined]
    utils.namespaces = {"aten": set()}  # type: ignore[attr-defined]

    def _materialize_cpp_cia_ops():
        utils.calls.append("materialize")
        for namespace, ops in REGISTERED.items():  # getattr adds a namespace the walk then reaches
            utils.namespaces.setdefault(namespace, set()).update(ops)

    def _collect_all_valid_cia_ops_for_namespace(name):
        utils._materialize_cpp_cia_ops()  # looked up at call time, as torch's is
        return {"%s::%s" % (name, op) for op in utils.namespaces[name]}

    def _collect_all_valid_cia_ops():
        found = set()
        for name in list(utils.namespaces):
            found |= _collect_all_valid_cia_ops_for_namespace(name)
        for name in list(utils.namespaces):  # namespaces the first step added
            found |= _collect_all_valid_cia_ops_for_namespace(name)
        return found

    utils._materialize_cpp_cia_ops = _materialize_cpp_cia_ops  # type: ignore[attr-defined]
    utils._collect_all_valid_cia_ops = _collect_all_valid_cia_ops  # type: ignore[attr-defined]
    return utils


def test_a_collection_materialises_once_and_collects_what_the_original_does():
    original = standin_utils()
    expected = original._collect_all_valid_cia_ops()
    assert original.calls.count("materialize") == 4  # once per namespace it walks

    utils = standin_utils()
    assert materialize_once_per_collection(utils) is True
    assert utils._collect_all_valid_cia_ops() == expected
    assert utils.calls == ["materialize"]
    utils._collect_all_valid_cia_ops()
    assert utils.calls == ["materialize"] * 2  # once per collection, never cached between them


def test_the_step_is_restored_after_a_collection_even_one_that_raises():
    utils = standin_utils()
    materialize = utils._materialize_cpp_cia_ops
    materialize_once_per_collection(utils)
    utils._collect_all_valid_cia_ops()
    assert utils._materialize_cpp_cia_ops is materialize
    utils.namespaces["broken"] = None  # the walk fails on it
    with pytest.raises(TypeError):
        utils._collect_all_valid_cia_ops()
    assert utils._materialize_cpp_cia_ops is materialize


def test_modules_of_torch_that_imported_the_collection_by_name_get_the_new_one(monkeypatch):
    utils = standin_utils()
    original = utils._collect_all_valid_cia_ops
    consumer, stranger = ModuleType("torch.export.standin"), ModuleType("not_torch")
    consumer._collect_all_valid_cia_ops = stranger._collect_all_valid_cia_ops = original
    monkeypatch.setitem(sys.modules, consumer.__name__, consumer)
    monkeypatch.setitem(sys.modules, stranger.__name__, stranger)
    materialize_once_per_collection(utils)
    assert consumer._collect_all_valid_cia_ops is utils._collect_all_valid_cia_ops
    assert consumer._collect_all_valid_cia_ops.original is original
    assert stranger._collect_all_valid_cia_ops is original


def test_installing_twice_wraps_once():
    utils = standin_utils()
    materialize_once_per_collection(utils)
    installed = utils._collect_all_valid_cia_ops
    assert materialize_once_per_collection(utils) is True
    assert utils._collect_all_valid_cia_ops is installed


def test_a_release_without_the_collection_is_left_alone():
    utils = ModuleType("old_utils")
    assert materialize_once_per_collection(utils) is None
    utils._collect_all_valid_cia_ops = lambda: set()
    assert materialize_once_per_collection(utils) is None  # no materialising step to take out
