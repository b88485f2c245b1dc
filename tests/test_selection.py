"""Capture-path sets and shapes: named once in the suite's paths.py, checked
on the host before anything is installed, carried to every session and the
suite, keyed into every cell, and shown per shapes in the reports."""

import ast
import json

import pytest
from streams_factory import environment, observation, write_stream
from test_config import VALID, write

from exportmatrix.base import PATH_SETS_FILE, cell_key, encode, read_matrix
from exportmatrix.cli import main
from exportmatrix.cli.matrix import matrix_parser, matrix_session_options
from exportmatrix.config import ConfigError, Selection, load, path_sets, plan
from exportmatrix.config.selection import read_path_sets
from exportmatrix.merge import aggregate, cells_by_key, compare, differences, make_baseline
from exportmatrix.reports import markdown, terminal, view
from exportmatrix.reports.html import render as render_html
from exportmatrix.run import environment_fingerprint, session_options, suite_variables
from exportmatrix.run.session import options_parser
from exportmatrix.schemas import problems


def literals():
    """paths.py as the suite sees it (its module-level literals)."""
    tree = ast.parse(PATH_SETS_FILE.read_text())
    return {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)}


# -- the sets, read from the suite without importing it


def test_the_sets_are_read_from_the_suites_file():
    suite = literals()
    known = path_sets()
    assert known.sets == {name: tuple(paths) for name, paths in suite["PATH_SETS"].items()}
    assert (known.default_paths, known.shapes, known.default_shapes) == (
        suite["DEFAULT_PATHS"],
        suite["SHAPES"],
        suite["DEFAULT_SHAPES"],
    )
    assert {"default", "deploy"} <= set(known.sets)
    assert {"compile_inductor", "aoti", "export_strict"} <= set(known.exporters)


def test_the_defaults_are_the_suites():
    selection = Selection()
    assert selection.paths == literals()["DEFAULT_PATHS"] and selection.shapes == literals()["DEFAULT_SHAPES"]
    assert selection.exporters == path_sets().expand(selection.paths)


@pytest.mark.parametrize(
    "text, problem",
    [
        ("PATH_SETS = {'a': ('x',)}\nDEFAULT_PATHS = ('a',)\nSHAPES = ('static',)\n", "assigns no DEFAULT_SHAPES"),
        (
            "PATH_SETS = dict(a=('x',))\nDEFAULT_PATHS = ('a',)\nSHAPES = ('static',)\nDEFAULT_SHAPES = ('static',)\n",
            "PATH_SETS is not a plain literal",
        ),
        (
            "PATH_SETS = {'a': ('x',)}\nDEFAULT_PATHS = ('b',)\nSHAPES = ('static',)\nDEFAULT_SHAPES = ('static',)\n",
            "a default names unknown capture path 'b'",
        ),
        ("PATH_SETS = {'a': ()}\nDEFAULT_PATHS = ('a',)\nSHAPES = ('s',)\nDEFAULT_SHAPES = ('s',)\n", "PATH_SETS['a']"),
        ("PATH_SETS = {", "cannot read the capture-path sets"),
    ],
)
def test_a_broken_sets_file_is_named(tmp_path, text, problem):
    path = tmp_path / "paths.py"
    path.write_text(text)
    with pytest.raises(ConfigError, match="^%s" % str(path).replace(".", r"\.")) as raised:
        read_path_sets(path)
    assert problem in str(raised.value)


# -- the command line's --paths and --shapes


def test_sets_and_single_paths_are_accepted_and_expanded():
    selection = Selection.parse("default, deploy,aoti", "static,dynamic")
    assert selection == Selection(("default", "deploy", "aoti"), ("static", "dynamic"))
    assert selection.exporters == path_sets().sets["default"] + ("compile_inductor", "aoti")
    assert Selection.parse("aoti", None).exporters == ("aoti",)


