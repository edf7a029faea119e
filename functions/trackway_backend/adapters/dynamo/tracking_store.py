"""TrackingStore on DynamoDB with pynamodb: the four aggregate stores over one table, one policy."""

from __future__ import annotations

from trackway_backend.adapters.dynamo.experiment_store import DynamoExperimentStore
from trackway_backend.adapters.dynamo.history_store import DynamoMetricHistoryStore
from trackway_backend.adapters.dynamo.logged_model_store import DynamoLoggedModelStore
from trackway_backend.adapters.dynamo.run_store import DynamoRunStore
from trackway_backend.ports import TrackingStore


class DynamoTrackingStore(
    DynamoExperimentStore, DynamoRunStore, DynamoMetricHistoryStore, DynamoLoggedModelStore, TrackingStore
):
    """Experiments, runs, metric history and logged models in the tracking table."""
