"""What the dashboard's pages share: scenarios, parameter widgets, cached runs, settings and charts.

The pages are thin faces on the model's public API; this module holds what they have in common.

* **Scenarios**: the built-in ones, one uploaded TOML file (validated by ``loads_scenario``:
  nothing uploaded is executed or unpickled, and no file path is ever taken from the user) and the
  one edited on the Scenario page.
* **Parameter widgets** are labelled from ``parameter_table()`` with unit and allowed range; the
  schema itself validates what is typed in, and a rejected value shows the schema's one-line
  message under its widget.
* **Runs**: only a page's "Run" button calls :func:`run`. Results are kept in ``st.session_state``
  keyed by the scenario's full text (which includes replications and seed), so every other
  interaction (changing a chart, switching page, downloading) reuses them.
* **Charts**: Altair mean lines with 5-95% bands across replications, from ``model.plots.band``.
"""

from __future__ import annotations

import hashlib
import io
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, get_args

import altair as alt
import pandas as pd
import streamlit as st

from model import outputs
from model.plots import band
from model.scenario import Scenario, ScenarioError, list_scenarios, load_scenario, loads_scenario, parameter_table
from model.simulation import RunResult, simulate_replications

#: Uploads larger than this are refused before they are parsed.
MAX_UPLOAD_BYTES = 256_000
#: Runs kept per browser session (least recently used dropped first).
MAX_CACHED_RUNS = 12
#: Label of the scenario as edited on the Scenario page, offered by the other pages' pickers.
EDITED = "as edited on the Scenario page"
UPLOADED = "uploaded: "

#: Headline figures shown as metrics: summary figure, label, format of one value.
HEADLINES = (
    ("share_option1", "Direct payments (Option 1)", "{:.1%}"),
    ("share_option3", "Council-arranged (Option 3)", "{:.1%}"),
    ("equity_gap", "Wellbeing gap Q5 − Q1", "{:+.3f}"),
    ("unmet_need", "Unmet need", "{:.1%}"),
    ("dc_open", "Day centres open", "{:.1f}"),
    ("dc_closures", "Day-centre closures", "{:.1f}"),
    ("displaced", "People displaced", "{:,.0f}"),
    ("providers_in_deficit", "Providers in deficit", "{:.1f}"),
    ("cost_per_person", "Council cost per person (£/month)", "£{:,.0f}"),
    ("society_cost", "Cost to society (£/month)", "£{:,.0f}"),
)


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
    file = st.file_uploader("Upload a scenario (TOML)", type=["toml"], key="upload",
                            help="A scenario file like those in scenarios/; `extends` may name a built-in scenario.")
    if file is None:
        return
    try:
        st.session_state["uploaded"] = read_upload(file.getvalue(), file.name)
    except ScenarioError as err:
        st.error(str(err))


def scenario_choices(with_edited: bool) -> dict[str, Scenario]:
    """Scenarios a picker offers: the edited one (if any), the uploaded one (if any), the built-ins."""
    out: dict[str, Scenario] = {}
    if with_edited and "edited" in st.session_state:
        out[EDITED] = st.session_state["edited"]
    if "uploaded" in st.session_state:
        out[UPLOADED + st.session_state["uploaded"].name] = st.session_state["uploaded"]
    out.update({name: builtin(name) for name in list_scenarios()})
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


def widget_label(key: str) -> tuple[str, str]:
    """Label (name, unit, allowed range) and help text (meaning, source) of a parameter widget."""
    row = schema_row(key)
    lo, hi = row["range"]
    name = key.rsplit(".", 1)[-1].replace("_", " ")
    parts = [name[0].upper() + name[1:]]
    if row["unit"] not in ("-", ""):
        parts.append(row["unit"])
    if lo is not None and hi is not None:
        parts.append(f"allowed {lo:g} to {hi:g}")
    return " · ".join(parts), f"{row['doc']} Source: {row['source']}."


def parameter_input(key: str, value: Any, widget_key: str) -> Any:
    """One widget for one parameter. Numbers are not clamped: the schema judges them."""
    label, help_text = widget_label(key)
    opts: dict[str, Any] = {"key": widget_key, "help": help_text, "persist_state": "session"}
    if isinstance(value, bool):
        return st.checkbox(label, value, **opts)
    if isinstance(value, str):
        choices = literal_choices(key)
        return st.selectbox(label, choices, index=choices.index(value), **opts)
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


