"""Case files: loaded whole or not at all, each problem named with its file
and line; each behaviour records its file and a hash of it, while its key
holds only its own code. Plain-Python case files, no torch needed."""

import hashlib
import textwrap

import pytest
from exportmatrix_suite import keys, reproducer
from exportmatrix_suite.cases import load_case_file, load_case_files
from exportmatrix_suite.declare import REGISTRY, behaviour

HEADER = "from exportmatrix_suite import behaviour\n\n\n"


def case(id, body="return x + 1", cls="Case", extra=""):
    return textwrap.dedent(
        """
        @behaviour(id={id!r}, description="a case", tags=("test",), inputs=lambda: (1.0,){extra})
        class {cls}:
            def __call__(self, x):
                {body}
        """
    ).format(id=id, body=body, cls=cls, extra=extra)


class BuiltIn:
    def __call__(self, x):
        return x


@pytest.fixture
def registry(empty_registry):
    """REGISTRY with one stand-in built-in ("buffer.add_"), restored
    afterwards (conftest.py: empty_registry)."""
    behaviour(id="buffer.add_", description="the built-in", tags=("buffer",), inputs=lambda: (1.0,))(BuiltIn)
    return empty_registry


def write(folder, name, text):
    path = folder / name
    path.write_text(text)
    return str(path)


def ids(registry):
    return [declared.id for declared in registry]


