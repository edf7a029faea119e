"""Metric charts as a PNG (matplotlib comes with the `plot` extra).

A metric logged once per run (accuracy, f1, … in the sklearn style) is drawn as bars, one per run, with
the value written on each; a metric with a history is drawn as curves against the step. Either way, a panel
names only the runs that logged that metric.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from trackway.entities import Metric
from trackway.errors import ConfigurationError

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def plot_histories(histories: dict[str, dict[str, list[Metric]]], out: str) -> None:
    """One panel per metric key; `histories[key][run label]` holds that run's points."""
    plt = _pyplot()
    keys = list(histories) or ["(no metrics)"]
    cols = min(2, len(keys))
    rows = math.ceil(len(keys) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6 * cols, 3.5 * rows), squeeze=False)
    runs = dict.fromkeys(label for series in histories.values() for label in series)
    colors = {label: f"C{index % 10}" for index, label in enumerate(runs)}  # a run keeps its colour everywhere
    for index, key in enumerate(keys):
        ax = axes[index // cols][index % cols]
        ax.set_title(key)
        series = {label: points for label, points in histories.get(key, {}).items() if points}
        if not series:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes, color="grey")
            ax.set_xticks([])
            ax.set_yticks([])
        elif all(len(points) == 1 for points in series.values()):
            _bars(ax, {label: points[0].value for label, points in series.items()}, colors)
        else:
            _curves(ax, series, colors)
    for index in range(len(keys), rows * cols):
        axes[index // cols][index % cols].axis("off")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def _bars(ax: Axes, values: dict[str, float], colors: dict[str, str]) -> None:
    labels = list(values)
    bars = ax.bar(range(len(labels)), [values[label] for label in labels], color=[colors[label] for label in labels])
    ax.bar_label(bars, labels=[_short(values[label]) for label in labels], fontsize="small")
    ax.set_xticks(range(len(labels)), labels, rotation=15, ha="right", fontsize="small")
    finite = [v for v in values.values() if math.isfinite(v)]
    if finite:
        low, high = min(0.0, *finite), max(0.0, *finite)
        pad = (high - low) * 0.12 or 1.0
        ax.set_ylim(low - (pad if low < 0 else 0), high + pad)


def _curves(ax: Axes, series: dict[str, list[Metric]], colors: dict[str, str]) -> None:
    for label, points in series.items():
        ordered = sorted(points, key=lambda m: (m.step, m.timestamp))
        style: dict[str, Any] = {"marker": "o"} if len(ordered) == 1 else {}
        ax.plot([m.step for m in ordered], [m.value for m in ordered], label=label, color=colors[label], **style)
    ax.set_xlabel("step")
    ax.legend(fontsize="small")


def _short(value: float) -> str:
    return f"{value:.4g}"


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ConfigurationError("--png needs matplotlib: pip install 'trackway[plot]'") from exc
    return plt
