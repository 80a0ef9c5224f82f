# mypy: disable-error-code="no-untyped-call,has-type"
# (allure-behave and allure-commons ship no type information.)
"""allure-behave with statuses that tell the truth under behave 1.3.

allure-behave 2.16 does not know behave 1.3's hook_error, cleanup_error, error and pending:
a broken hook shows as *skipped* and a pending step has no status. Here:
- an assertion failure in a step is **failed** (a product defect);
- any other exception, an undefined or pending step, a hook or clean-up error is **broken**;
- only a scenario left out by explicit selection (tags, names) is **skipped**.
Every status message and trace goes through the run's Redactor. Epic and story labels
read `_` as a space, since Gherkin tags cannot hold spaces.
"""

from pathlib import Path
from typing import Any

import allure_commons
from allure_behave.formatter import AllureFormatter
from allure_behave.listener import AllureListener
from allure_behave.utils import TEST_PLAN_SKIP_REASON
from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import Label, Link, Parameter, Status, StatusDetails
from allure_commons.utils import format_exception, format_traceback, md5, now
from behave.model import Feature, Scenario, Step
from behave.model_type import Status as BehaveStatus

from support.report.contract import TAG_PREFIX, promises_of
from support.report.redaction import RUN_REDACTOR

BROKEN = {
    BehaveStatus.error,
    BehaveStatus.hook_error,
    BehaveStatus.cleanup_error,
    BehaveStatus.undefined,
    BehaveStatus.pending,
    BehaveStatus.untested_undefined,
    BehaveStatus.untested_pending,
}
SPACED_LABELS = {"epic", "story"}  # set by tags, which cannot hold spaces


def _details(message: str, trace: str | None = None) -> StatusDetails:
    return StatusDetails(message=RUN_REDACTOR.text(message), trace=RUN_REDACTOR.text(trace) if trace else None)


def step_verdict(step: Step) -> tuple[str | None, StatusDetails | None]:
    """The Allure status of one behave step, with its redacted reason."""
    status = step.status
    if status == BehaveStatus.passed:
        return Status.PASSED, None
    if status in (BehaveStatus.skipped, BehaveStatus.untested):
        return Status.SKIPPED, None
    if status in (BehaveStatus.undefined, BehaveStatus.untested_undefined):
        return Status.BROKEN, _details(f"Undefined step: {step.keyword} {step.name}")
    if status in (BehaveStatus.pending, BehaveStatus.untested_pending, BehaveStatus.pending_warn):
        return Status.BROKEN, _details(f"Pending step (not implemented): {step.keyword} {step.name}")
    exception = step.exception
    trace = "\n".join(step.exc_traceback) if isinstance(step.exc_traceback, list) else None
    if trace is None and step.exc_traceback is not None:
        trace = format_traceback(step.exc_traceback)
    message = format_exception(type(exception), exception) if exception else step.error_message or str(status)
    verdict = Status.FAILED if isinstance(exception, AssertionError) else Status.BROKEN
    return verdict, _details(message, trace)


def scenario_verdict(scenario: Scenario) -> tuple[str, StatusDetails | None]:
    """A failed step decides; otherwise a hook or clean-up error makes the scenario broken."""
    hook_problem = scenario.hook_failed or scenario.status in (BehaveStatus.hook_error, BehaveStatus.cleanup_error)
    hook_message = scenario.error_message or f"{scenario.status.name} (a hook or clean-up failed)"
    for step in scenario.all_steps:
        verdict, details = step_verdict(step)
        if verdict in (Status.FAILED, Status.BROKEN):
            if hook_problem and details is not None:
                details.message = f"{details.message}\nAlso: {RUN_REDACTOR.text(hook_message)}"
            return verdict, details
    if hook_problem or scenario.status in BROKEN:
        return Status.BROKEN, _details(hook_message)
    if scenario.status == BehaveStatus.skipped:
        return Status.SKIPPED, None
    return Status.PASSED, None


def description_lines(feature: Feature) -> list[str]:
    """The feature's description as written, blank lines included (behave's model drops them)."""
    wanted = [line.strip() for line in feature.description]
    if not wanted or not feature.filename:
        return wanted
    lines: list[str] = []
    for raw in Path(feature.filename).read_text(encoding="utf-8").splitlines()[feature.line :]:
        line = raw.strip()
        if len([kept for kept in lines if kept]) == len(wanted):
            break
        if line or lines:
            lines.append(line)
    return lines