def test_a_case_file_joins_the_built_ins_recording_its_path_and_hash(registry, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cases").mkdir()
    write(tmp_path / "cases", "my_cases.py", HEADER + case("case.one") + case("case.two", cls="Two"))
    assert load_case_files(["cases/my_cases.py"]) == []
    assert ids(registry)[-3:] == ["buffer.add_", "case.one", "case.two"]
    digest = hashlib.sha256((tmp_path / "cases" / "my_cases.py").read_bytes()).hexdigest()[:16]
    for declared in registry[-2:]:
        assert declared.source.case_file
        # the path as given, not resolved; every other key as before
        assert declared.declaration()["source"] == {"file": "cases/my_cases.py", "sha256": digest}
        assert list(declared.declaration()) == ["id", "description", "tags", "seed_test", "mutates", "source"]


@pytest.mark.parametrize(
    "text, at, error",
    [
        (HEADER + case("case.ok") + "\ndef broken(:\n    pass\n", "def broken", "SyntaxError: "),
        (HEADER + "if True:\npass\n", "pass", "IndentationError: expected an indented block"),
        (HEADER + case("case.ok") + "\nLOOKUP = {}\nSIZE = LOOKUP['size']\n", "SIZE", "KeyError: 'size'"),
        ("import einops_not_installed\n", "import", "ModuleNotFoundError: No module named 'einops_not_installed'"),
        (
            HEADER + "def helper():\n    raise RuntimeError('helper failed')\n\n\nVALUE = helper()\n",
            "raise",  # the innermost line of the case file
            "RuntimeError: helper failed",
        ),
        (
            HEADER + case("case.ok") + case("case.no_inputs", cls="NoInputs").replace(", inputs=lambda: (1.0,)", ""),
            "@behaviour(id='case.no_inputs'",
            "ValueError: behaviour 'case.no_inputs': inputs is missing",
        ),
        (
            HEADER + case("case.mutates", extra=", mutates=('buf',)"),
            "@behaviour",
            "ValueError: behaviour 'case.mutates': mutates names 'buf', whose kind is none of",
        ),
        (
            HEADER + case("buffer.add_"),
            "@behaviour",
            "ValueError: behaviour 'buffer.add_' is declared twice: it is already declared in %s (class BuiltIn)"
            % __file__,
        ),
    ],
    ids=[
        "syntax-error",
        "indentation",
        "exception-at-import",
        "missing-package",
        "exception-in-a-helper",
        "missing-inputs",
        "invalid-mutates",
        "clash-with-a-built-in",
    ],
)
def test_a_case_file_that_cannot_be_loaded_is_named_with_its_line_and_adds_nothing(registry, tmp_path, text, at, error):
    path = write(tmp_path, "broken_cases.py", text)
    line = text[: text.index(at)].count("\n") + 1
    before = ids(registry)
    (problem,) = load_case_files([path])
    assert problem["file"] == path
    assert problem["error"].startswith("%s:%d: %s" % (path, line, error)), problem["error"]
    assert ids(registry) == before  # whole or not at all: case.ok is not left behind
    assert load_case_file(path) is not None  # and it can be tried again


def test_a_case_file_without_behaviours_is_refused(registry, tmp_path):
    path = write(tmp_path, "empty_cases.py", "import math\n")
    assert load_case_files([path]) == [
        {"file": path, "error": "%s: declares no behaviour (decorate an nn.Module class with @behaviour(...))" % path}
    ]


def test_an_id_two_case_files_declare_is_refused_in_the_second_naming_the_first(registry, tmp_path):
    first = write(tmp_path, "first_cases.py", HEADER + case("case.shared"))
    (tmp_path / "other").mkdir()
    second = write(tmp_path / "other", "first_cases.py", HEADER + case("case.own", cls="Own") + case("case.shared"))
    problems = load_case_files([first, second, first])  # a file named twice is loaded once
    assert problems == [
        {
            "file": second,
            "error": "%s:10: ValueError: behaviour 'case.shared' is declared twice: it is already declared in %s "
            "(class Case)" % (second, first),
        }
    ]
    assert ids(registry)[-1] == "case.shared" and "case.own" not in ids(registry)


def test_the_files_that_load_still_load_beside_a_broken_one(registry, tmp_path):
    broken = write(tmp_path, "broken.py", HEADER + "def f(:\n")
    missing = str(tmp_path / "missing.py")
    good = write(tmp_path, "good.py", HEADER + case("case.good"))
    problems = load_case_files([broken, missing, good])
    assert [problem["file"] for problem in problems] == [broken, missing]
    assert problems[0]["error"].startswith("%s:4: SyntaxError: " % broken)
    assert problems[1]["error"] == "%s: cannot be read: No such file or directory" % missing
    assert ids(registry)[-1] == "case.good"


TWO_CLASSES = HEADER + textwrap.dedent(
    """
    OFFSET = 1.0


    def _shift(x):
        return x + OFFSET


    @behaviour(id="case.first", description="uses a helper", tags=("test",), inputs=lambda: (1.0,))
    class First:
        def __call__(self, x):
            return _shift(x)


    @behaviour(id="case.second", description="on its own", tags=("test",), inputs=lambda: (1.0,))
    class Second:
        def __call__(self, x):
            return x * 2
    """
)


def _keys_after_loading(path, text):
    """Each case's behaviour key and source, for the file `path` holding `text`
    (loaded afresh, as a new run would)."""
    with open(path, "w") as handle:
        handle.write(text)
    REGISTRY[:] = [declared for declared in REGISTRY if not declared.id.startswith("case.")]
    reproducer._file_tree.cache_clear()
    keys._BEHAVIOUR_KEYS.clear()
    assert load_case_file(path) is None
    return {d.id: (keys.behaviour_key(d), d.declaration()["source"]) for d in REGISTRY if d.id.startswith("case.")}


def test_editing_one_class_changes_only_its_key_while_the_file_hash_changes(registry, tmp_path):
    path = str(tmp_path / "my_cases.py")
    first = _keys_after_loading(path, TWO_CLASSES)
    assert _keys_after_loading(path, TWO_CLASSES) == first  # nothing edited, nothing changes

    edited = _keys_after_loading(path, TWO_CLASSES.replace("return x * 2", "return x * 3"))
    assert edited["case.first"][0] == first["case.first"][0]
    assert edited["case.second"][0] != first["case.second"][0]
    assert edited["case.first"][1]["sha256"] != first["case.first"][1]["sha256"]  # the source records the edit
    assert edited["case.first"][1]["file"] == path

    helper = _keys_after_loading(path, TWO_CLASSES.replace("OFFSET = 1.0", "OFFSET = 2.0"))
    assert helper["case.first"][0] != first["case.first"][0]  # the constant its helper uses is its own code
    assert helper["case.second"][0] == first["case.second"][0]

    described = _keys_after_loading(path, TWO_CLASSES.replace('"on its own"', '"alone"'))
    assert described["case.second"][0] != first["case.second"][0]  # the declaration is in the key
    assert described["case.first"][0] == first["case.first"][0]
