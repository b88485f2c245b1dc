"""Every command the README and docs/ show still exists: each `exportmatrix
SUBCOMMAND` answers its --help, and each session of `nox -s NAME` (or
`--session NAME`) is one `nox -l` lists. A renamed command or session fails
here, not in a reader's shell.

Commands are looked for where a reader would copy them from: inline code
spans, indented code blocks and fenced blocks other than Python."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"`([^`\n]+(?:\n[^`\n]+)?)`")  # a code span, which may wrap onto a second line
# the tool, not a schema (exportmatrix/3), a module (exportmatrix_suite) or a file (exportmatrix.yml)
EXPORTMATRIX = re.compile(r"(?<![\w./-])(?:\S*/)?exportmatrix(?![\w/.:=-])\s+([a-z][a-z-]*)")
NOX_SESSION = re.compile(r"(?<![\w-])nox\s+(?:[^\n|;&#`]*?\s)?(?:-s|--session)\s+([^\s`|;&]+)")
NOX_ONLY_OPTIONS = re.compile(r"(?<![\w-])nox\s+(?:-l|--list)\b")


def code_of(text: str) -> list[str]:
    """The pieces of `text` a reader would run: fenced blocks (not Python),
    indented code lines, inline code spans."""
    pieces = [body for language, body in FENCE.findall(text) if language not in ("python", "py")]
    prose = FENCE.sub("", text)
    pieces += [line for line in prose.splitlines() if line.startswith("    ")]
    pieces += INLINE.findall("\n".join(line for line in prose.splitlines() if not line.startswith("    ")))
    return pieces


def commands(documents=DOCUMENTS) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """{subcommand: documents}, {session: documents}."""
    subcommands: dict[str, set[str]] = {}
    sessions: dict[str, set[str]] = {}
    for path in documents:
        for piece in code_of(path.read_text()):
            for subcommand in EXPORTMATRIX.findall(piece):
                subcommands.setdefault(subcommand, set()).add(path.name)
            for session in NOX_SESSION.findall(piece):
                session = session.strip("\"'")
                if "$" not in session:  # a shell variable's value is not the document's to check
                    sessions.setdefault(session, set()).add(path.name)
    return subcommands, sessions


def clean_environment() -> dict[str, str]:
    """The repository's own matrix.toml, whatever the test run points nox at."""
    return {key: value for key, value in os.environ.items() if not key.startswith("EXPORTMATRIX_")}


@lru_cache(maxsize=1)
def listed_sessions() -> frozenset[str]:
    done = subprocess.run(
        [sys.executable, "-m", "nox", "-l", "-f", str(ROOT / "noxfile.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_environment(),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return frozenset(re.findall(r"^[*-] (\S+)", done.stdout, re.MULTILINE))


def session_exists(name: str, listed: frozenset[str]) -> bool:
    """`nox -s torch-2.4` selects the session nox lists as torch-2.4-3.11 (its Python appended)."""
    return name in listed or any(re.fullmatch(re.escape(name) + r"-\d+(\.\d+)*", each) for each in listed)


def help_of(subcommand: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "exportmatrix", subcommand, "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_environment(),
    )


def test_the_documents_show_commands():
    subcommands, sessions = commands()
    assert {"matrix", "summary", "changes", "repro", "site", "run"} <= set(subcommands)
    assert {"matrix", "tests", "site"} <= set(sessions)


def test_every_exportmatrix_subcommand_of_the_documents_answers_its_help():
    subcommands, _ = commands()
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = dict(zip(subcommands, pool.map(help_of, subcommands)))
    wrong = [
        "%s (in %s): %s" % (name, ", ".join(sorted(subcommands[name])), (run.stderr or run.stdout).strip()[-300:])
        for name, run in done.items()
        if run.returncode != 0 or "usage:" not in run.stdout
    ]
    assert wrong == [], "subcommands whose --help fails"


def test_every_nox_session_of_the_documents_is_listed():
    _, sessions = commands()
    listed = listed_sessions()
    wrong = [
        "%s (in %s)" % (name, ", ".join(sorted(where)))
        for name, where in sessions.items()
        if not session_exists(name, listed)
    ]
    assert wrong == [], "not among the sessions `nox -l` lists"


def test_the_readme_keeps_the_test_command_ci_runs():
    assert "    .venv/bin/nox -s tests\n" in (ROOT / "README.md").read_text()
    assert (ROOT / ".ci" / "run").read_text().rstrip().endswith("exec .venv/bin/nox -s tests")


@pytest.mark.parametrize(
    "text, subcommands, sessions",
    [
        ("    .venv/bin/exportmatrix summary results/matrix.json\n", {"summary"}, set()),
        ("run `exportmatrix changes MATRIX` and `nox -s site`\n", {"changes"}, {"site"}),
        ("    exportmatrix: 2 environments\n    exportmatrix/3 from exportmatrix_suite\n", set(), set()),
        ("exportmatrix answers this in prose, not code\n", set(), set()),
        ("```python\nfrom exportmatrix_suite import behaviour\n```\n", set(), set()),
        ('    exportmatrix nox --session "torch-$RELEASE"\n', {"nox"}, set()),
        ("    .venv/bin/nox -s matrix -- 2.4 2.15\n    exportmatrix.yml\n", set(), {"matrix"}),
        ("    uses: ./.github/workflows/exportmatrix.yml\n    exportmatrix: ${{ vars.X }}\n", set(), set()),
    ],
)
def test_the_finder_sees_commands_where_a_reader_copies_them(tmp_path, text, subcommands, sessions):
    document = tmp_path / "doc.md"
    document.write_text(text)
    found_subcommands, found_sessions = commands([document])
    assert (set(found_subcommands), set(found_sessions)) == (subcommands, sessions)


def test_a_session_name_matches_with_its_python_appended():
    listed = frozenset({"torch-2.4-3.11", "tests", "torch-2.10-cpu-3.11"})
    assert session_exists("torch-2.4", listed) and session_exists("tests", listed)
    assert session_exists("torch-2.10-cpu", listed)
    assert not session_exists("torch-2.1", listed) and not session_exists("torch-2", listed)
