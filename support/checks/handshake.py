"""What a Then verifies about chat tickets and the one-time secrets the platform keeps."""

from support.clients.http_client import ApiResponse


def expect_ticket_issued(answer: ApiResponse | None, longest_seconds: int) -> None:
    assert answer is not None, "no ticket was asked for"
    lifetime = answer.body.get("expires_in") if isinstance(answer.body, dict) else None
    fresh = isinstance(lifetime, int) and 0 < lifetime <= longest_seconds
    assert answer.status == 201 and fresh and "no-store" in answer.headers.get("cache-control", ""), (
        f"Expected a 201 with the ticket and its expires_in of at most {longest_seconds} s, marked "
        f"Cache-Control: no-store; got {answer.describe()} with Cache-Control "
        f"{answer.headers.get('cache-control')!r}"
    )


def expect_only_digests(holding: dict[str, list[str]]) -> None:
    """No table holds a secret as it was issued: each is kept as a digest only."""
    kept = {secret: tables for secret, tables in holding.items() if tables}
    assert holding and not kept, (
        f"Expected the platform to keep one-time secrets only as digests; these are stored as issued: {kept}"
    )
