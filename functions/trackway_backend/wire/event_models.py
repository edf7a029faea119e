"""The EventBridge events the approval and deployment functions receive, as Powertools parser models.

They mirror events/schemas (a contract test parses every sample with them): the envelope is strict, while
`data` ignores fields it does not use, so a producer may add context without breaking its consumers.
"""

from __future__ import annotations

from typing import Literal

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field

VersionNumber = str  # MLflow sends version numbers as strings
_VERSION_PATTERN = r"^[1-9][0-9]*$"


class _Data(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str = Field(min_length=1)
    version: VersionNumber = Field(pattern=_VERSION_PATTERN)
    revision: int = Field(ge=1)


class VersionCreatedData(_Data):
    run_id: str | None = None


class AliasCreatedData(_Data):
    alias: str = Field(min_length=1)
    previous_version: VersionNumber | None = Field(default=None, pattern=_VERSION_PATTERN)


class _Detail(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal["1"]
    event_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    timestamp: str
    actor: str | None


class VersionCreatedDetail(_Detail):
    data: VersionCreatedData


class AliasCreatedDetail(_Detail):
    data: AliasCreatedData


class VersionCreatedEvent(EventBridgeModel):
    source: Literal["trackway.registry"]
    detail_type: Literal["model_version.created"] = Field(alias="detail-type")
    detail: VersionCreatedDetail


class AliasCreatedEvent(EventBridgeModel):
    source: Literal["trackway.registry"]
    detail_type: Literal["model_version_alias.created"] = Field(alias="detail-type")
    detail: AliasCreatedDetail


RegistryEvent = VersionCreatedEvent | AliasCreatedEvent


def parse_registry_event(event: dict[str, object]) -> RegistryEvent:
    """Raises Powertools' `ValidationError` for anything else: such an event ends in the dead-letter queue."""
    if event.get("detail-type") == "model_version.created":
        return parse(event=event, model=VersionCreatedEvent)
    return parse(event=event, model=AliasCreatedEvent)
