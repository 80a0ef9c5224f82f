"""The kill matrix's agent-protocol defects (AG-UI, the Vercel AI stream): which journeys catch each, and how
each run reaches the agent.

The platform's own (reference_platform/faults/ag_ui.py) run over AG-UI against the reference platform; the
stream rewrites (targets/pydantic_ai/stream_faults.py) against pydantic-ai's server, which the suite starts
with the rewrite between it and the suite.
"""

from reference_platform.faults.ag_ui import AG_UI_FAULTS
from reference_platform.faults.vercel_ai import VERCEL_FAULTS
from targets.pydantic_ai.stream_faults import STREAM_FAULTS
from tests.expectations import Expectation, expect

PYDANTIC_PROFILE = "targets/pydantic_ai/profile.toml"
ONE_RUN = "A run starts once and ends once, with its end last"
KEPT_IDS = "A run keeps the ids the app knows it by, from its start to its end"
OWN_RUNS = "Each question in a conversation gets a run of its own"
TOOL_ANSWERED = "Every tool call the agent makes is answered by its tool before the run ends"
ANSWER_STATES = "The answer states what the agent's tool found"
PLAIN = "A plain question is answered in words, with no tool"
THINKS = "The agent shows its thinking before it answers"
FAILURE_SHOWN = "A tool that fails ends the run with an error, never with a success"
CODE_WORD = "The agent answers from the conversation the app sends with the question"
LEFT_TO_APP = "A tool of the app's own is left to the app: the run ends waiting for it"
APP_RESULT = "The next run carries the app's result, and the answer uses it"
FOREIGN = "A customer cannot run the agent in another customer's conversation"
KEPT = "Her question and the agent's answer are kept in her conversation's history"
OVER_PLAN = "A question over her plan's limit is refused with when to retry, and no run starts"
LOGGED_OUT = "After she logs out, her old access token starts no run"
CREDENTIALS = (
    "no credentials",
    "a garbage access token",
    "Alice's access token re-signed with alg none",
    "Alice's access token re-signed by a stranger's key",
    "an access token of Alice that has expired",
)
STARTED = "Expected the run to be refused as unauthorized; it started"
CUT_OFF = "the stream was cut off"
TWICE = "after RUN_FINISHED only RUN_STARTED or RUN_ERROR may follow"
UNANSWERED = "Expected every call of 'calculator' to be answered by the tool"
HIDDEN_ERROR = "Expected the run whose tool failed to end with an error"
NO_THOUGHT = "Expected the agent to show its thinking"

AG_UI_CATALOGUE: dict[str, tuple[Expectation, ...]] = {
    "ag_ui_run_finished_twice": expect(ONE_RUN, TWICE),
    "ag_ui_run_replayed_in_stream": expect(ONE_RUN, "Expected one start first and one end last; got 2 starts"),
    "ag_ui_text_message_left_open": expect(ANSWER_STATES, "RUN_FINISHED while these are still open: message"),
    "ag_ui_stream_ends_before_run_finished": expect(ONE_RUN, CUT_OFF),
    "ag_ui_ids_in_snake_case": expect(ONE_RUN, "is spelled 'threadId' in the spec"),
    "ag_ui_explicit_nulls": expect(TOOL_ANSWERED, "parentMessageId is an explicit null"),
    "ag_ui_error_sent_as_success": expect(FAILURE_SHOWN, HIDDEN_ERROR),
    "ag_ui_error_says_nothing": expect(FAILURE_SHOWN, "its message is empty"),
    "ag_ui_tool_result_dropped": expect(TOOL_ANSWERED, UNANSWERED),
    "ag_ui_run_id_is_the_thread_id": (
        Expectation(KEPT_IDS, "Expected the run and conversation ids"),
        Expectation(OWN_RUNS, "Expected each question to get a run of its own"),
    ),
    "ag_ui_reasoning_dropped": expect(THINKS, NO_THOUGHT),
    "ag_ui_answer_text_dropped": (
        Expectation(ANSWER_STATES, "Expected the answer to state what the tool found"),
        Expectation(PLAIN, "the answer is empty"),
    ),
    "ag_ui_app_tool_answered_by_server": expect(LEFT_TO_APP, "a tool the app declared is answered by the app"),
    "ag_ui_history_ignored": expect(CODE_WORD, "Expected the answer to state the code word"),
    "ag_ui_app_tools_ignored": expect(LEFT_TO_APP, "Expected the agent to call her app's tool"),
    "ag_ui_app_results_ignored": expect(APP_RESULT, "Expected the answer to state her app's result"),
    "ag_ui_refusal_inside_the_stream": (
        *(
            Expectation(f"A run asked for with {credentials} is refused, and no run starts", STARTED)
            for credentials in CREDENTIALS
        ),
        Expectation(LOGGED_OUT, STARTED),
    ),
    "ag_ui_any_thread_joined": expect(FOREIGN, "Expected the run to be refused as there being no such conversation"),
    "ag_ui_quota_not_checked": expect(OVER_PLAN, "Expected Alice's plan to refuse a question"),
    "ag_ui_limit_refusal_says_not_when": expect(OVER_PLAN, "Expected the refusal to say, in seconds, when to retry"),
    "ag_ui_answers_not_kept": expect(KEPT, "Expected her question and the answer"),
    "ag_ui_pydantic_stream_cut_off": expect(ONE_RUN, CUT_OFF),
    "ag_ui_pydantic_run_finished_twice": expect(ONE_RUN, TWICE),
    "ag_ui_pydantic_tool_args_after_end": expect(TOOL_ANSWERED, "TOOL_CALL_ARGS for a tool call that is not open"),
    "ag_ui_pydantic_tool_call_id_renamed": expect(TOOL_ANSWERED, "is spelled 'toolCallId' in the spec"),
    "ag_ui_pydantic_tool_result_dropped": expect(TOOL_ANSWERED, UNANSWERED),
    "ag_ui_pydantic_error_as_success": expect(FAILURE_SHOWN, HIDDEN_ERROR),
    "ag_ui_pydantic_timestamps_as_text": expect(ONE_RUN, "does not match AG-UI's published model"),
    "ag_ui_pydantic_reasoning_dropped": expect(THINKS, NO_THOUGHT),
}


