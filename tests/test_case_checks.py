"""Case files on the host: matrix.toml's keys, the checks made before any
install, the options a session takes, and what reaches the pipeline."""

from pathlib import Path

import pytest

from exportmatrix.config import Cases, ConfigError, check_case_files, load, plan
from exportmatrix.run import INSTALL_ONLY, environment_fingerprint, run_sessions, session_options

GOOD = """import torch
from exportmatrix_suite import behaviour


@behaviour(id="mine.counter", description="counts calls", tags=("attribute",), inputs=lambda: (torch.ones(2),),
           mutates=("attribute n",))
class Counter(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.n = 0

    def forward(self, x):
        self.n += 1
        return x + self.n
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def config_with(tmp_path, root, extra: str):
    text = (root / "matrix.toml").read_text()
    return load(write(tmp_path, "matrix.toml", extra + "\n" + text))


def test_case_files_are_found_relative_to_matrix_toml_and_their_requirements_installed(tmp_path, root):
    write(tmp_path, "cases/mine.py", GOOD)
    config = config_with(tmp_path, root, 'case-files = ["cases/mine.py"]\ncase-requirements = ["einops"]')
    assert config.case_files == ((tmp_path / "cases" / "mine.py").resolve(),)
    (old,) = plan(config, ["2.0"], ["pypi"])
    assert old.install_steps()[0][-1] == "einops" and "numpy<2" in old.install_steps()[0]  # beside the pins


@pytest.mark.parametrize(
    "line, problem",
    [
        ('case-files = ["cases/none.py"]', "case-files[0] = 'cases/none.py': no such file"),
        ('case-files = "mine.py"', "case-files = 'mine.py': expected a list of paths"),
        (
            'case-requirements = ["not a requirement!"]',
            "case-requirements[0] = 'not a requirement!': not a requirement",
        ),
    ],
)
def test_a_bad_case_key_names_file_key_and_value(tmp_path, root, line, problem):
    with pytest.raises(ConfigError, match="matrix.toml: " + problem.replace("[", r"\[").replace("]", r"\]")):
        config_with(tmp_path, root, line)


def test_a_good_case_file_is_usable(tmp_path):
    path = write(tmp_path, "mine.py", GOOD)
    assert check_case_files((path,)) == ((path,), [])


def test_a_syntax_error_names_file_and_line(tmp_path):
    path = write(tmp_path, "broken.py", GOOD.replace("self.n += 1", "self.n += = 1"))
    usable, problems = check_case_files((path,))
    assert usable == () and problems == ["%s:13: SyntaxError: invalid syntax" % path]


def test_a_declaration_without_inputs_is_refused_with_its_line(tmp_path):
    path = write(tmp_path, "no_inputs.py", GOOD.replace("inputs=lambda: (torch.ones(2),),", ""))
    assert check_case_files((path,)) == ((), ["%s:5: class Counter: @behaviour needs inputs" % path])


def test_an_id_that_a_built_in_or_an_earlier_file_declares_is_refused(tmp_path, root):
    clash = write(tmp_path, "clash.py", GOOD.replace("mine.counter", "buffer.add_"))
    first, second = write(tmp_path, "a.py", GOOD), write(tmp_path, "b.py", GOOD)
    usable, problems = check_case_files((clash, first, second))
    assert usable == (first,)
    builtin = root / "suite" / "exportmatrix_suite" / "behaviours" / "buffers.py"
    assert problems[0].startswith("%s:5: behaviour id 'buffer.add_' is already declared in %s:" % (clash, builtin))
    assert problems[1] == "%s:5: behaviour id 'mine.counter' is already declared in %s:5" % (second, first)


def test_a_file_without_declarations_is_refused(tmp_path):
    path = write(tmp_path, "empty.py", "import torch\n")
    assert check_case_files((path,))[1] == ["%s: declares no behaviour (no class decorated with @behaviour)" % path]


def test_session_options_resolve_against_where_nox_was_invoked(tmp_path, root):
    write(tmp_path, "work/mine.py", GOOD)
    broken = write(tmp_path, "work/broken.py", "def (")
    options = session_options(
        ["--behaviours", "mine.py", "--behaviours", "broken.py", "--with", "einops", INSTALL_ONLY],
        (),
        tmp_path / "work",
    )
    assert options.cases == Cases(((tmp_path / "work" / "mine.py").resolve(),), False)
    assert options.problems == ("%s:1: SyntaxError: invalid syntax" % broken.resolve(),)
    assert options.install_only and options.requirements == ("einops",)
    environment = plan(load(root / "matrix.toml"), ["2.4"], ["pypi"])[0]
    assert options.environment(environment).install_steps()[0][-1] == "einops"
    assert options.arguments() == [
        "--behaviours",
        str(tmp_path / "work" / "mine.py"),
        "--with",
        "einops",
        *["--paths", "default", "--shapes", "static"],  # the selection always, over a session's matrix.toml
    ]


def test_only_cases_without_a_usable_file_stops_before_anything_runs(tmp_path):
    write(tmp_path, "broken.py", "def (")
    with pytest.raises(ConfigError, match="--only-cases: no usable case file"):
        session_options(["--only-cases", "--behaviours", "broken.py"], (), tmp_path)


def test_the_fingerprint_follows_the_case_files_and_is_unchanged_without_them(tmp_path, root):
    environment = plan(load(root / "matrix.toml"), ["2.4"], ["pypi"])[0]
    path = write(tmp_path, "mine.py", GOOD)
    plain = environment_fingerprint(environment)
    assert environment_fingerprint(environment, cases=Cases()) == plain
    with_case = environment_fingerprint(environment, cases=Cases((path,)))
    assert with_case != plain
    assert environment_fingerprint(environment, cases=Cases((path,), only=True)) != with_case
    path.write_text(GOOD.replace("x + self.n", "x - self.n"))
    assert environment_fingerprint(environment, cases=Cases((path,))) != with_case


def test_the_case_options_reach_both_stages_of_every_session(tmp_path):
    commands = []

    def call(command, stdout, stderr):
        commands.append(command)
        return 0

    posargs = ["--behaviours", "/x/mine.py", "--only-cases"]
    run_sessions(["torch-2.4"], ["nox", "-s"], tmp_path, jobs=1, call=call, posargs=posargs)
    assert commands == [
        ["nox", "-s", "torch-2.4", "--", INSTALL_ONLY, *posargs],
        ["nox", "-s", "torch-2.4", "--", *posargs],
    ]


def test_case_file_problems_reach_the_matrix_and_its_reports(tmp_path):
    from streams_factory import environment, observation, write_stream

    from exportmatrix.merge import aggregate
    from exportmatrix.reports import markdown, terminal

    errors = [
        {"file": "/w/broken.py", "error": "/w/broken.py:3: SyntaxError: invalid syntax"},  # found by the host
        {"file": "/w/raises.py", "error": "/w/raises.py:9: ImportError: No module named 'einops'"},  # by the suite
    ]
    described = environment(
        "torch-2.4.1-py3.11", "2.4", "2.4.1", case_files=["/w/mine.py"], only_cases=False, case_file_errors=errors
    )
    write_stream(tmp_path, described, [observation("buffer.add_", "export_strict", "holds")])
    matrix = aggregate(tmp_path).matrix  # raises if the matrix breaks its schema
    assert matrix["environments"][0]["case_file_errors"] == errors
    for text in (terminal.render(matrix), markdown.render(matrix)):
        assert "torch-2.4.1-py3.11: /w/raises.py:9: ImportError: No module named 'einops'" in text


def test_a_case_file_without_tags_or_description_is_usable(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(
        "import torch\nfrom exportmatrix_suite import behaviour\n\n\n"
        "@behaviour(id='mine.counter', inputs=lambda: (torch.ones(2),), mutates=('buffer n',))\n"
        "class Counter(torch.nn.Module):\n    pass\n"
    )
    assert check_case_files((path,)) == ((path,), [])
