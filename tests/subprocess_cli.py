"""Running the ``visitproof`` command as a user does: a child process on a data folder.

    result = run_visitproof(data_dir, "init", VISITPROOF_TENANT="acme")
    assert result.returncode == 0, result.stderr
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def cli_environment(data_dir: Path, **overrides: str) -> dict[str, str]:
    """This process's environment pointed at ``data_dir`` (and no database URL from the
    caller's shell), with ``overrides``."""
    environment = {**os.environ, "VISITPROOF_DATA_DIR": str(data_dir), **overrides}
    environment.pop("VISITPROOF_DATABASE_URL", None)
    return environment


def run_visitproof(data_dir: Path, *arguments: str, timeout_s: float = 180,
                   **overrides: str) -> subprocess.CompletedProcess[str]:
    """``visitproof ARGUMENTS`` on ``data_dir``, its output captured as text."""
    return subprocess.run([sys.executable, "-m", "cli.main", *arguments],
                          env=cli_environment(data_dir, **overrides), capture_output=True,
                          text=True, timeout=timeout_s)
