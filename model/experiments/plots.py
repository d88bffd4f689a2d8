"""Figures of experiments: sensitivity indices and scenario differences, each with its confidence interval."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

#: Which indices are drawn side by side for each method (S2 is tabled, not drawn).
BARS = {"sobol": ("S1", "ST"), "morris": ("mu_star", "sigma")}
LABELS = {"S1": "S1 (first order)", "ST": "ST (total order)", "mu_star": "µ* (mean |elementary effect|)",
          "sigma": "σ (spread of effects)"}


def _save(fig: plt.Figure, path: str | Path | None, rect: tuple[float, ...] = (0, 0, 1, 1)) -> plt.Figure:
    fig.tight_layout(rect=rect)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig


def plot_indices(indices: pd.DataFrame, path: str | Path | None = None, title: str = "") -> plt.Figure:
    """One panel per output: horizontal bars of S1 and ST (Sobol) or µ* and σ (Morris) per parameter,
    with 95% bootstrap intervals as error bars; parameters sorted by ST (or µ*)."""
    kinds = next((bars for bars in BARS.values() if bars[0] in set(indices["index"])), None)
    if kinds is None:
        raise ValueError("plot_indices: no S1/ST or mu_star/sigma rows to draw")
    outputs = list(dict.fromkeys(indices["output"]))
    ncols = min(3, len(outputs))
    nrows = -(-len(outputs) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, nrows * (0.42 * indices["parameter"].nunique() + 1.4)),
                             squeeze=False)
    for ax in axes.flat[len(outputs):]:
        ax.set_visible(False)
    for ax, output in zip(axes.flat, outputs, strict=False):
        rows = indices[(indices["output"] == output) & indices["index"].isin(kinds)]
        wide = rows.pivot(index="parameter", columns="index", values="value")
        conf = rows.pivot(index="parameter", columns="index", values="conf")
        order = wide[kinds[1] if kinds == BARS["sobol"] else kinds[0]].fillna(-np.inf).sort_values().index
        y = np.arange(len(order))
        for k, (kind, colour) in enumerate(zip(kinds, ("tab:blue", "tab:orange"), strict=True)):
            err = conf.loc[order, kind].to_numpy(dtype=float)
            ax.barh(y + (k - 0.5) * 0.38, wide.loc[order, kind], height=0.38, color=colour, label=LABELS[kind],
                    xerr=err if np.isfinite(err).any() else None, capsize=2, error_kw={"elinewidth": 0.8})
        ax.set_yticks(y, order, fontsize=8)
        ax.set_title(output, fontsize=10)
        ax.axvline(0, color="black", linewidth=0.6)
        ax.grid(axis="x", alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncols=2, fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=11)
    return _save(fig, path, rect=(0, 0.04, 1, 1))


def plot_differences(differences: pd.DataFrame, path: str | Path | None = None, ncols: int = 4) -> plt.Figure:
    """Small multiples, one panel per figure in its own units: each scenario's mean paired difference
    from the reference with its 95% interval (a zero line marks "no difference")."""
    figures = list(dict.fromkeys(differences["figure"]))
    scenarios = list(dict.fromkeys(differences["scenario"]))
    nrows = -(-len(figures) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.4 * ncols, 0.35 * len(scenarios) * nrows + 1.3 * nrows + 0.6),
                             squeeze=False)
    for ax in axes.flat[len(figures):]:
        ax.set_visible(False)
    for ax, figure in zip(axes.flat, figures, strict=False):
        d = differences[differences["figure"] == figure].set_index("scenario").loc[scenarios]
        mid = d["mean_difference"].to_numpy(dtype=float)
        err = np.vstack([mid - d["ci_low"].to_numpy(dtype=float), d["ci_high"].to_numpy(dtype=float) - mid])
        for k in range(len(scenarios)):
            ax.errorbar(mid[k], k, xerr=np.nan_to_num(err[:, k:k + 1]), fmt="o", color=f"C{k}", markersize=4, capsize=3)
        ax.axvline(0, color="black", linewidth=0.6)
        ax.set_yticks(np.arange(len(scenarios)), scenarios if ax in axes[:, 0] else [""] * len(scenarios),
                      fontsize=8)
        ax.set_ylim(-0.7, len(scenarios) - 0.3)
        ax.invert_yaxis()
        ax.set_title(figure, fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
        ax.xaxis.set_major_locator(plt.MaxNLocator(4))
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"Difference from {differences['reference'].iloc[0]} (mean of paired differences, 95% CI)",
                 fontsize=10)
    return _save(fig, path)