def test_what_the_command_line_leaves_out_comes_from_matrix_toml():
    configured = Selection(("deploy",), ("dynamic",))
    assert Selection.parse(None, None, configured) == configured
    assert Selection.parse("default", None, configured) == Selection(("default",), ("dynamic",))
    assert Selection.parse(None, "static", configured) == Selection(("deploy",), ("static",))


@pytest.mark.parametrize(
    "paths, shapes, message",
    [
        (
            "default,foo",
            None,
            "--paths: unknown capture path 'foo' (sets: default, deploy, chained; paths: dynamo_export, ",
        ),
        ("", None, "--paths: '' names no capture path (sets: default, deploy, chained; paths: "),
        (" , ", None, "--paths: ' , ' names no capture path"),
        (None, "wobbly", "--shapes: unknown shapes 'wobbly' (choices: static, dynamic)"),
        (None, "", "--shapes: '' names no shapes (choices: static, dynamic)"),
    ],
)
def test_a_bad_name_is_one_line_naming_the_option_the_value_and_the_choices(paths, shapes, message):
    with pytest.raises(ConfigError) as raised:
        Selection.parse(paths, shapes)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)
    if paths:
        assert "compile_inductor, aoti, export_then_compile)" in str(raised.value)  # every single path is listed


def test_a_bad_name_stops_a_torch_session_and_the_matrix_before_anything_runs(tmp_path, root, capsys):
    with pytest.raises(ConfigError, match="--paths: unknown capture path 'nope'"):
        session_options(["--paths", "nope"], (), tmp_path)
    config = load(root / "matrix.toml")
    code = main(["run", "--python", "/no/such/python", "--results", str(tmp_path), "--shapes", "round"])
    assert code == 2
    assert "exportmatrix: --shapes: unknown shapes 'round' (choices: static, dynamic)" in capsys.readouterr().err
    from exportmatrix.cli import matrix_main

    assert matrix_main(["2.4", "--paths", "deploy,x"], config, tmp_path / "results", root / "noxfile.py") == 2
    assert "--paths: unknown capture path 'x'" in capsys.readouterr().err
    assert not (tmp_path / "results").exists()


def test_the_selection_goes_to_the_suite_and_into_the_environment_line():
    selection = Selection(("default", "deploy"), ("static", "dynamic"))
    assert selection.suite_arguments() == [
        "--exportmatrix-paths",
        "default,deploy",
        "--exportmatrix-shapes",
        "static,dynamic",
    ]
    assert selection.describe() == {"capture_paths": ["default", "deploy"], "shapes": ["static", "dynamic"]}
    assert selection.options() == ["--paths", "default,deploy", "--shapes", "static,dynamic"]


def test_session_posargs_round_trip(tmp_path):
    options = session_options(["--paths", "deploy,export_strict", "--shapes", "dynamic"], (), tmp_path)
    assert options.selection == Selection(("deploy", "export_strict"), ("dynamic",))
    again = session_options(options.arguments(), (), tmp_path)
    assert again == options
    assert options.suite_arguments()[-4:] == [
        "--exportmatrix-paths",
        "deploy,export_strict",
        "--exportmatrix-shapes",
        "dynamic",
    ]


def test_the_matrix_passes_its_selection_to_every_session_over_their_matrix_toml(tmp_path, root):
    config = load(write(tmp_path, 'capture-paths = ["deploy"]\nshapes = ["static", "dynamic"]\n' + VALID))
    parsed = matrix_parser().parse_args(["2.4", "--paths", "default"])
    options = matrix_session_options(config, parsed, tmp_path)
    assert options.selection == Selection(("default",), ("static", "dynamic"))
    # the session reads the same matrix.toml, yet does what the matrix was asked
    assert session_options(options.arguments(), (), tmp_path, config.selection).selection == options.selection
    unasked = matrix_session_options(config, matrix_parser().parse_args([]), tmp_path)
    assert unasked.selection == config.selection == Selection(("deploy",), ("static", "dynamic"))


