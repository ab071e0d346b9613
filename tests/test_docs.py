"""The generated CLI reference matches the commands' --help."""

import subprocess
import sys

from conftest import REPO


def test_cli_reference_is_up_to_date():
    result = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", "--verbosity=1", str(REPO / "docs" / "cli.md")],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )
    assert result.returncode == 0, "docs/cli.md is stale; run python -m cogapp -r docs/cli.md\n" + result.stdout + result.stderr
