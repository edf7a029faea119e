"""pynamodb items of deployments, in the registry table under the model's immutable registry id (so a
rename keeps its history; key design of the registry: docs/adr/004-registry-table-keys.md).

| item              | pk                 | sk                                  |
|-------------------|--------------------|-------------------------------------|
| deployment        | DEP#<registry_id>  | D#<requested_at>#<deployment_id>    |
| live deployment   | DEP#<registry_id>  | #LIVE                               |
| deployment lease  | DEP#<registry_id>  | #LEASE                              |

`requested_at` is the alias event's timestamp, so a query on `D#` lists the history in order, and the key
of a deployment follows from its event alone: a redelivered event finds the deployment it started. The
lease names the one deployment of the model that may touch its serving target now (logic/deployment/turns.py).
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from trackway_backend.adapters.dynamo.registry_items import RegistryItem

LIVE = "#LIVE"
LEASE = "#LEASE"
HISTORY_PREFIX = "D#"


def deployments_key(registry_id: str) -> str:
    return f"DEP#{registry_id}"


def deployment_sort_key(requested_at: str, deployment_id: str) -> str:
    return f"{HISTORY_PREFIX}{requested_at}#{deployment_id}"


class DeploymentItem(RegistryItem, discriminator="deployment"):
    deployment_id = UnicodeAttribute()
    name = UnicodeAttribute()
    version = NumberAttribute()
    alias = UnicodeAttribute()
    target = UnicodeAttribute()
    requested_at = UnicodeAttribute()
    revision = NumberAttribute()
    started_at = NumberAttribute()
    status = UnicodeAttribute()
    previous_version = NumberAttribute(null=True)
    finished_at = NumberAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    attempt = NumberAttribute(default=1)
    lease_expires_at = NumberAttribute(default=0)
    details: JSONAttribute = JSONAttribute(default=dict)
    live_version = NumberAttribute(null=True)


class LiveDeploymentItem(RegistryItem, discriminator="live_deployment"):
    version = NumberAttribute()
    deployment_id = UnicodeAttribute()
    revision = NumberAttribute()
    target = UnicodeAttribute()
    updated_at = NumberAttribute()
    details: JSONAttribute = JSONAttribute(default=dict)


class DeploymentLeaseItem(RegistryItem, discriminator="deployment_lease"):
    holder = UnicodeAttribute()
    held_until = NumberAttribute()  # epoch ms; not the table's TTL attribute, which deletes lazily
