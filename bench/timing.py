"""Repeated timings and pair-by-pair ratios. Each round runs every side once (interleaved),
so a ratio is computed from two measurements taken at the same moment."""

from __future__ import annotations

import statistics
import time
from typing import Callable


def per_call(fn: Callable[[], object], number: int) -> float:
    """Seconds per call, averaged over ``number`` back-to-back calls."""
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def rounds(sides: dict[str, Callable[[], float]], repeat: int, alternate: bool = False) -> dict[str, list[float]]:
    """``repeat`` rounds; in each, every side yields one measurement (seconds). ``alternate``:
    every other round runs the sides in reverse order (A B, then B A), so neither side is always
    the one that meets what the other left behind (caches, a neighbour's burst of load)."""
    out: dict[str, list[float]] = {name: [] for name in sides}
    order = list(sides.items())
    for i in range(repeat):
        for name, measure in (order[::-1] if alternate and i % 2 else order):
            out[name].append(measure())
    return out


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def ratios(numerator: list[float], denominator: list[float]) -> dict[str, float]:
    """Median/min/max of the per-round ratios numerator[i] / denominator[i]."""
    return summary([a / b for a, b in zip(numerator, denominator)])
