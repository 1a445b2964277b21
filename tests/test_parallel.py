"""``parallel.ordered_map``: the answers of ``function(context, item)`` in the items' order,
from forked workers, whatever happens to a worker."""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import time

import pytest

from dataperimeter_ecr_replicationguard.cli.parallel import WorkerFailed, fork_available, ordered_map

needs_fork = pytest.mark.skipif(not fork_available(), reason="workers are forked only on Linux")


def square_with_pid(context, item):
    time.sleep(context["pause"])
    return item * item, os.getpid()


def uses_unpicklable_context(context, item):
    with context["lock"]:  # a lock cannot be pickled: it reaches the worker by the fork
        return item + context["offset"]


def dies_on_seven(context, item):
    if item == 7:
        os._exit(3)  # a worker killed mid-scan (out of memory, a signal): no answer, no exception
    return item


def raises_on_three(context, item):
    if item == 3:
        raise ValueError(f"item {item} is bad")
    return item


@needs_fork
def test_answers_in_order_from_more_than_one_worker():
    items = list(range(40))
    answers = list(ordered_map(square_with_pid, {"pause": 0.01}, items, jobs=2))
    assert [value for value, _ in answers] == [i * i for i in items]
    pids = {pid for _, pid in answers}
    assert os.getpid() not in pids and len(pids) == 2


def test_one_job_runs_in_this_process():
    answers = list(ordered_map(square_with_pid, {"pause": 0}, [1, 2, 3], jobs=1))
    assert answers == [(1, os.getpid()), (4, os.getpid()), (9, os.getpid())]


@needs_fork
def test_the_context_is_inherited_not_pickled():
    context = {"lock": threading.Lock(), "offset": 100}
    assert list(ordered_map(uses_unpicklable_context, context, list(range(10)), jobs=2)) == list(range(100, 110))


@needs_fork
def test_a_worker_that_dies_is_reported_not_waited_for():
    started = time.monotonic()
    with pytest.raises(WorkerFailed, match="stopped without answering"):
        list(ordered_map(dies_on_seven, None, list(range(20)), jobs=2))
    assert time.monotonic() - started < 30
    assert multiprocessing.active_children() == []


@needs_fork
def test_an_exception_in_a_worker_reaches_the_caller_after_the_answers_before_it():
    answers = ordered_map(raises_on_three, None, list(range(10)), jobs=2)
    assert [next(answers) for _ in range(3)] == [0, 1, 2]
    with pytest.raises(ValueError, match="item 3 is bad"):
        next(answers)


@needs_fork
def test_stopping_early_leaves_no_worker_and_no_objects_frozen_by_it():
    gc.unfreeze()
    answers = ordered_map(square_with_pid, {"pause": 0.01}, list(range(200)), jobs=2)
    assert next(answers)[0] == 0
    assert gc.get_freeze_count() > 0  # frozen while the workers run, so they do not copy the heap
    answers.close()
    assert multiprocessing.active_children() == []
    assert gc.get_freeze_count() == 0


@needs_fork
def test_objects_frozen_before_stay_frozen():
    gc.freeze()  # as a parent that imported a large library before forking would
    try:
        frozen = gc.get_freeze_count()
        assert list(ordered_map(uses_unpicklable_context, {"lock": threading.Lock(), "offset": 1}, [1, 2], jobs=2)) == [2, 3]
        # unfrozen would be 0; a frozen object that dies meanwhile (a refcount drop elsewhere in
        # the process) leaves the permanent generation, so the count may fall by a few
        assert gc.get_freeze_count() > frozen // 2
    finally:
        gc.unfreeze()
