"""The kill matrix: the suite runs once per named platform defect and must catch every one.

`python -m tests.fault_matrix` (or `make faults`) prints defect x catching scenarios, then
`caught N/M faults`, and exits non-zero if a defect escapes or the clean platform fails.
The clean platform runs every feature, through the parallel runner on stacks of its own; each defect runs only
the scenarios that can catch it, on a platform of its own.

A run of the whole catalogue also records, for each caught defect, the step at which each of its catching
scenarios failed (`reports/kill-matrix.json`) and prints the coverage table: each Then step, with the
defects that fail at it. tests/test_then_coverage.py holds every Then to it.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from reference_platform.faults import FAULTS
from support.checks.conformance import OFF_CONTRACT
from support.report.junit import failing_step
from support.running.plan import RECORDED_DURATIONS, load_durations
from support.stack.embedded_postgres import EmbeddedPostgres
from support.stack.platform_forks import PLATFORM_FORKS_ENV, start_server
from targets.pydantic_ai.stream_faults import STREAM_FAULTS
from tests.ag_ui_catalogue import AG_UI_CATALOGUE, VERCEL_CATALOGUE, agent_arguments
from tests.behave_forks import close_servers, forked_run
from tests.behave_runs import ROOT, SuiteRun
from tests.expectations import Expectation, expect
from tests.feature_index import scenarios, then_patterns

CLEAN = "(none)"
UNDOCUMENTED = "no answer with this status is documented for the operation"  # the contract check's words
# The clean run's journeys whose figures must not share the machine (the runner gives the @load one a platform
# of its own): they run once every defect is tried.
ALONE = "@serial and not @load"
MATRIX_FILE = ROOT / "reports" / "kill-matrix.json"


FIRST_CHAT = "A new customer sees the agent work through their first question"
HISTORY = "The first question and its answer are kept in the chat history"
BRACKETED = "A run opens with one agent_started and closes with one terminal event, which comes last"
LOGIN_REFUSAL = "A failed login does not reveal whether the account exists"
FIRST_SIGN_IN = "A first sign-in through the identity provider creates an account"
TOKENS_OUT_OF_URLS = "The platform's tokens reach the app without ever appearing in a URL"
TOKEN_LIFETIME = "Every token is short-lived, verifiable by the published key, and never cached"
EXPORT_CONTENTS = "An export holds exactly what the platform stores for the customer, and nothing of anyone else's"
ERASED_EVERYWHERE = "An erased account leaves nothing behind in any store"
OVER_WRITE_LIMIT = "A customer over her write limit is refused with a problem that says when to retry"
LOGOUT = "Logging out closes the session's chat within 2 seconds and ends its refreshes"
RESUME = "A customer whose connection drops mid-answer receives exactly the events she missed"
NOT_RESUMED = "Expected the events after seq"
REVOKED_TOKEN_REFUSED = "Expected the access token of a revoked session to be refused with 401 at GET /me"
AFTER_LOGOUT = "Alice's access token after she logged out opens neither the API nor the chat"
AFTER_ERASURE = "Alice's access token after she erased her account opens neither the API nor the chat"
CHAT_OVER_LIMIT = "A chat message over the limit gets a rate_limited error frame, no run, and the chat stays open"
FOREIGN_THREAD = "A customer signed in as herself cannot write into another customer's chat"
OUTAGE_REQUESTS = (
    "While the database is down, requests that need it are told to try again later, and no server is taken for dead"
)
OUTAGE_MID_RUN = "A run in progress when the database goes down ends with service_unavailable, and the chat closes"
OUTAGE_QUESTION = "A question sent while the database is down gets an error frame, and the chat closes"
WRONG_CURRENT_PASSWORD = "A password change with a wrong current password is refused and leaves her password as it was"
INVALID_ID_TOKEN = "Expected the sign-in to be refused with problem 'invalid-id-token'"
SESSION_LIFETIMES = "A session in use outlives its refresh token's idle lifetime, but not its absolute lifetime"
TRACED = "Every answer names its request, by the app's own id when it sent one, and the platform logs that id"
ONE_ADDRESS = "Logins from one address are limited, whichever accounts they try, and other addresses are not held back"
ADMIN_UNAUTHORIZED = "Expected the admin API to refuse a request without the admin token with 401"
PLAN_MOVE = "A move from the {} plan to the {} plan applies to the {} limit at once"
SIBLING_TOKEN = "A token made by another API of the same issuer, {}, opens neither the API nor the chat"
EVERY_DOOR = "Expected the token to be refused with 401 at GET /me"
STORE_BROKEN = "An export that cannot be written is reported as failed, and the next one works once storage is back"
UNKNOWN_REFRESH = "A refresh token the platform never issued is refused"
ONLY_DIGESTS = "The platform's stores of one-time secrets keep only their digests"
CLOSED_ON_SESSION_END = "Expected the platform to close her chat within 2 s"
COUNTING_DOWN = "Every write reports how much of the limit is left"
GRACE = "A run still going when the shutdown grace runs out is ended as interrupted by its own server"
HANGING_TOOL = "A tool that hangs ends the run with tool_timeout within the platform's tool timeout"
ABANDONED = "A run whose customer left still ends within the tool timeout, recorded as ended"
PINGED = "The platform pings an idle chat often enough to keep it open through proxies"
SILENT_APP = "A chat whose app stops answering pings is closed"


# Which scenarios must catch each defect, and what each failure message must say.
CATALOGUE: dict[str, tuple[Expectation, ...]] = {
    "drop_agent_thinking": expect(FIRST_CHAT, "no 'agent_thinking' came after that"),
    "thinking_sent_twice": expect(FIRST_CHAT, "Expected exactly these events, in this order"),
    "slow_answer": expect(FIRST_CHAT, "Expected the run to finish within 2 s of the question"),
    "answer_ignores_question": expect(FIRST_CHAT, "Expected the answer to state $75.00, $2.50"),
    "tool_completed_before_executing": (
        Expectation("Every completed tool call matches a tool call that started", "has no earlier tool_executing"),
        Expectation(FIRST_CHAT, "no 'tool_completed' came after that"),
    ),
    "event_after_terminal": (
        Expectation(BRACKETED, "Expected the terminal event to come last"),
        Expectation("Nothing arrives after the terminal event, not even a moment later", "Expected nothing in the 2 s"),
    ),
    "late_event_after_terminal": expect(
        "Nothing arrives after the terminal event, not even a moment later", "Expected nothing in the 2 s"
    ),
    "seq_gap": expect("Every event names its run and thread, and seq has no gaps", "Expected seq to rise by one"),
    "missing_run_id": expect(
        "Every event names its run and thread, and seq has no gaps", "(frame): 'run_id' is a required property"
    ),
    "silent_close_on_tool_failure": expect(
        "A failing tool ends the run with agent_error that says what went wrong", "the socket closed first"
    ),
    "agent_error_without_code": expect(
        "A failing tool ends the run with agent_error that says what went wrong",
        OFF_CONTRACT + "The platform's agent_error frame is not as docs/contract/asyncapi.yaml says",
    ),
    "second_question_fails": expect(
        "Each question is answered by a run of its own", "Expected the run to end with 'agent_completed'"
    ),
    "signature_not_checked": expect(
        "A chat connection with Alice's access token re-signed by a stranger's key is refused before it opens",
        "Expected the handshake to be refused",
    ),
    "malformed_bearer_lets_in": expect(
        "A chat connection with a garbage access token is refused before it opens",
        "Expected the handshake to be refused",
    ),
    "unknown_ticket_opens": expect(
        "A chat connection with a made-up ticket is refused before it opens", "Expected the handshake to be refused"
    ),
    "tickets_reusable": expect(
        "A chat connection with a ticket Alice has already used is refused before it opens",
        "Expected the handshake to be refused",
    ),
    "tokens_trusted_alone": (
        Expectation(
            AFTER_LOGOUT, "Expected the token to be refused with 401 at GET /me, POST /ws-tickets, POST /threads"
        ),
        Expectation("A replayed refresh token ends the whole session", REVOKED_TOKEN_REFUSED),
    ),
    "refresh_token_as_bearer": expect(
        "Alice's refresh token as an access token opens neither the API nor the chat",
        "Expected the token to be refused with 401 at GET /me, POST /ws-tickets, POST /threads",
    ),
    "attempt_found_by_state": expect(
        "A code stolen from another browser's login signs nobody in",
        "Expected the sign-in to be refused with problem 'login-attempt-unknown'",
    ),
    "cancellation_ignored": expect(
        "A customer who cancels at the provider is not signed in",
        "Expected the sign-in to be refused with problem 'login-cancelled'",
    ),
    "used_refresh_tokens_work": (
        Expectation(
            "A refresh hands out a new pair and uses up the old refresh token",
            "Expected a used refresh token to be refused with invalid_grant",
        ),
        Expectation(
            "A replayed refresh token ends the whole session",
            "Expected a replayed refresh token to be refused with invalid_grant",
        ),
    ),
    "refresh_gives_expired_token": expect(
        "An expired access token is refused as expired, and refreshing keeps the session",
        "Expected the new access token to open the API",
    ),
    "logout_keeps_refresh_tokens": expect(LOGOUT, "Expected her refresh token to be refused with invalid_grant"),
    "password_change_ends_own_session": expect(
        "Changing the password signs out every other session", "Expected her own session to go on"
    ),
    "erasure_done_before_reauthentication": expect(
        "Erasing an account needs the customer's password", "Expected her account to still be there"
    ),
    "error_frame_closes_chat": expect(
        "A message that is not JSON gets an error frame, and the chat stays open", "but the platform had closed it"
    ),
    "chat_limit_never_recovers": expect(
        CHAT_OVER_LIMIT,
        "Expected the next question to be answered on the same chat with agent_completed",
    ),
    "idle_chats_forgotten": expect(
        "The platform pings an idle chat often enough to keep it open through proxies",
        OFF_CONTRACT + "The platform's error frame is not as docs/contract/asyncapi.yaml says of its payload: code",
    ),
    "answers_never_written": expect(HISTORY, "Expected the messages table to hold the question and the agent's answer"),
    "foreign_delete_clears_messages": expect(
        "Another customer cannot delete a chat by its id", "Expected the other customer's chat to be unchanged"
    ),
    "unverified_identity_linked_then_refused": expect(
        "An unverified email never takes over an existing account", "Expected no identity linked to the account"
    ),
    "identity_not_linked": expect(FIRST_SIGN_IN, "Expected the account to be linked to embedded subject"),
    "account_named_by_subject": expect(FIRST_SIGN_IN, "Expected one new account with the email"),
    "account_made_before_nonce_check": expect(
        "An ID token issued for another nonce signs nobody in", "Expected no account for"
    ),
    "quiet_chats_closed_as_going_away": expect(
        "A chat whose app stops answering pings is closed",
        "Expected the platform to close a chat that answers no ping with a close frame, code 1011",
    ),
    "password_change_burns_own_refresh_token": expect(
        "Changing the password signs out every other session", "Expected her own session to go on, its refresh token"
    ),
    "erasure_keeps_login_throttle": expect(ERASED_EVERYWHERE, "still there: {'rate_limits': 1}"),
    "first_question_answered_again": expect(
        "A question sent while the agent is answering waits its turn", "Expected run 2 to answer question 2 with '24'"
    ),
    "throttle_names_known_accounts": expect(
        "Failed logins are throttled per account, alike for known and unknown emails",
        "Expected the same throttling answer for both kinds, so it reveals no account; these differ: body",
    ),
    "foreign_thread_named_in_refusal": (
        Expectation("Another customer cannot read a chat by its id", "Expected the same answer as for a chat that"),
        Expectation("Another customer cannot delete a chat by its id", "Expected the same answer as for a chat that"),
    ),
    "foreign_export_named_in_refusal": (
        Expectation("Only the owner can see an export", "Expected the same answer as for an export that"),
        Expectation("Only the owner can download an export, even with its link", "Expected the same answer as for an"),
    ),
    "export_files_moved_aside": expect(ERASED_EVERYWHERE, "Expected the erased account's export file to be deleted"),
    "refused_question_runs_unseen": expect(CHAT_OVER_LIMIT, "Expected no run to start for the refused message"),
    "next_question_gets_refused_answer": expect(
        CHAT_OVER_LIMIT, "Expected the answer to 'What is 17 + 25?' to state 42"
    ),
    "foreign_question_shown_to_owner": expect(FOREIGN_THREAD, "Expected nothing to reach Alice's chat"),
    "deleted_chat_kept_in_trash": expect(
        "A customer can delete her own chat, with its messages", "Expected the chat, its messages, runs and run events"
    ),
    "refusal_names_another_limit": expect(OVER_WRITE_LIMIT, "Expected the refusal to name the limit her writes"),
    "pro_plan_shortchanged": expect(
        "An upgrade raises the limit at once, without a new login", "Expected the pro plan's writes limit, 100 per 10 s"
    ),
    "session_endings_heard_once": expect(
        "Once the database is back, a logout on one server still closes the chat on the other within 2 seconds",
        CLOSED_ON_SESSION_END,
    ),
    "lease_taken_once": expect(
        "Once the database is back, a run resumed on the other server still delivers the rest of its answer",
        "Expected the run to end once, last, with agent_completed",
    ),
    "outage_run_error_unsent": expect(
        OUTAGE_MID_RUN, "Expected the run to end with agent_completed or agent_error, but the socket closed first"
    ),
    "outage_closes_with_1011": (
        Expectation(OUTAGE_MID_RUN, "Expected the platform to close her chat with code 1013"),
        Expectation(OUTAGE_QUESTION, "Expected the platform to close her chat with code 1013"),
    ),
    "outage_without_error_frame": expect(
        OUTAGE_QUESTION, "Expected her message to get an error frame 'service_unavailable'"
    ),
    "outage_is_a_bare_500": expect(OUTAGE_REQUESTS, "Expected every request that needs the database to get 503"),
    "liveness_asks_the_database": expect(OUTAGE_REQUESTS, "paths./health/live.get.responses.503: " + UNDOCUMENTED),
    "readiness_without_dependencies": expect(
        "A serving instance says it is ready, with its database up", "paths./health/ready.get.responses.200: body"
    ),
    "version_without_commit": expect(
        "The platform names what is deployed", "paths./version.get.responses.200: body: 'commit' is a required property"
    ),
    "foreign_delete_clears_run_journal": expect(
        "Another customer cannot delete a chat by its id", "Expected the other customer's chat to be unchanged"
    ),
    "email_registered_as_typed": expect(
        "An email address in other letter case is the same address", "Expected the signup to be refused with HTTP 409"
    ),
    "login_by_exact_email": expect(
        "A customer logs in with her email address in any letter case", "Expected Alice to be logged in"
    ),
    "replay_revokes_quietly": expect(
        "A replayed refresh token closes the session's chat within 2 seconds", CLOSED_ON_SESSION_END
    ),
    "password_change_revokes_quietly": expect(
        "Changing the password closes the chats of every other session within 2 seconds",
        "Expected the platform to close the laptop's chat within 2 s",
    ),
    "unknown_thread_created": expect(
        "A question into a chat that does not exist gets an error frame and starts no run",
        "Expected the message to be refused with 'thread_not_found', but a run started",
    ),
    "runs_kept_forever": expect(
        "A run can no longer be resumed once the event retention has passed",
        "Expected an error frame with code 'run_expired'",
    ),
    "chat_limit_ignores_plan": expect(
        "An upgrade raises the chat limit at once, on the open chat",
        "Expected the next question to be answered on the same chat with agent_completed",
    ),
    "exports_count_as_writes": expect(
        "A customer asking for too many exports is refused with a problem that says when to retry",
        "Expected the refusal to name the 'exports' limit",
    ),
    "export_shown_inline": expect(
        "An export downloads as a file, not as a page", "download.get.responses.200: header Content-Disposition"
    ),
    "one_link_per_export": expect(
        "Each look at a ready export gives a fresh link, and retires the one before",
        "Expected a new download link on each look at the ready export; got the same link again",
    ),
    "access_token_typed_jwt": expect(TOKEN_LIFETIME, "Expected an access token of type 'at+jwt'"),
    "access_token_for_any_audience": expect(TOKEN_LIFETIME, "Expected an access token for audience 'chat-api'"),
    "erasure_needs_a_password_nobody_has": expect(
        "A customer with no password of ours can erase her account right after signing in",
        "Alice erases her account: expected HTTP 204, got",
    ),
    "refusal_without_challenge": expect(
        "Alice's access token re-signed with alg none opens neither the API nor the chat",
        "Expected each 401 to carry WWW-Authenticate",
    ),
    "password_change_unchecked": expect(
        WRONG_CURRENT_PASSWORD, "Expected the password change to be refused with 403 problem 'wrong-password'"
    ),
    "password_changed_then_refused": expect(
        WRONG_CURRENT_PASSWORD, "Expected the refused change to leave her password as it was"
    ),
    "malformed_resume_ignored": expect(
        "A resume that names no run gets an error frame and starts nothing",
        "Expected an error frame with code 'invalid_message'",
    ),
    "admin_forbids_everyone": expect(
        "A request to the admin API without the admin token is refused as unauthorized",
        "Expected the admin API to refuse a request without the admin token with 401",
    ),
    "method_not_allowed_without_allow": expect(
        "A method an address does not take is answered with a problem that lists the methods it takes",
        "components.responses.MethodNotAllowed: no Allow header",
    ),
    "frames_of_any_size": expect(
        "A frame over 1 MiB closes the chat because the message is too big",
        "Expected the platform to close her chat with code 1009",
    ),
    "framework_problems_untyped": (
        Expectation(
            "An address the API does not have is answered with a problem saying nothing is there",
            "Expected an RFC 9457 problem",
        ),
        Expectation(
            "A method an address does not take is answered with a problem that lists the methods it takes",
            "Expected an RFC 9457 problem",
        ),
    ),
    "allow_names_one_method": expect(
        "A method an address does not take is answered with a problem that lists the methods it takes",
        "Expected the Allow header to list GET, POST",
    ),
    "version_commit_empty": expect("The platform names what is deployed", "Expected GET /version to name"),
    "token_answers_without_cache_control": expect(
        TOKEN_LIFETIME, "Expected every token answer to be marked Cache-Control: no-store"
    ),
    "export_without_cache_control": expect(
        "An export is never cached on its way to the customer", "Expected the export download to be marked"
    ),
    "export_without_disposition": expect(
        "An export downloads as a file, not as a page", "Expected the export to come as a JSON file to save"
    ),
    "framework_errors_in_plain_text": (
        Expectation(
            "An address the API does not have is answered with a problem saying nothing is there",
            "the NotFound and MethodNotAllowed answers are problems",
        ),
        Expectation(
            "A method an address does not take is answered with a problem that lists the methods it takes",
            "the NotFound and MethodNotAllowed answers are problems",
        ),
    ),
    "dead_runs_ended_only_when_resumed": expect(
        "The run of a server that died is ended by the next one to start, even when nobody resumes it",
        "Expected run",
    ),
    "refused_question_runs_later": expect(
        CHAT_OVER_LIMIT,
        "Expected the message to be refused with 'rate_limited', but a run started",
    ),
    "export_holds_password_hash": expect(EXPORT_CONTENTS, "Expected the export to hold exactly its manifest and"),
    "erasure_ends_every_session": expect(
        "Erasing one account leaves another customer's data untouched",
        "Expected Bob's access token to still open the API",
    ),
    "erasure_deferred": (
        Expectation(
            AFTER_ERASURE, "Expected the token to be refused with 401 at GET /me, POST /ws-tickets, POST /threads"
        ),
        Expectation(
            "After erasure the customer's chat closes and her tokens stop working at once", REVOKED_TOKEN_REFUSED
        ),
    ),
    "export_in_another_name": expect(EXPORT_CONTENTS, "Expected the export's manifest to name her account"),
    "export_profile_holds_password_hash": expect(EXPORT_CONTENTS, "Expected no secret of hers in the export"),
    "erasure_closes_every_chat": expect(
        "Erasing one account leaves another customer's data untouched", "Expected the chat of Bob to stay open"
    ),
    "short_passwords_accepted": expect(
        'A weak password such as "short1!" is refused with a reason the customer can act on',
        "refused with HTTP 422 and problem type 'weak-password'",
    ),
    "handshake_without_credentials": expect(
        "A chat connection with no credentials is refused before it opens", "Expected the handshake to be refused"
    ),
    "alg_none_accepted": (
        Expectation(
            "A chat connection with Alice's access token re-signed with alg none is refused before it opens",
            "Expected the handshake to be refused",
        ),
        Expectation(
            "Alice's access token re-signed with alg none opens neither the API nor the chat",
            "Expected the token to be refused with 401 at GET /me, POST /ws-tickets, POST /threads",
        ),
    ),
    "socket_ignores_thread_owner": expect(
        FOREIGN_THREAD,
        "Expected the message to be refused with 'thread_not_found', but a run started",
    ),
    "answer_not_saved": expect(HISTORY, "Expected the chat history (REST) to hold the question and the agent's answer"),
    "answer_in_other_thread": expect(
        HISTORY, "Expected the chat history (REST) to hold the question and the agent's answer"
    ),
    "duplicate_email_accepted": expect(
        "An email address can be registered only once", "refused with HTTP 409 and problem type 'email-taken'"
    ),
    "pkce_not_sent": expect(FIRST_SIGN_IN, "Expected the authorization request to carry a S256 code_challenge"),
    "state_not_checked": expect(
        "An answer whose state was tampered with signs nobody in",
        "Expected the sign-in to be refused with problem 'state-mismatch'",
    ),
    "id_token_signature_unchecked": expect(
        "An ID token is signed by a key the provider never published signs nobody in", INVALID_ID_TOKEN
    ),
    "id_token_issuer_unchecked": expect(
        "An ID token names another issuer than the provider signs nobody in", INVALID_ID_TOKEN
    ),
    "id_token_audience_unchecked": expect(
        "An ID token was issued for another client than the platform signs nobody in", INVALID_ID_TOKEN
    ),
    "id_token_expiry_unchecked": expect("An ID token has expired signs nobody in", INVALID_ID_TOKEN),
    "refused_code_called_outage": expect(
        "A code the provider refuses to redeem signs nobody in",
        "Expected the sign-in to be refused with problem 'code-rejected'",
    ),
    "provider_outage_unnamed": expect(
        "A provider that does not answer is named in the refusal, which says when to try again",
        "Expected the refusal to name the identity provider 'offline'",
    ),
    "refresh_lifetime_not_sliding": expect(
        SESSION_LIFETIMES, "Expected refreshing within each token's idle lifetime to keep the session going"
    ),
    "session_without_absolute_lifetime": expect(SESSION_LIFETIMES, "Expected the session to refresh until it was"),
    "client_request_id_replaced": expect(TRACED, "Expected the answer to carry the request id the app sent"),
    "request_id_only_when_sent": expect(TRACED, "Expected the answer to a request without an id to carry a new"),
    "request_id_not_logged": expect(TRACED, "Expected a line of the platform's log"),
    "login_address_not_limited": expect(ONE_ADDRESS, "Expected a login from an address after"),
    "login_address_limit_shared": expect(ONE_ADDRESS, "Expected a login from another address to be let in"),
    "access_token_audience_unchecked": expect(SIBLING_TOKEN.format("meant for that API's audience"), EVERY_DOOR),
    "access_token_issuer_unchecked": expect(SIBLING_TOKEN.format("made under another issuer name"), EVERY_DOOR),
    "access_token_type_unchecked": expect(SIBLING_TOKEN.format("of another type than an access token"), EVERY_DOOR),
    "grace_overrun_left_running": expect(
        "A run still going when the shutdown grace runs out is ended as interrupted by its own server",
        "Expected the run, still going when the",
    ),
    "failed_export_left_building": expect(STORE_BROKEN, "Expected an export that could not be written to be reported"),
    "export_job_dies_on_failure": expect(STORE_BROKEN, "Expected her export to be ready within"),
    "tickets_outlive_their_lifetime": expect(
        "A chat connection with a ticket Alice let expire is refused before it opens", "Expected the handshake"
    ),
    "bearer_handshake_refused": expect(
        "An app that is not a browser opens its chat with its access token",
        "Expected the handshake with a bearer token to open the chat",
    ),
    "refresh_refusal_without_oauth_error": expect(UNKNOWN_REFRESH, 'to carry "error": "invalid_grant"'),
    "unknown_refresh_token_fails": expect(UNKNOWN_REFRESH, "to be refused with invalid_grant"),
    "attempt_cookie_readable_by_scripts": expect(
        "The sign-in attempt's cookie is out of scripts' reach, sent only to sign-in, and lives 5 minutes at most",
        "Expected the sign-in to set the cookie oidc_attempt with HttpOnly",
    ),
    "plan_change_resets_usage": expect(
        "Moving back to the free plan does not hand back what was used", "Expected the platform to refuse with 429"
    ),
    "access_tokens_share_an_id": expect(
        "Every access token names its account, its session, its app and itself", "Expected each access token to name"
    ),
    "day_long_tickets": expect(
        "A chat ticket says it expires within 30 seconds, and is never cached",
        "Expected a 201 with the ticket and its expires_in",
    ),
    "tickets_kept_as_issued": expect(ONLY_DIGESTS, "Expected the platform to keep one-time secrets only as digests"),
    "login_codes_kept_as_issued": expect(
        ONLY_DIGESTS, "Expected the platform to keep one-time secrets only as digests"
    ),
    "unstored_endings_left_running": expect(
        "Once the database is back, a run the outage cut short is recorded as ended, not left running",
        "Expected the run the outage cut short to be recorded",
    ),
    "policy_overstates_message_size": expect(
        "A message exactly at the published size limit is answered", "to be answered; it was refused with"
    ),
    "nonce_not_checked": expect(
        "An ID token issued for another nonce signs nobody in",
        "Expected the sign-in to be refused with problem 'nonce-mismatch'",
    ),
    "unverified_email_linked": expect(
        "An unverified email never takes over an existing account",
        "Expected the sign-in to be refused with problem 'unverified-email'",
    ),
    "identity_found_by_email": expect(
        "The same identity finds the same account, even after its email changed at the provider",
        "Expected to be signed in to the account of her first sign-in",
    ),
    "token_in_redirect_url": expect(TOKENS_OUT_OF_URLS, "Expected no token in any URL of the sign-in"),
    "login_codes_live_a_day": expect(
        "A login code the app does not trade in time is refused", "Expected an expired login code to be refused"
    ),
    "erasure_trusts_old_sign_ins": expect(
        "A customer with no password of ours cannot erase her account once her sign-in is no longer recent",
        "Expected erasure without the password to be refused",
    ),
    "login_code_reusable": expect(TOKENS_OUT_OF_URLS, "Expected the login code to work only once"),
    "refresh_not_rotated": expect(
        "A refresh hands out a new pair and uses up the old refresh token",
        "Expected the refresh to hand out a new refresh_token",
    ),
    "reuse_not_revoking_session": expect(
        "A replayed refresh token ends the whole session",
        "Expected the newest refresh token of a session whose older one was replayed to be refused",
    ),
    "logout_not_revoking": (
        Expectation(LOGOUT, "Expected the platform to close her chat within 2 s"),
        Expectation(
            AFTER_LOGOUT, "Expected the token to be refused with 401 at GET /me, POST /ws-tickets, POST /threads"
        ),
    ),
    "logout_leaves_chat_open": expect(LOGOUT, "Expected the platform to close her chat within 2 s"),
    "refresh_idle_not_enforced": expect(
        "A refresh token left unused past its idle lifetime is refused", "Expected her refresh token to be refused"
    ),
    "expired_access_token_accepted": (
        Expectation(
            "An expired access token is refused as expired, and refreshing keeps the session",
            "Expected an expired access token to be refused with 401",
        ),
        Expectation(
            "A chat connection with an access token of Alice that has expired is refused before it opens",
            "Expected the handshake to be refused",
        ),
    ),
    "password_change_keeps_sessions": expect(
        "Changing the password signs out every other session", "Expected the laptop's access token to be refused"
    ),
    "token_answers_cached": expect(TOKEN_LIFETIME, "responses.200: header Cache-Control: 'no-store' was expected"),
    "day_long_access_tokens": expect(TOKEN_LIFETIME, "Expected access tokens to expire within 15 minutes"),
    "verified_email_not_linked": expect(
        "A verified email joins the password account that has it", "Expected the sign-in to give the app its tokens"
    ),
    "export_misses_last_message": expect(EXPORT_CONTENTS, "Expected the export's threads to hold exactly"),
    "export_includes_strangers_thread": expect(EXPORT_CONTENTS, "Expected nothing of the other customer in the export"),
    "export_status_for_anyone": expect("Only the owner can see an export", "Expected 404 problem 'export-not-found'"),
    "export_download_for_anyone": expect(
        "Only the owner can download an export, even with its link", "Expected 404 problem 'export-not-found'"
    ),
    "export_link_never_expires": expect(
        "A download link stops working once it expires", "Expected an expired download link to be refused"
    ),
    "export_cacheable": expect(
        "An export is never cached on its way to the customer", "download.get.responses.200: header Cache-Control"
    ),
    "erasure_without_password": expect(
        "Erasing an account needs the customer's password", "Expected erasure without the password to be refused"
    ),
    "erasure_keeps_messages": expect(ERASED_EVERYWHERE, "her messages, moved elsewhere"),
    "erasure_leaves_chat_open": expect(
        "After erasure the customer's chat closes and her tokens stop working at once",
        "Expected the platform to close her chat within 2 s",
    ),
    "erasure_keeps_export_files": expect(ERASED_EVERYWHERE, "Expected the erased account's export file to be deleted"),
    "limit_without_retry_after": expect(OVER_WRITE_LIMIT, "Expected the 429 to carry Retry-After"),
    "limit_reports_full_quota": (
        Expectation("Every write reports how much of the limit is left", "Expected each write to show one less"),
        Expectation(OVER_WRITE_LIMIT, "Expected the refusal to show none of the limit left"),
    ),
    "limit_shared_by_everyone": expect("One customer's limit never slows another", "Expected the write to be accepted"),
    "login_throttle_only_known_accounts": expect(
        "Failed logins are throttled per account, alike for known and unknown emails",
        "Expected try 6 of unknown email to be throttled",
    ),
    "chat_limit_drops_silently": expect(
        CHAT_OVER_LIMIT,
        "Expected an error frame with code 'rate_limited'",
    ),
    "upgrade_not_at_once": expect(
        "An upgrade raises the limit at once, without a new login", "Expected the upgrade to apply at once"
    ),
    "admin_token_prefix_accepted": expect(
        "No customer opens the admin API with an empty admin token", ADMIN_UNAUTHORIZED
    ),
    "admin_trusts_forwarded_address": expect(
        "No customer opens the admin API saying she comes from the operator's own network", ADMIN_UNAUTHORIZED
    ),
    "signup_takes_plan": expect(
        "A customer cannot choose her plan when she signs up", "Expected Mallory's write limit to be a new customer's"
    ),
    "thread_owner_from_request": expect(
        "A chat a customer opens is hers, whatever owner her request names",
        "Expected the chat she opened to be filed under her own account",
    ),
    "exports_limit_ignores_plan": expect(
        PLAN_MOVE.format("free", "pro", "exports"), "Expected the pro plan's exports limit"
    ),
    "downgrade_not_applied": (
        Expectation(PLAN_MOVE.format("pro", "free", "writes"), "Expected the free plan's writes limit"),
        Expectation(PLAN_MOVE.format("pro", "free", "exports"), "Expected the free plan's exports limit"),
    ),
    "admin_accepts_customers": expect(
        "A customer's token is refused at the admin API", "Expected the admin API to refuse a customer's token"
    ),
    "erased_email_reserved": expect(
        "The email of an erased account can be registered again", "Expected the signup to succeed"
    ),
    "erasure_deletes_another_thread": expect(
        "Erasing one account leaves another customer's data untouched", "Expected the messages table to hold"
    ),
    "limit_never_recovers": expect(
        "A limited customer can write again after waiting as told",
        "Expected her write to be accepted after waiting",
    ),
    "thread_readable_by_anyone": expect(
        "Another customer cannot read a chat by its id", "Expected 404 problem 'thread-not-found'"
    ),
    "thread_list_leaks": expect(
        "A customer's list of chats holds her own and nobody else's", "Expected her list to hold her own chat"
    ),
    "thread_deletable_by_anyone": expect(
        "Another customer cannot delete a chat by its id", "Expected 404 problem 'thread-not-found'"
    ),
    "thread_delete_does_nothing": expect(
        "A customer can delete her own chat, with its messages",
        "Expected the chat, its messages, runs and run events to be gone",
    ),
    "malformed_frame_ignored": expect(
        "A message that is not JSON gets an error frame, and the chat stays open",
        "Expected an error frame with code 'invalid_message'",
    ),
    "unknown_type_ignored": expect(
        "A message of an unknown kind gets an error frame", "Expected an error frame with code 'unsupported_type'"
    ),
    "empty_question_answered": expect(
        "An empty question gets an error frame and starts no run",
        "Expected the message to be refused with 'empty_message', but a run started",
    ),
    "oversized_message_accepted": expect(
        "A message one byte over the published size limit gets an error frame and starts no run",
        "'message_too_large'",
    ),
    "runs_overlap": expect("A question sent while the agent is answering waits its turn", "to start only after run"),
    "common_passwords_accepted": expect(
        'A weak password such as "password1234" is refused with a reason the customer can act on',
        "refused with HTTP 422 and problem type 'weak-password'",
    ),
    "login_reveals_unknown_email": expect(LOGIN_REFUSAL, "paths./auth/login.post.responses.404: " + UNDOCUMENTED),
    "login_refusal_header_differs": expect(LOGIN_REFUSAL, "the headers differ"),
    "login_fast_for_unknown_email": expect(LOGIN_REFUSAL, "Expected refusals to take a similar time"),
    "completed_names_unknown_message": expect(HISTORY, "Expected agent_completed to name the stored answer"),
    "resume_repeats_event": expect(RESUME, "with no gap and no repeat; got seqs"),
    "resume_skips_event": expect(RESUME, "with no gap and no repeat; got seqs"),
    "resume_ignores_owner": expect(
        "Another customer cannot resume someone else's run", "Expected the message to be refused with 'run_not_found'"
    ),
    "events_forgotten_at_run_end": expect(
        "A run that ended while the customer was away can still be resumed",
        "the platform refused to resume it with 'run_expired'",
    ),
    "resume_only_on_same_instance": expect("A run started on one server can be resumed on the other", NOT_RESUMED),
    "run_dies_with_its_socket": expect(RESUME, NOT_RESUMED),
    "abandoned_run_hangs": expect(
        "A run whose customer left still ends within the tool timeout, recorded as ended",
        "to be recorded as ended within",
    ),
    "exits_abruptly_on_sigterm": expect(
        "A graceful restart mid-answer tells the app the service is restarting, and the answer is not lost",
        "Expected her chat to be closed with code 1012 (service restart)",
    ),
    "cut_off_runs_left_running": expect(
        "A server that dies mid-answer is told apart from a restart, and the run reports it was cut off", NOT_RESUMED
    ),
    "tool_timeout_not_enforced": expect(
        "A tool that hangs ends the run with tool_timeout within the platform's tool timeout",
        "Expected agent_completed or agent_error within",
    ),
    "pings_not_sent": expect(
        "The platform pings an idle chat often enough to keep it open through proxies",
        "Expected a ping at least every",
    ),
    "unanswered_pings_ignored": expect(
        "A chat whose app stops answering pings is closed",
        "Expected the platform to close a chat that answers no ping within",
    ),
    "logout_not_reaching_other_instance": (
        Expectation(
            "Logging out on one server closes the customer's chat on the other within 2 seconds", CLOSED_ON_SESSION_END
        ),
        Expectation(
            "Erasing the account on one server closes the customer's chat on the other within 2 seconds",
            CLOSED_ON_SESSION_END,
        ),
    ),
    "runs_share_state_under_load": expect(
        "100 customers chat at the same time and every one sees a complete, correctly ordered answer",
        "customers did not get their answer",
    ),
    "limits_per_instance": expect(
        "Writes on both servers count against one limit", "Expected each write to show one less of the limit left"
    ),
    "writes_counted_twice": expect(COUNTING_DOWN, "Expected each write to show one less of the limit left"),
    "remaining_understated": expect(COUNTING_DOWN, "Expected each write to show one less of the limit left"),
    "limit_figures_only_on_refusals": expect(COUNTING_DOWN, "Expected a RateLimit field like"),
    "limit_refused_as_forbidden": expect(OVER_WRITE_LIMIT, "paths./threads.post.responses.403: " + UNDOCUMENTED),
    "exports_refusal_without_retry_after": expect(
        "A customer asking for too many exports is refused with a problem that says when to retry",
        "Expected the 429 to carry Retry-After",
    ),
    "address_limit_spares_known_accounts": expect(ONE_ADDRESS, "Expected a login from an address after"),
    "address_limit_names_account_limit": expect(ONE_ADDRESS, "Expected the refusal to name the 'login-address' limit"),
    "pro_shown_free_figures": expect(
        "An upgrade raises the limit at once, without a new login", "under the pro plan's larger limit"
    ),
    "chat_refusal_without_retry_after": expect(CHAT_OVER_LIMIT, "Expected the error frame to say when to retry"),
    "shutdown_grace_cut_short": expect(GRACE, "Expected the run, still going when the"),
    "interruption_named_otherwise": expect(GRACE, "Expected the run, still going when the"),
    "tool_timeout_tripled": (
        Expectation(HANGING_TOOL, "Expected the run to finish within 4 s"),
        Expectation(ABANDONED, "to be recorded as ended within"),
    ),
    "pings_twice_as_far_apart": expect(PINGED, "Expected a ping at least every"),
    "silence_tolerated_three_times_as_long": expect(
        SILENT_APP, "Expected the platform to close a chat that answers no ping within"
    ),
    "session_halved": expect(SESSION_LIFETIMES, "Expected the session to refresh until it was"),
    "session_end_slides": expect(SESSION_LIFETIMES, "Expected the session to refresh until it was"),
    "refresh_idle_doubled": expect(
        "A refresh token left unused past its idle lifetime is refused", "Expected her refresh token to be refused"
    ),
    "tickets_last_twice_as_long": expect(
        "A chat connection with a ticket Alice let expire is refused before it opens", "Expected the handshake"
    ),
    "login_codes_last_twice_as_long": expect(
        "A login code the app does not trade in time is refused", "Expected an expired login code to be refused"
    ),
    "access_tokens_expire_a_minute_late": expect(
        "An expired access token is refused as expired, and refreshing keeps the session",
        "Expected an expired access token to be refused with 401",
    ),
    **AG_UI_CATALOGUE,
    **VERCEL_CATALOGUE,
}


def selection(fault: str) -> list[str]:
    """Only the defect's catching scenarios, in the features that hold them, so the matrix stays fast as it grows;
    without the identity provider (Node, 0.34 s of CPU a start) when none of them signs in through it."""
    expectations = CATALOGUE[fault]
    features = sorted({str(scenarios()[expectation.scenario].feature) for expectation in expectations})
    names = [arg for expected in expectations for arg in ("-n", f"^{re.escape(expected.scenario)}$")]
    if not any(signs_in_through_provider(expected.scenario) for expected in expectations):
        names += ["-D", "embedded_identity_provider=off"]
    return [*names, *features]


def signs_in_through_provider(scenario: str) -> bool:
    entry = scenarios()[scenario]
    return "sign_in_steps.py" in entry.modules or any("identity provider" in pattern for _, pattern in entry.steps)


@dataclass
class Verdict:
    fault: str
    run: SuiteRun
    failed: list[str]
    problem: str = ""
    failed_at: dict[str, str] = field(default_factory=dict)  # catching scenario -> the step that failed

    @property
    def caught(self) -> bool:
        return not self.problem


def judge(fault: str, run: SuiteRun) -> Verdict:
    results = run.results()
    failed = sorted(result["name"] for result in results if result["status"] != "passed")
    verdict = Verdict(fault, run, failed)
    if fault == CLEAN:
        if run.exit_code != 0 or failed or not results:
            reasons = [
                (r.get("statusDetails") or {}).get("message", "")[:300] for r in results if r["status"] != "passed"
            ]
            verdict.problem = f"the clean platform did not pass: exit {run.exit_code}, failing {failed}: {reasons}"
        return verdict
    if run.exit_code == 0:
        verdict.problem = "the run passed"
    for expected in CATALOGUE[fault]:
        catcher = run.by_name().get(expected.scenario)
        if catcher is None or catcher["status"] != "failed":
            status = catcher["status"] if catcher else "no result"
            verdict.problem = f"'{expected.scenario}' should fail as a product defect; it is {status}"
        elif expected.message not in (said := (catcher.get("statusDetails") or {}).get("message", "")):
            verdict.problem = f"'{expected.scenario}' failed without saying {expected.message!r}: {said[:300]!r}"
        else:
            verdict.failed_at[expected.scenario] = failing_step(catcher.get("steps", [])) or "(no step)"
    return verdict


# These get a PostgreSQL of their own, away from the concurrent runs: defects in work that any platform on
# the shared database may pick up (the export job, ending the runs of a killed instance), and defects that
# damage other customers' data.
OWN_DATABASE = {
    "dead_runs_ended_only_when_resumed",
    "grace_overrun_left_running",
    "failed_export_left_building",
    "export_job_dies_on_failure",
    "session_endings_heard_once",
    "lease_taken_once",
    "outage_run_error_unsent",
    "outage_closes_with_1011",
    "outage_without_error_frame",
    "outage_is_a_bare_500",
    "liveness_asks_the_database",
    "unstored_endings_left_running",
    "erasure_closes_every_chat",
    "export_in_another_name",
    "export_profile_holds_password_hash",
    "erasure_ends_every_session",
    "export_misses_last_message",
    "export_holds_password_hash",
    "export_includes_strangers_thread",
    "erasure_deletes_another_thread",
    "cut_off_runs_left_running",
}


def run_clean(workdir: Path, tags: str) -> SuiteRun:
    """The journeys with these tags on the clean platform, through the parallel runner (its own stacks, four
    workers): run one after another, their waits alone would outlast every defect's run."""
    results, started = workdir / "clean" / re.sub(r"\W+", "-", tags) / "allure-results", time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-m", "support.running", "--processes", "4", "--retries", "0", "--results", str(results),
         "--junit", str(results.parent / "junit.xml"), "--durations", str(results.parent / "durations.json"),
         f"--tags={tags}"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PROCESSES": "", "RETRIES": "", "SHARD": ""},
    )  # fmt: skip
    return SuiteRun(completed.returncode, completed.stdout + completed.stderr, results, time.monotonic() - started)


