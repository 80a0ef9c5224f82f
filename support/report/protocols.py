"""The agent's journeys side by side, one column per protocol and target (`allure-report/protocols.html`), so a
reader sees at a glance where one protocol holds a promise and another breaks it. `make agents` writes it.

    python -m support.report.protocols allure-results allure-report/protocols.html
"""

import html
import json
import sys
from pathlib import Path
from typing import Any

from support.report.attempts import feature_of

STYLE = """body { font-family: sans-serif; margin: 2em; } table { border-collapse: collapse; }
td, th { border: 1px solid #ccc; padding: .3em .6em; text-align: left; vertical-align: top; }
.passed { color: #1a7f37; } .failed { color: #cf222e; } .broken { color: #bc4c00; } .na { color: #6e7781; }"""


def column_of(result: dict[str, Any]) -> str | None:
    labels = {label["name"]: label["value"] for label in result.get("labels", [])}
    if "protocol" not in labels:
        return None
    return f"{labels['protocol']} · {labels.get('target', '')}"


def table(results_dir: Path) -> tuple[list[str], dict[tuple[str, str], dict[str, str]]]:
    """The columns, and each journey's latest status in each."""
    latest: dict[tuple[str, str, str], tuple[int, str]] = {}
    for path in results_dir.glob("*-result.json"):
        result = json.loads(path.read_text())
        column = column_of(result)
        if column is None:
            continue
        key = (feature_of(result), result["name"], column)
        stop = int(result.get("stop", 0))
        if key not in latest or latest[key][0] <= stop:
            latest[key] = (stop, result.get("status", "unknown"))
    columns = sorted({column for _, _, column in latest})
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for (feature, name, column), (_, status) in latest.items():
        rows.setdefault((feature, name), {})[column] = status
    return columns, rows


def page(results_dir: Path) -> str:
    columns, rows = table(results_dir)
    head = "".join(f"<th>{html.escape(column)}</th>" for column in columns)
    lines = []
    for (feature, name), statuses in sorted(rows.items()):
        cells = "".join(
            f'<td class="{statuses[c]}">{statuses[c]}</td>' if c in statuses else '<td class="na">not applicable</td>'
            for c in columns
        )
        lines.append(f"<tr><td>{html.escape(feature)}</td><td>{html.escape(name)}</td>{cells}</tr>")
    return f"""<!doctype html>
<meta charset="utf-8"><title>The agent's journeys, protocol by protocol</title>
<style>{STYLE}</style>
<h1>The agent's journeys, protocol by protocol</h1>
<p>Each journey once per protocol and target, with its status in this run. <em>Not applicable</em>: the protocol
or target does not offer what the journey needs (its <code>@needs</code> tags), so it was not run there.</p>
<table><tr><th>feature</th><th>journey</th>{head}</tr>
{chr(10).join(lines)}
</table>
"""


def main(argv: list[str]) -> int:
    results_dir, output = Path(argv[0]), Path(argv[1])
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(page(results_dir))
    print(f"Protocols side by side: {output.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
