"""Figures with uncertainty bands across replications (mean line, 5-95% band)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from model.metrics import labels
from model.scenario import PROVIDER_TYPE_LABELS, PROVIDER_TYPES

#: Every line's name comes from the label registry (model.metrics.labels), as on the dashboard.
OPTION_LABELS = {f"share_option{j}": labels.output(f"share_option{j}").text for j in (1, 2, 3, 4)}


def band(monthly: pd.DataFrame, column: str, lo: float = 0.05, hi: float = 0.95) -> pd.DataFrame:
    """Per month: mean, and the lo/hi quantiles across replications."""
    g = monthly.groupby("month")[column]
    return pd.DataFrame({"mean": g.mean(), "lo": g.quantile(lo), "hi": g.quantile(hi)})


def _x(monthly: pd.DataFrame, months: pd.Index) -> pd.Index | np.ndarray:
    """x values of ``months``: their calendar dates when the table has them, else years of the run."""
    if "date" in monthly:
        return monthly.groupby("month")["date"].first().loc[months].to_numpy()
    return months / 12


def _x_label(monthly: pd.DataFrame) -> str:
    return "date" if "date" in monthly else "years"


def plot_band(ax: plt.Axes, monthly: pd.DataFrame, column: str, label: str, **kw: object) -> None:
    b = band(monthly, column)
    line, = ax.plot(_x(monthly, b.index), b["mean"], label=label, **kw)
    ax.fill_between(_x(monthly, b.index), b["lo"], b["hi"], color=line.get_color(), alpha=0.2, linewidth=0)


def _finish(fig: plt.Figure, ax: plt.Axes, title: str, ylabel: str, path: Path, legend: bool = True) -> Path:
    ax.set_title(title)
    ax.set_xlabel("date" if ax.xaxis.get_converter() is not None else "years")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if legend:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def uptake(monthly: pd.DataFrame, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4))
    for col, label in OPTION_LABELS.items():
        plot_band(ax, monthly, col, label)
    return _finish(fig, ax, "Uptake of SDS options", "share of people with a package", path)


def day_centres(monthly: pd.DataFrame, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4))
    plot_band(ax, monthly, "dc_attendance", str(labels.output("dc_attendance")), color="tab:blue")
    ax2 = ax.twinx()
    plot_band(ax2, monthly, "dc_open", str(labels.output("dc_open")), color="tab:red")
    ax2.set_ylabel(str(labels.output("dc_open")))
    ax2.set_ylim(bottom=0)
    ax2.legend(loc="lower right", fontsize=8)
    return _finish(fig, ax, "Day centres: attendance and centres open", "people attending", path)


def providers(monthly: pd.DataFrame, path: Path) -> Path:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for t in PROVIDER_TYPES:
        plot_band(axes[0], monthly, f"capacity_{t}", PROVIDER_TYPE_LABELS[t])
    axes[0].set_title("Supply: places by provider type")
    axes[0].set_xlabel(_x_label(monthly))
    axes[0].set_ylabel("places")
    axes[0].grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    cum = monthly.copy()
    for t in PROVIDER_TYPES:
        for k in ("entries", "exits"):
            cum[f"{k}_{t}"] = cum.groupby("replication")[f"{k}_{t}"].cumsum()
    for t in PROVIDER_TYPES:
        plot_band(axes[1], cum, f"entries_{t}", labels.output(f"entries_{t}").text)
        plot_band(axes[1], cum, f"exits_{t}", labels.output(f"exits_{t}").text, linestyle="--")
    return _finish(fig, axes[1], "Provider entries and exits (cumulative)", "providers", path)


def cost(monthly: pd.DataFrame, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4))
    kinds = {k: labels.output(k).text for k in ("spend_services", "spend_assessment", "spend_admin", "spend_support",
                                                 "crisis_cost")}
    means = monthly.groupby("month")[list(kinds)].mean() / 1e3
    ax.stackplot(_x(monthly, means.index), *(means[k] for k in kinds), labels=list(kinds.values()), alpha=0.8)
    ax2 = ax.twinx()
    plot_band(ax2, monthly, "cost_per_person", f"{labels.output('cost_per_person').text} (right)", color="black")
    ax2.set_ylabel(labels.unit_text(labels.output("cost_per_person").unit))
    # The stack fills the plot, so one legend for both axes goes below it.
    stack, stack_labels = ax.get_legend_handles_labels()
    line, line_labels = ax2.get_legend_handles_labels()
    ax.legend(stack + line, stack_labels + line_labels, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3,
              fontsize=8, frameon=False)
    return _finish(fig, ax, "Cost by kind", "£ thousand/month", path, legend=False)


def equity(monthly: pd.DataFrame, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4))
    for col in ("gap_control", "gap_option1", "gap_met_need", "equity_gap"):
        plot_band(ax, monthly, col, str(labels.output(col)))
    ax.axhline(0, color="grey", linewidth=0.8)
    return _finish(fig, ax, "Equity: Q5 (least deprived) minus Q1 (most deprived)", "gap", path)


FIGURES = {"uptake": uptake, "day_centres": day_centres, "providers": providers, "cost": cost, "equity": equity}


def all_figures(monthly: pd.DataFrame, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    return [f(monthly, out / f"{name}.png") for name, f in FIGURES.items()]
