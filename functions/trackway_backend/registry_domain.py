"""Domain entities of the model registry. Plain data: no HTTP, no DynamoDB."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from trackway_backend.errors import InvalidParameter


class Stage(StrEnum):
    """MLflow's legacy model version stages, in their canonical spelling."""

    NONE = "None"
    STAGING = "Staging"
    PRODUCTION = "Production"
    ARCHIVED = "Archived"

    @classmethod
    def parse(cls, text: str) -> Stage:
        """Case-insensitive, as MLflow's `get_canonical_stage`."""
        for stage in cls:
            if stage.value.lower() == text.lower():
                return stage
        valid = ", ".join(stage.value for stage in cls)
        raise InvalidParameter(f"Invalid Model Version stage: {text}. Value must be one of {valid}.")

    @property
    def is_active(self) -> bool:
        """Only transitions into an active stage may archive the versions already there."""
        return self in (Stage.STAGING, Stage.PRODUCTION)


class VersionStatus(StrEnum):
    PENDING_REGISTRATION = "PENDING_REGISTRATION"
    FAILED_REGISTRATION = "FAILED_REGISTRATION"
    READY = "READY"


@dataclass
class ModelVersion:
    """One version of a registered model. Its model's name and aliases are filled in on read."""

    name: str
    version: int
    creation_timestamp: int
    last_updated_timestamp: int
    source: str
    storage_location: str
    current_stage: Stage = Stage.NONE
    description: str | None = None
    user_id: str | None = None
    run_id: str | None = None
    run_link: str | None = None
    model_id: str | None = None
    status: VersionStatus = VersionStatus.READY
    status_message: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)


@dataclass
class RegisteredModel:
    """A registered model with what every change to it or its versions needs to stay consistent.

    `revision` increases with each committed change to the model or any of its versions, so changes to one
    model are serialised by a conditional write. `last_version` is the version counter; `latest` maps each
    stage to its highest version, so `latest_versions` never needs a scan of the versions.
    """

    name: str
    registry_id: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str | None = None
    user_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    latest: dict[Stage, int] = field(default_factory=dict)
    last_version: int = 0
    revision: int = 0
    latest_versions: list[ModelVersion] = field(default_factory=list)

    def aliases_of(self, version: int) -> list[str]:
        return sorted(alias for alias, target in self.aliases.items() if target == version)
