"""What is deployed: the package version and, in a git checkout, the commit."""

import functools
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PACKAGE = "chat-acceptance"
NAME = "chat-acceptance reference platform"


@functools.cache
def platform_version() -> dict[str, str]:
    try:
        release = version(PACKAGE)
    except PackageNotFoundError:
        release = "unknown"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    return {"name": NAME, "version": release, "commit": commit}
