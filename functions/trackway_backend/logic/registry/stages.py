"""Legacy stage transitions, with `archive_existing_versions`, as one conditional transaction."""

from __future__ import annotations

from trackway_backend.errors import InvalidParameter, NotFound
from trackway_backend.logic.clock import now_ms
from trackway_backend.logic.registry import events, validation
from trackway_backend.logic.registry.changes import latest_by_stage, modify
from trackway_backend.ports import RegistryChange, RegistryStore
from trackway_backend.registry_domain import ModelVersion, RegisteredModel, Stage

# A transaction holds at most 100 items: the model, the version, the outbox record and the archived ones.
MAX_ARCHIVED_PER_TRANSITION = 97


def transition(
    store: RegistryStore, name: str, version: str, stage: str, archive_existing_versions: bool, actor: str | None
) -> ModelVersion:
    target_stage = Stage.parse(stage)
    if archive_existing_versions and not target_stage.is_active:
        raise InvalidParameter(
            "Model version transition cannot archive existing model versions because "
            f"'{stage}' is not an Active stage. Valid stages are ['Staging', 'Production']"
        )
    number = validation.version(version)

    def change(model: RegisteredModel) -> RegistryChange:
        versions = list(store.list_versions([model]))
        target = next((found for found in versions if found.version == number), None)
        if target is None:
            raise NotFound(f"Model Version (name={name}, version={number}) not found")
        now = now_ms()
        archived = [
            found
            for found in versions
            if archive_existing_versions and found.version != number and found.current_stage is target_stage
        ]
        if len(archived) > MAX_ARCHIVED_PER_TRANSITION:
            raise InvalidParameter(
                f"Cannot archive {len(archived)} versions in one transition (at most {MAX_ARCHIVED_PER_TRANSITION})"
            )
        for found in archived:
            found.current_stage, found.last_updated_timestamp = Stage.ARCHIVED, now
        from_stage = target.current_stage
        target.current_stage, target.last_updated_timestamp = target_stage, now
        model.latest, model.last_updated_timestamp = latest_by_stage(versions), now
        event = events.stage_transitioned(
            model, number, from_stage, target_stage, [found.version for found in archived], actor
        )
        return RegistryChange(model, versions=[target, *archived], events=[event])

    return modify(store, validation.model_name(name), change).versions[0]
