"""The OpenAPI document, made to say what the API really answers.

FastAPI documents every 422 as its own validation error (``detail``: a list of
``{loc, msg, type}``). The routes also answer 422 for a request that is well-formed but
refused by a rule (a password too short, an unknown time zone, an alarm action the state
does not allow) with ``detail`` as one sentence. Both reach clients; the document names
both, so that a client (and the fuzzer in the tests) can hold the API to it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, routes=app.routes,
                description=app.description,
            )
            _detail_may_be_a_sentence(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _detail_may_be_a_sentence(schema: dict[str, Any]) -> None:
    error = schema.get("components", {}).get("schemas", {}).get("HTTPValidationError")
    if error is None:
        return
    listed = error["properties"]["detail"]
    error["properties"]["detail"] = {
        "anyOf": [listed, {"type": "string"}],
        "title": listed.get("title", "Detail"),
    }
