"""Customers under load, on Locust: each signs up, opens a chat and asks the agent again and again, and every run's
whole event stream is checked with the suite's own checks (order, pairing, the terminal event, ids, seq, the
answer's facts). A share of customers sends what the journeys prove is refused (a message too big, a frame that is
not JSON, a question into another customer's chat): load never turns a refusal into an acceptance.

Each run is a Locust request: "ask the agent" (its time to the terminal event; a failure names the broken rule),
with "first event" beside it. Refusals are requests of their own, and one accepted is a failure that says so.
The thresholds (load/thresholds.py) are judged on the master's aggregated figures."""

import secrets
import uuid
from typing import Any

from locust import HttpUser, between, task
from locust.exception import StopUser

from load import thresholds
from load.chat import SyncChat, chat_url, started_a_run
from load.thresholds import ACCEPTED, ASK, REFUSAL, RUN
from support.checks import event_stream as stream
from support.clients.run_record import RunRecord

QUESTION, FIGURE = "What is 6 * 7?", "42"  # the crowd journey's question, and the figure its answer must state
EMAIL_DOMAIN = "chat-acceptance.test"  # the suite's own (support/clients/database_probe.py), so clean-up finds them


def new_credentials() -> tuple[str, str]:
    """An email in the suite's own domain, and a strong password."""
    return f"load-{uuid.uuid4().hex[:12]}@{EMAIL_DOMAIN}", secrets.token_urlsafe(18)


class Customer(HttpUser):
    """A customer of her own: an account, a session and a chat, erased when she stops."""

    abstract = True

    def on_start(self) -> None:
        self.email, self.password = new_credentials()
        self.token = self.sign_up_and_log_in(self.email, self.password)
        self.thread_id = self.open_thread(self.token)
        assert self.host, "no --host: the platform's base URL"
        self.chat = SyncChat(chat_url(self.host, self.ticket(self.token)), self.options.run_timeout)

    def on_stop(self) -> None:
        if hasattr(self, "chat"):
            self.chat.close()
        if hasattr(self, "token"):
            self.erase(self.email, self.password)

    @property
    def options(self) -> Any:
        return self.environment.parsed_options

    def expect(self, method: str, path: str, status: int, name: str, token: str = "", **body: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        with self.client.request(method, path, json=body or None, headers=headers, name=name,
                                 catch_response=True) as answer:  # fmt: skip
            if answer.status_code != status:
                answer.failure(f"Expected {status} from {method} {name}; got {answer.status_code}")
                raise StopUser()
            answer.success()  # the status expected, a refusal included
            return answer.json() if answer.content else None

    def sign_up_and_log_in(self, email: str, password: str) -> str:
        account = self.expect("POST", "/auth/signup", 201, "sign up", email=email, password=password)
        tokens = self.expect("POST", "/auth/login", 200, "log in", email=email, password=password)
        if self.options.admin_token:  # the pro plan's chat limit holds a question every few seconds
            path = f"/admin/users/{account['id']}/plan"
            self.expect("PUT", path, 200, "put on the pro plan", self.options.admin_token, plan="pro")
        return str(tokens["access_token"])

    def open_thread(self, token: str) -> str:
        return str(self.expect("POST", "/threads", 201, "open a chat", token, title="Load")["id"])

    def ticket(self, token: str) -> str:
        return str(self.expect("POST", "/ws-tickets", 201, "chat ticket", token)["ticket"])

    def erase(self, email: str, password: str) -> None:
        """Erase the account, with a fresh login: a long run outlives an access token."""
        token = self.expect("POST", "/auth/login", 200, "log in", email=email, password=password)["access_token"]
        self.expect("DELETE", "/me", 204, "erase the account", token, password=password)

    def report(self, kind: str, name: str, run: RunRecord, failure: str | None) -> None:
        index = run.terminal_index if run.terminal_index is not None else (0 if run.events else None)
        seconds = run.seconds_to(index) if index is not None else run.waited  # to its end, or to a refusal
        self.environment.events.request.fire(
            request_type=kind, name=name, response_time=seconds * 1000, response_length=len(run.events),
            exception=AssertionError(failure) if failure else None, context={},
        )  # fmt: skip


class ChatCustomer(Customer):
    """Asks the agent, over and over, and checks every event of every run."""

    weight = 4
    wait_time = between(0.5, 1.5)

    @task
    def ask_the_agent(self) -> None:
        run = self.chat.collect(QUESTION, self.chat.ask(self.thread_id, QUESTION), self.options.run_timeout)
        if run.events:
            self.environment.events.request.fire(
                request_type=RUN, name="first event", response_time=run.seconds_to(0) * 1000, response_length=1,
                exception=None, context={},
            )  # fmt: skip
        self.report(RUN, ASK, run, broken_rule(run, self.thread_id))


def broken_rule(run: RunRecord, thread_id: str) -> str | None:
    """The first line of the first check the run fails (it names the rule), or None."""
    try:
        stream.expect_complete_run(run, thread_id, [FIGURE])
    except AssertionError as broken:
        return str(broken).splitlines()[0]
    return None


class RefusedInputCustomer(Customer):
    """Sends what the platform must refuse, and checks that it is refused, with no run started."""

    weight = 1
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        super().on_start()
        self.neighbour, self.neighbour_password = new_credentials()
        self.neighbour_token = self.sign_up_and_log_in(self.neighbour, self.neighbour_password)
        self.neighbours_thread = self.open_thread(self.neighbour_token)
        policy = self.expect("GET", "/chat/policy", 200, "chat policy")
        self.too_big = int(policy["max_message_bytes"]) + 1

    def on_stop(self) -> None:
        super().on_stop()
        if hasattr(self, "neighbour_token"):
            self.erase(self.neighbour, self.neighbour_password)

    @task
    def a_message_too_big(self) -> None:
        sent = self.chat.ask(self.thread_id, "x" * self.too_big)
        self.expect_refused("a message too big", sent, "message_too_large")

    @task
    def a_frame_that_is_not_json(self) -> None:
        self.expect_refused("a frame that is not JSON", self.chat.send_text("{this is not json"), "invalid_message")

    @task
    def a_question_into_another_customers_chat(self) -> None:
        sent = self.chat.ask(self.neighbours_thread, QUESTION)
        self.expect_refused("a question into another customer's chat", sent, "thread_not_found")

    @task
    def reading_another_customers_chat(self) -> None:
        path = f"/threads/{self.neighbours_thread}/messages"
        self.expect("GET", path, 404, "reading another customer's chat", self.token)

    def expect_refused(self, what: str, sent_at: float, code: str) -> None:
        run = self.chat.collect(what, sent_at, self.options.run_timeout)
        try:
            stream.expect_refused(run, code)
            failure = None
        except AssertionError as wrong:
            failure = str(wrong).splitlines()[0]
            if started_a_run(run):
                failure = f"{ACCEPTED}: {what} started a run. {failure}"
        self.report(REFUSAL, what, run, failure)


__all__ = ["ChatCustomer", "RefusedInputCustomer", "thresholds"]
