"""Every answer and frame the platform sends, held to the contract documents: each HTTP answer to
docs/contract/openapi.yaml (openapi-core), each chat frame it sends to docs/contract/asyncapi.yaml's message
schemas (jsonschema). A mismatch fails the step that received it, naming where the document says otherwise."""

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml
from jsonschema import Draft7Validator, Draft202012Validator
from jsonschema.exceptions import best_match
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.validation.response.exceptions import HeaderValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7
from werkzeug.datastructures import Headers, ImmutableMultiDict

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "contract"
OPENAPI = CONTRACT / "openapi.yaml"
ASYNCAPI = CONTRACT / "asyncapi.yaml"
DOCUMENT = "urn:chat-acceptance:asyncapi"


OFF_CONTRACT = "Off the contract: "  # how every mismatch's message begins, so a summary can count them


class ContractMismatch(AssertionError):
    """What the platform sent differs from what its contract document says."""

    def __init__(self, message: str) -> None:
        super().__init__(OFF_CONTRACT + message)


class Asked:
    """The request an answer is for, as openapi-core reads it (only to find the operation in the document)."""

    def __init__(self, method: str, url: str, headers: dict[str, str]) -> None:
        parts = urlsplit(url)
        self.method, self.host_url, self.path = method.lower(), f"{parts.scheme}://{parts.netloc}", parts.path
        query: ImmutableMultiDict[str, str] = ImmutableMultiDict(parse_qsl(parts.query))
        self.parameters = RequestParameters(query=query, header=Headers(headers), cookie=ImmutableMultiDict())
        self.body: bytes | None = None  # the answer is what is checked: some requests are wrong on purpose
        self.content_type = headers.get("content-type", "")


class Answered:
    """The platform's answer, as openapi-core reads it."""

    def __init__(self, status: int, headers: Headers, data: bytes) -> None:
        self.status_code, self.headers, self.data = status, headers, data
        self.content_type = headers.get("content-type", "")


@functools.cache
def openapi() -> tuple[OpenAPI, list[tuple[re.Pattern[str], str]], Draft202012Validator]:
    """The document (its servers made relative, so any deployment's address matches; problem+json read as the
    JSON it is), its path templates, and its Problem schema for answers to paths or methods it has not."""
    document = yaml.load(OPENAPI.read_text(), Loader=yaml.CSafeLoader)
    document["servers"] = [{"url": "/"}]
    templates = [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), path) for path in document["paths"]]
    config = Config(extra_media_type_deserializers={"application/problem+json": json.loads})
    problem = Draft202012Validator(document["components"]["schemas"]["Problem"])
    return OpenAPI.from_dict(document, config=config), templates, problem


def framework_mismatch(asked: "Asked", answered: "Answered") -> str | None:
    """An answer to a path or method the document has not: the framework's 404 or 405 problem (with Allow)."""
    _, _, problem = openapi()
    if answered.status_code not in (404, 405):
        return f"the document has no {asked.method.upper()} {asked.path}, and the answer is not 404 or 405"
    if answered.content_type != "application/problem+json":
        return f"the NotFound and MethodNotAllowed answers are problems; this is {answered.content_type!r}"
    try:
        body = json.loads(answered.data)
    except ValueError:
        return f"the NotFound and MethodNotAllowed answers are problems; this is not JSON: {answered.data[:200]!r}"
    error = best_match(problem.iter_errors(body))
    if error is not None:
        return f"components.schemas.Problem: {'/'.join(map(str, error.absolute_path)) or '(body)'}: {error.message}"
    if answered.status_code == 405 and "allow" not in answered.headers:
        return "components.responses.MethodNotAllowed: no Allow header"
    return None


