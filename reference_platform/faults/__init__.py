"""Named defects for proving that the suite catches them.

Each fault replaces one part of the platform with a faulty subclass. Nothing here is imported
unless the platform is started with `--fault NAME`, which only the test harness does.
"""

from dataclasses import replace
from typing import Any

from reference_platform.parts import Blueprint

from . import chat_socket as chat
from . import exports as data
from . import limits
from . import oidc as identity
from .ag_ui import AG_UI_FAULTS
from .fault import Fault
from .timing import TIMING_FAULTS
from .vercel_ai import VERCEL_FAULTS

FAULTS: dict[str, Fault] = {
    "drop_agent_thinking": Fault("agent_thinking is never sent", {"run_events": chat.SkipsThinking}),
    "thinking_sent_twice": Fault("every agent_thinking is sent twice", {"run_events": chat.ThinksTwice}),
    "tool_completed_before_executing": Fault(
        "tool_completed is sent before its tool_executing",
        {"run_events": chat.CompletesToolsBeforeStarting},
    ),
    "event_after_terminal": Fault("an event follows agent_completed", {"run_events": chat.TalksAfterTheEnd}),
    "seq_gap": Fault("seq skips a number before tool_completed", {"run_events": chat.SkipsASeq}),
    "missing_run_id": Fault("agent_thinking carries no run_id", {"run_events": chat.ForgetsRunIdOnThinking}),
    "silent_close_on_tool_failure": Fault(
        "a tool failure closes the socket instead of sending agent_error",
        {"run_events": chat.ClosesSilentlyOnFailure},
    ),
    "handshake_without_credentials": Fault(
        "the chat handshake accepts no credentials", {"handshake": chat.LetsAnyoneIn}
    ),
    "alg_none_accepted": Fault("an access token with alg none is accepted", {"access_tokens": identity.AcceptsAlgNone}),
    "signature_not_checked": Fault(
        "access tokens are read without checking their signature", {"access_tokens": identity.TrustsAnySignature}
    ),
    "malformed_bearer_lets_in": Fault(
        "a chat handshake whose bearer is not a JWT opens as nobody", {"handshake": chat.LetsMalformedTokensIn}
    ),
    "unknown_ticket_opens": Fault(
        "a ticket the platform never issued opens a chat as a guest", {"tickets": identity.OpensUnknownTicketsAsGuest}
    ),
    "tickets_reusable": Fault("a chat ticket opens a chat again and again", {"tickets": identity.ReusableTickets}),
    "attempt_found_by_state": Fault(
        "a sign-in answer is matched to its attempt by its state, not by the browser that started it",
        {"oidc": identity.FindsAttemptsByState},
    ),
    "cancellation_ignored": Fault(
        "a login cancelled at the provider is read as if it carried a code", {"oidc": identity.IgnoresCancellation}
    ),
    "used_refresh_tokens_work": Fault(
        "a used refresh token refreshes again: no rotation, no reuse detection",
        {"sessions": identity.HonoursUsedRefreshTokens},
    ),
    "refresh_gives_expired_token": Fault(
        "a refresh hands out an access token that has already expired",
        {"sessions": identity.RefreshesIntoExpiredTokens},
    ),
    "logout_keeps_refresh_tokens": Fault(
        "logging out closes the session's chats but leaves the session alive",
        {"sessions": identity.LogoutOnlyClosesChats},
    ),
    "password_change_ends_own_session": Fault(
        "changing the password also ends the session that changed it",
        {"accounts": identity.PasswordChangeEndsEverySession},
    ),
    "erasure_done_before_reauthentication": Fault(
        "an erasure without the password deletes the account, then asks for the password",
        {"erasure": data.ErasesBeforeAsking},
    ),
    "error_frame_closes_chat": Fault(
        "a message the platform cannot take is refused, then the chat is closed",
        {"chat_sessions": chat.ClosesAfterAnErrorFrame},
    ),
    "chat_limit_never_recovers": Fault(
        "a chat that was over its limit refuses every later question", {"chat_sessions": chat.RefusesForeverOnceLimited}
    ),
    "idle_chats_forgotten": Fault(
        "a chat idle for 3 s stays open but refuses its next question", {"chat_sessions": chat.ForgetsIdleChats}
    ),
    "answers_never_written": Fault(
        "the agent's answers stay in a cache that is never written to the database",
        {"chats": chat.KeepsAnswersInMemory},
    ),
    "foreign_delete_clears_messages": Fault(
        "deleting a chat clears its messages before checking who owns it",
        {"chats": chat.ClearsMessagesBeforeCheckingTheOwner},
    ),
    "unverified_identity_linked_then_refused": Fault(
        "an unverified email's identity is linked to the account that has it, then the sign-in is refused",
        {"oidc": identity.LinksThenRefuses},
    ),
    "identity_not_linked": Fault(
        "a first sign-in makes the account but keeps no link to the identity", {"oidc": identity.ForgetsIdentities}
    ),
    "account_named_by_subject": Fault(
        "a first sign-in names the account by the provider's subject, not its email",
        {"oidc": identity.NamesAccountsBySubject},
    ),
    "account_made_before_nonce_check": Fault(
        "a sign-in makes the account from the ID token, then refuses its nonce",
        {"oidc": identity.MakesTheAccountBeforeTheNonce, "oidc_provider": identity.KeepsTheLastClaims},
    ),
    "quiet_chats_closed_as_going_away": Fault(
        "a chat whose app sends nothing for 2.5 s is closed with 1001, before any ping goes unanswered",
        {"chat_sessions": chat.HangsUpOnQuietApps},
    ),
    "password_change_burns_own_refresh_token": Fault(
        "changing the password uses up the refresh token of the session that changed it",
        {"accounts": identity.PasswordChangeBurnsOwnRefreshToken},
    ),
    "erasure_keeps_login_throttle": Fault(
        "an erased account's login throttle state, keyed by its email, stays behind",
        {"erasure": data.KeepsLoginThrottles},
    ),
    "first_question_answered_again": Fault(
        "every question on a chat is answered as if it were its first",
        {"chat_sessions": chat.AnswersTheFirstQuestionAgain},
    ),
    "throttle_names_known_accounts": Fault(
        "a throttled login says the account is locked, for known accounts only",
        {"limiter": limits.ThrottleNamesKnownAccounts},
    ),
    "foreign_thread_named_in_refusal": Fault(
        "another customer's chat is refused with a 404 that says it belongs to someone else",
        {"chats": chat.SaysWhoseThreadItIs},
    ),
    "foreign_export_named_in_refusal": Fault(
        "another customer's export is refused with a 404 that says it belongs to someone else",
        {"exports": data.SaysWhoseExportItIs},
    ),
    "export_files_moved_aside": Fault(
        "erasure moves the account's export files into a folder aside instead of deleting them",
        {"erasure": data.MovesExportFilesAside},
    ),
    "refused_question_runs_unseen": Fault(
        "a question over the chat limit is refused, then run anyway without the chat seeing it",
        {"chat_sessions": chat.RunsRefusedQuestionsUnseen},
    ),
    "next_question_gets_refused_answer": Fault(
        "the question after a refused one is answered as if it were the refused one",
        {"chat_sessions": chat.AnswersTheRefusedQuestionNext},
    ),
    "foreign_question_shown_to_owner": Fault(
        "a question posted into another customer's thread is refused, but shown on the owner's open chat",
        {"chat_sessions": chat.ShowsForeignQuestionsToTheOwner},
    ),
    "deleted_chat_kept_in_trash": Fault(
        "deleting a chat moves its messages and runs into a hidden chat", {"chats": chat.MovesDeletedChatsToTrash}
    ),
    "refusal_names_another_limit": Fault(
        "a refusal's RateLimit fields name another limit than the one used up",
        {"limiter": limits.RefusalNamesAnotherLimit},
    ),
    "pro_plan_shortchanged": Fault(
        "the pro plan's write limit is half the figure the admin API gives", {"limiter": limits.ShortchangesThePro}
    ),
    "session_endings_heard_once": Fault(
        "after a database outage, session endings are no longer heard",
        {"session_endings": chat.SessionEndingsHeardOnce},
    ),
    "lease_taken_once": Fault(
        "after a database outage, the instance never takes its lease again", {"lease": chat.LeaseTakenOnce}
    ),
    "outage_run_error_unsent": Fault(
        "a run's agent_error service_unavailable is sent only once stored, so never",
        {"chat_sessions": chat.TellsOfTheOutageOnlyOnceStored},
    ),
    "outage_closes_with_1011": Fault(
        "a chat that meets the outage closes with 1011 instead of 1013",
        {"chat_sessions": chat.ClosesWithInternalErrorOnOutage},
    ),
    "outage_without_error_frame": Fault(
        "a message that meets the outage gets no error frame", {"chat_sessions": chat.ClosesWithoutAWordOnOutage}
    ),
    "outage_is_a_bare_500": Fault(
        "a lost database met while checking a token answers a bare 500", {"bearer": identity.WrapsTheOutage}
    ),
    "foreign_delete_clears_run_journal": Fault(
        "deleting a chat drops its runs' journals before checking who asks",
        {"chats": chat.ClearsTheRunJournalBeforeCheckingTheOwner},
    ),
    "email_registered_as_typed": Fault(
        "an email is kept as typed: other letter case registers a second account",
        {"users": identity.RegistersEmailsAsTyped},
    ),
    "login_by_exact_email": Fault("login looks the email up exactly as typed", {"users": identity.LogsInByExactEmail}),
    "replay_revokes_quietly": Fault(
        "a replayed refresh token revokes its session without closing its chats",
        {"sessions": identity.RevokesReusedSessionsQuietly},
    ),
    "password_change_revokes_quietly": Fault(
        "a password change revokes the other sessions without closing their chats",
        {"sessions": identity.RevokesOtherSessionsQuietly},
    ),
    "unknown_thread_created": Fault(
        "a question into a thread that does not exist creates it", {"chat_sessions": chat.CreatesUnknownThreads}
    ),
    "runs_kept_forever": Fault("a run can be resumed past its retention", {"journal": chat.KeepsRunsForever}),
    "chat_limit_ignores_plan": Fault(
        "chat messages always count against the free plan's chat limit", {"quotas": limits.ChatLimitIgnoresThePlan}
    ),
    "exports_count_as_writes": Fault(
        "asking for an export counts against the write limit, not the exports limit",
        {"quotas": limits.ExportsCountAsWrites},
    ),
    "export_shown_inline": Fault("the export download is shown inline", {"exports": data.ShowsExportsInline}),
    "one_link_per_export": Fault(
        "every look at a ready export hands out the same link", {"exports": data.OneLinkPerExport}
    ),
    "access_token_typed_jwt": Fault(
        "access tokens say typ JWT, not at+jwt", {"access_tokens": identity.TypesTokensAsPlainJwt}
    ),
    "access_token_for_any_audience": Fault(
        "access tokens are minted for another audience", {"access_tokens": identity.MintsForEveryAudience}
    ),
    "erasure_needs_a_password_nobody_has": Fault(
        "erasure demands a password even of an account that has none", {"erasure": data.AsksEveryoneForAPassword}
    ),
    "refusal_without_challenge": Fault(
        "a refused token gets a 401 without WWW-Authenticate", {"bearer": identity.ChallengesNothing}
    ),
    "password_change_unchecked": Fault(
        "a password change does not check the current password", {"accounts": identity.ChangesWithoutChecking}
    ),
    "password_changed_then_refused": Fault(
        "a password change with a wrong current password is refused after the new one was set",
        {"accounts": identity.ChangesBeforeChecking},
    ),
    "malformed_resume_ignored": Fault(
        "a resume that names no run is dropped without a word", {"chat_sessions": chat.IgnoresMalformedResumes}
    ),
    "admin_forbids_everyone": Fault(
        "the admin API answers 403 to a request without a token", {"admin": limits.ForbidsEveryone}
    ),
    "client_request_id_replaced": Fault(
        "the client's own X-Request-Id is replaced by a new one", {"request_ids": identity.request_ids_of_its_own}
    ),
    "request_id_not_logged": Fault(
        "the answer carries X-Request-Id, but the server's log lines for the request do not",
        {"request_ids": identity.request_ids_not_logged},
    ),
    "request_id_only_when_sent": Fault(
        "an answer carries X-Request-Id only when the request did", {"request_ids": identity.request_ids_only_when_sent}
    ),
    "login_address_not_limited": Fault(
        "logins are never limited per client address", {"limiter": limits.NeverLimitsAnAddress}
    ),
    "login_address_limit_shared": Fault(
        "every client address shares one login limit", {"limiter": limits.OneAddressLimitForAll}
    ),
    "access_token_audience_unchecked": Fault(
        "an access token meant for another audience is accepted", {"access_tokens": identity.TakesAnyAudience}
    ),
    "access_token_issuer_unchecked": Fault(
        "an access token naming another issuer is accepted", {"access_tokens": identity.TakesAnyIssuer}
    ),
    "access_token_type_unchecked": Fault(
        "a token of another type than at+jwt is accepted as an access token",
        {"access_tokens": identity.TakesAnyTokenType},
    ),
    "grace_overrun_left_running": Fault(
        "a run the shutdown grace cuts short is not ended by its server",
        {"chat_sessions": chat.LeavesCutShortRunsRunning},
    ),
    "failed_export_left_building": Fault(
        "an export that cannot be written stays 'building' instead of 'failed'",
        {"exports": data.LeavesFailedExportsBuilding},
    ),
    "export_job_dies_on_failure": Fault(
        "a failed export build stops the export job for good", {"exports": data.JobDiesOnAFailedBuild}
    ),
    "tickets_outlive_their_lifetime": Fault(
        "a chat ticket works for a day, whatever its expires_in says", {"tickets": identity.TicketsOutliveTheirLifetime}
    ),
    "bearer_handshake_refused": Fault(
        "a chat handshake with Authorization: Bearer is refused; only tickets open chats",
        {"handshake": chat.TicketsOnly},
    ),
    "refresh_refusal_without_oauth_error": Fault(
        'a refused refresh carries no "error": "invalid_grant"', {"sessions": identity.RefusesWithoutOAuthError}
    ),
    "unknown_refresh_token_fails": Fault(
        "a refresh token the platform never issued gets a 500", {"sessions": identity.FailsOnUnknownRefreshTokens}
    ),
    "attempt_cookie_readable_by_scripts": Fault(
        "the sign-in attempt's cookie is not HttpOnly", {"oidc": identity.AttemptCookieForScripts}
    ),
    "liveness_asks_the_database": Fault(
        "liveness fails while the database is down, so an outage gets every server restarted",
        {"health": data.LivenessAsksTheDatabase},
    ),
    "readiness_without_dependencies": Fault(
        "readiness does not say how its dependencies are", {"health": data.ReadinessWithoutDependencies}
    ),
    "version_without_commit": Fault("GET /version names no commit", {"health": data.VersionWithoutCommit}),
    "plan_change_resets_usage": Fault(
        "a plan change starts the limits afresh, so a downgrade hands back what was used",
        {"quotas": limits.PlanChangesResetUsage},
    ),
    "access_tokens_share_an_id": Fault(
        "every access token carries the same jti", {"access_tokens": identity.TokensShareAnId}
    ),
    "day_long_tickets": Fault("chat tickets live a day", {"tickets": identity.DayLongTickets}),
    "tickets_kept_as_issued": Fault(
        "chat tickets are stored as issued, not as digests", {"tickets": identity.TicketsKeptAsIssued}
    ),
    "login_codes_kept_as_issued": Fault(
        "login codes are stored as issued, not as digests", {"oidc": identity.LoginCodesKeptAsIssued}
    ),
    "unstored_endings_left_running": Fault(
        "back from an outage, a run whose ending was not stored stays running",
        {"journal": chat.LeavesUnstoredEndingsRunning},
    ),
    "policy_overstates_message_size": Fault(
        "the chat policy publishes twice the message size the socket takes",
        {"chat_sessions": chat.OverstatesMessageSize},
    ),
    "framework_errors_in_plain_text": Fault(
        "the framework's 404 and 405 are plain text, not problems",
        {"framework_errors": identity.plain_framework_errors},
    ),
    "method_not_allowed_without_allow": Fault(
        "a 405 problem does not say which methods the address takes",
        {"framework_errors": identity.problems_without_allow},
    ),
    "frames_of_any_size": Fault("the chat socket takes frames of any size", {}, server={"ws_max_size": 64 * 2**20}),
    "dead_runs_ended_only_when_resumed": Fault(
        "a dead server's runs are ended only when someone resumes one",
        {"journal": chat.EndsDeadRunsOnlyWhenResumed},
    ),
    "refused_question_runs_later": Fault(
        "a question over the chat limit is refused, then run anyway a moment later",
        {"chat_sessions": chat.RunsRefusedQuestionsLater},
    ),
    "export_holds_password_hash": Fault(
        "the export adds a security section with the password hash", {"exports": data.ExportWithItsSecurity}
    ),
    "erasure_ends_every_session": Fault(
        "erasing one account ends every customer's sessions", {"erasure": data.EndsEverySession}
    ),
    "erasure_deferred": Fault(
        "erasure closes the chats at once but keeps the account and its sessions for later",
        {"erasure": data.ErasesLater},
    ),
    "export_in_another_name": Fault(
        "the export's manifest names another account", {"exports": data.ExportInAnotherName}
    ),
    "export_profile_holds_password_hash": Fault(
        "the export's profile carries the password hash", {"exports": data.ExportWithTheHashInTheProfile}
    ),
    "erasure_closes_every_chat": Fault(
        "erasing one account closes every customer's open chats", {"erasure": data.ClosesEveryChat}
    ),
    "short_passwords_accepted": Fault(
        "passwords under the minimum length are accepted", {"password_policy": identity.AcceptsShortPasswords}
    ),
    "tokens_trusted_alone": Fault(
        "a validly signed access token is trusted without its session or account",
        {"bearer": identity.TrustsTokensAlone},
    ),
    "refresh_token_as_bearer": Fault(
        "an unused refresh token is taken as a bearer access token", {"bearer": identity.TakesRefreshTokensAsBearer}
    ),
    "answer_not_saved": Fault("the agent's answer is not saved", {"chats": chat.ForgetsAnswers}),
    "answer_in_other_thread": Fault("the agent's answer is saved to another thread", {"chats": chat.MisfilesAnswers}),
    "duplicate_email_accepted": Fault(
        "a second account with a taken email is created", {"users": identity.AllowsDuplicateEmails}
    ),
    "login_reveals_unknown_email": Fault(
        "a login with an unknown email says so",
        {"accounts": identity.RevealsUnknownEmails},
    ),
    "late_event_after_terminal": Fault(
        "an event follows agent_completed one second later", {"run_events": chat.TalksAMomentAfterTheEnd}
    ),
    "agent_error_without_code": Fault("agent_error carries no code", {"run_events": chat.ErrorsWithoutCode}),
    "second_question_fails": Fault(
        "every question after the first on a connection ends with agent_error",
        {"chat_sessions": chat.FailsFollowUpQuestions},
    ),
    "socket_ignores_thread_owner": Fault(
        "anyone can post into any thread over the chat socket", {"chat_sessions": chat.LetsAnyoneWrite}
    ),
    "answer_ignores_question": Fault(
        "the agent uses its tools, then answers with its generic help text", {"agent": chat.IgnoresTheQuestion}
    ),
    "slow_answer": Fault("the agent takes 2.5 s more to answer", {"agent": chat.AnswersSlowly}),
    "login_refusal_header_differs": Fault(
        "a refused login for a known account carries Retry-After", {"accounts": identity.HintsAtKnownAccounts}
    ),
    "login_fast_for_unknown_email": Fault(
        "a login with an unknown email is refused without hashing", {"accounts": identity.AnswersUnknownEmailsAtOnce}
    ),
    "pkce_not_sent": Fault(
        "the authorization request carries no PKCE challenge", {"oidc_provider": identity.SkipsPkce}
    ),
    "state_not_checked": Fault("the callback's state is not compared", {"oidc": identity.IgnoresState}),
    "id_token_signature_unchecked": Fault(
        "the ID token's signature is not checked", {"oidc_provider": identity.TrustsForgedIdTokens}
    ),
    "id_token_issuer_unchecked": Fault(
        "the ID token's issuer is not checked", {"oidc_provider": identity.TrustsForeignIssuers}
    ),
    "id_token_audience_unchecked": Fault(
        "the ID token's audience is not checked", {"oidc_provider": identity.TrustsForeignAudiences}
    ),
    "id_token_expiry_unchecked": Fault(
        "an expired ID token is accepted", {"oidc_provider": identity.TrustsExpiredIdTokens}
    ),
    "refused_code_called_outage": Fault(
        "a code the provider refuses is reported as the provider being unavailable",
        {"oidc": identity.CallsRefusedCodesAnOutage},
    ),
    "provider_outage_unnamed": Fault(
        "a provider that does not answer gets a 503 that names no provider and no Retry-After",
        {"oidc_provider": identity.HidesWhichProviderFailed},
    ),
    "refresh_lifetime_not_sliding": Fault(
        "a refresh does not extend the session: each refresh token expires when the login's first one does",
        {"sessions": identity.RefreshLifetimeFixedAtLogin},
    ),
    "session_without_absolute_lifetime": Fault(
        "a session in use never ends: its absolute lifetime is not kept", {"sessions": identity.SessionsWithoutEnd}
    ),
    "nonce_not_checked": Fault("the ID token's nonce is not compared", {"oidc_provider": identity.IgnoresNonce}),
    "unverified_email_linked": Fault(
        "an unverified email links to the account that has it", {"oidc": identity.TrustsUnverifiedEmails}
    ),
    "identity_found_by_email": Fault(
        "a provider identity is looked up by its email, not its subject", {"oidc": identity.FindsAccountsByEmail}
    ),
    "token_in_redirect_url": Fault(
        "the signed-in browser is sent on with an access token in the URL", {"oidc": identity.PutsTokensInTheUrl}
    ),
    "login_codes_live_a_day": Fault("a login code works for a day", {"oidc": identity.LoginCodesLiveADay}),
    "erasure_trusts_old_sign_ins": Fault(
        "an account with no password is erased on a sign-in of any age", {"erasure": data.TrustsOldSignIns}
    ),
    "login_code_reusable": Fault("a login code works more than once", {"oidc": identity.ReusableLoginCodes}),
    "refresh_not_rotated": Fault(
        "a refresh hands back the same refresh token, which stays usable", {"sessions": identity.KeepsRefreshTokens}
    ),
    "reuse_not_revoking_session": Fault(
        "a replayed refresh token is refused but its session lives on", {"sessions": identity.ForgivesReuse}
    ),
    "logout_not_revoking": Fault("logging out ends nothing", {"sessions": identity.LogoutKeepsTheSession}),
    "logout_leaves_chat_open": Fault(
        "an ended session's chat sockets are not told to close", {"sessions": identity.EndsSessionsQuietly}
    ),
    "refresh_idle_not_enforced": Fault(
        "a refresh token left unused past its idle lifetime still works", {"sessions": identity.NeverIdles}
    ),
    "expired_access_token_accepted": Fault(
        "access tokens are accepted for a day after they expire", {"access_tokens": identity.AcceptsExpiredTokens}
    ),
    "password_change_keeps_sessions": Fault(
        "changing the password leaves every other session signed in", {"accounts": identity.KeepsOtherSessions}
    ),
    "token_answers_cached": Fault("token answers may be cached for 5 minutes", {"sessions": identity.CachesTokens}),
    "day_long_access_tokens": Fault("access tokens live a day", {"access_tokens": identity.DayLongAccessTokens}),
    "verified_email_not_linked": Fault(
        "a verified email is treated as unverified, so it never joins its account", {"oidc": identity.NeverLinks}
    ),
    "export_misses_last_message": Fault(
        "the export leaves out the last message of each thread", {"exports": data.ExportWithoutLastMessage}
    ),
    "export_includes_strangers_thread": Fault(
        "the export carries another customer's thread", {"exports": data.ExportWithAStrangersThread}
    ),
    "export_status_for_anyone": Fault("anyone can read an export's status", {"exports": data.ExportStatusForAnyone}),
    "export_download_for_anyone": Fault(
        "anyone with the link can download an export", {"exports": data.DownloadForAnyone}
    ),
    "export_link_never_expires": Fault("download links never expire", {"exports": data.LinksNeverExpire}),
    "export_cacheable": Fault("export downloads may be cached for an hour", {"exports": data.CacheableDownloads}),
    "erasure_without_password": Fault("erasure asks for no password", {"erasure": data.ErasesWithoutPassword}),
    "erasure_keeps_messages": Fault("erasure moves the messages to an archive", {"erasure": data.KeepsMessages}),
    "erasure_leaves_chat_open": Fault(
        "erasure does not end the sessions, so their chats stay open", {"erasure": data.ErasesWithOpenChats}
    ),
    "erasure_keeps_export_files": Fault("erasure leaves the export files", {"erasure": data.KeepsExportFiles}),
    "limit_without_retry_after": Fault("a 429 carries no Retry-After", {"limiter": limits.NoRetryAfter}),
    "limit_reports_full_quota": Fault(
        "the RateLimit field always reports the whole quota left", {"limiter": limits.ReportsFullQuota}
    ),
    "limit_shared_by_everyone": Fault(
        "chat and write limits count every customer together", {"limiter": limits.OneLimitForEveryone}
    ),
    "login_throttle_only_known_accounts": Fault(
        "failed logins are throttled only for emails that have an account",
        {"limiter": limits.ThrottlesOnlyKnownAccounts},
    ),
    "chat_limit_drops_silently": Fault(
        "a chat message over the limit is dropped without a word", {"chat_sessions": chat.DropsOverLimitMessages}
    ),
    "upgrade_not_at_once": Fault("each account's plan is read once and cached", {"quotas": limits.PlanCached}),
    "admin_accepts_customers": Fault("the admin API accepts a customer's token", {"admin": limits.AdminForAnyCustomer}),
    "erased_email_reserved": Fault("an erased account's email stays taken", {"erasure": data.ReservesErasedEmails}),
    "erasure_deletes_another_thread": Fault(
        "erasure deletes one thread too many, someone else's", {"erasure": data.ErasesOneThreadTooMany}
    ),
    "limit_never_recovers": Fault(
        "a refused request pushes the limit's window further", {"limiter": limits.RefusalsExtendTheWait}
    ),
    "thread_readable_by_anyone": Fault(
        "anyone can read a thread's messages by its id", {"chats": chat.ReadableByAnyone}
    ),
    "thread_list_leaks": Fault("the list of threads holds everyone's newest", {"chats": chat.ListsEveryonesThreads}),
    "thread_deletable_by_anyone": Fault("anyone can delete a thread by its id", {"chats": chat.DeletableByAnyone}),
    "thread_delete_does_nothing": Fault("deleting a thread answers 204 and keeps it", {"chats": chat.PretendsToDelete}),
    "malformed_frame_ignored": Fault(
        "a frame that is not JSON is dropped silently", {"chat_sessions": chat.IgnoresMalformedFrames}
    ),
    "unknown_type_ignored": Fault(
        "a message of an unknown type is dropped silently", {"chat_sessions": chat.IgnoresUnknownTypes}
    ),
    "empty_question_answered": Fault("an empty question starts a run", {"chat_sessions": chat.AnswersEmptyQuestions}),
    "oversized_message_accepted": Fault(
        "a question over the size limit is taken", {"chat_sessions": chat.TakesAnySize}
    ),
    "runs_overlap": Fault(
        "a question sent during a run starts a second run at once", {"chat_sessions": chat.RunsConcurrently}
    ),
    "common_passwords_accepted": Fault(
        "a common password is accepted at signup", {"password_policy": identity.AcceptsCommonPasswords}
    ),
    "completed_names_unknown_message": Fault(
        "agent_completed names a message id that was never stored", {"run_events": chat.NamesAnUnknownMessage}
    ),
    "resume_repeats_event": Fault(
        "a resumed run sends the last event the client saw again", {"journal": chat.ReplaysTheLastSeenEvent}
    ),
    "resume_skips_event": Fault(
        "a resumed run leaves out the first event the client missed", {"journal": chat.SkipsTheFirstMissedEvent}
    ),
    "resume_ignores_owner": Fault("anyone can resume any run by its id", {"journal": chat.ResumesAnyonesRun}),
    "events_forgotten_at_run_end": Fault(
        "a run can no longer be resumed once it has ended", {"journal": chat.ForgetsFinishedRuns}
    ),
    "resume_only_on_same_instance": Fault(
        "run events are kept in the memory of the instance that ran them", {"journal": chat.RemembersEventsInMemory}
    ),
    "run_dies_with_its_socket": Fault(
        "a run stops, unrecorded, when its client's connection is gone", {"chat_sessions": chat.DiesWithItsSocket}
    ),
    "abandoned_run_hangs": Fault(
        "a run whose client left waits for it for ever", {"chat_sessions": chat.WaitsForItsClient}
    ),
    "exits_abruptly_on_sigterm": Fault(
        "SIGTERM ends the server on the spot: chats are cut off (1006), runs lost",
        {"chat_sessions": chat.ExitsAtOnceOnSigterm},
    ),
    "cut_off_runs_left_running": Fault(
        "the runs of a killed instance are never ended", {"journal": chat.LeavesCutOffRunsRunning}
    ),
    "tool_timeout_not_enforced": Fault("a tool may take as long as it likes", {"agent": chat.WaitsForSlowTools}),
    "pings_not_sent": Fault("idle chats are never pinged", {}, {"ws_ping_interval": None}),
    "unanswered_pings_ignored": Fault("a chat that answers no ping stays open", {}, {"ws_ping_timeout": None}),
    "logout_not_reaching_other_instance": Fault(
        "ended sessions are announced in-process, so only this instance closes their chats",
        {"sessions": identity.AnnouncesOnlyHere, "chat_sessions": identity.HearsOnlyHere},
    ),
    "runs_share_state_under_load": Fault(
        "runs in progress at the same time stamp their events with the latest run's ids",
        {"run_events": chat.StampsTheLatestRun},
    ),
    "limits_per_instance": Fault(
        "each instance counts a customer's requests on its own", {"limiter": limits.CountsPerInstance}
    ),
    **TIMING_FAULTS,
    **AG_UI_FAULTS,
    **VERCEL_FAULTS,
}


def server_options(names: list[str]) -> dict[str, Any]:
    """The uvicorn settings the named defects change."""
    return {key: value for name in names for key, value in FAULTS[name].server.items()}


def with_faults(blueprint: Blueprint, names: list[str]) -> Blueprint:
    unknown = sorted(set(names) - FAULTS.keys())
    if unknown:
        known = "\n".join(f"  {name}: {fault.description}" for name, fault in sorted(FAULTS.items()))
        raise SystemExit(f"unknown fault(s) {unknown}; known faults:\n{known}")
    for name in names:
        blueprint = replace(blueprint, **FAULTS[name].parts)
    return blueprint
