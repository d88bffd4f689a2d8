"""Per-centre forecasts across replications: what a council analyst reads of each day centre.

From a run's day-centre table (one row per replication, month and open centre), for each centre
(its name when the scenario names it, else its provider number): attendance with 5-95 % bands,
occupancy against break-even, the probability of being below break-even now and of having crossed
it by each month, the probability of having closed, the distribution of the closure month, and
what keeping the centre open costs (an in-house centre: the council's net cost; an independent one:
the subsidy it would need). Columns are documented in :mod:`model.metrics.columns` (``centres``,
``centre_closures``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.metrics.columns import CENTRE_COLUMNS, CLOSURE_COLUMNS
from model.scenario import Scenario

KEY = ["council", "centre", "ownership"]


def labelled(daycentres: pd.DataFrame) -> pd.DataFrame:
    """The day-centre table with every centre labelled (its name, or ``centre N`` by provider number)
    and what keeping it open costs each month (in-house: minus its result; independent: its loss)."""
    name = daycentres["centre"].where(daycentres["centre"] != "", "centre " + daycentres["provider"].astype(str))
    cost = np.where(daycentres["ownership"] == "in_house", -daycentres["result"],
                    np.maximum(-daycentres["result"], 0.0))
    return daycentres.assign(centre=name, cost_to_keep_open=cost,
                             below=daycentres["occupancy"] < daycentres["breakeven_occupancy"])


def _grid(frame: pd.DataFrame, replications: int, months: int) -> pd.DataFrame:
    """Every (centre, replication, month) of the run, the months a centre is closed (or not yet open)
    with ``open`` false and attendance 0."""
    centres = frame[KEY].drop_duplicates()
    grid = centres.merge(pd.DataFrame({"replication": np.repeat(np.arange(replications), months),
                                       "month": np.tile(np.arange(1, months + 1), replications)}), how="cross")
    out = grid.merge(frame.assign(open=True), on=[*KEY, "replication", "month"], how="left")
    out["open"] = out["open"].astype("boolean").fillna(False).astype(bool)
    out["attendance"] = out["attendance"].fillna(0.0)
    out["below"] = out["below"].astype("boolean").fillna(False).astype(bool)
    seen = out.groupby([*KEY, "replication"])["open"].transform("cummax")  # opened by now
    out["closed"] = seen.groupby([out[k] for k in [*KEY, "replication"]]).shift(1, fill_value=False) & ~out["open"]
    out["closed"] = out.groupby([*KEY, "replication"])["closed"].cummax()
    out["crossed"] = out.groupby([*KEY, "replication"])["below"].cummax() | out["closed"]
    return out


def centre_forecast(daycentres: pd.DataFrame, replications: int, months: int) -> pd.DataFrame:
    """Per centre and month, across ``replications`` replications of ``months`` months: the columns
    of :data:`~model.metrics.columns.CENTRE_COLUMNS` (``date`` from the table's own dates)."""
    frame = labelled(daycentres)
    grid = _grid(frame, replications, months)
    by = grid.groupby([*KEY, "month"])
    out = by.agg(attendance=("attendance", "mean"), open_share=("open", "mean"), closed_share=("closed", "mean"),
                 crossed_share=("crossed", "mean"))
    out["attendance_low"] = by["attendance"].quantile(0.05)
    out["attendance_high"] = by["attendance"].quantile(0.95)
    out["below_breakeven_share"] = (grid["open"] & grid["below"]).groupby([grid[k] for k in [*KEY, "month"]]).mean()
    opened = frame.groupby([*KEY, "month"])
    out = out.join(opened[["occupancy", "breakeven_occupancy", "cost_to_keep_open"]].mean())
    out = out.reset_index()
    out["date"] = np.datetime64("NaT", "ns")
    if len(daycentres):  # month 1's calendar month, from any row's month and date
        row = daycentres.iloc[0]
        first = np.datetime64(row["date"], "M") - np.timedelta64(int(row["month"]) - 1, "M")
        after = (out["month"].to_numpy(dtype=np.int64) - 1).astype("timedelta64[M]")
        out["date"] = (first + after).astype("datetime64[ns]")
    return out[list(CENTRE_COLUMNS)]


def closure_table(daycentres: pd.DataFrame, replications: int, months: int) -> pd.DataFrame:
    """Per centre: the share of ``replications`` in which it closed within ``months`` months, the
    5th, 50th and 95th percentiles of its closure month, the median first month below break-even and
    the cost of keeping it open (:data:`~model.metrics.columns.CLOSURE_COLUMNS`)."""
    frame = labelled(daycentres)
    grid = _grid(frame, replications, months)
    per_run = grid.groupby([*KEY, "replication"]).agg(
        closed=("closed", "any"), total=("cost_to_keep_open", "sum"))
    per_run["closure_month"] = grid[grid["closed"]].groupby([*KEY, "replication"])["month"].min()
    per_run["first_below"] = grid[grid["open"] & grid["below"]].groupby([*KEY, "replication"])["month"].min()
    by = per_run.groupby(level=KEY)
    out = by.agg(closed_share=("closed", "mean"), first_below_breakeven=("first_below", "median"),
                 total_cost_to_keep_open=("total", "mean"))
    out["replications"] = replications
    out["closure_month_low"] = by["closure_month"].quantile(0.05)
    out["closure_month"] = by["closure_month"].median()
    out["closure_month_high"] = by["closure_month"].quantile(0.95)
    out["monthly_cost_to_keep_open"] = frame.groupby(KEY)["cost_to_keep_open"].mean()
    return out.reset_index()[list(CLOSURE_COLUMNS)]


def at_real_scale(scenario: Scenario, council: int) -> Scenario:
    """The scenario with the council's adults set so that its simulated people are its real caseload
    (one simulated person per real one, ``demography.known_per_1000_adults``): a named centre's
    places, attendance and costs are then the real ones. Per-person results do not depend on it."""
    c = scenario.councils[council]
    people = c.population_share * scenario.run.people
    adults = max(1, round(people / scenario.demography.known_per_1000_adults * 1000.0))
    return scenario.with_overrides({f"councils.{council}.adults": adults})


#: What a briefing says of every forecast it carries.
CAVEAT = ("This is a stylised council: its people, needs and choices are drawn from Scottish and UK published "
          "figures and the model's assumptions, not from the council's own records, and the bands (5-95 %) show "
          "run-to-run variation only, not the uncertainty in those assumptions. Read the dates and probabilities "
          "as what the model's mechanisms imply for centres like these, not as a prediction.")


def _figure_png(forecast: pd.DataFrame, column: str, low: str | None, high: str | None, title: str,
                y_label: str, percent: bool) -> str:
    """One small chart per centre's line (and band) by date, as a base64 PNG."""
    import base64
    import io

    from model.run.plots import plt

    fig, ax = plt.subplots(figsize=(7.0, 2.6), dpi=110)
    for centre, rows in forecast.groupby("centre", sort=False):
        line = ax.plot(rows["date"], rows[column], label=str(centre), linewidth=1.6)
        if low and high:
            ax.fill_between(rows["date"], rows[low], rows[high], color=line[0].get_color(), alpha=0.15)
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_ylabel(y_label, fontsize=8)
    if percent:
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.tick_params(labelsize=8)
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _money(value: float) -> str:
    return "" if pd.isna(value) else f"{'−' if value < 0 else ''}£{abs(value):,.0f}"


def briefing_html(forecast: pd.DataFrame, closures: pd.DataFrame, title: str, note: str = "") -> str:
    """A one-page HTML briefing of a per-centre forecast (:func:`centre_forecast`, :func:`closure_table`):
    attendance and the probability of having crossed break-even by date, a table per centre (closure
    chance and month, first month below break-even, cost of keeping it open), ``note`` and the
    :data:`CAVEAT`. Self-contained: the figures are embedded."""
    import html

    first = forecast["date"].min()
    month_date = {int(m): d for m, d in zip(forecast["month"], forecast["date"], strict=True)}

    def when(month: float) -> str:
        return "" if pd.isna(month) else f"{pd.Timestamp(month_date.get(int(month), first)):%b %Y}"

    rows = "".join(
        f"<tr><td>{html.escape(str(r.centre))}</td><td>{'council' if r.ownership == 'in_house' else 'independent'}"
        f"</td><td>{r.closed_share:.0%}</td><td>{when(r.closure_month_low)}</td><td>{when(r.closure_month)}</td>"
        f"<td>{when(r.closure_month_high)}</td><td>{when(r.first_below_breakeven)}</td>"
        f"<td>{_money(r.monthly_cost_to_keep_open)}</td><td>{_money(r.total_cost_to_keep_open)}</td></tr>"
        for r in closures.itertuples())
    attendance = _figure_png(forecast, "attendance", "attendance_low", "attendance_high",
                             "Attendance (mean and 5-95 % band)", "people attending", percent=False)
    crossed = _figure_png(forecast, "crossed_share", None, None,
                          "Chance of having fallen below break-even occupancy by each date", "chance", percent=True)
    reps = int(closures["replications"].iloc[0]) if len(closures) else 0
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:1.5rem auto;font-size:0.85rem;color:#222}}
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ccc;padding:0.2rem 0.4rem;text-align:left}}
img{{width:100%}}.caveat{{background:#f4f1e8;padding:0.5rem;border-left:4px solid #c9a227}}</style></head>
<body><h1 style="font-size:1.3rem">{html.escape(title)}</h1>
<p>{html.escape(note)} Figures are over {reps} replications, from {pd.Timestamp(first):%B %Y}.</p>
<img alt="Attendance by date" src="data:image/png;base64,{attendance}">
<img alt="Chance of having fallen below break-even by date" src="data:image/png;base64,{crossed}">
<table><tr><th>Centre</th><th>Run by</th><th>Closes within the forecast</th><th>Closure (5 %)</th>
<th>Closure (median)</th><th>Closure (95 %)</th><th>First below break-even (median)</th>
<th>Cost of keeping it open (£ a month)</th><th>Over the forecast (£)</th></tr>{rows}</table>
<p>Cost of keeping it open: for a council centre, its costs less what it is paid (the council's net cost); for an
independent centre, the subsidy it would need to break even.</p>
<p class="caveat">{html.escape(CAVEAT)}</p></body></html>
"""
