"""pynamodb items of the registry table. Key design: docs/adr/004-registry-table-keys.md.

| item             | pk                   | sk           | gsi1pk  | gsi1sk |
|------------------|----------------------|--------------|---------|--------|
| registered model | RM#<name>            | #META        | MODELS  | <name> |
| model version    | RMV#<registry_id>    | V#<version>  |         |        |

A model's versions are keyed by its immutable `registry_id`, not its name, so a rename moves one item.
"""

from __future__ import annotations

from pynamodb.attributes import DiscriminatorAttribute, JSONAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

META = "#META"
MODELS = "MODELS"


def model_key(name: str) -> str:
    return f"RM#{name}"


def versions_key(registry_id: str) -> str:
    return f"RMV#{registry_id}"


def version_sort_key(version: int) -> str:
    return f"V#{version:010d}"


class ByCollection(GlobalSecondaryIndex["RegistryItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class RegistryItem(Model):
    class Meta:
        table_name = "trackway-registry"
        billing_mode = "PAY_PER_REQUEST"
        max_retry_attempts = 5

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_collection = ByCollection()
    expires_at = TTLAttribute(null=True)


class RegisteredModelItem(RegistryItem, discriminator="registered_model"):
    name = UnicodeAttribute()
    registry_id = UnicodeAttribute()
    creation_timestamp = NumberAttribute()
    last_updated_timestamp = NumberAttribute()
    description = UnicodeAttribute(null=True)
    user_id = UnicodeAttribute(null=True)
    tags: JSONAttribute = JSONAttribute(default=dict)
    aliases: JSONAttribute = JSONAttribute(default=dict)  # alias -> version
    latest: JSONAttribute = JSONAttribute(default=dict)  # stage -> highest version in it
    last_version = NumberAttribute(default=0)
    revision = NumberAttribute(default=0)


class ModelVersionItem(RegistryItem, discriminator="model_version"):
    version = NumberAttribute()
    creation_timestamp = NumberAttribute()
    last_updated_timestamp = NumberAttribute()
    current_stage = UnicodeAttribute()
    source = UnicodeAttribute()
    storage_location = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    user_id = UnicodeAttribute(null=True)
    run_id = UnicodeAttribute(null=True)
    run_link = UnicodeAttribute(null=True)
    model_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    status_message = UnicodeAttribute(null=True)
    tags: JSONAttribute = JSONAttribute(default=dict)
