"""Metric curves as a PNG (matplotlib comes with the `plot` extra)."""

from __future__ import annotations

import math

from trackway.entities import Metric
from trackway.errors import ConfigurationError


def plot_histories(histories: dict[str, dict[str, list[Metric]]], out: str) -> None:
    """One subplot per metric key, one line per run (x = step)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ConfigurationError("--png needs matplotlib: pip install 'trackway[plot]'") from exc
    keys = list(histories) or ["(no metrics)"]
    cols = min(2, len(keys))
    rows = math.ceil(len(keys) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6 * cols, 3.5 * rows), squeeze=False)
    for index, key in enumerate(keys):
        ax = axes[index // cols][index % cols]
        for label, points in histories.get(key, {}).items():
            ordered = sorted(points, key=lambda m: (m.step, m.timestamp))
            ax.plot([m.step for m in ordered], [m.value for m in ordered], label=label)
        ax.set_title(key)
        ax.set_xlabel("step")
        ax.legend(fontsize="small")
    for index in range(len(keys), rows * cols):
        axes[index // cols][index % cols].axis("off")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