def together(first: SuiteRun, then: SuiteRun) -> SuiteRun:
    """Two runs' results as one: the second's result files join the first's folder."""
    for path in then.results_dir.iterdir():
        shutil.move(path, first.results_dir / path.name)
    return SuiteRun(max(first.exit_code, then.exit_code), first.output + then.output, first.results_dir,
                    first.seconds + then.seconds)  # fmt: skip


def run_fault(fault: str, workdir: Path, database_url: str) -> Verdict:
    if fault in STREAM_FAULTS:  # pydantic-ai's server, with the rewrite: no platform of ours
        return judge(fault, forked_run(workdir / fault, *agent_arguments(fault), *selection(fault)))
    args = (
        []
        if fault in OWN_DATABASE
        else ["-D", f"database_url={database_url}", "-D", f"export_store={workdir / 'exports'}"]
    )
    args += ["-D", f"platform_faults={fault}", *agent_arguments(fault), *selection(fault)]
    return judge(fault, forked_run(workdir / fault.strip("()"), *args))


def longest_first(faults: list[str]) -> list[str]:
    """The defects by how long their catching scenarios took last time (features/durations.json), longest
    first: a long one started last would keep the whole matrix waiting on it."""
    by_scenario = {key.partition(" :: ")[2]: seconds for key, seconds in load_durations(RECORDED_DURATIONS).items()}

    def weight(fault: str) -> float:
        return sum(by_scenario.get(expected.scenario, 1.0) for expected in CATALOGUE[fault])

    return sorted(faults, key=lambda fault: (-weight(fault), fault))


