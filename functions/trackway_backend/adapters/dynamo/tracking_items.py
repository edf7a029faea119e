"""pynamodb items of the tracking table. Key design: docs/adr/001-tracking-table-keys.md.

| item            | pk                 | sk                      | gsi1pk             | gsi1sk                |
|-----------------|--------------------|-------------------------|--------------------|-----------------------|
| experiment      | EXP#<id>           | #META                   | EXPERIMENTS        | <id, zero-padded>     |
| experiment name | EXPNAME#<name>     | #NAME                   |                    |                       |
| id counter      | COUNTER#<name>     | #COUNTER                |                    |                       |
| run summary     | RUN#<run_id>       | #META                   | RUNS#<exp>#<shard> | <start_time>#<run_id> |
| run input       | RUN#<run_id>       | INPUT#… / OUTPUT#…      |                    |                       |
| change mark     | RUNMARK#<exp>#<n>  | #MARK                   |                    |                       |
| metric chunk    | HIST#<run_id>#<key>| <step>#<timestamp>#<h>  |                    |                       |
| shared chunk    | HIST#<run_id>      | <step>#<timestamp>#<h>  |                    |                       |
| logged model    | LM#<model_id>      | #META                   | LMS#<exp>          | <created>#<model_id>  |
"""

from __future__ import annotations

from pynamodb.attributes import (
    BinaryAttribute,
    DiscriminatorAttribute,
    JSONAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

META = "#META"


class ByCollection(GlobalSecondaryIndex["TrackingItem"]):  # type: ignore[no-untyped-call]
    """Listings read only keys from the index and then the items consistently (ADR 008), so it projects
    keys only: a write that changes no key attribute (every summary update) does not write the index."""

    class Meta:
        index_name = "gsi1"
        projection = KeysOnlyProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class TrackingItem(Model):
    class Meta:
        table_name = "trackway-tracking"
        billing_mode = "PAY_PER_REQUEST"
        max_retry_attempts = 5

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_collection = ByCollection()
    expires_at = TTLAttribute(null=True)


class ExperimentItem(TrackingItem, discriminator="experiment"):
    experiment_id = UnicodeAttribute()
    name = UnicodeAttribute()
    artifact_location = UnicodeAttribute()
    lifecycle_stage = UnicodeAttribute()
    creation_time = NumberAttribute()
    last_update_time = NumberAttribute()
    tags: JSONAttribute = JSONAttribute(default=dict)
    revision = NumberAttribute(default=0)


class ExperimentNameItem(TrackingItem, discriminator="experiment_name"):
    experiment_id = UnicodeAttribute()


class CounterItem(TrackingItem, discriminator="counter"):
    value = NumberAttribute(default=0)


class RunItem(TrackingItem, discriminator="run"):
    run_id = UnicodeAttribute()
    experiment_id = UnicodeAttribute()
    run_name = UnicodeAttribute()
    user_id = UnicodeAttribute()
    status = UnicodeAttribute()
    start_time = NumberAttribute()
    end_time = NumberAttribute(null=True)
    artifact_uri = UnicodeAttribute()
    lifecycle_stage = UnicodeAttribute()
    # Params, tags, latest metrics and dataset keys (for `datasets.*` filters) as zlib-compressed JSON
    # (tracking_mapping owns the layout): every logging request rewrites the summary, and compressed it fits
    # in one or two write units instead of four.
    summary = BinaryAttribute(legacy_encoding=False, null=True)
    # Items written before `summary` carry these three JSON strings instead; they still read.
    params: JSONAttribute = JSONAttribute(null=True)
    tags: JSONAttribute = JSONAttribute(null=True)
    metrics: JSONAttribute = JSONAttribute(null=True)
    revision = NumberAttribute(default=0)


class RunLinkItem(TrackingItem, discriminator="run_link"):
    """A dataset input, model input or model output of a run."""

    payload: JSONAttribute = JSONAttribute()


class RunChangeMarkItem(TrackingItem, discriminator="run_change_mark"):
    """The last change of a run summary in one index shard of an experiment (run_summaries): a new `mark`
    on each change, so a search that kept the shard's summaries knows whether they are still current."""

    mark = UnicodeAttribute()
    changed_at = NumberAttribute()  # ms since the epoch, by the writer's clock


class MetricChunkItem(TrackingItem, discriminator="metric_chunk"):
    # Points packed as struct "<qqd" (step, timestamp, value) so one write carries up to 1,000 points.
    points = BinaryAttribute(legacy_encoding=False)
    model_id = UnicodeAttribute(null=True)
    dataset_name = UnicodeAttribute(null=True)
    dataset_digest = UnicodeAttribute(null=True)


class SharedChunkItem(TrackingItem, discriminator="shared_chunk"):
    # Points of several keys from one request, each too few for a chunk of their own (history_chunks).
    payload = BinaryAttribute(legacy_encoding=False)


class LoggedModelItem(TrackingItem, discriminator="logged_model"):
    model_id = UnicodeAttribute()
    experiment_id = UnicodeAttribute()
    name = UnicodeAttribute()
    artifact_location = UnicodeAttribute()
    status = UnicodeAttribute()
    lifecycle_stage = UnicodeAttribute()
    creation_timestamp = NumberAttribute()
    last_updated_timestamp = NumberAttribute()
    model_type = UnicodeAttribute(null=True)
    source_run_id = UnicodeAttribute(null=True)
    tags: JSONAttribute = JSONAttribute(default=dict)
    params: JSONAttribute = JSONAttribute(default=dict)
    metrics: JSONAttribute = JSONAttribute(default=list)
    revision = NumberAttribute(default=0)
