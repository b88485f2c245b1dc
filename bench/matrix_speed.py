"""Benchmark: the naive way against `nox -s matrix`, cold, unchanged, and
after editing one behaviour, on the same releases, side by side.

    .venv/bin/python bench/matrix_speed.py 2.0 2.4 2.10 2.15 --cold-cache

(a) naive: per release, a fresh venv, `pip install torch==X.* pytest ...`,
    then pytest on the suite, one after another (no pip cache: every
    release is downloaded, as on a fresh machine or CI runner);
(b0) with --cold-cache: (b) after emptying uv's cache, downloads included;
(b) `nox -s matrix` cold: no project environments, no results, uv's cache
    kept (as the CI workflow keeps it between runs);
(c) `nox -s matrix` again, nothing changed;
(d) `nox -s matrix` after editing one behaviour's declaration.
Prints wall time, peak memory (all processes of the run), disk used, ratios,
and each environment's install and suite times. Not a test: it prints figures.

Everything runs on a copy of this checkout in the work folder (its noxfile,
matrix.toml, src and suite; nox keeps the copy's environments in its .nox),
and (d) edits the copy: the repository is never written to, so a benchmark
killed halfway leaves it as it was.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from exportmatrix.config import load, plan  # noqa: E402

# what `nox -s matrix` needs of a checkout, copied as it is in the working tree
CHECKOUT_PATHS = ("noxfile.py", "matrix.toml", "pyproject.toml", "README.md", "src", "suite")
NOT_COPIED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".pytest_cache")
# the behaviour (d) edits, relative to a checkout, and the edit
EDITED = Path("suite") / "exportmatrix_suite" / "behaviours" / "buffers.py"
EDIT = ("return x * 2 + self.buf", "return x * 2.0 + self.buf")


def make_checkout(work: Path, root: Path = ROOT) -> Path:
    """work/checkout: a copy of what the matrix needs of `root`, refreshed
    from it (an edit left by an earlier, killed benchmark is undone); its
    .nox, the environments nox made for the copy, is kept."""
    checkout = work / "checkout"
    checkout.mkdir(parents=True, exist_ok=True)
    for name in CHECKOUT_PATHS:
        source, target = root / name, checkout / name
        if source.is_dir():
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target, ignore=NOT_COPIED)
        elif source.exists():
            shutil.copy2(source, target)
    return checkout


def edit_one_behaviour(checkout: Path) -> Path:
    """Edit one behaviour's code in the copy (never in the repository); the
    file edited."""
    edited = checkout / EDITED
    text = edited.read_text()
    old, new = EDIT
    if old not in text:
        raise SystemExit("bench: %s no longer contains %r: update EDIT" % (EDITED, old))
    edited.write_text(text.replace(old, new, 1))
    return edited


def nox_venvs(checkout: Path, environments: list) -> list[Path]:
    """nox's folder of each session of the copy: <session>-<python>, dots as
    dashes, under the copy's .nox (nox works from its noxfile's folder)."""
    return [checkout / ".nox" / ("%s-%s" % (e.session_name, e.python)).replace(".", "-") for e in environments]


def descendants_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        ppid = int(re.search(r"PPid:\s+(\d+)", status).group(1))
        found = re.search(r"VmRSS:\s+(\d+)", status)
        children.setdefault(ppid, []).append(int(entry.name))
        rss[int(entry.name)] = int(found.group(1)) if found else 0
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack += children.get(current, [])
    return total


def run_measured(
    command: list[str], env: dict | None = None, log: Path | None = None, cwd: Path | None = None
) -> tuple[float, int, int]:
    """(seconds, peak KiB of the process tree, return code)."""
    started = time.monotonic()
    out = open(log, "a") if log else subprocess.DEVNULL
    process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=cwd or ROOT)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, descendants_rss_kib(process.pid))
            time.sleep(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    returncode = process.wait()
    done.set()
    sampler.join()
    if log:
        out.close()
    return time.monotonic() - started, peak, returncode


def du_bytes(*paths: Path) -> int:
    total = 0
    seen: set[tuple[int, int]] = set()
    for path in paths:
        for file in path.rglob("*") if path.exists() else []:
            try:
                stat = file.lstat()
            except OSError:
                continue
            if file.is_file() and (stat.st_dev, stat.st_ino) not in seen:
                seen.add((stat.st_dev, stat.st_ino))
                total += stat.st_size
    return total


def gib(n: int) -> str:
    return "%.1f GiB" % (n / 2**30)


def naive(releases: list[str], work: Path, log: Path, checkout: Path) -> tuple[float, int, int, list[str]]:
    config = load(checkout / "matrix.toml")
    total, peak, disk, lines = 0.0, 0, 0, []
    # pip as it comes (no site config); no cache dir: each release is downloaded
    # once anyway, and the venvs are deleted after measuring to spare the disk
    pip_env = dict(os.environ, PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_CACHE_DIR="1")
    for release in releases:
        (environment,) = plan(config, [release], [config.default_build])
        python = shutil.which("python" + environment.python)
        venv = work / ("naive-" + release)
        t0, p0, _ = run_measured([python, "-m", "venv", str(venv)], log=log)
        packages = [environment.torch_requirement, *environment.pins, *environment.requirements]
        t1, p1, rc = run_measured([str(venv / "bin" / "pip"), "install", *packages], env=pip_env, log=log)
        out = work / ("naive-" + release + ".jsonl")
        suite = [
            str(venv / "bin" / "python"),
            "-m",
            "pytest",
            str(checkout / "suite"),
            "-q",
            "-p",
            "no:cacheprovider",
            "--exportmatrix-out",
            str(out),
            "--exportmatrix-environment",
            json.dumps({"id": release}),
        ]
        t2, p2, _ = run_measured(suite, log=log, cwd=work)
        total += t0 + t1 + t2
        peak = max(peak, p0, p1, p2)
        disk += du_bytes(venv)
        shutil.rmtree(venv)
        lines.append("  naive %-6s venv+install %5.0f s (pip exit %d)   suite %5.0f s" % (release, t0 + t1, rc, t2))
    return total, peak, disk, lines


def nox_matrix(
    releases: list[str], checkout: Path, results: Path, log: Path, extra: list[str] = ()
) -> tuple[float, int, int]:
    """`nox -s matrix` of the copy's noxfile (which imports the copy's src and
    so runs the copy's suite), into `results`."""
    env = dict(os.environ, EXPORTMATRIX_RESULTS=str(results))
    env.pop("EXPORTMATRIX_CONFIG", None)  # the copy's matrix.toml
    noxfile = checkout / "noxfile.py"
    command = [str(ROOT / ".venv" / "bin" / "nox"), "--noxfile", str(noxfile), "-s", "matrix", "--", *releases, *extra]
    seconds, peak, returncode = run_measured(command, env=env, log=log, cwd=checkout)
    return seconds, peak, returncode


