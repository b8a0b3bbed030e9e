"""The base of every config model: frozen, unknown keys refused."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

# One set per distinct combination of written fields, shared by every model that wrote
# the same ones: pydantic keeps a set per instance (728 bytes for a point with six keys),
# which was half of what 50,000 points cost. Sharing is safe because the models are
# frozen (nothing adds to the set in place) and pydantic copies the set before
# `model_copy(update=...)` adds to it.
_FIELDS_SETS: dict[frozenset[str], set[str]] = {}


def share_fields_set(model: BaseModel) -> None:
    """Replace ``model``'s own set of written fields by the shared one with the same names."""
    written = model.__pydantic_fields_set__
    key = frozenset(written)
    shared = _FIELDS_SETS.setdefault(key, written)
    if shared is not written:
        object.__setattr__(model, "__pydantic_fields_set__", shared)


class Model(BaseModel):
    # defer_build: a model's validator is built when first used, not at import; a gateway
    # builds only those its files use (about 2 MB of pydantic-core state for the rest).
    model_config = ConfigDict(
        frozen=True, extra="forbid", use_enum_values=False, defer_build=True
    )

    @model_validator(mode="after")
    def _share_fields_set(self) -> Any:
        share_fields_set(self)
        return self