@functools.cache
def frame_validators() -> dict[str, Draft7Validator]:
    """A validator per frame type the server sends (the document's receive operations), by its `type`."""
    document = yaml.load(ASYNCAPI.read_text(), Loader=yaml.CSafeLoader)
    registry: Registry[Any] = Registry().with_resource(DOCUMENT, Resource.from_contents(document, DRAFT7))
    validators = {}
    for operation in document["operations"].values():
        if operation["action"] != "receive":
            continue
        for message_ref in operation["messages"]:
            name = message_ref["$ref"].rsplit("/", 1)[-1]
            payload_ref = document["components"]["messages"][name]["payload"]["$ref"]
            payload = resolve(document, payload_ref)
            schema = {"$ref": f"{DOCUMENT}{payload_ref}"}
            validators[frame_type(payload, document)] = Draft7Validator(schema, registry=registry)
    return validators


def resolve(document: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return dict(node)


def frame_type(schema: dict[str, Any], document: dict[str, Any]) -> str:
    """The `type` const a payload schema fixes, directly or in one of its allOf parts."""
    const = schema.get("properties", {}).get("type", {}).get("const")
    if isinstance(const, str):
        return const
    for part in schema.get("allOf", []):
        found = frame_type(resolve(document, part["$ref"]) if "$ref" in part else part, document)
        if found:
            return found
    return ""


def where(method: str, path: str) -> str:
    _, templates, _ = openapi()
    template = next((template for pattern, template in templates if pattern.match(path)), None)
    return f"paths.{template}.{method.lower()}" if template else f"paths (no path matches {path})"


def problems_of(error: BaseException) -> str:
    """openapi-core's error in a line: the header or body it found wrong, and what its schema says of it."""
    chain: list[BaseException] = []
    cause: BaseException | None = error
    while cause is not None and cause not in chain:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    if any(isinstance(cause, ResponseNotFound) for cause in chain):
        return "no answer with this status is documented for the operation"
    header = next((cause.name for cause in chain if isinstance(cause, HeaderValidationError)), None)
    part = f"header {header}" if header else "body"
    schema_errors = [schema_error for cause in chain for schema_error in getattr(cause, "schema_errors", ()) or ()]
    if schema_errors:
        return "; ".join(
            f"{part}{''.join(f'/{step}' for step in schema_error.absolute_path)}: {schema_error.message}"
            for schema_error in schema_errors
        )
    return "; ".join(dict.fromkeys(str(cause) for cause in chain if str(cause)))


@dataclass
class Conformance:
    """How many of the platform's answers and frames one scenario held to the documents."""

    answers: int = 0
    frames: int = 0

    def check_answer(self, asked: Asked, answered: Answered) -> None:
        document, _, _ = openapi()
        self.answers += 1
        try:
            document.validate_response(asked, answered)
        except (PathNotFound, OperationNotFound):
            mismatch = framework_mismatch(asked, answered)
            if mismatch is not None:
                raise ContractMismatch(
                    f"The platform's answer to {asked.method.upper()} {asked.path} ({answered.status_code}) is not "
                    f"as {OPENAPI.relative_to(CONTRACT.parents[1])} says: {mismatch}"
                ) from None
        except Exception as error:
            method, status = asked.method.upper(), answered.status_code
            raise ContractMismatch(
                f"The platform's answer to {method} {asked.path} ({status}) is not as "
                f"{OPENAPI.relative_to(CONTRACT.parents[1])} says at {where(method, asked.path)}"
                f".responses.{status}: {problems_of(error)[:600]}"
            ) from None

    def frame_mismatch(self, frame: dict[str, Any], text: str) -> str | None:
        """What is wrong with a frame the platform sent (`frame`, read from `text`), as the document sees it; None
        if nothing is."""
        self.frames += 1
        kind = frame.get("type")
        validator = frame_validators().get(kind) if isinstance(kind, str) else None
        document = ASYNCAPI.relative_to(CONTRACT.parents[1])
        if validator is None:
            return f"The platform sent a chat frame no message of {document} describes (type {kind!r}): {text[:300]}"
        error = best_match(validator.iter_errors(frame))
        if error is None:
            return None
        at = "/".join(str(part) for part in error.absolute_path) or "(frame)"
        return f"The platform's {kind} frame is not as {document} says of its payload: {at}: {error.message}"
