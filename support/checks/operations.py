"""What a Then verifies about the platform's answers to operators: liveness, readiness, version."""

from support.clients.http_client import ApiResponse


def expect_ready(answer: ApiResponse) -> None:
    body = answer.body if isinstance(answer.body, dict) else {}
    dependencies = body.get("dependencies")
    dependencies = dependencies if isinstance(dependencies, dict) else {}
    assert answer.status == 200 and body.get("status") == "ready" and dependencies.get("database") == "up", (
        f"Expected the server to say it is ready and that its database is up, as "
        f'{{"status": "ready", "dependencies": {{"database": "up"}}}}; got {answer.describe()}'
    )


def expect_version(answer: ApiResponse) -> None:
    body = answer.body if isinstance(answer.body, dict) else {}
    missing = [
        field for field in ("name", "version", "commit") if not isinstance(body.get(field), str) or not body[field]
    ]
    assert answer.status == 200 and not missing, (
        f"Expected GET /version to name what is deployed: its name, version and commit; {missing or 'nothing'} "
        f"missing in {answer.describe()}"
    )


def expect_alive(answers: list[ApiResponse]) -> None:
    """Liveness asks nothing of the database: a server that serves says so, whatever the database does."""
    dead = [answer.describe() for answer in answers if answer.status != 200]
    assert answers and not dead, (
        f"Expected every server to say it is alive though its database is down (liveness must not restart a "
        f"server for an outage); these did not: {dead}"
    )
