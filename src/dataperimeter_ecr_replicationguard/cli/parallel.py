"""Run one function over many independent items in worker processes forked from this one,
answers in the items' order: how ``hook-handler scan`` uses more than one CPU.

Workers are forked after the parent has imported what they need (cfn-lint's decoder), so they
start at once and share those pages. Objects alive at the fork are frozen out of the garbage
collector first (``gc.freeze``), as the ``gc`` documentation recommends for fork without exec,
so collections in the workers neither walk nor copy them.

Fork is used only where it is the platform's default and safe (Linux); elsewhere, and for one
job or one item, the items are mapped in this process. Either way the answers are the same:
``function(context, item)`` for every item, in order. A worker that dies (killed, out of
memory) raises :class:`WorkerFailed` instead of hanging or losing answers.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Any, Callable, Iterator, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")
MAX_CHUNK = 32  # items sent to a worker at once: few round trips, still balanced at the end


class WorkerFailed(RuntimeError):
    """A worker process stopped without answering."""


def fork_available() -> bool:
    import multiprocessing  # here, as in ordered_map: a scan in one process never imports it

    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def ordered_map(function: Callable[[Any, T], R], context: Any, items: Sequence[T], jobs: int) -> Iterator[R]:
    """``function(context, item)`` for each item, in order, in ``jobs`` processes at most.
    ``function`` must be a module-level function; ``context`` reaches the workers by the fork
    (it is never pickled); items and answers are pickled."""
    jobs = min(jobs, len(items))
    if jobs <= 1 or not fork_available():
        for item in items:
            yield function(context, item)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    chunk = max(1, min(MAX_CHUNK, len(items) // (jobs * 4)))
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"),
                               initializer=_start_worker, initargs=(function, context))
    try:
        yield from pool.map(_call, items, chunksize=chunk)
    except BrokenProcessPool as error:
        raise WorkerFailed(f"a worker process stopped without answering ({error})") from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if not frozen_before:  # else someone froze on purpose (e.g. an import): leave it frozen
            gc.unfreeze()


_worker: tuple[Callable[[Any, Any], Any], Any] | None = None


def _start_worker(function: Callable[[Any, Any], Any], context: Any) -> None:
    global _worker
    _worker = (function, context)


def _call(item: Any) -> Any:
    assert _worker is not None, "ordered_map's worker was not started"
    function, context = _worker
    return function(context, item)
