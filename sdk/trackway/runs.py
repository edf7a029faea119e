"""`ActiveRun`: the object `start_run` returns, usable as a context manager."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

from trackway.entities import Run, RunData, RunInfo


class _Ender(Protocol):
    def end_run(self, status: str = "FINISHED", run_id: str | None = None) -> None: ...


class ActiveRun:
    """A started run: `run.info.run_id`, `run.info.artifact_uri`… Ends the run when its `with` block exits:
    FINISHED normally, KILLED on KeyboardInterrupt, FAILED on any other exception."""

    def __init__(self, run: Run, owner: _Ender | None):
        self.info: RunInfo = run.info
        self.data: RunData = run.data
        self._owner = owner

    @property
    def enabled(self) -> bool:
        """False on ranks that do not log: the run is a placeholder with an empty run_id."""
        return self._owner is not None

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._owner is None:
            return
        if exc_type is None:
            status = "FINISHED"
        elif issubclass(exc_type, KeyboardInterrupt):
            status = "KILLED"
        else:
            status = "FAILED"
        self._owner.end_run(status, run_id=self.info.run_id)

    def __repr__(self) -> str:
        return f"<ActiveRun run_id={self.info.run_id!r} experiment_id={self.info.experiment_id!r}>"


def placeholder_run() -> ActiveRun:
    """The run non-logging ranks get: nothing is sent, every call on it is a no-op."""
    return ActiveRun(Run(RunInfo(run_id="", experiment_id="")), None)
