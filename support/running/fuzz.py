"""`make fuzz`: Schemathesis against the platform, from docs/contract/openapi.yaml (docs/contract.md#fuzzing).

On the embedded stack (no BASE_URL) every operation is tried, reads and writes, as a customer of its own and
without one, with valid and invalid input, and statefully along the document's links (sign-up, login, chats,
exports). Against a team's deployment (`BASE_URL=...`) only reads are tried unless FUZZ_WRITES=1; a customer's
login for the authenticated reads comes from FUZZ_EMAIL and FUZZ_PASSWORD, else they run without one.

Prints Schemathesis's own report, then one line of figures (operations, cases generated, failures); exits
non-zero on any failure not written down in docs/contract/fuzz-baseline.json (the deliberate deviations)."""

import argparse
import json
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx2

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "contract" / "openapi.yaml"
REPORTS = ROOT / "reports" / "fuzz"
BASELINE = ROOT / "docs" / "contract" / "fuzz-baseline.json"
# Checks Schemathesis can judge from the document alone. Left out: positive_data_acceptance (a valid-looking
# password can still be weak, an id can name nothing) and use_after_free/ensure_resource_availability, which
# need DELETE links this document does not give.
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,"
    "response_schema_conformance,negative_data_rejection,missing_required_header,unsupported_method,"
    "allow_header_conformance,ignored_auth"
)
PHASES = "examples,coverage,fuzzing,stateful"
# What would end the fuzzing customer's session halfway: tried in the run without her token only.
SESSION_ENDING = ("logOut", "changePassword", "eraseMe")
# One worker: Hypothesis describes its strategies with ast.parse, which CPython 3.11 cannot run in two threads
# at once ("AST constructor recursion depth mismatch").


@dataclass(frozen=True)
class Figures:
    operations: int
    cases: int
    failures: int

    def plus(self, other: "Figures") -> "Figures":
        """Two runs' figures: an operation tried in both counts once."""
        return Figures(max(self.operations, other.operations), self.cases + other.cases, self.failures + other.failures)

    def line(self) -> str:
        return (f"Schemathesis: {self.operations} operations, {self.cases} generated cases, "
                f"{self.failures} failures")  # fmt: skip


def customer_token(base_url: str, email: str | None, password: str | None, admin_token: str | None = None) -> str:
    """A customer's access token: the one named by FUZZ_EMAIL and FUZZ_PASSWORD, else a new customer's, put on the
    pro plan when the admin token is at hand (fewer of the cases end at a rate limit)."""
    with httpx2.Client(base_url=base_url, timeout=30) as http:
        if email is None or password is None:
            email, password = f"fuzz-{secrets.token_hex(6)}@example.com", f"Fuzz {secrets.token_hex(12)}!"
            signed_up = http.post("/auth/signup", json={"email": email, "password": password})
            assert signed_up.status_code == 201, f"the fuzzing customer could not sign up: {signed_up.text}"
        logged_in = http.post("/auth/login", json={"email": email, "password": password})
        assert logged_in.status_code == 200, f"the fuzzing customer could not log in: {logged_in.text}"
        if admin_token is not None:
            user_id = http.get("/me", headers={"Authorization": f"Bearer {logged_in.json()['access_token']}"})
            upgraded = http.put(f"/admin/users/{user_id.json()['id']}/plan", json={"plan": "pro"},
                                headers={"Authorization": f"Bearer {admin_token}"})  # fmt: skip
            assert upgraded.status_code == 200, (
                f"the fuzzing customer could not be put on the pro plan: {upgraded.text}"
            )
        return str(logged_in.json()["access_token"])


def command(base_url: str, token: str | None, writes: bool, report: Path, max_examples: int, seed: int) -> list[str]:
    arguments = [
        sys.executable, "-m", "schemathesis.cli", "run", str(DOCUMENT), "--url", base_url,
        "--checks", CHECKS, "--phases", PHASES, "--max-examples", str(max_examples), "--seed", str(seed),
        "--workers", "1", "--no-color", "--output-truncate", "true", "--request-timeout", "30",
        "--report", "ndjson", "--report-ndjson-path", str(report), "--warnings", "off",
    ]  # fmt: skip
    if BASELINE.exists():
        arguments += ["--baseline", str(BASELINE)]
    if token is not None:
        arguments += ["--header", f"Authorization: Bearer {token}"]
        for operation in SESSION_ENDING:
            arguments += ["--exclude-operation-id", operation]
    if not writes:
        arguments += ["--include-method", "GET"]
    return arguments


def figures(report: Path) -> Figures:
    """Operations, generated cases and distinct failures (operation and check), from Schemathesis's events."""
    operations: set[str] = set()
    failed: set[tuple[str, str]] = set()
    cases = 0
    for line in report.read_text().splitlines():
        finished = json.loads(line).get("ScenarioFinished")
        if finished is None:
            continue
        recorder = finished.get("recorder", {})
        if recorder.get("label") != "Stateful tests":
            operations.add(str(recorder.get("label")))
        cases += len(recorder.get("cases", {}))
        failed |= {(str(recorder.get("label")), check["name"]) for checks in recorder.get("checks", {}).values()
                   for check in checks if check.get("status") == "failure"}  # fmt: skip
    return Figures(len(operations), cases, len(failed))


def fuzz(base_url: str, token: str | None, writes: bool, max_examples: int = 20, seed: int = 32) -> tuple[int, Figures]:
    """Run Schemathesis as the customer (if there is one), then without a token; the worse exit code, and the
    runs' figures together. Its events stay in reports/fuzz/."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    statuses, found = [], Figures(0, 0, 0)
    for name, bearer in (("as-customer", token), ("without-token", None)):
        if name == "as-customer" and token is None:
            continue
        print(f"Schemathesis {name.replace('-', ' ')}", flush=True)
        report = REPORTS / f"{name}.ndjson"
        report.unlink(missing_ok=True)
        arguments = command(base_url, bearer, writes, report, max_examples, seed)
        statuses.append(subprocess.run(arguments, cwd=ROOT).returncode)
        found = found.plus(figures(report)) if report.exists() else found
    print(found.line(), flush=True)
    return max(statuses), found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m support.running.fuzz", description=__doc__)
    parser.add_argument("--base-url", default=os.environ.get("BASE_URL") or None)
    parser.add_argument("--max-examples", type=int, default=20, help="cases per operation and phase")
    options = parser.parse_args(argv)
    if options.base_url is not None:
        writes = os.environ.get("FUZZ_WRITES") == "1"
        email, password = os.environ.get("FUZZ_EMAIL"), os.environ.get("FUZZ_PASSWORD")
        token = customer_token(options.base_url, email, password) if email or writes else None
        print(f"Fuzzing {options.base_url} ({'reads and writes' if writes else 'reads only'})", flush=True)
        return fuzz(options.base_url, token, writes, options.max_examples)[0]
    from support.stack.embedded_stack import EmbeddedStack

    stack = EmbeddedStack().start()
    try:
        print(f"Fuzzing the embedded stack at {stack.base_url} (reads and writes)", flush=True)
        token = customer_token(stack.base_url, None, None, stack.admin_token)
        return fuzz(stack.base_url, token, True, options.max_examples)[0]
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