def session_times(log: Path, releases: list[str]) -> list[str]:
    """Each environment's install and suite time, as `nox -s matrix` printed
    them last in the log ("torch-2.4  ok in 45 s (install 2 s, suite 38 s)")."""
    found: dict[str, str] = {}
    for line in log.read_text(errors="replace").splitlines():
        matched = re.match(
            r"exportmatrix: torch-(\S+)\s+(ok|FAILED) in (\d+) s \(install (\d+) s, suite (\d+) s\)", line
        )
        if matched and matched.group(1) in releases:
            release, state, total, install, suite = matched.groups()
            found[release] = "  nox   %-6s install %4s s   suite %4s s   (%s, %s s from its install to its end)" % (
                release,
                install,
                suite,
                state,
                total,
            )
    return [found[release] for release in releases if release in found]


def last_bound(log: Path) -> str | None:
    """What `nox -s matrix` printed last of its bound ("the sessions took 301 s;
    their suites used 540 CPU-seconds: on 2 CPUs the bound is 282 s (...)")."""
    found = None
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("exportmatrix: the sessions took"):
            found = line.removeprefix("exportmatrix: ")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("releases", nargs="+", help="releases of matrix.toml, e.g. 2.0 2.4 2.8 2.15")
    parser.add_argument("--work", default=None, help="scratch folder (default: a new temporary one)")
    parser.add_argument("--skip-naive", action="store_true", help="measure (b)-(d) only")
    parser.add_argument(
        "--cold-cache",
        action="store_true",
        help="also measure (b0): (b) with uv's cache emptied first, downloads included",
    )
    arguments = parser.parse_args()
    work = Path(arguments.work or tempfile.mkdtemp(prefix="exportmatrix-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    log = work / "bench.log"
    results = work / "results"
    checkout = make_checkout(work)
    print(
        "bench: %s, %d CPUs, releases %s, uv cache %s, work in %s"
        % (
            os.uname().machine,
            os.cpu_count(),
            " ".join(arguments.releases),
            "emptied before (b0), then kept for (b)" if arguments.cold_cache else "as it is",
            work,
        )
    )

    rows = []
    if not arguments.skip_naive:
        a = naive(arguments.releases, work, log, checkout)
        rows.append(("(a) naive: venv + pip + pytest, one by one", a[0], a[1], a[2]))
        for line in a[3]:
            print(line, flush=True)

    uv_cache = Path(os.environ.get("UV_CACHE_DIR", Path.home() / ".cache" / "uv"))
    config = load(checkout / "matrix.toml")
    venvs = nox_venvs(checkout, plan(config, arguments.releases, [config.default_build]))

    def cold_matrix(label: str) -> tuple[float, int, int]:
        for venv in venvs:  # cold: no project environments, no results
            shutil.rmtree(venv, ignore_errors=True)
        shutil.rmtree(results, ignore_errors=True)
        cache_before = du_bytes(uv_cache)
        b = nox_matrix(arguments.releases, checkout, results, log)
        # one count over cache and venvs: uv hardlinks venv files to its cache
        rows.append((label, b[0], b[1], du_bytes(uv_cache, *venvs, results) - cache_before))
        for line in session_times(log, arguments.releases):
            print(line, flush=True)
        bounds.append((label.split()[0], last_bound(log)))
        return b

    cold_runs, bounds = [], []
    if arguments.cold_cache:
        subprocess.run([str(ROOT / ".venv" / "bin" / "uv"), "cache", "clean"], capture_output=True)
        cold_runs.append(("(b0)", cold_matrix("(b0) nox -s matrix, cold, uv cache emptied")))
    b = cold_matrix("(b) nox -s matrix, cold, uv cache kept")
    cold_runs.append(("(b)", b))
    c = nox_matrix(arguments.releases, checkout, results, log)
    rows.append(("(c) nox -s matrix, nothing changed", c[0], c[1], 0))
    edit_one_behaviour(checkout)  # the copy's: the next make_checkout undoes it
    d = nox_matrix(arguments.releases, checkout, results, log)
    rows.append(("(d) nox -s matrix, one behaviour edited", d[0], d[1], 0))

    print("\n%-44s %9s %12s %10s" % ("run", "wall", "peak memory", "disk"))
    for name, seconds, peak, disk in rows:
        print("%-44s %8.1fs %9.1f GiB %10s" % (name, seconds, peak / 2**20, gib(disk) if disk else "-"))
    for label, (seconds, _, _) in cold_runs:
        if not arguments.skip_naive:
            print("(a)/%s = %.1fx  (target: at least 3x)" % (label, a[0] / seconds))
        print("(d)/%s = %.0f %%  (target: under 15 %%)" % (label, 100 * d[0] / seconds))
    for label, bound in bounds:  # what a run on these CPUs cannot beat
        print("%s: %s" % (label, bound or "no bound printed (see the log)"))
    print(
        "(c) = %.1f s for %d releases  (target for the whole default matrix: under 10 s)"
        % (c[0], len(arguments.releases))
    )
    codes = ", ".join("%s %d" % (label, run[2]) for label, run in cold_runs)
    print("exit codes: %s, (c) %d, (d) %d; log: %s" % (codes, c[2], d[2], log))


if __name__ == "__main__":
    main()