def test_help_explains_the_options(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--paths NAMES" in text and "--shapes LIST" in text
    assert "deploy = compile_inductor, aoti" in text
    assert "dynamic (one dimension of each tensor input dynamic" in text
    for parser in (matrix_parser(), options_parser("nox -s torch-2.4 --")):
        # argparse may wrap "capture-paths" at its hyphen
        text = " ".join(parser.format_help().split()).replace("capture- paths", "capture-paths")
        assert "--paths NAMES" in text and "capture-paths of matrix.toml" in text and "--shapes LIST" in text


# -- matrix.toml: capture-paths and shapes


def test_matrix_toml_keys_and_their_defaults(tmp_path):
    assert load(write(tmp_path, VALID)).selection == Selection()
    config = load(write(tmp_path, 'capture-paths = ["default", "aoti"]\nshapes = ["dynamic", "static"]\n' + VALID))
    assert config.selection == Selection(("default", "aoti"), ("dynamic", "static"))


def test_the_repository_matrix_toml_asks_for_the_defaults(root):
    assert load(root / "matrix.toml").selection == Selection()


@pytest.mark.parametrize(
    "added, expected",
    [
        ('capture-paths = ["default", "nope"]', "capture-paths[1] = 'nope': unknown capture path 'nope' (sets: "),
        ("capture-paths = []", "capture-paths = []: expected a non-empty list of names"),
        ('capture-paths = "default"', "capture-paths = 'default': expected a non-empty list of names"),
        ("capture-paths = [3]", "capture-paths[0] = 3: unknown capture path 3"),
        ('shapes = ["static", "ragged"]', "shapes[1] = 'ragged': unknown shapes 'ragged' (choices: static, dynamic)"),
        ("shapes = []", "shapes = []: expected a non-empty list of names"),
    ],
)
def test_matrix_toml_errors_name_the_key_and_the_value(tmp_path, added, expected):
    path = write(tmp_path, added + "\n" + VALID)
    with pytest.raises(ConfigError) as raised:
        load(path)
    assert str(raised.value).startswith("%s: %s" % (path, expected))
    assert "\n" not in str(raised.value)


# -- incremental runs and the suite process


def test_the_fingerprint_follows_the_selection(root):
    environment = plan(load(root / "matrix.toml"), ["2.4"], ["pypi"])[0]
    plain = environment_fingerprint(environment)
    assert environment_fingerprint(environment, selection=Selection()) == plain
    assert environment_fingerprint(environment, selection=Selection(("default",), ("static",))) == plain
    deploy = environment_fingerprint(environment, selection=Selection(("default", "deploy"), ("static",)))
    dynamic = environment_fingerprint(environment, selection=Selection(("default",), ("static", "dynamic")))
    assert len({plain, deploy, dynamic}) == 3
    # the same cells asked for another way are the same request
    spelled_out = Selection(path_sets().sets["default"] + ("deploy",), ("static",))
    assert environment_fingerprint(environment, selection=spelled_out) == deploy
    reordered = Selection(("deploy", "default"), ("dynamic", "static"))
    both = environment_fingerprint(environment, selection=Selection(("default", "deploy"), ("static", "dynamic")))
    assert environment_fingerprint(environment, selection=reordered) == both


def test_inductors_cache_lives_in_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", "/tmp/shared-between-releases")
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    variables = suite_variables(tmp_path / "venv")
    assert variables["TORCHINDUCTOR_CACHE_DIR"] == str(tmp_path / "venv" / "torchinductor-cache")
    assert variables["PYTHONPYCACHEPREFIX"] == str(tmp_path / "venv" / "pycache")
    assert "PYTHONDONTWRITEBYTECODE" not in variables
    assert variables["PATH"]  # the rest of this environment is kept


def test_the_suite_keeps_freed_memory_unless_the_user_says_otherwise(tmp_path, monkeypatch):
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    assert int(suite_variables(tmp_path)["MALLOC_TRIM_THRESHOLD_"]) >= 1024**3
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "4096")
    assert suite_variables(tmp_path)["MALLOC_TRIM_THRESHOLD_"] == "4096"


