"""Names and units for people, from one place: the scenario schema's labels of the parameters
(``param(label=...)``) and the output columns' labels (:mod:`model.metrics.columns`).

The dashboard's pages, ``carecon run``'s printed summary and the figures take every name of a
parameter, an output or a sensitivity index from here, with its unit, so that no page shows a code
identifier ("dc_open") or a key reworded ("Ras rate"). :func:`known` is every text this registry
gives (the dashboard's tests check each rendered label against it).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from model.metrics.columns import (
    BREAKDOWN_METRICS,
    EQUITY_TABLE_OUTCOMES,
    RUN_TOTAL_COLUMNS,
    TABLES,
    WHO_GAINS_COLUMNS,
    Column,
)
from model.scenario import parameter_table

#: Units as people read them: money in £, shares without the "(0-1)" a reader does not need.
_UNIT_WORDS = (("GBP per person per month", "£/person/month"), ("GBP per month", "£/month"),
               ("GBP per year", "£/year"), ("GBP per ", "£ per "), ("GBP", "£"), ("share (0-1)", "share"),
               ("score (0-1)", "score 0–1"), ("0-1", "0–1"))


def unit_text(unit: str) -> str:
    """A unit as a page shows it ("GBP per month" reads "£/month"; "-" and "" read as nothing)."""
    if unit in ("-", ""):
        return ""
    for code, words in _UNIT_WORDS:
        unit = unit.replace(code, words)
    return unit


@dataclass(frozen=True)
class Label:
    """A name for people and its unit (as stored: :func:`unit_text` is how it reads)."""

    text: str
    unit: str = ""

    @property
    def unit_shown(self) -> str:
        """The unit as it reads, or "" when there is none or the name already says it ("Months simulated")."""
        shown = unit_text(self.unit)
        return "" if not shown or shown.lower() in self.text.lower() else shown

    def __str__(self) -> str:
        """The name with its unit: "Cost per person (£/person/month)"."""
        return f"{self.text} ({self.unit_shown})" if self.unit_shown else self.text

    def format(self, value: float) -> str:
        """A value in this unit as people read it: shares as percentages, money in whole pounds,
        differences signed; "no one" where nobody is behind it (NaN)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "no one"
        unit = self.unit
        if unit.startswith("difference"):
            return f"{value:+.3f}"
        if unit.startswith(("share", "0-1")):
            return f"{value:.1%}"
        if unit.startswith("GBP"):
            return _pounds(value)
        if unit.startswith(("score", "index")):
            return f"{value:.3f}"
        return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"


    def difference(self, value: float) -> str:
        """A difference in this unit, signed: shares in percentage points ("+1.5 pp"), money in pounds."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "no one"
        if self.unit.startswith(("share", "0-1")):
            return f"{value * 100:+.1f} pp"
        if self.unit.startswith("GBP"):
            return ("+" if value >= 0 else "-") + _pounds(abs(value))
        return f"{value:+.3f}" if abs(value) < 10 else f"{value:+,.1f}"

    def interval(self, low: float, high: float) -> str:
        """A 95% interval of a difference in this unit: "[+1.0 pp, +1.9 pp]"."""
        if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (low, high)):
            return "(no interval)"
        return f"[{self.difference(low)}, {self.difference(high)}]"


def _pounds(value: float) -> str:
    """Money as people read it: whole pounds, millions to two decimals from a million up (no false precision)."""
    return f"£{value / 1e6:,.2f}m" if abs(value) >= 1e6 else f"£{value:,.0f}"


def _key(name: str) -> str:
    """A parameter's key as the schema names it: ``councils.2.x`` and ``councils.*.x`` are ``councils.N.x``."""
    parts = name.split(".")
    if parts[0] == "councils" and len(parts) > 2:
        parts[1] = "N"
    return ".".join(parts)


@functools.cache
def _parameters() -> dict[str, dict]:
    return {row["name"]: row for row in parameter_table()}


def has_label(name: str) -> bool:
    """Whether the schema gives the parameter ``name`` a label."""
    row = _parameters().get(_key(name))
    return row is not None and row["label"] is not None


def parameter(name: str) -> Label:
    """A parameter's label and unit from the schema; KeyError for one without a label."""
    row = _parameters().get(_key(name))
    if row is None or row["label"] is None:
        raise KeyError(f"{name}: the schema gives this parameter no label (param(label=...))")
    return Label(row["label"], row["unit"])


def choice(name: str, value: str) -> str:
    """How the value of a text parameter reads (the schema's ``choices``)."""
    row = _parameters()[_key(name)]
    return (row["choices"] or {}).get(value, value)


def _outputs() -> dict[str, Column]:
    out: dict[str, Column] = {}
    for table in (BREAKDOWN_METRICS, EQUITY_TABLE_OUTCOMES, TABLES["monthly"], RUN_TOTAL_COLUMNS):
        out.update(table)
    return out


