"""Every command-line option is declared once, in cli/options.py: each
option of each command's parser is one of its declarations, and an option
that several commands take reads the same in each."""

from __future__ import annotations

import argparse
import importlib
from functools import lru_cache

import pytest

from exportmatrix.cli.front import front_parser, matrix_command_parser, nox_command_parser
from exportmatrix.cli.matrix import matrix_parser
from exportmatrix.cli.options import OPTIONS, SESSION_OPTIONS, add_options, given

parser_module = importlib.import_module("exportmatrix.cli.parser")  # `exportmatrix.cli.parser` is also a function
NOT_OPTIONS = (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction)


def described(action: argparse.Action) -> tuple:
    """Everything argparse was told of an option."""
    return (
        tuple(action.option_strings) or action.dest,
        action.dest,
        repr(action.default),
        action.const,
        action.nargs,
        action.type,
        action.choices,
        action.required,
        action.metavar,
        action.help,
        type(action).__name__,
    )


def options_of(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [action for action in parser._actions if not isinstance(action, NOT_OPTIONS)]


@lru_cache(maxsize=None)
def parsers() -> dict[str, argparse.ArgumentParser]:
    """Every parser of the command line: `exportmatrix COMMAND`, its fronts, and `nox -s matrix --`."""
    top = parser_module.parser()
    commands = next(action for action in top._actions if isinstance(action, argparse._SubParsersAction))
    found: dict[str, argparse.ArgumentParser] = dict(commands.choices)
    found.update(
        {
            "matrix (front)": matrix_command_parser(),
            "nox (front)": nox_command_parser(),
            "front": front_parser(),
            "nox -s matrix": matrix_parser(),
        }
    )
    return found


def declarations() -> dict[tuple, str]:
    """What each declaration gives a parser, and its name."""
    found = {}
    for name in [*OPTIONS, *SESSION_OPTIONS]:
        blank = argparse.ArgumentParser(add_help=False)
        add_options(blank, name)
        found.update({described(action): name for action in blank._actions})
    return found


def test_every_option_of_every_command_is_a_declaration():
    declared = declarations()
    strays = [
        "%s: %s" % (command, described(action)[0])
        for command, parser in parsers().items()
        for action in options_of(parser)
        if described(action) not in declared
    ]
    assert not strays, "declared outside cli/options.py (or differing from its declaration): %s" % strays


def test_every_declaration_is_used():
    used = {described(action) for parser in parsers().values() for action in options_of(parser)}
    unused = sorted({name for found, name in declarations().items() if found not in used})
    assert not unused


@pytest.mark.parametrize(
    "flag, commands",
    [
        ("--results", ["aggregate", "run", "report", "bisect", "matrix (front)", "nox (front)", "front"]),
        ("--config", ["environments", "replay", "bisect", "matrix (front)", "nox (front)", "front"]),
        ("--jobs", ["replay", "nox -s matrix", "matrix (front)"]),
        ("--fresh", ["run", "nox -s matrix", "matrix (front)"]),
        ("--device", ["repro", "bisect"]),
        ("--json", ["environments", "diff"]),
        ("--behaviours", ["run", "nox -s matrix"]),
    ],
)
def test_a_shared_option_reads_the_same_in_each_command(flag, commands):
    """Its flags, default and help: one declaration, whichever command takes it."""
    found = {}
    for command in commands:
        (action,) = [a for a in options_of(parsers()[command]) if flag in a.option_strings]
        found[command] = described(action)
    assert len(set(found.values())) == 1, found


def test_an_option_a_session_forwards_parses_back_to_its_value():
    arguments = parser_module.parser().parse_args(["site", "m.json", *given("site-out", "out")])
    assert arguments.out == "out"
    arguments = parser_module.parser().parse_args(["report", *given("results", "elsewhere")])
    assert arguments.results == "elsewhere"
    assert given("installed-cell-timeout", 5.0) == ["--cell-timeout", "5.0"]


def test_short_and_full_exclude_each_other_and_full_is_the_default(capsys):
    repro = ["repro", "m.json", "torch-2.4", "attr.tensor_reassign", "export_strict"]
    assert parser_module.parser().parse_args(repro).full is True
    assert parser_module.parser().parse_args([*repro, "--short"]).full is False
    with pytest.raises(SystemExit):
        parser_module.parser().parse_args([*repro, "--short", "--full"])
    assert "not allowed with argument" in capsys.readouterr().err


def flag_uses(flag: str) -> dict[str, argparse.Action]:
    return {
        command: action
        for command, parser in parsers().items()
        for action in options_of(parser)
        if flag in action.option_strings
    }


def test_from_names_a_release_wherever_it_is_not_a_deprecated_spelling():
    """`changes --from 2.9 --to 2.10`; aggregate's folder is --streams (its old --from still parses)."""
    uses = flag_uses("--from")
    releases = sorted(command for command, action in uses.items() if action.metavar == "RELEASE")
    deprecated = sorted(
        command
        for command, action in uses.items()
        if action.option_strings[0] != "--from" and "deprecated" in action.help
    )
    assert releases == ["changes"] and deprecated == ["aggregate"] and len(uses) == 2
    for flag in ("--streams", "--from"):
        assert parser_module.parser().parse_args(["aggregate", flag, "downloaded"]).streams == "downloaded"


def test_full_asks_for_summarys_long_form_and_does_nothing_in_repro():
    uses = flag_uses("--full")
    assert sorted(uses) == ["repro", "summary"]
    assert uses["repro"].help.startswith("deprecated, does nothing")
    assert parser_module.parser().parse_args(["summary", "--full"]).full is True
    repro = ["repro", "m.json", "torch-2.4", "attr.tensor_reassign", "export_strict"]
    assert parser_module.parser().parse_args([*repro, "--full"]).full is parser_module.parser().parse_args(repro).full