def story_markdown(scenario: Scenario) -> str:
    """The test page's description: the feature's user story and rules, then the scenario's own words."""
    parts = [f"**{scenario.feature.keyword}: {scenario.feature.name}**", "\n".join(description_lines(scenario.feature))]
    if scenario.description:
        parts += ["---", f"**{scenario.keyword}**", "\n".join(line.strip() for line in scenario.description)]
    return "\n\n".join(part for part in parts if part)


class HonestAllureListener(AllureListener):  # type: ignore[misc]
    def start_scenario(self, scenario: Scenario) -> None:
        super().start_scenario(scenario)
        result = self.logger.get_test(self.current_scenario_uuid)
        result.description = story_markdown(scenario)
        result.labels = [
            Label(name=label.name, value=label.value.replace("_", " ")) if label.name in SPACED_LABELS else label
            for label in result.labels
        ] + [Label(name="tag", value=f"{TAG_PREFIX}{promise}") for promise in promises_of(scenario.name)]
        result.labels += [Label(name=name, value=value) for name, value in RUN_LABELS.items()]
        if RUN_LABELS:
            result.links = [
                *(result.links or []),
                Link(type="link", url="protocols.html", name="Protocols side by side"),
            ]
        if RUN_LABELS.get("protocol", "chat-socket") != "chat-socket":
            # The same journey over another protocol or target is another test, shown beside it, not a retry of it.
            over = f"{RUN_LABELS['protocol']} · {RUN_LABELS.get('target', '')}"
            result.parameters = [*(result.parameters or []), Parameter(name="agent", value=over)]
            result.historyId = md5(result.historyId, over)
            result.testCaseId = md5(result.testCaseId, over)

    def stop_behave_step(self, result: Step) -> None:
        status, details = step_verdict(result)
        self.logger.stop_step(self.current_step_uuid, stop=now(), status=status, statusDetails=details)

    def stop_scenario(self, scenario: Scenario) -> None:
        """As AllureListener.stop_scenario, with the verdict computed by scenario_verdict."""
        selected = scenario.should_run_with_tags(self.behave_config.tag_expression) and (
            scenario.should_run_with_name_select(self.behave_config)
        )
        left_out = scenario.status == BehaveStatus.skipped and not self.behave_config.show_skipped
        if left_out or (self.hide_excluded and (scenario.skip_reason == TEST_PLAN_SKIP_REASON or not selected)):
            self.logger.drop_test(self.current_scenario_uuid)
        else:
            status, details = scenario_verdict(scenario)
            self.flush_steps()
            test_result = self.logger.get_test(self.current_scenario_uuid)
            test_result.stop = now()
            test_result.status = status
            test_result.statusDetails = details
            test_result.labels += [Label(name=name, value=value) for name, value in SCENARIO_LABELS.items()]
            self.logger.close_test(self.current_scenario_uuid)
            self.current_step_uuid = None
            self.group_context.append_test(self.current_scenario_uuid)
            self.group_context.exit()
        self.current_scenario_uuid = None
        SCENARIO_LABELS.clear()


class HonestAllureFormatter(AllureFormatter):  # type: ignore[misc]
    def __init__(self, stream_opener: Any, config: Any) -> None:
        super().__init__(stream_opener, config)
        allure_commons.plugin_manager.unregister(self.listener)
        self.listener = HonestAllureListener(config)
        allure_commons.plugin_manager.register(self.listener)
        # behave appends command-line formatters to behave.ini's, so a second allure formatter
        # would report every result twice; `-D allure_results=DIR` moves the one there is instead.
        results_dir = config.userdata.get("allure_results")
        if results_dir:
            allure_commons.plugin_manager.unregister(self.file_logger)
            self.file_logger = AllureFileLogger(results_dir)
            allure_commons.plugin_manager.register(self.file_logger)
        RESULTS_DIRS.append(Path(self.file_logger._report_dir))


RESULTS_DIRS: list[Path] = []
"""Where this run's Allure results go, for the files the hooks add beside them (environment.properties)."""
RUN_LABELS: dict[str, str] = {}
"""Labels every result of this run carries: the agent protocol and target (set by the hooks)."""
SCENARIO_LABELS: dict[str, str] = {}
"""Labels the scenario being finished carries, set by its after_scenario hook (allure-behave has no
allure.dynamic.label): how many of the platform's answers and frames were held to the contract."""
