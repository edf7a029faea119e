"""Synthesizes the stack once per configuration per session (cdk-nag runs on each synth)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.infra.synth import Synth

# The infra app is not a package on the path: tests import it the way infra/app.py does.
INFRA = Path(__file__).resolve().parents[2] / "infra"
if str(INFRA) not in sys.path:
    sys.path.insert(0, str(INFRA))


@pytest.fixture(scope="session")
def default(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    from tests.infra.synth import synthesize

    return synthesize(tmp_path_factory.mktemp("cdk-default"), {})


@pytest.fixture(scope="session")
def full(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    from tests.infra.synth import ALL_OPTIONS, synthesize

    return synthesize(tmp_path_factory.mktemp("cdk-full"), ALL_OPTIONS)


@pytest.fixture(scope="session")
def layer(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    from tests.infra.synth import LAYER_OPTIONS, synthesize

    return synthesize(tmp_path_factory.mktemp("cdk-layer"), LAYER_OPTIONS)


@pytest.fixture(scope="session", params=["default", "full", "layer"])
def each(request: pytest.FixtureRequest) -> Synth:
    """Every configuration, for properties that must hold whatever the options."""
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]