def run_matrix(faults: list[str], workers: int = 6) -> list[Verdict]:
    """Every run starts its own platform, with its defect, on one PostgreSQL (and export store) that all share.
    The clean run, long and mostly waiting on clocks, runs beside the `workers` that try the defects, all but
    the journeys that must be ALONE, which run at the end."""
    with (
        tempfile.TemporaryDirectory(prefix="fault-matrix-") as workdir,
        ThreadPoolExecutor(1) as beside,
        ThreadPoolExecutor(workers) as pool,
    ):
        postgres = EmbeddedPostgres(Path(workdir))
        forks, os.environ[PLATFORM_FORKS_ENV] = start_server(Path(workdir))  # every run's platform is forked
        try:
            postgres.start()
            clean = beside.submit(run_clean, Path(workdir), f"not ({ALONE})")
            ordered = longest_first(faults)
            tried = {fault: pool.submit(run_fault, fault, Path(workdir), postgres.url) for fault in ordered}
            try:
                verdicts = [tried[fault].result() for fault in faults]
            finally:
                close_servers()
            # The @serial journeys' figures must not share the machine: they run once everything else is done.
            alone = run_clean(Path(workdir), ALONE)
            return [judge(CLEAN, together(clean.result(), alone)), *verdicts]
        finally:
            postgres.stop()
            del os.environ[PLATFORM_FORKS_ENV]
            forks.terminate()
            forks.wait(30)


