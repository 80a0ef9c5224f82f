import json

from support.report.redaction import MASK, Redactor

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"


def test_known_secrets_are_masked_anywhere_in_text() -> None:
    redactor = Redactor()
    redactor.remember("s3cret-Passw0rd", None, "")
    assert redactor.text("login with s3cret-Passw0rd now") == f"login with {MASK} now"


def test_any_jwt_shaped_string_is_masked_even_if_unknown() -> None:
    assert JWT not in Redactor().text(f"token={JWT}, then more")
    assert Redactor().text("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.") == MASK


def test_secret_headers_are_masked_whole() -> None:
    headers = Redactor().headers(
        {"Authorization": "Bearer abc", "Cookie": "sid=1", "Set-Cookie": "sid=2", "Accept": "application/json"}
    )
    assert headers == {"Authorization": MASK, "Cookie": MASK, "Set-Cookie": MASK, "Accept": "application/json"}


def test_secret_fields_are_masked_in_json_bodies_at_any_depth() -> None:
    body = json.dumps({"email": "a@b.test", "password": "pw", "nested": [{"refresh_token": "rt", "ticket": "t"}]})
    redacted = json.loads(Redactor().body(body))
    assert redacted == {"email": "a@b.test", "password": MASK, "nested": [{"refresh_token": MASK, "ticket": MASK}]}


def test_secrets_in_query_strings_are_masked() -> None:
    assert Redactor().text("ws://127.0.0.1:1/chat?ticket=abc123&x=1") == f"ws://127.0.0.1:1/chat?ticket={MASK}&x=1"


def test_short_values_are_not_treated_as_secrets() -> None:
    redactor = Redactor()
    redactor.remember("a")
    assert redactor.text("a cat") == "a cat"
