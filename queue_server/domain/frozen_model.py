"""The base of every configuration model: frozen, and strict about unknown keys."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """Frozen, strict about unknown keys: a typo in a centre file is an error, not a silence."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