class StaleRecord(Exception):
    """The kill-matrix record names a scenario or step the features no longer have: run `make faults` again."""


def then_coverage(failed_at: dict[str, dict[str, str]]) -> dict[str, list[str]]:
    """Every Then step pattern, with the defects that make a scenario fail at exactly that step."""
    coverage: dict[str, list[str]] = {pattern: [] for pattern in then_patterns()}
    for fault, steps in sorted(failed_at.items()):
        for scenario, step in steps.items():
            entry = scenarios().get(scenario)
            if entry is None or step not in entry.names:
                raise StaleRecord(f"{fault} failed '{scenario}' at {step!r}, which the features no longer have")
            kind, pattern = entry.step_named(step)
            if kind == "then" and fault not in coverage[pattern]:
                coverage[pattern].append(fault)
    return coverage


def coverage_table(coverage: dict[str, list[str]]) -> str:
    lines = ["Then step  <-  the defects that fail at it"]
    for pattern, faults in sorted(coverage.items()):
        lines.append(f"{pattern}\n    {', '.join(faults) or '(none: no defect fails at this step)'}")
    return "\n".join(lines)


def record(verdicts: list[Verdict], seconds: float, path: Path = MATRIX_FILE) -> dict[str, dict[str, str]]:
    """Write where each caught defect failed its catching scenarios (for the coverage test), and how long the
    whole matrix took (for make bench)."""
    failed_at = {verdict.fault: verdict.failed_at for verdict in verdicts if verdict.fault != CLEAN and verdict.caught}
    path.parent.mkdir(parents=True, exist_ok=True)
    caught = sum(verdict.caught for verdict in verdicts if verdict.fault != CLEAN)
    path.write_text(
        json.dumps(
            {"catalogue": sorted(CATALOGUE), "failed_at": failed_at, "seconds": round(seconds, 1), "caught": caught},
            indent=1,
            sort_keys=True,
        )
    )
    return failed_at


