"""trackway infrastructure: a CDK v2 app and the `TrackwayBackend` construct it deploys."""

from __future__ import annotations

from trackway_infra.backend import TrackwayBackend
from trackway_infra.config import AuthMode, RemovalMode, ServingTarget, TrackwayProps
from trackway_infra.stack import TrackwayStack

__all__ = ["AuthMode", "RemovalMode", "ServingTarget", "TrackwayBackend", "TrackwayProps", "TrackwayStack"]
