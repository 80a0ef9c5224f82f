"""Failures of the test bed, as opposed to failures of the product."""


class ServiceUnavailable(Exception):
    """A service the suite needs could not be reached. Reported as *broken*, never as a product defect."""

    def __init__(self, service: str, address: str, cause: str) -> None:
        super().__init__(f"{service} at {address} is unreachable: {cause}")
        self.service = service
        self.address = address


class NotConfigured(Exception):
    """A check needs a setting the run does not have. It fails; it is never skipped."""


def describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
