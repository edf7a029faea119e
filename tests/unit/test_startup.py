"""The entry modules import with the cycle collector paused, and leave it running and the imports frozen."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from trackway_backend.handlers import startup

ENTRY_MODULES = ("tracking", "registry", "artifacts", "serving", "publisher", "approval", "deployment", "redrive")


@pytest.mark.parametrize("module", ENTRY_MODULES)
def test_importing_an_entry_module_leaves_the_collector_on_and_its_imports_frozen(module: str) -> None:
    code = (
        "import gc\n"
        f"import trackway_backend.handlers.{module} as entry\n"
        "assert callable(entry.handler)\n"
        "print(gc.isenabled(), gc.get_freeze_count() > 1000)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record `gc.freeze` calls instead of freezing the test process's heap."""
    calls: list[bool] = []
    monkeypatch.setattr(startup.gc, "freeze", lambda: calls.append(True))
    return calls


def test_the_block_runs_paused_then_freezes_and_resumes(frozen: list[bool]) -> None:
    assert gc.isenabled()
    with startup.collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    assert frozen == [True]


def test_a_nested_block_leaves_the_collector_to_the_outermost(frozen: list[bool]) -> None:
    with startup.collector_paused():
        with startup.collector_paused():
            pass
        assert not gc.isenabled()
        assert frozen == []
    assert gc.isenabled()
    assert frozen == [True]


def test_a_block_that_raises_still_resumes_the_collector(frozen: list[bool]) -> None:
    with pytest.raises(ImportError), startup.collector_paused():
        raise ImportError("a missing dependency")
    assert gc.isenabled()


def test_a_collector_already_off_stays_off(frozen: list[bool]) -> None:
    gc.disable()
    try:
        with startup.collector_paused():
            pass
        assert not gc.isenabled()
        assert frozen == []
    finally:
        gc.enable()
