"""What a Then verifies about exports and erasure: the export against the database, and what is left behind."""

import json
from pathlib import Path
from typing import Any

from support.clients.http_client import ApiResponse

EXPORT_SECTIONS = ("profile", "identities", "threads")


def plain(value: Any) -> Any:
    """Rows and JSON in one comparable shape: UUIDs and times as the strings the export writes."""
    return json.loads(json.dumps(value, default=str))


def expect_export_matches(export: Any, stored: dict[str, Any], secrets: list[str]) -> None:
    """The whole document: a manifest naming her account, her sections and no other, equal to what the
    database stores, and none of her secrets (password, hash, tokens)."""
    assert isinstance(export, dict) and isinstance(export.get("manifest"), dict), (
        f"Expected the export to be a JSON object with a manifest; got {str(export)[:300]}"
    )
    assert export["manifest"].get("version"), f"Expected the manifest to carry a format version: {export['manifest']}"
    assert export["manifest"].get("account_id") == str(stored["profile"]["id"]), (
        f"Expected the export's manifest to name her account {stored['profile']['id']}: {export['manifest']}"
    )
    extra = sorted(set(export) - {"manifest", *EXPORT_SECTIONS})
    assert not extra, (
        f"Expected the export to hold exactly its manifest and {', '.join(EXPORT_SECTIONS)}; it adds {extra}"
    )
    text = json.dumps(export)
    leaked = [f"{secret[:4]}…" for secret in [*secrets, "$argon2"] if secret and secret in text]
    assert not leaked, f"Expected no secret of hers in the export (password, its hash, tokens); it holds {leaked}"
    for section in EXPORT_SECTIONS:
        exported, expected = plain(export.get(section)), plain(stored[section])
        assert exported == expected, (
            f"Expected the export's {section} to hold exactly what the database stores for her.\n"
            f"database: {json.dumps(expected)[:1500]}\nexport:   {json.dumps(exported)[:1500]}"
        )


def expect_nothing_of(export: Any, other: dict[str, Any], other_email: str) -> None:
    text = json.dumps(export)
    ids = [str(thread["id"]) for thread in other["threads"]]
    ids += [str(message["id"]) for thread in other["threads"] for message in thread["messages"]]
    leaked = [value for value in [*ids, other_email] if value in text]
    assert not leaked, f"Expected nothing of the other customer in the export; it holds {leaked}"


def expect_not_found(response: ApiResponse | None, problem: str) -> None:
    assert response is not None, "nothing was asked"
    assert response.status == 404 and response.problem_type.endswith(f"/{problem}"), (
        f"Expected 404 problem '{problem}', so that nobody learns the export exists; got {response.describe()}"
    )


def expect_problem(response: ApiResponse | None, status: int, problem: str, promise: str) -> None:
    assert response is not None, "nothing was asked"
    assert response.status == status and response.problem_type.endswith(f"/{problem}"), (
        f"Expected {promise}: HTTP {status} problem '{problem}'; got {response.describe()}"
    )


def expect_not_cached(response: ApiResponse | None) -> None:
    assert response is not None and response.status == 200, f"Expected the download to succeed; got {response}"
    cache_control = response.headers.get("cache-control")
    assert "no-store" in (cache_control or ""), (
        f"Expected the export download to be marked Cache-Control: no-store; got {cache_control!r}"
    )


def expect_export_of(response: ApiResponse, account_id: str | None) -> None:
    manifest = response.body.get("manifest", {}) if isinstance(response.body, dict) else {}
    assert manifest.get("account_id") == account_id, (
        f"Expected the download to be her export, its manifest naming account {account_id}; it names "
        f"{manifest.get('account_id')!r}"
    )


def expect_attachment(response: ApiResponse | None) -> None:
    assert response is not None and response.status == 200, f"Expected the download to succeed; got {response}"
    disposition = response.headers.get("content-disposition", "")
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    assert disposition.lower().startswith("attachment") and media_type == "application/json", (
        "Expected the export to come as a JSON file to save (Content-Disposition: attachment, "
        f"Content-Type: application/json); got {disposition!r} and {media_type!r}"
    )


def expect_no_traces(traces: dict[str, int], kept_messages: list[dict[str, Any]]) -> None:
    left = {store: count for store, count in traces.items() if count}
    assert not left and not kept_messages, (
        f"Expected nothing of the erased account in any table; still there: {left}"
        + (f"; and her messages, moved elsewhere: {kept_messages}" if kept_messages else "")
    )


def export_files(store: str, export_location: str) -> list[str]:
    """The files of one export, wherever in the export store the platform keeps them."""
    export_id = export_location.rstrip("/").rsplit("/", 1)[-1]
    return sorted(str(path.relative_to(store)) for path in Path(store).rglob(f"{export_id}*") if path.is_file())


def expect_export_files_gone(before: list[str], after: list[str], store: str) -> None:
    assert before, (
        f"Expected to find her export's file in the export store ({store}) before the erasure, to see it go; "
        "there was none: is export_store the platform's?"
    )
    assert not after, f"Expected the erased account's export file to be deleted; the export store still holds {after}"


def expect_failed_export(status: dict[str, Any]) -> None:
    """The export's status says it failed and why, and hands out no link."""
    assert status.get("status") == "failed" and status.get("failure") and "download_url" not in status, (
        f"Expected an export that could not be written to be reported as failed, saying why, with no download "
        f"link; its status is {status}"
    )
