"""What the dashboard's pages share: scenarios, parameter widgets, cached runs, settings and charts.

The pages are thin faces on the model's public API; this module holds what they have in common.

* **Scenarios**: the built-in ones, one uploaded TOML file (validated by ``loads_scenario``:
  nothing uploaded is executed or unpickled, and no file path is ever taken from the user) and the
  one edited on the Scenario page.
* **Parameter widgets** are labelled from ``parameter_table()`` with unit and allowed range; the
  schema itself validates what is typed in, and a rejected value shows the schema's one-line
  message under its widget.
* **Runs**: :func:`computed` simulates only when a page's "Run" button was pressed; results are
  kept in ``st.session_state`` keyed by the scenario's full text (which includes replications and
  seed), so every other interaction (changing a chart, switching page, downloading) reuses them.
* **Settings** (sidebar): where runs and studies execute and the limits on one request, shown
  read-only: they are deployment settings (``compute.deployment``), never a page input.
* **Compute**: every run and study works in a background :class:`background.Job` on the server's one
  pool (``compute.COMPUTE``); a run shows a progress bar and a Cancel button, and Cancel (or switching
  page while it runs) ends the run's worker processes.
* **Charts**: Altair mean lines with 5-95% bands across replications, from ``model.run.plots.band``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

import altair as alt
import pandas as pd
import streamlit as st
from background import Job
from compute import Deployment, deployment

from model.experiments.runner import ComparisonResult, ProgressFn, compare, run_replications
from model.metrics import labels
from model.metrics.columns import EQUITY_DIMENSIONS, EQUITY_TABLE_OUTCOMES, GROUP_LABELS
from model.run import ensemble, outputs
from model.run.estimate import estimate
from model.run.plots import band
from model.run.simulation import RunResult
from model.scenario import Scenario, ScenarioError, list_scenarios, load_scenario, loads_scenario, parameter_table

#: Uploads larger than this (1 MB; scenario files are a few kB) are refused before they are parsed.
MAX_UPLOAD_BYTES = 1_000_000
#: Results (runs, comparisons) kept per browser session, least recently used dropped first.
MAX_CACHED = 12
#: Label of the scenario as edited on the Scenario page, offered by the other pages' pickers.
EDITED = "as edited on the Scenario page"
UPLOADED = "uploaded: "
#: Height of a line chart in pixels (title, axes and plot).
CHART_HEIGHT = 320
#: The calibrated posterior the Scenario and Compare pages offer (committed with the model; the newest).
POSTERIOR = sorted((Path(__file__).resolve().parents[1] / "model" / "data" / "calibration").glob("posterior-*.csv"))[-1]
#: What a band means when every run has the scenario's own parameters.
RUN_TO_RUN = "Line: mean over replications; band: 5–95% across them (run-to-run variation only)."
#: Run settings offered by the compact scenario picker of the Compare, Forecast and Equity pages.
PICKER_KEYS = ["run.people", "run.replications", "run.seed"]

#: Equity gaps over time (monthly columns), Q5 minus Q1.
GAPS = ("gap_met_need", "gap_control", "gap_option1", "equity_gap")
#: Headline figures shown as metrics (summary figures; labels, units and formats from ``model.metrics.labels``).
HEADLINES = ("share_option1", "share_option3", "equity_gap", "unmet_need", "dc_open", "dc_closures", "displaced",
             "providers_in_deficit", "cost_per_person", "society_cost")
HEADLINE_HELP = {
    "share_option1": "Share of people with a package on Option 1 (direct payment).",
    "share_option3": "Share of people with a package on Option 3 (council-arranged).",
    "equity_gap": "Mean quality of life (SCRQoL / 24) in quintile 5 (least deprived) minus quintile 1 (most deprived).",
    "unmet_need": "Mean share of assessed need not met.",
    "dc_open": "Day centres open.",
    "dc_closures": "Day centres closed over the run.",
    "displaced": "People who lost their provider when it closed, over the run.",
    "providers_in_deficit": "Providers whose reserves are negative.",
    "cost_per_person": "Council spend in the month per person with a package (£); \"no one\" when nobody has one.",
    "society_cost": "Council spend, unpaid care at replacement value and crisis costs per month (£).",
}


# ------------------------------------------------------------------------------------ scenarios
@st.cache_resource(show_spinner=False)
def builtin(name: str) -> Scenario:
    """A built-in scenario by name (loaded once per server; scenarios are immutable)."""
    return load_scenario(name)


@st.cache_resource(show_spinner=False)
def parameters() -> dict[str, dict[str, Any]]:
    """``parameter_table()`` by dotted name (``councils.N.`` for council-level parameters)."""
    return {row["name"]: row for row in parameter_table()}


def read_upload(data: bytes, file_name: str) -> Scenario:
    """Validate uploaded bytes as scenario TOML; raise ScenarioError with a one-line message."""
    origin = f"uploaded file '{file_name}'"
    if len(data) > MAX_UPLOAD_BYTES:
        raise ScenarioError(f"{origin}: {len(data):,} bytes is too large (at most {MAX_UPLOAD_BYTES:,})")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(f"{origin}: not UTF-8 text (a scenario is a TOML text file)") from None
    return loads_scenario(text, origin=origin)


def upload_box() -> None:
    """A TOML uploader; a valid upload is kept for every page, an invalid one is reported in-page."""
    file = st.file_uploader("Upload a scenario (TOML)", type=["toml"], key="upload", max_upload_size=1,
                            help="A scenario file like those in scenarios/; `extends` may name a built-in scenario.")
    if file is None:
        return
    try:
        st.session_state["uploaded"] = read_upload(file.getvalue(), file.name)
    except ScenarioError as err:
        st.error(str(err))


#: The default scenario (`make run`), first in every picker.
DEFAULT_SCENARIO = "sds_rollout"


def scenario_choices(with_edited: bool) -> dict[str, Scenario]:
    """Scenarios a picker offers: the edited one (if any), the uploaded one (if any), the built-ins."""
    out: dict[str, Scenario] = {}
    if with_edited and "edited" in st.session_state:
        out[EDITED] = st.session_state["edited"]
    if "uploaded" in st.session_state:
        out[UPLOADED + st.session_state["uploaded"].name] = st.session_state["uploaded"]
    # The default scenario first (what `make run` runs), the other built-ins after it in name order.
    out.update({name: builtin(name) for name in sorted(list_scenarios(), key=lambda n: (n != DEFAULT_SCENARIO, n))})
    return out


# ------------------------------------------------------------------------------------ parameters
def get_dotted(scenario: Scenario, key: str) -> Any:
    """The value of ``a.b.0.c`` in a scenario."""
    node: Any = scenario
    for part in key.split("."):
        node = node[int(part)] if part.isdigit() else getattr(node, part)
    return node


def schema_row(key: str) -> dict[str, Any]:
    """The ``parameter_table()`` row of a dotted key (``councils.2.x`` is ``councils.N.x``)."""
    parts = key.split(".")
    if parts[0] == "councils":
        parts[1] = "N"
    return parameters()[".".join(parts)]


def literal_choices(key: str) -> tuple[str, ...]:
    """Allowed values of a text parameter declared as a ``Literal`` in the schema."""
    cls: Any = Scenario
    annotation: Any = None
    for part in key.split("."):
        if part.isdigit():
            continue
        annotation = cls.model_fields[part].annotation
        args = get_args(annotation)
        cls = args[0] if args and isinstance(args[0], type) else annotation
    return get_args(annotation)


def _plain(x: float) -> str:
    """A bound as people write it: 5,000,000 rather than 5e+06 (very large ones stay short)."""
    return f"{x:,.0f}" if float(x).is_integer() and abs(x) < 1e10 else f"{x:.3g}"


def widget_label(key: str) -> tuple[str, str]:
    """Label (name, unit, allowed range) and help text (meaning, source) of a parameter widget."""
    row = schema_row(key)
    lo, hi = row["range"]
    label = str(labels.parameter(key))
    if lo is not None and hi is not None:
        label += f" · allowed {_plain(lo)} to {_plain(hi)}"
    return label, f"{row['doc']} Source: {row['source']}."


def parameter_input(key: str, value: Any, widget_key: str) -> Any:
    """One widget for one parameter. Numbers are not clamped: the schema judges them."""
    label, help_text = widget_label(key)
    opts: dict[str, Any] = {"key": widget_key, "help": help_text, "persist_state": "session"}
    if isinstance(value, bool):
        return st.checkbox(label, value, **opts)
    if isinstance(value, str):
        choices = literal_choices(key)
        return st.selectbox(label, choices, index=choices.index(value), format_func=lambda v: labels.choice(key, v),
                            **opts)
    if isinstance(value, int):
        return int(st.number_input(label, value=value, step=1, **opts))
    step = 10.0 ** max(len(f"{abs(value):.0f}") - 3, -2)  # about a hundredth of the value's magnitude
    return float(st.number_input(label, value=float(value), step=step, format="%g", **opts))


def apply_edits(base: Scenario, edits: Mapping[str, Any]) -> tuple[Scenario | None, dict[str, str]]:
    """The edited scenario, or None and the schema's messages keyed by the edit they reject.

    A rule that spans fields (the rollout must end within the run) is reported under the key ``""``
    when no single edit is wrong on its own.
    """
    try:
        return base.with_overrides(dict(edits)), {}
    except ScenarioError as whole:
        errors: dict[str, str] = {}
        for key, value in edits.items():
            try:
                base.with_overrides({key: value})
            except ScenarioError as err:
                errors[key] = str(err)
        return None, errors or {"": str(whole)}


def parameter_form(base: Scenario, groups: Mapping[str, Sequence[str]], prefix: str,
                   columns: int = 3) -> Scenario | None:
    """Widgets for the parameters of each group (a tab each when there are several), validated together.

    Returns the edited scenario, or None after showing under each rejected widget why (the schema's
    message, or this server's limit on people and replications).
    """
    values: dict[str, Any] = {}
    slots: dict[str, Any] = {}
    containers = st.tabs(list(groups)) if len(groups) > 1 else [st.container()]
    for container, keys in zip(containers, groups.values(), strict=True):
        cols = container.columns(columns)
        for i, key in enumerate(keys):
            with cols[i % columns]:
                values[key] = parameter_input(key, get_dotted(base, key), f"{prefix}:{key}")
                slots[key] = st.empty()
    edits = {k: v for k, v in values.items() if v != get_dotted(base, k)}
    scenario, errors = apply_edits(base, edits)
    if scenario is not None:
        with contextlib.suppress(ScenarioError):  # a bad deployment setting: in the sidebar, refused at Run
            errors = deployment().run_errors(scenario)
        scenario = None if errors else scenario
    for key, message in errors.items():
        slots.get(key, st).error(message)
    return scenario


# ------------------------------------------------------------------------------------ settings
def settings_sidebar() -> Deployment | None:
    """The deployment settings, read-only (in the sidebar, on every page); None, with the message, if one is bad."""
    with st.sidebar.expander("Settings", icon=":material/settings:"):
        try:
            settings = deployment()
        except ScenarioError as err:
            st.error(str(err))
            return None
        st.caption(settings.describe())
        st.caption(f"Limits: {settings.max_people:,} people and {settings.max_replications:,} replications per run; "
                   f"N up to {settings.max_n:,} and {settings.max_study_runs:,} runs per study.")
        st.caption("Set where the server is started (CARECON_EXECUTOR, CARECON_WORKERS, CARECON_MAX_...; "
                   "see docs/dashboard.md), not in this page.")
    return settings


# ------------------------------------------------------------------------------------ runs
@dataclass(frozen=True)
class RunRecord:
    """A finished run: the scenario as run, its tables, its summary and how long it took."""

    scenario: Scenario
    result: RunResult
    seconds: float
    with_ensemble: bool = False
    summary: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "summary", outputs.summary(self.result))

    def band_note(self, columns: Sequence[str]) -> str:
        """What a chart's bands of ``columns`` mean (with the ensemble: how much of their width is parameters)."""
        return fan_note(series(self.result.monthly, columns)) if self.with_ensemble else RUN_TO_RUN


def fan_note(lines: Sequence[tuple[str, pd.DataFrame, str]]) -> str:
    """A fan chart's caption: of each line's variance across runs at the horizon, the share from the posterior's
    parameters and the share from run-to-run noise (law of total variance over the pairs sharing a draw)."""
    parts = []
    for label, monthly, column in lines:
        last = monthly[monthly["month"] == monthly["month"].max()].set_index("replication").sort_index()[[column]]
        pairs = len(last) - len(last) % ensemble.PER_DRAW
        share = ensemble.uncertainty_shares(last.iloc[:pairs])["parameter_share"].iloc[0]
        parts.append(f"{label} {share:.0%} parameters, {1 - share:.0%} noise" if pd.notna(share) else
                     f"{label}: no spread to split")
    return ("Fan: 5–95% (light) and 25–75% (dark) across runs drawing their parameters from the calibrated "
            f"posterior. Of the variance at the horizon: {'; '.join(parts)}.")


def digest(text: str) -> str:
    """A short stable hash of a text (for cache and widget keys)."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_key(scenario: Scenario) -> str:
    """Cache key: the scenario's full text, which includes replications and seed."""
    return digest(scenario.to_toml())


def _note_cancelled(label: str) -> None:
    """Remember, for the next script run, that the work called ``label`` was cancelled (see :func:`ask_to_run`)."""
    st.session_state["cancelled"] = label


def computed[T](key: str, start: bool, label: str, compute: Callable[[ProgressFn, Executor], T],
                scenarios: Sequence[Scenario]) -> T | None:
    """The result cached under ``key`` in this session; computed if ``start`` and not yet cached (runs are
    reproducible: the same scenarios, replications and seed give the same result).

    The work runs in a background :class:`Job` on the server's pool while this script shows its progress
    and a Cancel button. Pressing Cancel, switching page or Streamlit stopping the session interrupts
    this script at its next progress update, and the job is stopped there: its worker processes end.
    ``scenarios`` above the server's limits, and errors of the experiment layer, are shown in the page
    and give None.
    """
    cache: OrderedDict[str, Any] = st.session_state.setdefault("computed", OrderedDict())
    if start and key not in cache:
        try:
            settings = deployment()
            for scenario in scenarios:
                settings.check_run(scenario)
        except ScenarioError as err:
            st.error(str(err))
            return None
        job = Job(label, total=sum(scenario.run.replications for scenario in scenarios))
        job.start(lambda progress, _cancel, pool: compute(progress, pool))
        cancel = st.empty()
        cancel.button("Cancel", key=f"cancel:{key}", on_click=_note_cancelled, args=(label,),
                      help="Stop now: the runs under way end with their worker processes.")
        bar = st.progress(0.0, text=f"{label}: starting")
        try:
            while job.running:
                bar.progress(job.done / job.total, text=f"{label}: {job.done} of {job.total} runs done, "
                                                        f"{job.seconds:.0f} s")
                job.thread.join(0.25)  # type: ignore[union-attr]
        finally:
            if job.running:  # interrupted: Cancel or another widget, switching page, the session stopped
                job.stop()
            bar.empty()
            cancel.empty()
        if job.error is not None:
            st.error(f"{label} stopped: {job.error}")
            return None
        cache[key] = job.result
        while len(cache) > MAX_CACHED:
            cache.popitem(last=False)
    elif key in cache:
        cache.move_to_end(key)  # least recently used goes first
    return cache.get(key)


def posterior(scenario: Scenario) -> pd.DataFrame:
    """The calibrated posterior checked against ``scenario`` (ScenarioError, one line, if it does not fit)."""
    return ensemble.read_ensemble(POSTERIOR, scenario)


def ensemble_choice(page: str, scenario: Scenario) -> pd.DataFrame | None:
    """A checkbox offering the calibrated posterior; the posterior if ticked and usable (else the reason is shown
    and None)."""
    if not st.checkbox("Include parameter uncertainty (calibrated posterior)", key=f"{page}:ensemble",
                       persist_state="session", help=f"Each pair of replications draws its parameters from "
                       f"{POSTERIOR.name} (carecon calibrate --posterior); the charts become fan charts whose "
                       "caption splits their width into parameters and run-to-run noise. Needs an even number "
                       "of replications, at least 4."):
        return None
    try:
        table = posterior(scenario)
        ensemble.draws(table, scenario.run.replications, scenario.run.seed)
    except ScenarioError as err:
        st.error(str(err))
        return None
    return table


def run(scenario: Scenario, start: bool, with_ensemble: pd.DataFrame | None = None) -> RunRecord | None:
    """The scenario's replications (with parameters drawn from ``with_ensemble`` if given): cached, or run now
    when ``start`` (a Run button was pressed)."""

    def compute(progress: ProgressFn, pool: Executor) -> RunRecord:
        began = time.perf_counter()
        sets = (ensemble.draws(with_ensemble, scenario.run.replications, scenario.run.seed)
                if with_ensemble is not None else None)
        result = run_replications(scenario, scenario.run.replications, scenario.run.seed, executor=pool,
                                  progress=progress, draws=sets)
        return RunRecord(scenario, result, time.perf_counter() - began, with_ensemble is not None)

    key = run_key(scenario) + (":ensemble" if with_ensemble is not None else "")
    return computed(key, start, f"Running {scenario.name}", compute, [scenario])


def comparison(scenarios: Sequence[Scenario], start: bool,
               with_ensemble: pd.DataFrame | None = None) -> ComparisonResult | None:
    """``scenarios`` run on common random numbers (the first's replications and seed) and differenced from the
    first (:func:`model.experiments.runner.compare`): cached, so the Compare and Equity pages share the same
    comparison, or run now when ``start``. With ``with_ensemble``, each pair of replications draws its parameters
    from the posterior."""
    first = scenarios[0].run

    def compute(progress: ProgressFn, pool: Executor) -> ComparisonResult:
        sets = ensemble.draws(with_ensemble, first.replications, first.seed) if with_ensemble is not None else None
        return compare(scenarios, first.replications, first.seed, executor=pool, progress=progress, draws=sets)

    key = "compare:" + "|".join(run_key(s) for s in scenarios) + (":ensemble" if with_ensemble is not None else "")
    return computed(key, start, "Comparing", compute, scenarios)


def who_gains_summary(rows: pd.DataFrame, outcome: str) -> str:
    """One plain-language paragraph: the most and least deprived fifths' change in ``outcome`` (with its
    95% interval), in the outcome's unit."""
    label = labels.output(outcome)
    parts = []
    for group, who in (("Q1", "the most deprived fifth"), ("Q5", "the least deprived fifth")):
        row = rows[(rows["dimension"] == "quintile") & (rows["group"] == group)]
        if row.empty or pd.isna(row["difference"].iloc[0]):
            parts.append(f"{who}: no one with need in some runs")
            continue
        r = row.iloc[0]
        clear = "a clear rise" if r["low"] > 0 else "a clear fall" if r["high"] < 0 else \
            "no clear change: the interval spans 0"
        parts.append(f"{who} {label.difference(r['difference'])} {label.interval(r['low'], r['high'])} ({clear})")
    return f"{label.text}: " + "; ".join(parts) + "."


#: What the who-gains tables of the Compare and Equity pages are over.
WHO_GAINS_NOTE = ("Among everyone with need at or above the starting eligibility threshold, with or without a package: "
                  "each group's outcome under a scenario minus under its comparator, on the same seeds, at the "
                  "horizon; 95% intervals over the paired replications. An interval that spans 0 is not a clear "
                  "gain or loss.")


def who_gains_at_horizon(gains: pd.DataFrame, page: str) -> tuple[str, pd.DataFrame] | None:
    """An outcome chooser (default: met need) and the who-gains rows of that outcome at the horizon; None,
    saying so, when nobody had need in the runs."""
    if gains.empty:
        st.info("No one with need in these runs: nothing to compare by group.")
        return None
    outcomes = list(EQUITY_TABLE_OUTCOMES)
    outcome = st.selectbox("Outcome", outcomes, key=f"{page}:outcome", index=outcomes.index("met_need"),
                           format_func=lambda o: str(labels.output(o)), persist_state="session")
    return outcome, gains[(gains["month"] == gains["month"].max()) & (gains["outcome"] == outcome)]


def who_gains_table(rows: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """A who-gains table (rows of ``ComparisonResult.who_gains`` for one scenario, outcome and month) as people
    read it: groups by name, values in the outcome's unit, headers from ``model.metrics.labels``."""
    label = labels.output(outcome)
    head = {code: str(labels.header(code, outcome)) for code in ("breakdown", "group", "comparator_mean",
                                                                 "scenario_mean", "difference", "interval",
                                                                 "replications")}
    return pd.DataFrame({
        head["breakdown"]: rows["dimension"].map(lambda d: EQUITY_DIMENSIONS[d][0]),
        head["group"]: rows["group"].map(lambda g: GROUP_LABELS.get(g, g)),
        head["comparator_mean"]: rows["comparator_mean"].map(label.format),
        head["scenario_mean"]: rows["scenario_mean"].map(label.format),
        head["difference"]: rows["difference"].map(label.difference),
        head["interval"]: [label.interval(lo, hi) for lo, hi in zip(rows["low"], rows["high"], strict=True)],
        head["replications"]: rows["replications"]})


def pick_scenario(page: str, keys: Sequence[str] = PICKER_KEYS) -> Scenario | None:
    """A compact picker: a scenario (default: as edited on the Scenario page) and its run settings ``keys``."""
    choices = scenario_choices(with_edited=True)
    name = st.selectbox("Scenario", list(choices), key=f"{page}:scenario", persist_state="session")
    base = choices[name]
    return parameter_form(base, {"run": keys}, f"{page}:{run_key(base)}")


def show_estimate(scenarios: Sequence[Scenario], runs: int | None = None) -> None:
    """Before a Run or Start button: how many runs ``scenarios`` (or ``runs`` runs of the first) ask for,
    about how long they take on this server's workers, and the memory each worker needs."""
    with contextlib.suppress(ScenarioError):  # a bad deployment setting is shown in the sidebar
        workers = deployment().workers
        total = sum(s.run.replications for s in scenarios) if runs is None else runs
        st.caption(f"Estimate: {estimate(scenarios[0], total, workers).describe()}.")


def ask_to_run(button: str = "Run") -> None:
    """Say that nothing has been run for the current choice yet (and what was cancelled, if anything was)."""
    cancelled = st.session_state.pop("cancelled", None)
    if cancelled is not None:
        st.warning(f"{cancelled}: cancelled; its worker processes have ended.")
    st.info(f"Press **{button}** to simulate the current choice.")


def headline_metrics(record: RunRecord) -> None:
    """Headline figures at the horizon: mean over replications, 5-95% range beneath."""
    table = record.summary.set_index("figure")
    reps = record.scenario.run.replications
    cols = st.columns(5)
    for i, figure in enumerate(HEADLINES):
        row, label = table.loc[figure], labels.output(figure)
        with cols[i % 5]:  # the name above, in full (a metric's own label is cut to the column's width)
            st.markdown(f"**{label}**", help=f"{HEADLINE_HELP[figure]} Mean over {reps} replications at the "
                        f"horizon (month {record.scenario.run.months}).")
            st.metric(str(label), label.format(row["mean"]), label_visibility="collapsed")
            if pd.notna(row["mean"]):
                st.caption(f"5–95% across runs: {label.format(row['p05'])} to {label.format(row['p95'])}")


# ------------------------------------------------------------------------------------ charts
def series(frame: pd.DataFrame, columns: Sequence[str]) -> list[tuple[str, pd.DataFrame, str]]:
    """``(label, frame, column)`` triples for :func:`band_chart` from one frame's output columns, each named
    by its label in ``model.metrics.labels``."""
    return [(labels.output(column).text, frame, column) for column in columns]


def axis_title(columns: Sequence[str]) -> str:
    """A y-axis title: the unit the output columns share (as it reads), else their labels with units."""
    units = {labels.unit_text(labels.output(c).unit) for c in columns}
    return units.pop() if len(units) == 1 and "" not in units else ", ".join(str(labels.output(c)) for c in columns)


def rollout_start(scenario: Scenario) -> int:
    """The month the SDS offer starts in the scenario's first council to offer it."""
    return min(c.rollout.start_month for c in scenario.councils)


def band_chart(lines: Sequence[tuple[str, pd.DataFrame, str]], y_title: str, title: str,
               y_format: str = ",.3~f", note: str = RUN_TO_RUN, fan: bool = False,
               start: int | None = None) -> alt.LayerChart:
    """Mean line and 5-95% band across replications per month, one colour per ``(label, frame, column)``;
    ``fan`` adds a darker 25-75% band. ``note`` (what the bands mean) is the chart's subtitle; ``start``
    (a month) marks when the SDS offer starts."""
    parts = []
    for label, frame, column in lines:
        b = band(frame, column).reset_index()
        if fan:
            inner = band(frame, column, 0.25, 0.75).reset_index(drop=True)
            b["lo50"], b["hi50"] = inner["lo"], inner["hi"]
        b["years"] = b["month"] / 12
        b["series"] = label
        parts.append(b)
    data = pd.concat(parts, ignore_index=True)
    base = alt.Chart(data).encode(
        x=alt.X("years:Q", title="years"),
        color=alt.Color("series:N", title=None, sort=[label for label, _, _ in lines],
                        scale=alt.Scale(scheme="tableau10"),
                        legend=alt.Legend(orient="right", labelLimit=260, symbolOpacity=1)))
    area = base.mark_area(opacity=0.2).encode(y=alt.Y("lo:Q"), y2="hi:Q")
    line = base.mark_line().encode(
        y=alt.Y("mean:Q", title=y_title, axis=alt.Axis(format=y_format)),
        tooltip=[alt.Tooltip("series:N", title="line"), alt.Tooltip("month:Q", title="month"),
                 alt.Tooltip("mean:Q", format=y_format, title="mean"), alt.Tooltip("lo:Q", format=y_format, title="5%"),
                 alt.Tooltip("hi:Q", format=y_format, title="95%")])
    layers = [area, base.mark_area(opacity=0.35).encode(y="lo50:Q", y2="hi50:Q"), line] if fan else [area, line]
    if start is not None:
        mark = alt.Chart(pd.DataFrame({"years": [start / 12], "text": ["offer starts"]}))
        layers += [mark.mark_rule(color="grey", strokeDash=[3, 3]).encode(x="years:Q"),
                   mark.mark_text(align="left", dx=3, dy=-4, color="grey", baseline="top").encode(
                       x="years:Q", y=alt.value(0), text="text:N")]
    return alt.layer(*layers).properties(title=alt.TitleParams(title, subtitle=_wrap(note)), height=CHART_HEIGHT)


def _wrap(text: str, width: int = 150) -> list[str]:
    """A subtitle in lines of at most ``width`` characters (Vega-Lite does not wrap titles)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + len(word) < width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def show(chart: alt.TopLevelMixin) -> None:
    """Draw an Altair chart across the page's width."""
    st.altair_chart(chart, width="stretch")


# ------------------------------------------------------------------------------------ downloads
def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """A table as Parquet bytes."""
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV bytes."""
    return frame.to_csv(index=False).encode("utf-8")


def table_downloads(tables: Mapping[str, pd.DataFrame], stem: str, key: str) -> None:
    """Choose a table; download it as CSV or Parquet (generated only when a button is pressed)."""
    name = st.selectbox("Table", list(tables), key=f"{key}:table")
    frame = tables[name]
    formats: dict[str, tuple[Callable[[pd.DataFrame], bytes], str]] = {
        "csv": (csv_bytes, "text/csv"), "parquet": (parquet_bytes, "application/vnd.apache.parquet")}
    for col, (ext, (convert, mime)) in zip(st.columns(len(formats)), formats.items(), strict=True):
        col.download_button(f"Download {name} ({ext.upper()})", data=lambda c=convert: c(frame),
                            file_name=f"{stem}_{name}.{ext}", mime=mime, on_click="ignore", key=f"{key}:{ext}")