# -- cells keyed by shapes


def static_and_dynamic(folder, dynamic_outcome="diverges"):
    for release, version, static in (("2.4", "2.4.1", "export-error"), ("2.10", "2.10.0", "holds")):
        cells = [observation("attr.tensor_reassign", "aoti", static)]
        cells.append(dict(observation("attr.tensor_reassign", "aoti", dynamic_outcome), shapes="dynamic"))
        selection = {"capture_paths": ["deploy"], "shapes": ["static", "dynamic"]}
        write_stream(folder, environment("torch-%s-py3.11" % version, release, version, **selection), cells)
    return aggregate(folder).matrix


def test_cell_keys_default_to_static():
    cell = {"environment": "e", "behaviour": "b", "exporter": "x", "device": "cpu", "outcome": "holds"}
    assert cell_key(cell) == ("e", "b", "x", "cpu", "static")
    assert cell_key(dict(cell, shapes="dynamic")) == ("e", "b", "x", "cpu", "dynamic")
    assert cell_key(dict(cell, shapes="static")) == cell_key(cell)


def test_every_merged_cell_says_its_shapes_and_environments_what_was_asked(tmp_path):
    old_stream = [observation("b", "export_strict", "holds")]
    write_stream(tmp_path / "old", environment("torch-2.4.1-py3.11", "2.4", "2.4.1"), old_stream)
    old = aggregate(tmp_path / "old").matrix
    assert old["observations"][0]["shapes"] == "static"  # a stream from before the shape axis
    assert "capture_paths" not in old["environments"][0]
    matrix = static_and_dynamic(tmp_path / "new")
    assert problems("matrix", encode(matrix)) == []
    assert sorted(o["shapes"] for o in matrix["observations"]) == ["dynamic", "dynamic", "static", "static"]
    assert matrix["environments"][0]["capture_paths"] == ["deploy"]
    assert matrix["environments"][0]["shapes"] == ["static", "dynamic"]


def test_the_schemas_shapes_are_the_suites():
    from test_house import schema

    line = schema("line")
    matrix = schema("matrix")
    assert line["$defs"]["observation"]["properties"]["shapes"]["enum"] == list(literals()["SHAPES"])
    assert matrix["properties"]["observations"]["properties"]["values"]["properties"]["shapes"]["items"][
        "enum"
    ] == list(literals()["SHAPES"])
    assert line["$defs"]["environment"]["properties"]["shapes"]["items"]["enum"] == list(literals()["SHAPES"])
    assert matrix["properties"]["environments"]["items"]["properties"]["shapes"]["items"]["enum"] == list(
        literals()["SHAPES"]
    )


def test_an_old_matrix_without_shapes_compares_equal_to_a_new_static_one(tmp_path):
    write_stream(tmp_path, environment("torch-2.4.1-py3.11", "2.4", "2.4.1"), [observation("b", "aoti", "holds")])
    new = aggregate(tmp_path).matrix
    old = json.loads(json.dumps(new))
    for cell in old["observations"]:
        del cell["shapes"]
    assert problems("matrix", encode(old)) == []  # an old matrix still validates
    assert differences(cells_by_key(old), cells_by_key(new)) == []
    assert compare(make_baseline(old)["cells"], new).moved == []
    assert compare(make_baseline(old)["cells"], new).new == []


