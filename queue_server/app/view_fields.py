"""The field types of the JSON views: what each holds at run time and how the API documents it.

A view is a plain dict built on every request and every outbox message, so its types cost
nothing at run time: an instant is the ``str`` that :func:`queue_server.app.views.iso` made, an
enum field is the member's ``str`` value. The annotations here only tell the OpenAPI document
(``queue_server.web.openapi``) the format and the closed list of values.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from pydantic import ConfigDict, GetCoreSchemaHandler, WithJsonSchema, with_config
from pydantic_core import CoreSchema

Instant = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
"""An ISO 8601 date and time with its offset, e.g. 2026-12-06T09:30:00+08:00."""
Day = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]
"""An ISO 8601 date, e.g. 2026-12-06."""

documented = with_config(ConfigDict(use_attribute_docstrings=True))
"""Decorate a view's TypedDict so the docstring under each field documents it in the API."""


def values_of(kind: type[Enum], *, nullable: bool = False) -> WithJsonSchema:
    """Document a ``str`` field holding an enum member's value as that enum's closed list."""
    schema: dict[str, Any] = {"type": "string", "enum": [member.value for member in kind]}
    if nullable:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return WithJsonSchema(schema)


def one_of(*values: str) -> WithJsonSchema:
    """Document a ``str`` field that holds one of a few words the code writes itself."""
    return WithJsonSchema({"type": "string", "enum": list(values)})


class DumpOf:
    """Mark a dict that holds ``model.model_dump(mode="json")``: documented as the model itself."""

    def __init__(self, model: type[Any]) -> None:
        self.model = model

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return handler.generate_schema(self.model)
