# mypy: disable-error-code="untyped-decorator"
"""behave hooks: start or find the target, check it answers, and give each scenario its own cast and evidence."""

import os
import sys
from collections.abc import Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import httpx2
import parse
from behave import register_type
from behave.model import Feature, Scenario, Step
from behave.model_type import Status
from behave.runner import Context

from support.actors import Cast
from support.agents.ai_sdk import AI_SDK
from support.agents.port import AgentTarget, agent_target, not_offered
from support.agents.server import AgentServer, describe_agent, expect_agent_answers
from support.clients.database_probe import DatabaseProbe
from support.clients.http_client import PlatformApi
from support.clients.servers import SERVER_NAMES, Servers
from support.event_loop import LoopThread
from support.report.allure_report import RESULTS_DIRS, RUN_LABELS
from support.report.environment import describe_run, write_environment
from support.report.evidence import ScenarioEvidence, label_conformance
from support.report.redaction import RUN_REDACTOR
from support.stack.config import TargetConfig, load_config
from support.stack.control import RemoteStack
from support.stack.database_outage import RECOVERY_SECONDS, not_ready_after
from support.stack.embedded_stack import EmbeddedStack
from support.stack.preflight import OUTAGE_CHECK_TIMEOUT, PREFLIGHT_TIMEOUT, check_services, outage_cause
from support.stack.safety import refuse_if_unsafe
from support.stack.service_errors import Outage

T = TypeVar("T")
CLEANUP_TIMEOUT = 30.0


@parse.with_pattern(r"[A-Z][a-z]+|she|he|they|her|his|their|him|them")
def parse_person(text: str) -> str:
    """A persona's name, or a pronoun for the persona last named."""
    return text


@parse.with_pattern("|".join(SERVER_NAMES))
def parse_server(text: str) -> str:
    """A platform instance, as journeys name them: "one server" or "the other server"."""
    return text


register_type(Person=parse_person, Server=parse_server)