VERCEL_CATALOGUE: dict[str, tuple[Expectation, ...]] = {
    "vercel_finish_never_sent": expect(ONE_RUN, CUT_OFF),
    "vercel_finish_says_cut_for_length": expect(ONE_RUN, "Expected the run to end as a success"),
    "vercel_done_never_sent": expect(ONE_RUN, "the stream ends with [DONE] after finish"),
    "vercel_start_sent_twice": expect(ONE_RUN, "one start per message"),
    "vercel_tool_output_never_sent": expect(TOOL_ANSWERED, "every server tool's input is answered before finish"),
    "vercel_error_hidden_as_stop": expect(FAILURE_SHOWN, HIDDEN_ERROR),
    "vercel_error_text_misnamed": expect(FAILURE_SHOWN, "not one the AI SDK reads (errorText"),
    "vercel_text_delta_before_start": expect(ANSWER_STATES, "text-delta for a text part that is not open"),
    "vercel_reasoning_dropped": expect(THINKS, NO_THOUGHT),
    "vercel_text_dropped": (
        Expectation(ANSWER_STATES, "Expected the answer to state what the tool found"),
        Expectation(PLAIN, "the answer is empty"),
    ),
    "vercel_unknown_chunk_type": expect(PLAIN, 'no chunk of the AI SDK has the type "text-chunk"'),
    "vercel_stream_header_missing": expect(ONE_RUN, "the answer carries the header x-vercel-ai-ui-message-stream"),
    "vercel_chat_history_ignored": expect(CODE_WORD, "Expected the answer to state the code word"),
    "vercel_pydantic_finish_dropped": expect(ONE_RUN, CUT_OFF),
    "vercel_pydantic_tool_output_dropped": expect(TOOL_ANSWERED, "every server tool's input is answered before finish"),
    "vercel_pydantic_error_as_stop": expect(FAILURE_SHOWN, HIDDEN_ERROR),
    "vercel_pydantic_delta_renamed": expect(PLAIN, "not one the AI SDK reads (delta:"),
}


def agent_arguments(fault: str) -> list[str]:
    """How a defect's run reaches the agent: over AG-UI or the Vercel AI stream for these (against pydantic-ai's
    server for the stream rewrites), the chat socket (no arguments) for the rest."""
    protocol = ["-D", f"agent_protocol={'vercel-ai' if fault.startswith('vercel') else 'ag-ui'}"]
    if fault in STREAM_FAULTS:
        return [*protocol, "-D", f"agent_profile={PYDANTIC_PROFILE}", "-D", f"agent_faults={fault}"]
    if fault in AG_UI_FAULTS or fault in VERCEL_FAULTS:
        return protocol
    return []