def report(verdicts: list[Verdict]) -> str:
    width = max(len(verdict.fault) for verdict in verdicts)
    lines = [f"{'defect':<{width}}  verdict  {'took':>7}  catching scenarios (failed or broken)"]
    for verdict in verdicts:
        mark = "ok" if verdict.caught else "ESCAPED" if verdict.fault != CLEAN else "BROKEN"
        scenarios = "; ".join(verdict.failed) or "-"
        lines.append(f"{verdict.fault:<{width}}  {mark:<7}  {verdict.run.seconds:5.1f} s  {scenarios}")
        if verdict.problem:
            lines.append(f"{'':<{width}}                    {verdict.problem}")
    defects = [verdict for verdict in verdicts if verdict.fault != CLEAN]
    lines.append(f"caught {sum(verdict.caught for verdict in defects)}/{len(defects)} faults")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("faults", nargs="*", help="defects to try (default: the whole catalogue)")
    parser.add_argument("--workers", type=int, default=6)
    args = parser.parse_args(argv)
    missing = sorted((set(FAULTS) | set(STREAM_FAULTS)) - set(CATALOGUE))
    if missing:
        print(f"defects with no catching scenario in the catalogue: {missing}")
        return 1
    started = time.monotonic()
    verdicts = run_matrix(args.faults or sorted(CATALOGUE), args.workers)
    print(report(verdicts))
    if not args.faults:
        print(coverage_table(then_coverage(record(verdicts, time.monotonic() - started))))
    print(f"took {time.monotonic() - started:.0f} s")
    return 0 if all(verdict.caught for verdict in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
