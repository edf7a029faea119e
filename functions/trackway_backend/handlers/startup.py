"""A function's cold start: its entry module's imports run with the cycle collector paused.

Importing a handler creates tens of thousands of long-lived objects (modules, classes, pydantic and pynamodb
models, botocore's tables). CPython's cycle collector, triggered by allocation counts, traverses all of them
again and again while they are being created, and none of them is ever garbage: measured on the tracking
handler, 13-20 % of its import CPU time (bench/RESULTS.md, docs/adr/014-cold-start.md). Each entry
module therefore imports its dependencies inside `collector_paused()`, which then freezes what the imports
created (`gc.freeze`: the collector never traverses them again, during requests either) and turns the
collector back on. The few hundred cyclic leftovers of the imports stay allocated, which is the price.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cycle collector for the block; on the way out, freeze what it built and resume collecting.

    Nested blocks (an entry module importing another) leave the collector to the outermost one; a block that
    raises still resumes it.
    """
    outermost = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if outermost:
            gc.freeze()
            gc.enable()