def before_all(context: Context) -> None:
    target = load_config(context.config.userdata, os.environ)
    context.loop = LoopThread()
    context.stack = None
    context.agent_server = None
    agent = agent_target(target)
    leave_out_not_applicable(context, agent)
    RUN_LABELS.update(protocol=agent.protocol, target=agent.label)
    if not agent.needs_platform:
        before_agent_only(context, target, agent)
        return
    if target.stack_control:
        context.stack = RemoteStack(target.stack_control)
    elif target.embedded:
        context.stack = EmbeddedStack(
            target.platform_faults,
            target.database_url,
            target.export_store,
            target.platform_instances,
            target.embedded_identity_provider,
        ).start()
        stack = context.stack
        target = target.targeting(
            stack.instance_urls,
            stack.database_url,
            stack.identity_provider_url,
            stack.admin_token,
            str(stack.export_store),
            stack.platform_logs,
        )
    RUN_REDACTOR.remember(target.admin_token)
    if isinstance(context.stack, EmbeddedStack) and context.stack.identity_provider is not None:
        RUN_REDACTOR.remember(context.stack.identity_provider.client_secret)
        print(f"Embedded stack in {context.stack.workdir}: {context.stack.describe()}", file=sys.stderr)
    context.target = target
    context.servers = Servers(target.instances)
    context.loop.run(check_services(target), PREFLIGHT_TIMEOUT + 2, "preflight")
    context.redactor = RUN_REDACTOR
    context.database = DatabaseProbe(target.database_url)
    assert target.base_url is not None
    context.http = context.loop.run(open_http_client(target.base_url, target.request_timeout), 5, "HTTP client")

    def run(coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        limit = timeout or target.request_timeout + target.event_timeout
        result: T = context.loop.run(coroutine, limit, context.step_name)
        return result

    context.run = run
    embedded = context.stack is not None
    environment = context.loop.run(describe_run(target, context.http, embedded), 10, "report set-up")
    environment |= describe_agent(target, agent) | not_applicable_lines(context.not_applicable)
    for results_dir in RESULTS_DIRS:
        write_environment(results_dir, environment)
    context.step_name = "step"
    context.outage = []  # the outage that broke the run, once there is one; kept in place across scenarios


def leave_out_not_applicable(context: Context, agent: AgentTarget) -> None:
    """Scenarios whose needs this protocol and target do not offer are taken out of the run before it starts,
    as the parallel runner leaves them out: never run, never counted as skipped or passed; named here."""
    runner = context._runner
    left: list[str] = []
    for feature in runner.features:
        kept = [item for item in feature.run_items if not not_offered(item.effective_tags, agent)]
        left += [s.name for item in feature.run_items if item not in kept for s in getattr(item, "scenarios", [item])]
        feature.run_items[:] = kept
        feature.scenarios[:] = [item for item in feature.scenarios if item in kept]
    runner.features[:] = [feature for feature in runner.features if feature.run_items]
    context.not_applicable = left
    if left:
        print(f"{len(left)} scenarios not applicable to {agent.protocol} on {agent.label}: {'; '.join(left)}",
              file=sys.stderr)  # fmt: skip


def not_applicable_lines(left: list[str]) -> dict[str, str]:
    """The report's environment names what this run left out as not applicable."""
    return {f"Not applicable {index}": name for index, name in enumerate(left, 1)} | (
        {"Not applicable": f"{len(left)} scenarios"} if left else {}
    )


def before_agent_only(context: Context, target: TargetConfig, agent: AgentTarget) -> None:
    """An agent server of its own, whose customers need no account: nothing of the platform starts or is asked."""
    if target.agent_url is None:
        context.agent_server = AgentServer(agent.profile, target.agent_faults).start()
        target = replace(target, agent_url=context.agent_server.run_url(agent.protocol))
        agent = AgentTarget(agent.protocol, agent.profile, target.agent_url)
    assert target.agent_url is not None
    context.target = target
    context.loop.run(expect_agent_answers(target.agent_url), PREFLIGHT_TIMEOUT + 2, "preflight")
    context.redactor = RUN_REDACTOR
    context.servers = Servers((target.agent_url,))
    context.database = DatabaseProbe(None)
    context.http = context.loop.run(open_http_client(target.agent_url, target.request_timeout), 5, "HTTP client")
    context.run = lambda coroutine, timeout=None: context.loop.run(
        coroutine, timeout or target.request_timeout + target.event_timeout, context.step_name
    )
    for results_dir in RESULTS_DIRS:
        write_environment(results_dir, describe_agent(target, agent) | not_applicable_lines(context.not_applicable))
    context.step_name = "step"
    context.outage = []


async def open_http_client(base_url: str, timeout: float) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(base_url=base_url, timeout=timeout)


def before_feature(context: Context, feature: Feature) -> None:
    """A feature about several instances gets a second embedded one, started once and kept for the run."""
    stack = context.stack
    if "two_instances" in feature.tags and stack is not None:
        if len(stack.instance_urls) < 2:
            stack.add_instances(2)
        context.servers.add(stack.instance_urls[1])  # another worker may have started it


def before_scenario(context: Context, scenario: Scenario) -> None:
    context.cast = context.evidence = None
    refuse_if_unsafe(scenario.effective_tags, context.target)
    if context.outage:
        raise Outage.earlier(context.outage[0])
    context.evidence = ScenarioEvidence(context.redactor)
    api = PlatformApi(context.http, context.evidence, context.servers)
    context.cast = Cast(api, context.target, context.evidence, context.database)


def before_step(context: Context, step: Step) -> None:
    context.step_name = f"{step.keyword} {step.name}"


def after_step(context: Context, step: Step) -> None:
    """Attach what the step exchanged to it; a failed step asks the test bed once whether it is up."""
    if context.evidence is not None:
        context.evidence.attach_step()  # allure-behave still has the step open here, so attachments land on it
    if step.status not in (Status.failed, Status.error) or isinstance(step.exception, Outage):
        return
    if context.target.base_url is None:
        return  # an agent server of its own: no platform to ask
    outage = getattr(context, "database_outage", None)
    if outage is not None and outage.active:
        return  # the scenario's own outage: how the platform answers it is the product's doing
    cause = context.loop.run(outage_cause(context.target), OUTAGE_CHECK_TIMEOUT + 2, "the readiness check")
    if cause is not None:
        context.outage.append(cause)
        step.exception = Outage.during_step(cause, step.exception)
        step.status = Status.error


def after_scenario(context: Context, scenario: Scenario) -> None:
    cast, evidence = getattr(context, "cast", None), getattr(context, "evidence", None)
    outage = getattr(context, "database_outage", None)
    try:
        waiting = {}
        if outage is not None:
            outage.end()
            waiting = context.loop.run(not_ready_after(context.servers.urls), RECOVERY_SECONDS + 5, "the database")
        if cast is not None:
            context.loop.run(cast.dismiss(), CLEANUP_TIMEOUT, "scenario clean-up")
        if waiting:
            raise RuntimeError(f"the platform was not ready again after the scenario's database outage: {waiting}")
    finally:
        crowds = cast.crowd_evidence if cast is not None else []
        if evidence is not None:
            evidence.attach_all()
            label_conformance([evidence, *crowds])
        for crowd in crowds:
            crowd.attach_all()


def after_all(context: Context) -> None:
    loop, http, stack = (getattr(context, name, None) for name in ("loop", "http", "stack"))
    secrets_dump = context.config.userdata.get("secrets_dump")
    if secrets_dump:
        # Only the project's own tests ask for this: they scan the report for every secret the run used.
        Path(secrets_dump).write_text("\n".join(RUN_REDACTOR.known_secrets()))
    try:
        if loop is not None and http is not None:
            loop.run(http.aclose(), 5, "closing the HTTP client")
            loop.run(AI_SDK.close(), 10, "closing the AI SDK's chunk check")
    finally:
        if loop is not None:
            loop.close()
        if isinstance(stack, EmbeddedStack):
            stack.stop()
        if context.agent_server is not None:
            context.agent_server.stop()
