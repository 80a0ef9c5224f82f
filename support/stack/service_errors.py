"""Failures of the test bed, as opposed to failures of the product."""


class ServiceUnavailable(Exception):
    """A service the suite needs could not be reached. Reported as *broken*, never as a product defect."""

    def __init__(self, service: str, address: str, cause: str, state: str = "is unreachable") -> None:
        super().__init__(f"{service} at {address} {state}: {cause}")
        self.service = service
        self.address = address


class Outage(Exception):
    """The test bed went down: a scenario it touched is *broken* with this cause, never a product defect."""

    @classmethod
    def during_step(cls, cause: str, failure: BaseException | None) -> "Outage":
        said = f"{type(failure).__name__}: {failure}" if failure else "(no message)"
        return cls(
            f"{cause}\nThe step failed while the test bed was down, so it is not a product defect. It said: {said}"
        )

    @classmethod
    def earlier(cls, cause: str) -> "Outage":
        return cls(f"Not run: the test bed went down during an earlier scenario. {cause}")


class NotConfigured(Exception):
    """A check needs a setting the run does not have. It fails; it is never skipped."""


def describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
