"""The platform contract, promise by promise (features/contract.toml), and the scenarios that check each:
the tags a result carries, and the report's contract page (`allure-report/contract.html`), which shows each
promise with its scenarios' statuses.

    python -m support.report.contract allure-results allure-report/contract.html
"""

import functools
import html
import json
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

CONTRACT_FILE = Path(__file__).resolve().parents[2] / "features" / "contract.toml"
TAG_PREFIX = "contract:"
WORST_FIRST = ("broken", "failed", "unknown", "skipped", "passed")


@dataclass(frozen=True)
class Promise:
    id: str
    says: str
    scenarios: tuple[str, ...]  # titles; an outline's with its <placeholders>
    unchecked: str | None = None

    def checked_by(self, name: str) -> bool:
        return any(title_pattern(title).fullmatch(name) for title in self.scenarios)


@functools.cache
def title_pattern(title: str) -> re.Pattern[str]:
    """A scenario title as a pattern: an outline's <placeholders> stand for its rows' values."""
    return re.compile(
        "".join(".+" if part.startswith("<") else re.escape(part) for part in re.split(r"(<[^>]+>)", title))
    )


@functools.cache
def load(path: Path = CONTRACT_FILE) -> tuple[Promise, ...]:
    entries = tomllib.loads(path.read_text())["promise"]
    return tuple(
        Promise(entry["id"], entry["says"], tuple(entry.get("scenarios", ())), entry.get("unchecked"))
        for entry in entries
    )


def promises_of(scenario_name: str) -> list[str]:
    """The ids of the promises a scenario (or outline row) checks (none, in a checkout without the map)."""
    if not CONTRACT_FILE.is_file():
        return []
    return [promise.id for promise in load() if promise.checked_by(scenario_name)]


def statuses(results_dir: Path) -> dict[str, str]:
    """Each scenario's status in a results folder, its last attempt's when it was retried."""
    latest: dict[str, tuple[int, str]] = {}
    for path in results_dir.glob("*-result.json"):
        result = json.loads(path.read_text())
        stop, name = int(result.get("stop") or 0), str(result.get("name"))
        if name not in latest or stop >= latest[name][0]:
            latest[name] = (stop, str(result.get("status", "unknown")))
    return {name: status for name, (_, status) in latest.items()}


def verdict(promise: Promise, found: dict[str, str]) -> tuple[str, list[tuple[str, str]]]:
    """The promise's status (its worst scenario's; 'unchecked' or 'not run') and its scenarios' statuses."""
    if promise.unchecked is not None:
        return "unchecked", []
    ran = sorted((name, status) for name, status in found.items() if promise.checked_by(name))
    if not ran:
        return "not run", []
    return min((status for _, status in ran), key=lambda s: WORST_FIRST.index(s) if s in WORST_FIRST else 0), ran


def page(promises: tuple[Promise, ...], found: dict[str, str]) -> str:
    rows: list[str] = []
    tally: dict[str, int] = {}
    for promise in promises:
        status, ran = verdict(promise, found)
        tally[status] = tally.get(status, 0) + 1
        checks = "<br>".join(f'<span class="{s}">{html.escape(s)}</span> {html.escape(name)}' for name, s in ran)
        why = html.escape(promise.unchecked or "")
        rows.append(
            f"<tr><td><code>{html.escape(promise.id)}</code></td><td>{html.escape(promise.says)}</td>"
            f'<td class="{status.replace(" ", "-")}">{html.escape(status)}</td><td>{checks or why}</td></tr>'
        )
    summary = ", ".join(f"{count} {status}" for status, count in sorted(tally.items()))
    return f"""<!doctype html>
<meta charset="utf-8"><title>Contract coverage</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }} table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: .3em .6em; vertical-align: top; text-align: left; }}
.passed {{ color: #1a7f37; }} .failed {{ color: #cf222e; }} .broken {{ color: #bc4c00; }}
.unchecked, .not-run, .skipped, .unknown {{ color: #6e7781; }}
</style>
<h1>Contract coverage</h1>
<p>Each promise of the platform contract (docs/contract.md), with the
scenarios that check it and their statuses in this run. A promise takes its worst scenario's status.
{len(promises)} promises: {html.escape(summary)}.</p>
<table><tr><th>promise</th><th>what it says</th><th>status</th><th>scenarios</th></tr>
{chr(10).join(rows)}
</table>
"""


def main(argv: list[str]) -> int:
    results_dir, output = Path(argv[0]), Path(argv[1])
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(page(load(), statuses(results_dir)))
    print(f"Contract coverage: {output.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