def test_diff_and_baseline_name_dynamic_cells_and_keep_static_names(tmp_path, capsys):
    matrix = static_and_dynamic(tmp_path)
    assert sorted(make_baseline(matrix)["cells"]) == [
        "torch-2.10 / attr.tensor_reassign / aoti / cpu",
        "torch-2.10 / attr.tensor_reassign / aoti / cpu / dynamic",
        "torch-2.4 / attr.tensor_reassign / aoti / cpu",
        "torch-2.4 / attr.tensor_reassign / aoti / cpu / dynamic",
    ]
    path = tmp_path / "matrix.json"
    path.write_text(json.dumps(matrix))
    assert main(["diff", "2.4", "2.10", "--matrix", str(path), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["cells"]  # the dynamic cells agree: diverges in both
    assert row["cell"] == ["attr.tensor_reassign", "aoti", "cpu"]
    moved = read_matrix(path)
    (dynamic,) = [o for o in moved["observations"] if o["shapes"] == "dynamic" and "2.4" in o["environment"]]
    dynamic["outcome"] = "holds"
    drift = compare(make_baseline(matrix)["cells"], moved)
    assert drift.moved == [("torch-2.4 / attr.tensor_reassign / aoti / cpu / dynamic", "diverges", "holds")]


# -- reports: a grid per capture path, device and shapes


def test_static_and_dynamic_cells_get_separate_grids(tmp_path):
    matrix = static_and_dynamic(tmp_path)
    shown = view(matrix)
    assert [(g.exporter, g.device, g.shapes) for g in shown.grids] == [
        ("aoti", "cpu", "static"),
        ("aoti", "cpu", "dynamic"),
    ]
    assert shown.shapes == ["static", "dynamic"]
    text = markdown.render(matrix)
    assert "## aoti on cpu, static shapes (build pypi)" in text
    assert "## aoti on cpu, dynamic shapes (build pypi)" in text
    static_table = text.split("## aoti on cpu, static shapes")[1].split("##")[0]
    dynamic_table = text.split("## aoti on cpu, dynamic shapes")[1].split("##")[0]
    assert "| `attr.tensor_reassign` | E | ✓ |" in static_table
    assert "| `attr.tensor_reassign` | ≠ | ≠ |" in dynamic_table
    summary = terminal.render(matrix, full=True)
    assert "aoti on cpu, dynamic shapes (build pypi)" in summary
    # a change is named with its shapes; the dynamic cells did not change
    assert "attr.tensor_reassign / aoti: export-error" in summary
    assert "[dynamic shapes]" not in summary


def test_a_change_of_a_dynamic_cell_says_so(tmp_path):
    matrix = static_and_dynamic(tmp_path)
    for cell in matrix["observations"]:
        if cell["shapes"] == "dynamic" and cell["environment"].startswith("torch-2.10"):
            cell["outcome"] = "holds"
    (change,) = [str(c) for c in view(matrix).changes if c.shapes == "dynamic"]
    assert change.startswith("attr.tensor_reassign / aoti [dynamic shapes]: diverges")


def test_a_static_only_matrix_keeps_its_headings(tmp_path):
    write_stream(tmp_path, environment("torch-2.4.1-py3.11", "2.4", "2.4.1"), [observation("b", "aoti", "holds")])
    matrix = aggregate(tmp_path).matrix
    assert "## aoti on cpu (build pypi)" in markdown.render(matrix)
    assert "shapes" not in terminal.render(matrix)
    assert 'id="filter-shapes"' not in render_html(matrix)


def test_the_page_carries_each_cells_shapes_and_a_shapes_filter(tmp_path):
    page = render_html(static_and_dynamic(tmp_path))
    assert 'id="filter-shapes"' in page
    data = page.split('<script type="application/json" id="matrix-data">')[1].split("</script>")[0]
    shown = json.loads(data)  # the grids the script builds, and the cells named and decoded
    assert [(g["title"], g["shapes"]) for g in shown["grids"]] == [
        ("aoti on cpu, static shapes", "static"),
        ("aoti on cpu, dynamic shapes", "dynamic"),
        ("all paths on cpu, static shapes", "static"),  # each cell the worst of its release's paths
        ("all paths on cpu, dynamic shapes", "dynamic"),
    ]
    cells = sorted(shown["names"][n]["shapes"] for n in shown["cells"]["cell"])
    assert cells == ["dynamic", "dynamic", "static", "static"]
    assert sorted(n["name"] for n in shown["names"]) == [
        "attr.tensor_reassign / aoti",
        "attr.tensor_reassign / aoti [dynamic shapes]",
    ]
