"""One JUnit XML report for CI test tabs, written from the Allure results of a run (parallel, retried or merged):

    python -m support.report.junit allure-results reports/junit.xml

Every scenario appears once, under its feature, with the status of its last attempt: failed is a
`<failure>`, broken (the test bed, a hook) an `<error>`, skipped a `<skipped>`. Earlier attempts stay as
Surefire's rerun elements (`flakyFailure`/`flakyError` when the last attempt passed, `rerunFailure`/
`rerunError` when it did not), which GitHub, GitLab and Jenkins read. Allure is for people; this is for CI.
"""

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from support.report.attempts import Attempt, attempts

JUNIT_FILE = Path("reports/junit.xml")
ELEMENT = {"failed": "failure", "broken": "error", "unknown": "error"}
RERUN = {"failed": "Failure", "broken": "Error", "unknown": "Error"}


def seconds(milliseconds: int) -> str:
    return f"{max(0, milliseconds) / 1000:.3f}"


def failing_step(steps: list[dict[str, Any]]) -> str | None:
    """The innermost step that did not pass, as the feature file words it."""
    for step in steps:
        if step.get("status") in ELEMENT:
            return failing_step(step.get("steps", [])) or str(step.get("name"))
    return None


def outcome(tag: str, result: dict[str, Any]) -> ET.Element:
    details = result.get("statusDetails") or {}
    message = str(details.get("message") or "").strip() or f"{result.get('status')} with no message"
    first = message.splitlines()[0]
    step = failing_step(result.get("steps", []))
    element = ET.Element(tag, message=first[:500])
    element.set("type", first.split(":", 1)[0] if ":" in first else str(result.get("status", "")))
    text = f"At step: {step}\n\n{message}" if step else message
    if details.get("trace"):
        text += f"\n\n{details['trace']}"
    if tag.startswith(("flaky", "rerun")):
        ET.SubElement(element, "stackTrace").text = text
    else:
        element.text = text
    return element


def testcase(runs: list[Attempt]) -> ET.Element:
    last = json.loads(runs[-1].path.read_text())
    case = ET.Element(
        "testcase", classname=runs[-1].feature, name=runs[-1].name, time=seconds(runs[-1].stop - runs[-1].start)
    )
    status = last.get("status", "unknown")
    if status in ELEMENT:
        case.append(outcome(ELEMENT[status], last))
    elif status == "skipped":
        ET.SubElement(case, "skipped", message=(last.get("statusDetails") or {}).get("message", "skipped"))
    for earlier in runs[:-1]:
        if earlier.status in RERUN:
            prefix = "flaky" if status == "passed" else "rerun"
            case.append(outcome(prefix + RERUN[earlier.status], json.loads(earlier.path.read_text())))
    return case


def junit_xml(results_dir: Path, suite_name: str = "chat-acceptance") -> ET.Element:
    by_feature: dict[str, list[ET.Element]] = {}
    for runs in sorted(attempts(results_dir).values(), key=lambda runs: (runs[-1].feature, runs[-1].name)):
        by_feature.setdefault(runs[-1].feature, []).append(testcase(runs))
    root = ET.Element("testsuites", name=suite_name)
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    total_time = 0.0
    for feature, cases in by_feature.items():
        counts = {
            "tests": len(cases),
            "failures": sum(case.find("failure") is not None for case in cases),
            "errors": sum(case.find("error") is not None for case in cases),
            "skipped": sum(case.find("skipped") is not None for case in cases),
        }
        time = sum(float(case.get("time", "0")) for case in cases)
        suite = ET.SubElement(root, "testsuite", {k: str(v) for k, v in counts.items()}, name=feature)
        suite.set("time", f"{time:.3f}")
        suite.extend(cases)
        totals = {key: totals[key] + counts[key] for key in totals}
        total_time += time
    root.attrib.update({key: str(value) for key, value in totals.items()} | {"time": f"{total_time:.3f}"})
    ET.indent(root)
    return root


def write_junit(results_dir: Path, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(junit_xml(results_dir)).write(path, encoding="utf-8", xml_declaration=True)
    return path


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    print(f"JUnit report: {write_junit(Path(argv[0]), Path(argv[1]))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
