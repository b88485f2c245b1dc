"""One reading of a case file: the host checks case files with the suite's
own parser of declarations (declarations.py), so every way of reaching
@behaviour that the suite accepts when it loads a file, the host finds
before anything is installed. Plain-Python case files, no torch needed."""

import ast
import sys
from pathlib import Path

import pytest
from exportmatrix_suite import declarations as parser
from exportmatrix_suite.cases import load_case_file
from exportmatrix_suite.declare import REGISTRY

from exportmatrix.base import DECLARATIONS_FILE, suite_declarations
from exportmatrix.config import check_case_files
from exportmatrix.config.cases import declarations

BODY = """
class Helper:
    pass


@{decorator}(id="mine.{name}", description="a case", tags=("test",), inputs=lambda: (1.0,))
class Case:
    def __call__(self, x):
        return x + 1
"""

# how a case file may import and spell the decorator, each one the suite accepts
FORMS = {
    "plain": ("from exportmatrix_suite import behaviour", "behaviour"),
    "package": ("import exportmatrix_suite", "exportmatrix_suite.behaviour"),
    "package_as": ("import exportmatrix_suite as em", "em.behaviour"),
    "name_as": ("from exportmatrix_suite import behaviour as b", "b"),
    "declare_module": ("from exportmatrix_suite import declare", "declare.behaviour"),
    "declare_name": ("from exportmatrix_suite.declare import behaviour", "behaviour"),
    "declare_dotted": ("import exportmatrix_suite.declare", "exportmatrix_suite.declare.behaviour"),
    "declare_as": ("import exportmatrix_suite.declare as d", "d.behaviour"),
}


def case_file(folder, name, imports, decorator):
    path = folder / ("%s.py" % name)
    path.write_text(imports + "\n\n" + BODY.format(decorator=decorator, name=name))
    return path


@pytest.fixture
def registry(empty_registry):
    """REGISTRY as the test found it, afterwards (conftest.py: empty_registry)."""
    return empty_registry


@pytest.mark.parametrize("form", sorted(FORMS))
def test_the_host_finds_what_the_suite_registers_for_each_form(form, tmp_path, registry):
    path = case_file(tmp_path, form, *FORMS[form])
    before = len(REGISTRY)
    assert load_case_file(str(path)) is None
    registered = [declared.id for declared in REGISTRY[before:]]
    found, problems = declarations(path)
    assert problems == []
    assert [declared.id for declared in found] == registered == ["mine.%s" % form]
    assert found[0].line == 8  # the decorator's line
    assert check_case_files((path,)) == ((path,), [])


def test_the_host_loads_the_suite_parser_itself():
    """The same file, not a copy: one parser."""
    assert Path(suite_declarations().__file__) == DECLARATIONS_FILE
    assert Path(parser.__file__).resolve() == DECLARATIONS_FILE.resolve()


def test_the_parser_needs_only_the_standard_library():
    """The host runs it without torch, the host package or the rest of the suite."""
    tree = ast.parse(DECLARATIONS_FILE.read_text())
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    imported |= {
        node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported and imported <= set(sys.stdlib_module_names) | {"__future__"}


def test_a_file_without_declarations_is_refused(tmp_path):
    path = tmp_path / "empty.py"
    path.write_text("import torch\n\n\nclass NotDeclared(torch.nn.Module):\n    pass\n")
    assert declarations(path) == ([], ["%s: declares no behaviour (no class decorated with @behaviour)" % path])
    assert check_case_files((path,)) == ((), ["%s: declares no behaviour (no class decorated with @behaviour)" % path])


@pytest.mark.parametrize(
    "text",
    [
        # another module's behaviour, or a name the suite's never bound
        "import mylib\n\n@mylib.behaviour(id='x.y', inputs=lambda: ())\nclass A:\n    pass\n",
        "from mylib import behaviour as b\n\n@b(id='x.y', inputs=lambda: ())\nclass A:\n    pass\n",
        # not a call: not a declaration the suite accepts either
        "from exportmatrix_suite import behaviour\n\n@behaviour\nclass A:\n    pass\n",
    ],
)
def test_a_decorator_that_is_not_the_suites_is_no_declaration(text):
    assert parser.declarations(ast.parse(text)) == []


def test_options_given_by_position_count_and_their_lines_are_the_decorators():
    text = (
        "from exportmatrix_suite import behaviour as b\n\n\n@b('x.y', 'what', ('t',), lambda: ())\nclass A:\n    pass\n"
    )
    (found,) = parser.declarations(ast.parse(text))
    assert sorted(found.options) == ["description", "id", "inputs", "tags"]
    assert ast.literal_eval(found.options["id"]) == "x.y"
    assert (found.line, found.node.name, found.unpacks) == (4, "A", False)


def test_options_unpacked_from_a_mapping_are_left_to_the_suite(tmp_path):
    path = tmp_path / "unpacked.py"
    path.write_text(
        "from exportmatrix_suite import behaviour\n\nOPTIONS = {}\n\n@behaviour(**OPTIONS)\nclass A:\n    pass\n"
    )
    assert declarations(path)[1] == ["%s:5: class A: the id must be a string literal" % path]
    path.write_text("from exportmatrix_suite import behaviour\n\n@behaviour(id='x.y', **OPTIONS)\nclass A:\n    pass\n")
    assert [d.id for d in declarations(path)[0]] == ["x.y"]


def test_a_missing_option_names_the_class_and_the_line_in_every_form(tmp_path):
    path = tmp_path / "missing.py"
    path.write_text("import exportmatrix_suite as em\n\n\n@em.behaviour(id='x.y')\nclass Counter:\n    pass\n")
    assert declarations(path) == ([], ["%s:4: class Counter: @behaviour needs inputs" % path])


def test_every_built_in_behaviour_is_found(root):
    """The catalogue, read without torch: one declaration per @behaviour in its files."""
    catalogue = root / "suite" / "exportmatrix_suite" / "behaviours"
    for path in sorted(catalogue.glob("*.py")):
        found, problems = declarations(path)
        assert problems == [] or path.name == "__init__.py", problems
        assert len(found) == path.read_text().count("\n@behaviour("), path
