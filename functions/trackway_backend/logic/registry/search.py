"""search_model_versions: candidates narrowed by model name where the filter allows, then MLflow's grammar."""

from __future__ import annotations

from trackway_backend.domain import Page
from trackway_backend.logic.registry.models import existing_models
from trackway_backend.logic.search.registry_entities import is_prompt, model_versions_query
from trackway_backend.ports import RegistryStore
from trackway_backend.registry_domain import ModelVersion


def search_versions(
    store: RegistryStore, filter_string: str | None, order_by: list[str], max_results: int, page_token: str | None
) -> Page[ModelVersion]:
    search = model_versions_query(filter_string, order_by, max_results, page_token)
    models = existing_models(store, search.names) if search.names is not None else list(store.list_models())
    if search.hide_prompts:
        models = [model for model in models if not is_prompt(model.tags)]
    return search.run(store.list_versions(models))
