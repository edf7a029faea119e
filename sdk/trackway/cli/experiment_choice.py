"""Which experiment `trackway runs list` shows when none is named: the one with the most recent run."""

from __future__ import annotations

from dataclasses import dataclass

from trackway.client import TrackwayClient
from trackway.entities import Experiment
from trackway.tracking import API

DEFAULT_EXPERIMENT_ID = "0"


@dataclass(frozen=True)
class Choice:
    experiment: Experiment
    why: str  # empty when the user named the experiment


def choose_experiment(client: TrackwayClient, name: str | None, experiment_id: str | None) -> Choice | None:
    """The named experiment (None when no experiment has that name), or else the active experiment that
    holds the most recently started run (Default when no run exists)."""
    if name:
        found = client.get_experiment_by_name(name)
        return None if found is None else Choice(found, "")
    if experiment_id:
        return Choice(client.get_experiment(experiment_id), "")
    experiments = _active_experiments(client)
    if experiments:
        newest = client.search_runs(list(experiments), "", ["attributes.start_time DESC"], 1)
        if newest:
            return Choice(experiments[newest[0].info.experiment_id], "the one with the most recent run")
    default = experiments.get(DEFAULT_EXPERIMENT_ID) or client.get_experiment(DEFAULT_EXPERIMENT_ID)
    return Choice(default, "no experiment has runs yet")


def _active_experiments(client: TrackwayClient) -> dict[str, Experiment]:
    found: dict[str, Experiment] = {}
    token: str | None = None
    while True:
        body = client.rest.call(
            "POST",
            f"{API}/experiments/search",
            {"max_results": 1000, "view_type": "ACTIVE_ONLY", **({"page_token": token} if token else {})},
        )
        for raw in body.get("experiments") or []:
            experiment = Experiment.from_json(raw)
            found[experiment.experiment_id] = experiment
        token = body.get("next_page_token")
        if not token:
            return found


def heading(choice: Choice) -> str:
    experiment = choice.experiment
    line = f"Experiment {experiment.name!r} (id {experiment.experiment_id})"
    if choice.why:
        line += f": {choice.why}; choose another with -e NAME or --experiment-id ID"
    return line