_OUTPUTS = _outputs()


def is_output(name: str) -> bool:
    """Whether ``name`` is an output this registry names."""
    return name in _OUTPUTS


def output(name: str) -> Label:
    """An output's label and unit (a monthly column, a run total, a breakdown metric or an equity outcome)."""
    column = _OUTPUTS[name]
    return Label(column.label, column.unit)


#: Sensitivity indices (``model.experiments.sensitivity``) by their code.
INDICES = {"S1": Label("S1 (first order)"), "ST": Label("ST (total order)"), "S2": Label("S2 (second order)"),
           "mu": Label("µ (mean elementary effect, signed)"), "mu_star": Label("µ* (mean |elementary effect|)"),
           "sigma": Label("σ (spread of effects)")}


#: Headers of the pages' tables: the who-gains table's columns (:data:`WHO_GAINS_COLUMNS`) and the pages' own.
#: A unit "outcome" is the outcome's own unit; "outcome difference" the unit its differences read in
#: (:meth:`Label.difference`: percentage points for shares, pounds for money).
HEADERS = {code: Label(column.label, column.unit) for code, column in WHO_GAINS_COLUMNS.items()} | {
    "breakdown": Label("Breakdown"), "figure": Label("Figure"), "reference_mean": Label("Reference mean"),
    "difference": Label("Difference", "outcome difference"), "low": Label("Low (95%)", "outcome difference"),
    "high": Label("High (95%)", "outcome difference"), "interval": Label("95% interval", "outcome difference"),
    "replications": Label("Paired replications", "runs"), "concentration_index": Label("Concentration index"),
    "mean": Label("Mean over replications"), "p05": Label("5% across replications"),
    "p95": Label("95% across replications")}


#: The analyst's table of day centres (Forecast page, briefing): column heading, with its unit -> the named
#: centre's field (``councils.N.day_centres``).
CENTRE_FIELDS = {"Centre": "name", "Places a day": "places", "Days open a week": "days_per_week",
                 "Price (£ a day)": "price", "Fixed cost (£ a month)": "fixed_cost", "Run by": "ownership",
                 "Block places (people)": "block_places", "Attending now (people)": "attendance"}
#: The forecast's closure table of a council's own centres (:mod:`model.run.centres`): column -> heading.
CENTRE_SUMMARY = {"centre": "Centre", "ownership": "Run by", "closed_share": "Closes within the forecast",
                  "closure_month": "Median closure", "closure_month_low": "Closure, early (5%)",
                  "closure_month_high": "Closure, late (95%)", "first_below_breakeven": "First below break-even",
                  "monthly_cost_to_keep_open": "Cost of keeping it open (£ a month)",
                  "total_cost_to_keep_open": "Over the forecast (£)"}
#: The analyst's client numbers (Forecast page): column -> heading.
CLIENT_HEADERS = {"group": "Client group", "quintile": "Deprivation quintile", "clients": "Clients (people)"}
#: The stylised forecast's closure tables: column -> heading.
FORECAST_HEADERS = {"closed_mean": "Centres closed by the horizon (mean)", "closed_p05": "Centres closed (5%)",
                    "closed_p95": "Centres closed (95%)", "first_closure": "Median month of the first closure",
                    "runs_with_closure": "Runs with a closure (share)", "provider": "Centre",
                    "runs": "Runs with the centre (runs)", "closed_share": "Closed within the forecast (share of runs)",
                    "median_closure_month": "Median closure month",
                    "median_first_month_below_breakeven": "Median first month below break-even"}


def difference_unit(outcome: str) -> str:
    """The unit a difference of ``outcome`` reads in: "pp" for shares, the outcome's own unit otherwise."""
    unit = output(outcome).unit
    return "pp" if unit.startswith(("share", "0-1")) else unit


def header(code: str, outcome: str | None = None) -> Label:
    """A table header (:data:`HEADERS`) with its unit; a column in an outcome's unit takes ``outcome``'s."""
    label = HEADERS[code]
    if label.unit == "outcome":
        return Label(label.text, output(outcome).unit if outcome else "")
    if label.unit == "outcome difference":
        return Label(label.text, difference_unit(outcome) if outcome else "")
    return label


def known() -> frozenset[str]:
    """Every text this registry gives: each label alone and with its unit (headers with every outcome's unit)."""
    labels = [Label(r["label"], r["unit"]) for r in _parameters().values() if r["label"]]
    labels += [Label(c.label, c.unit) for c in _OUTPUTS.values()] + list(INDICES.values())
    labels += [header(code, outcome) for code in HEADERS for outcome in (None, *_OUTPUTS)]
    labels += [Label(t) for t in (*CENTRE_FIELDS, *CENTRE_SUMMARY.values(), *FORECAST_HEADERS.values(),
                                  *CLIENT_HEADERS.values())]
    return frozenset(t for label in labels for t in (label.text, str(label)))
