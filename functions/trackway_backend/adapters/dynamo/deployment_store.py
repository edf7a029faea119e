"""DeploymentStore on DynamoDB: history and live items in the registry table, events in the outbox, each
state change with its events in one TransactWriteItems."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from pynamodb.exceptions import DoesNotExist, PynamoDBException
from pynamodb.transactions import TransactWrite

from trackway_backend.adapters.dynamo.deployment_items import (
    HISTORY_PREFIX,
    LEASE,
    LIVE,
    DeploymentItem,
    DeploymentLeaseItem,
    LiveDeploymentItem,
    deployment_sort_key,
    deployments_key,
)
from trackway_backend.adapters.dynamo.errors import is_condition_failure, translated
from trackway_backend.adapters.dynamo.outbox import outbox_item
from trackway_backend.adapters.dynamo.registry_items import RegistryItem
from trackway_backend.deployment_domain import Deployment, DeploymentStatus, LiveDeployment
from trackway_backend.deployment_ports import DeploymentStore
from trackway_backend.errors import Conflict
from trackway_backend.events import DomainEvent


class _ConditionFailed(Exception):
    pass


class DynamoDeploymentStore(DeploymentStore):
    def start(self, deployment: Deployment, events: Sequence[DomainEvent]) -> bool:
        try:
            self._write(_item(deployment), DeploymentItem.pk.does_not_exist(), events)
        except _ConditionFailed:
            return False
        return True

    def take_over(self, deployment: Deployment, expected_attempt: int) -> bool:
        condition = (DeploymentItem.attempt == expected_attempt) & (
            DeploymentItem.status == DeploymentStatus.IN_PROGRESS.value
        )
        try:
            self._write(_item(deployment), condition, ())
        except _ConditionFailed:
            return False
        return True

    def finish(self, deployment: Deployment, events: Sequence[DomainEvent]) -> None:
        try:
            self._write(_item(deployment), DeploymentItem.attempt == deployment.attempt, events)
        except _ConditionFailed:
            raise Conflict(f"deployment {deployment.deployment_id} was taken over by another attempt") from None

    def get(self, registry_id: str, requested_at: str, deployment_id: str) -> Deployment | None:
        try:
            with translated():
                item = DeploymentItem.get(
                    deployments_key(registry_id), deployment_sort_key(requested_at, deployment_id), consistent_read=True
                )
        except DoesNotExist:
            return None
        return _deployment(item, registry_id)

    def history(self, registry_id: str, limit: int) -> list[Deployment]:
        with translated():
            items = DeploymentItem.query(
                deployments_key(registry_id),
                DeploymentItem.sk.startswith(HISTORY_PREFIX),
                scan_index_forward=False,
                limit=limit,
            )
            return [_deployment(item, registry_id) for item in items]  # type: ignore[arg-type]

    def live(self, registry_id: str) -> LiveDeployment | None:
        try:
            with translated():
                item = LiveDeploymentItem.get(deployments_key(registry_id), LIVE, consistent_read=True)
        except DoesNotExist:
            return None
        return LiveDeployment(
            int(item.version),
            item.deployment_id,
            int(item.revision),
            item.target,
            int(item.updated_at),
            dict(item.details or {}),
        )

    def set_live(self, registry_id: str, live: LiveDeployment) -> bool:
        condition = LiveDeploymentItem.pk.does_not_exist() | (LiveDeploymentItem.revision <= live.revision)
        return self._save_if(_live_item(registry_id, live), condition)

    def restore_live(self, registry_id: str, previous: LiveDeployment | None, replacing: str) -> bool:
        owned = LiveDeploymentItem.deployment_id == replacing
        if previous is not None:
            return self._save_if(_live_item(registry_id, previous), owned)
        try:
            with translated():
                LiveDeploymentItem(deployments_key(registry_id), LIVE).delete(condition=owned)
        except Conflict:
            return False
        return True

    def acquire_lease(self, registry_id: str, holder: str, until: int, now: int) -> bool:
        item = DeploymentLeaseItem(deployments_key(registry_id), LEASE, holder=holder, held_until=until)
        free = (
            DeploymentLeaseItem.pk.does_not_exist()
            | (DeploymentLeaseItem.held_until < now)
            | (DeploymentLeaseItem.holder == holder)
        )
        try:
            with translated():
                item.save(condition=free)
        except Conflict:
            return False
        return True

    def release_lease(self, registry_id: str, holder: str) -> None:
        try:
            with translated():
                DeploymentLeaseItem(deployments_key(registry_id), LEASE).delete(
                    condition=DeploymentLeaseItem.holder == holder
                )
        except Conflict:
            return  # it ran out and another deployment holds it now

    @staticmethod
    def _save_if(item: LiveDeploymentItem, condition: Any) -> bool:
        try:
            with translated():
                item.save(condition=condition)
        except Conflict:
            return False
        return True

    @staticmethod
    def _write(item: DeploymentItem, condition: Any, events: Sequence[DomainEvent]) -> None:
        with _transaction() as transaction:
            transaction.save(item, condition=condition)
            for event in events:
                transaction.save(outbox_item(event))


@contextmanager
def _transaction() -> Iterator[TransactWrite]:
    connection: Any = RegistryItem._get_connection().connection
    try:
        with TransactWrite(connection=connection) as transaction:
            yield transaction
    except PynamoDBException as exc:
        if is_condition_failure(exc):
            raise _ConditionFailed from exc
        with translated():
            raise


def _item(deployment: Deployment) -> DeploymentItem:
    return DeploymentItem(
        pk=deployments_key(deployment.registry_id),
        sk=deployment_sort_key(deployment.requested_at, deployment.deployment_id),
        deployment_id=deployment.deployment_id,
        name=deployment.name,
        version=deployment.version,
        alias=deployment.alias,
        target=deployment.target,
        requested_at=deployment.requested_at,
        revision=deployment.revision,
        started_at=deployment.started_at,
        status=deployment.status.value,
        previous_version=deployment.previous_version,
        finished_at=deployment.finished_at,
        reason=deployment.reason,
        attempt=deployment.attempt,
        lease_expires_at=deployment.lease_expires_at,
        details=deployment.details,
        live_version=deployment.live_version,
    )


def _deployment(item: DeploymentItem, registry_id: str) -> Deployment:
    return Deployment(
        deployment_id=item.deployment_id,
        name=item.name,
        registry_id=registry_id,
        version=int(item.version),
        alias=item.alias,
        target=item.target,
        requested_at=item.requested_at,
        revision=int(item.revision),
        started_at=int(item.started_at),
        status=DeploymentStatus(item.status),
        previous_version=None if item.previous_version is None else int(item.previous_version),
        finished_at=None if item.finished_at is None else int(item.finished_at),
        reason=item.reason,
        attempt=int(item.attempt),
        lease_expires_at=int(item.lease_expires_at),
        details={str(key): str(value) for key, value in (item.details or {}).items()},
        live_version=None if item.live_version is None else int(item.live_version),
    )


def _live_item(registry_id: str, live: LiveDeployment) -> LiveDeploymentItem:
    return LiveDeploymentItem(
        pk=deployments_key(registry_id),
        sk=LIVE,
        version=live.version,
        deployment_id=live.deployment_id,
        revision=live.revision,
        target=live.target,
        updated_at=live.updated_at,
        details=live.details,
    )
