"""Merge the allure-results of several shards into one directory, for one report:

    python -m support.running.merge allure-results shard-1/allure-results shard-2/allure-results ...

Every file is copied (results, containers, attachments: their names are unique ids). A scenario found in
more than one shard means the shards overlapped, and the merge fails naming it. The merged durations go
to reports/durations.json, for the next sharded run to balance by, and one JUnit report to reports/junit.xml.
"""

import shutil
import sys
from pathlib import Path

from support.report.attempts import attempts, final, ran_durations
from support.report.junit import JUNIT_FILE, write_junit
from support.running.plan import save_durations


def merge(target: Path, shards: list[Path]) -> int:
    """Copy every shard into `target`; the number of scenarios merged."""
    seen: dict[str, Path] = {}
    for shard in shards:
        if not shard.is_dir():
            raise SystemExit(f"no such results directory: {shard}")
        for key in attempts(shard):
            if key in seen:
                raise SystemExit(f"'{key}' ran in two shards: {seen[key]} and {shard}")
            seen[key] = shard
    target.mkdir(parents=True, exist_ok=True)
    for shard in shards:
        for path in shard.iterdir():
            if path.is_file() and not (path.name == "environment.properties" and (target / path.name).exists()):
                shutil.copy2(path, target / path.name)
    return len(seen)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    target, shards = Path(argv[0]), [Path(arg) for arg in argv[1:]]
    print(f"Merged {merge(target, shards)} scenarios from {len(shards)} shards into {target}")
    save_durations(ran_durations(final(target)))  # the next shards balance by them
    print(f"JUnit report: {write_junit(target, JUNIT_FILE)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
