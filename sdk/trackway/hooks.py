"""Flush on interpreter exit and on SIGTERM/SIGINT, chaining whatever handler was there before.

On a signal every live session flushes (bounded by its exit timeout). Then the previous handler runs:
a Python handler is called (SIGINT's default raises KeyboardInterrupt, so `with start_run()` ends the run
as KILLED); SIG_IGN keeps ignoring; SIG_DFL means the process is about to die, so sessions shut down
(runs marked KILLED) and the signal is re-raised with the default action to keep the exit status right.
"""

from __future__ import annotations

import atexit
import os
import signal
import threading
import weakref
from types import FrameType
from typing import Any, Protocol


class _Closable(Protocol):
    def flush(self, timeout: float | None = None) -> bool: ...

    def shutdown(self, status: str = "FINISHED") -> None: ...


_sessions: weakref.WeakSet[Any] = weakref.WeakSet()
_previous: dict[int, Any] = {}
_lock = threading.Lock()
_atexit_done = False


def _at_exit() -> None:
    for session in list(_sessions):
        session.shutdown()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    previous = _previous.get(signum, signal.SIG_DFL)
    fatal = previous in (signal.SIG_DFL, None)
    for session in list(_sessions):
        if fatal:
            session.shutdown("KILLED")
        else:
            session.flush()
    if callable(previous):
        previous(signum, frame)
    elif fatal:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)


def register(session: _Closable, handle_signals: bool = True) -> None:
    """Flush `session` at exit (and on SIGTERM/SIGINT when `handle_signals`, from the main thread only)."""
    global _atexit_done  # noqa: PLW0603 - process-wide hooks are installed once
    with _lock:
        _sessions.add(session)
        if not _atexit_done:
            atexit.register(_at_exit)
            _atexit_done = True
        if not handle_signals or threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGTERM, signal.SIGINT):
            current = signal.getsignal(signum)
            if current is not _on_signal:
                _previous[signum] = current
                signal.signal(signum, _on_signal)


def unregister(session: _Closable) -> None:
    _sessions.discard(session)
