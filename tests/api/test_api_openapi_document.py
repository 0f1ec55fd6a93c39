"""The OpenAPI document is complete (issue 6 item 1): every operation, parameter, schema and
property says what it is in Chinese and in English, with examples a client can copy.

The document is the app's own (`create_app(...).openapi()`, which does not run the lifespan, so
nothing is opened), walked once; each check is parametrized by the place it looks at, so a
failure names the operation, parameter, schema or property:

- every operation under /api/v1 has a bilingual summary and a description;
- every parameter (path, query, header) has a bilingual description and an example, and the
  example satisfies the parameter's own schema; none is exempt (the bearer token is the OAuth2
  security scheme, not a parameter);
- every component schema has a bilingual description (an enum's names each of its values and
  says what it means), and every property a bilingual description and an example that
  satisfies the property's schema; the one exception: a property whose schema is a `$ref` to
  another object model (or an array of them, or either or null), which relies on that model's
  own examples, checked property by property here (a `$ref` to an enum needs its example);
- every model-level example satisfies its schema, and every request body has at least one
  whole example that its pydantic model accepts (an example that does not validate is a bug a
  client would copy);
- every error response any operation declares has a bilingual description and is
  `application/problem+json` with the Problem schema (test_api_problems checks the media type
  on one operation, as an example of the format; here every operation and every 4xx and 5xx
  status).

The sign-in form is no exception: it is a pydantic form model (`api.auth.SignInForm`, the
fields and checks of FastAPI's `OAuth2PasswordRequestForm`), described as any other model.

A text is bilingual when it holds CJK characters and an English word (by convention
"中文 / English").
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from jsonschema import Draft202012Validator
from pydantic import BaseModel

from api.app import create_app
from ledger.settings import Settings

APP = create_app(
    Settings(database_url="memory://", jwt_secret="a key for the document test, never used")
)
DOCUMENT: dict[str, Any] = APP.openapi()
SCHEMAS: dict[str, dict[str, Any]] = DOCUMENT["components"]["schemas"]
REF_PREFIX = "#/components/schemas/"

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")

OPERATIONS = [
    (path, method, operation)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
]
API_OPERATIONS = [entry for entry in OPERATIONS if entry[0].startswith("/api/v1")]
PARAMETERS = [
    (operation["operationId"], parameter)
    for _path, _method, operation in OPERATIONS
    for parameter in operation.get("parameters", [])
]
PROPERTIES = [
    (name, field, schema)
    for name, model in SCHEMAS.items()
    for field, schema in model.get("properties", {}).items()
]
MODEL_EXAMPLES = [
    (name, index, example)
    for name, model in SCHEMAS.items()
    for index, example in enumerate(model.get("examples", []))
]
BODIES = [
    (operation["operationId"], operation["requestBody"])
    for _path, _method, operation in OPERATIONS
    if "requestBody" in operation
]
ROUTES = {
    context.original_route.name: context.original_route
    for context in iter_route_contexts(APP.routes)
    if isinstance(context.original_route, APIRoute)
}


def bilingual(text: str | None) -> bool:
    """Whether a text says it in Chinese and in English."""
    return bool(text) and bool(CJK.search(text or "")) and bool(ENGLISH_WORD.search(text or ""))


def _target(schema: dict[str, Any]) -> dict[str, Any] | None:
    """The component a `$ref` names, if the schema is one."""
    ref = schema.get("$ref")
    return SCHEMAS[ref.removeprefix(REF_PREFIX)] if ref else None


def _is_model_ref(schema: dict[str, Any]) -> bool:
    """Whether a schema is a `$ref` to an object model (not an enum), an array of such, or
    either or null."""
    options = [o for o in schema.get("anyOf", [schema]) if o.get("type") != "null"]
    if len(options) != 1:
        return False
    option = options[0]
    if option.get("type") == "array":
        option = option.get("items", {})
    target = _target(option)
    return target is not None and "properties" in target


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    """A JSON Schema 2020-12 validator of a part of the document, its `$ref`s resolved in the
    document's components (OpenAPI 3.1 schemas are JSON Schema 2020-12)."""
    return Draft202012Validator(
        {**schema, "components": DOCUMENT["components"]},
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def _errors(schema: dict[str, Any], value: Any) -> list[str]:
    return [error.message for error in _validator(schema).iter_errors(value)]


def _examples(parameter: dict[str, Any]) -> list[Any]:
    """A parameter's examples: OpenAPI's (a map of Example Objects, or `example`) or its
    schema's JSON Schema `examples`."""
    found = [example["value"] for example in parameter.get("examples", {}).values()]
    if "example" in parameter:
        found.append(parameter["example"])
    found.extend(parameter.get("schema", {}).get("examples", []))
    return found


@pytest.mark.parametrize(
    ("path", "method", "operation"),
    API_OPERATIONS,
    ids=[operation["operationId"] for _path, _method, operation in API_OPERATIONS],
)
def test_an_operation_has_a_bilingual_summary_and_a_description(
    path: str, method: str, operation: dict[str, Any]
) -> None:
    assert bilingual(operation.get("summary")), f"{method} {path}: {operation.get('summary')!r}"
    assert operation.get("description"), f"{method} {path} has no description"


@pytest.mark.parametrize(
    ("operation_id", "parameter"),
    PARAMETERS,
    ids=[f"{oid}:{parameter['in']}:{parameter['name']}" for oid, parameter in PARAMETERS],
)
def test_a_parameter_has_a_bilingual_description_and_an_example_it_accepts(
    operation_id: str, parameter: dict[str, Any]
) -> None:
    assert bilingual(parameter.get("description")), parameter.get("description")
    examples = _examples(parameter)
    assert examples, "no example"
    for example in examples:
        assert not _errors(parameter["schema"], example), (example, parameter["schema"])


@pytest.mark.parametrize(("name", "schema"), SCHEMAS.items(), ids=list(SCHEMAS))
def test_a_schema_has_a_bilingual_description(name: str, schema: dict[str, Any]) -> None:
    description = schema.get("description")
    assert bilingual(description), description
    # An enum says what its values mean: each value is named in the description.
    missing = [value for value in schema.get("enum", []) if str(value) not in (description or "")]
    assert not missing, f"values not explained: {missing}"


@pytest.mark.parametrize(
    ("name", "field", "schema"),
    PROPERTIES,
    ids=[f"{name}.{field}" for name, field, _schema in PROPERTIES],
)
def test_a_property_has_a_bilingual_description_and_an_example_it_accepts(
    name: str, field: str, schema: dict[str, Any]
) -> None:
    assert bilingual(schema.get("description")), schema.get("description")
    if _is_model_ref(schema) and "examples" not in schema:
        # The exception: another model (or a list of them), whose properties carry examples.
        return
    assert schema.get("examples"), f"{name}.{field} has no example"
    for example in schema["examples"]:
        assert not _errors(schema, example), (example, schema)


@pytest.mark.parametrize(
    ("name", "index", "example"),
    MODEL_EXAMPLES,
    ids=[f"{name}[{index}]" for name, index, _example in MODEL_EXAMPLES],
)
def test_a_model_example_satisfies_its_schema(name: str, index: int, example: Any) -> None:
    assert not _errors({"$ref": REF_PREFIX + name}, example), example


def _body_examples(body: dict[str, Any]) -> list[Any]:
    """A request body's whole examples: the media type's own, or its schema's (the model's
    `json_schema_extra` examples)."""
    found = []
    for media in body["content"].values():
        found.extend(example["value"] for example in media.get("examples", {}).values())
        if "example" in media:
            found.append(media["example"])
        schema = media["schema"]
        target = _target(schema) or schema
        found.extend(schema.get("examples", []) or target.get("examples", []))
    return found


def _body_model(operation_id: str) -> type[BaseModel]:
    """The pydantic model the route reads its body into."""
    route = ROUTES[operation_id]
    assert isinstance(route, APIRoute)
    params = route.dependant.body_params
    assert len(params) == 1, f"{operation_id} reads {len(params)} body parameters"
    model = params[0].field_info.annotation
    assert isinstance(model, type) and issubclass(model, BaseModel), model
    return model


@pytest.mark.parametrize(
    ("operation_id", "body"), BODIES, ids=[operation_id for operation_id, _body in BODIES]
)
def test_a_request_body_has_a_whole_example_its_model_accepts(
    operation_id: str, body: dict[str, Any]
) -> None:
    examples = _body_examples(body)
    assert examples, f"{operation_id}: no example of the request body"
    model = _body_model(operation_id)
    for example in examples:
        assert isinstance(example, dict), example
        # As a client sends it: JSON (dates as strings), validated by the route's own model.
        model.model_validate_json(json.dumps(example))


ERRORS = [
    (operation["operationId"], status, response)
    for _path, _method, operation in OPERATIONS
    for status, response in operation["responses"].items()
    if status[0] in "45"
]


@pytest.mark.parametrize(
    ("operation_id", "status", "response"),
    ERRORS,
    ids=[f"{operation_id}:{status}" for operation_id, status, _response in ERRORS],
)
def test_an_error_response_is_a_problem(
    operation_id: str, status: str, response: dict[str, Any]
) -> None:
    assert bilingual(response.get("description")), response.get("description")
    assert response.get("content") == {
        "application/problem+json": {"schema": {"$ref": REF_PREFIX + "Problem"}}
    }