def parameter_form(base: Scenario, groups: Mapping[str, Sequence[str]], prefix: str, columns: int = 3) -> Scenario | None:
    """Widgets for the parameters of each group (a tab each when there are several), validated together.

    Returns the edited scenario, or None after showing under each rejected widget why.
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
    for key, message in errors.items():
        (slots[key] if key in slots else st).error(message)
    return scenario


# ------------------------------------------------------------------------------------ runs
@dataclass(frozen=True)
class RunRecord:
    """A finished run: the scenario as run, its tables, its summary and how long it took."""

    scenario: Scenario
    result: RunResult
    seconds: float
    summary: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "summary", outputs.summary(self.result))


def run_key(scenario: Scenario) -> str:
    """Cache key: the scenario's full text, which includes replications and seed."""
    return hashlib.sha256(scenario.to_toml().encode()).hexdigest()


def _runs() -> OrderedDict[str, RunRecord]:
    return st.session_state.setdefault("runs", OrderedDict())


def cached_run(scenario: Scenario) -> RunRecord | None:
    """The run of exactly this scenario made earlier in this session, if any."""
    runs = _runs()
    key = run_key(scenario)
    if key in runs:
        runs.move_to_end(key)
    return runs.get(key)


def run(scenario: Scenario, label: str) -> RunRecord:
    """Run the scenario's replications with a progress bar and keep the result for the session."""
    reps = scenario.run.replications
    bar = st.progress(0.0, text=f"{label}: 0/{reps} replications")

    def progress(done: int, total: int) -> None:
        bar.progress(done / total, text=f"{label}: {done}/{total} replications")

    start = time.perf_counter()
    result = simulate_replications(scenario, progress=progress)
    record = RunRecord(scenario, result, time.perf_counter() - start)
    bar.empty()
    runs = _runs()
    runs[run_key(scenario)] = record
    while len(runs) > MAX_CACHED_RUNS:
        runs.popitem(last=False)
    return record


def picked_run(page: str, button: str = "Run") -> RunRecord | None:
    """A compact picker (scenario, people, replications) and Run button; the run for the choice.

    Defaults to the scenario edited on the Scenario page. The run is the cached one when this exact
    scenario has been run before in the session; only the button starts a new one.
    """
    choices = scenario_choices(with_edited=True)
    name = st.selectbox("Scenario", list(choices), key=f"{page}:scenario", persist_state="session")
    base = choices[name]
    keys = ["run.people", "run.replications", "run.seed"]
    scenario = parameter_form(base, {"run": keys}, f"{page}:{run_key(base)[:12]}")
    if scenario is None:
        return None
    if st.button(button, type="primary", key=f"{page}:run"):
        return run(scenario, label=scenario.name)
    record = cached_run(scenario)
    if record is None:
        st.info(f"Press **{button}** to simulate this scenario.")
    return record


def headline_metrics(record: RunRecord) -> None:
    """Headline figures at the horizon: mean over replications, 5-95% range beneath."""
    table = record.summary.set_index("figure")
    reps = record.scenario.run.replications
    cols = st.columns(5)
    for i, (figure, label, fmt) in enumerate(HEADLINES):
        row = table.loc[figure]
        with cols[i % 5]:
            st.metric(label, fmt.format(row["mean"]),
                      help=f"Mean over {reps} replications at the horizon (month {record.scenario.run.months}).")
            st.caption(f"5–95%: {fmt.format(row['p05'])} to {fmt.format(row['p95'])}")


# ------------------------------------------------------------------------------------ charts
def series(frame: pd.DataFrame, columns: Mapping[str, str]) -> list[tuple[str, pd.DataFrame, str]]:
    """``(label, frame, column)`` triples for :func:`band_chart` from one frame's columns."""
    return [(label, frame, column) for column, label in columns.items()]


def band_chart(lines: Sequence[tuple[str, pd.DataFrame, str]], y_title: str, title: str,
               y_format: str = ",.3~f") -> alt.LayerChart:
    """Mean line and 5-95% band across replications per month, one colour per ``(label, frame, column)``."""
    parts = []
    for label, frame, column in lines:
        b = band(frame, column).reset_index()
        b["years"] = b["month"] / 12
        b["series"] = label
        parts.append(b)
    data = pd.concat(parts, ignore_index=True)
    base = alt.Chart(data).encode(
        x=alt.X("years:Q", title="years"),
        color=alt.Color("series:N", title=None, sort=[label for label, _, _ in lines],
                        legend=alt.Legend(orient="bottom", columns=2, labelLimit=300)))
    area = base.mark_area(opacity=0.2).encode(y=alt.Y("lo:Q"), y2="hi:Q")
    line = base.mark_line().encode(
        y=alt.Y("mean:Q", title=y_title, axis=alt.Axis(format=y_format)),
        tooltip=["series:N", "month:Q", alt.Tooltip("mean:Q", format=y_format), alt.Tooltip("lo:Q", format=y_format),
                 alt.Tooltip("hi:Q", format=y_format)])
    return (area + line).properties(title=title, height=300)


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
