"""Sessions only: one per torch release and build of matrix.toml, plus
`matrix`, `tests` and `aggregate`. The logic lives in src/exportmatrix.

    nox -l                       list sessions
    nox -s torch-2.4             one release, default build
    nox -s matrix                the default matrix, merged into results/
    nox -s matrix -- 2.4 2.10    only those releases
    nox -s tests                 the project's tests

EXPORTMATRIX_CONFIG and EXPORTMATRIX_RESULTS point at another matrix file
and results folder (the end-to-end tests use them); EXPORTMATRIX_EXTRA_RELEASES
declares more releases ("2.9.0,2.10.0", what `exportmatrix bisect` installs).
"""

import os
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "src"))

from exportmatrix.cli import main, matrix_main, merge_and_report, merge_session  # noqa: E402
from exportmatrix.cli.options import given  # noqa: E402
from exportmatrix.config import EXTRA_RELEASES, ConfigError, extra_releases, load, plan  # noqa: E402
from exportmatrix.run import Locked, ResultsLock, run_environment, session_options  # noqa: E402

nox.needs_version = ">=2024.10.9"
if os.environ.get("EXPORTMATRIX_ENVDIR"):  # `exportmatrix matrix` from another directory: its .nox, not the package's
    nox.options.envdir = os.environ["EXPORTMATRIX_ENVDIR"]
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests"]

try:
    CONFIG = load(os.environ.get("EXPORTMATRIX_CONFIG", ROOT / "matrix.toml"))
    # patch releases `exportmatrix bisect` installs beside the declared ones (sessions torch-2.9.0, ...)
    CONFIG = CONFIG.with_releases(extra_releases(os.environ.get(EXTRA_RELEASES)))
except ConfigError as error:  # one line naming the key and value, no traceback
    print("exportmatrix: %s" % error, file=sys.stderr)
    raise SystemExit(2) from None
RESULTS = Path(os.environ.get("EXPORTMATRIX_RESULTS", ROOT / "results")).resolve()
CELL_TIMEOUT = float(os.environ.get("EXPORTMATRIX_CELL_TIMEOUT") or CONFIG.cell_timeout)


def _torch_session(environment):
    def session(session: nox.Session) -> None:
        """Posargs: --behaviours FILE, --only-cases, --with PKG, --paths NAMES, --shapes LIST, --locked [MATRIX]
        (see `nox -s torch-2.4 -- --help`)."""
        try:
            invoked_from = Path(session.invoked_from)
            options = session_options(session.posargs, CONFIG.case_files, invoked_from, CONFIG.selection, RESULTS)
            with ResultsLock(RESULTS):
                try:
                    run_environment(session, environment, RESULTS, CELL_TIMEOUT, options=options)
                finally:  # alone, the session merges itself into results/matrix.json, even when it failed
                    merge_session(RESULTS, environment.session_name)
        except (Locked, ConfigError) as error:
            session.error(str(error))

    session.__doc__ = "torch %s (%s build) on Python %s" % (
        environment.release,
        environment.build.name,
        environment.python,
    )
    return nox.session(
        name=environment.session_name,
        # a list, even of one: nox then knows the session as `torch-2.1` (matched
        # by its exact name) and `torch-2.1-3.11`, never by the bare name parsed
        # as a Python expression, where torch-2.1 and torch-2.10 are equal floats
        python=[environment.python],
        reuse_venv=True,
        default=False,
        tags=["torch", "build-" + environment.build.name],
    )(session)


for _environment in plan(CONFIG):
    _torch_session(_environment)


@nox.session(python=False, default=False)
def matrix(session: nox.Session) -> None:
    """Run every release of the default build (or those after --), merge into results/matrix.json."""
    returncode = matrix_main(session.posargs, CONFIG, RESULTS, ROOT / "noxfile.py", Path(session.invoked_from))
    if returncode:
        session.error("the matrix is written, but not every environment completed (see above)")


@nox.session(python=False, default=False)
def aggregate(session: nox.Session) -> None:
    """Merge whatever is in results/envs into results/matrix.json without running anything."""
    if merge_and_report(RESULTS):
        session.error("some results could not be merged or did not complete")


@nox.session(python=False, default=False)
def installed(session: nox.Session) -> None:
    """The suite against the torch already installed for an interpreter (default: python3 on PATH); installs nothing.

    Posargs: the interpreter, then options of `exportmatrix run` (e.g. --paths deploy)."""
    import shutil

    named = bool(session.posargs) and not session.posargs[0].startswith("-")
    python = session.posargs[0] if named else shutil.which("python3") or "python3"
    arguments = ["run", *given("python", python), *given("results", RESULTS)]
    arguments += given("installed-cell-timeout", CONFIG.cell_timeout)
    # matrix.toml's capture paths and shapes; the session's own options after them win
    if main(arguments + CONFIG.selection.options() + session.posargs[1 if named else 0 :]):
        session.error("the suite did not complete with %s" % python)


@nox.session(python=False, default=False)
def report(session: nox.Session) -> None:
    """Re-render results/matrix.md and matrix.html from results/matrix.json; installs and runs nothing."""
    if main(["report", *given("results", RESULTS)]):
        session.error("could not render the reports")


@nox.session(name="default-matrix", python=False, default=False)
def default_matrix(session: nox.Session) -> None:
    """After a full `nox -s matrix`: results/matrix.json becomes the committed examples/cpu-default-matrix/."""
    from exportmatrix.cli.publish import publish

    try:
        written = publish(RESULTS / "matrix.json", ROOT / "examples" / "cpu-default-matrix", CONFIG)
    except (OSError, ValueError) as error:
        session.error(str(error))
    session.log("wrote %s and the date and machine in its README; commit both" % written)


@nox.session(python=False, default=False)
def site(session: nox.Session) -> None:
    """Write results/site/ (the static site) from results/matrix.json; installs and runs nothing."""
    # literal: tests/test_site.py reads this line
    if main(["site", str(RESULTS / "matrix.json"), "--out", str(RESULTS / "site")]):
        session.error("could not write the site")


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """The project's tests: unit, classifier, end-to-end (installs real torch releases); ruff; mypy."""
    session.install("-e", ".[dev]")
    session.run("ruff", "check", ".")
    session.run("mypy")
    session.run("pytest", *session.posargs)
