"""Sensitivity page: choose parameters and ranges, a method and a sample size; the study runs in the
background on the experiment layer's executor, with progress and a cancel button; indices with
confidence intervals; completed studies reload from the results store without recomputing.
"""

import contextlib
import os
import threading
from concurrent.futures import Executor
from pathlib import Path

import altair as alt
import pandas as pd
import shared
import streamlit as st
import tomli_w
from background import Job
from compute import deployment

from model.experiments.plots import BARS
from model.experiments.runner import OUTPUTS, ProgressFn
from model.experiments.sensitivity import (
    ANALYSED,
    NOT_PARAMETERS,
    SMALLEST_N,
    design_size,
    load_space,
    loads_space,
    n_for_time,
    noise_warnings,
    run_study,
)
from model.experiments.store import Study, list_studies, load_study
from model.metrics import labels
from model.run.estimate import duration
from model.scenario import ScenarioError, parameter_table

ROOT = Path(__file__).resolve().parent.parent  # the checkout the dashboard runs from
#: The results store: set by whoever starts the server (``CARECON_STUDIES``), never by a page user.
STORE = Path(os.environ.get("CARECON_STUDIES", ROOT / "studies"))
DEFAULT_SPACE = load_space(ROOT / "spaces" / "default.toml")
DEFAULT_PARAMETERS = ["choice.beta_burden", "councils.*.support.capacity", "councils.*.commissioning.block_retention"]
JOB = "sensitivity:job"
METHODS = {"morris": "Morris screening", "sobol": "Sobol (variance-based)"}


def candidates() -> dict[str, dict]:
    """Parameters a study may vary (numeric, with a documented range and a label; ``councils.*`` moves every
    council)."""
    rows = {}
    for row in parameter_table():
        lo, hi = row["range"]
        numeric = isinstance(row["default"], int | float) and not isinstance(row["default"], bool)
        if numeric and lo is not None and hi is not None and row["name"] not in NOT_PARAMETERS \
                and not row["name"].startswith("run.") and row["label"] is not None:
            rows[row["name"].replace("councils.N.", "councils.*.")] = row
    return rows


def default_bounds(name: str, row: dict) -> tuple[float, float]:
    """The bounds of ``spaces/default.toml`` if it names the parameter, else the default ± 50% within range."""
    for p in DEFAULT_SPACE.parameters:
        if p.name == name:
            return p.low, p.high
    lo, hi = row["range"]
    value = row["default"]
    low, high = (max(lo, value * 0.5), min(hi, value * 1.5)) if value else (lo, lo + (hi - lo) / 10)
    return (round(low), round(high)) if isinstance(value, int) else (low, high)


def bound_input(name: str, which: str, value: float, integer: bool) -> float:
    """A low or high bound, labelled with the parameter's unit and allowed range (the space validates it)."""
    label, help_text = shared.widget_label(name)
    opts = {"key": f"sensitivity:{name}:{which}", "help": help_text, "persist_state": "session"}
    if integer:
        return int(st.number_input(f"{which}: {label}", value=int(value), step=1, **opts))
    return float(st.number_input(f"{which}: {label}", value=float(value), format="%g", **opts))


def readable(indices: pd.DataFrame) -> pd.DataFrame:
    """A study's indices with parameters, outputs and indices under their names for people."""

    def name(p: object) -> object:
        return str(labels.parameter(p)) if isinstance(p, str) and labels.has_label(p) else p

    return indices.assign(
        parameter=indices["parameter"].map(name), parameter2=indices["parameter2"].map(name),
        output=indices["output"].map(lambda o: str(labels.output(o)) if labels.is_output(o) else o),
        index=indices["index"].map(lambda i: labels.INDICES[i].text if i in labels.INDICES else i))


def show_study(study: Study) -> None:
    """A stored study: what it was, its indices with confidence intervals, downloads."""
    m = study.manifest
    st.markdown(f"**{m['target']['name']}**, {METHODS.get(m['method'], m['method'])} with N = {m['n']}: "
                f"{len(study.results)} of {m['n_runs']} runs, status *{m['status']}*, created "
                f"{m['created'][:16].replace('T', ' ')} UTC (stored as `{study.path.name}`)")
    if study.indices.empty:
        st.warning("No indices: the study is not complete. Start it again with the same settings to continue it; "
                   "the finished runs are reused.")
        return
    noisy = noise_warnings(study.indices)
    if noisy:
        reps = m["options"]["replications"]
        st.warning(f"Some indices cannot be told from noise at N = {m['n']} with {reps} replication(s) per point; "
                   "a larger N or more replications per point narrows the intervals:\n\n"
                   + "\n".join(f"- {line}" for line in noisy))
    shown = readable(study.indices[study.indices["index"].isin(BARS[m["method"]])]).assign(
        low=lambda d: d["value"] - d["conf"].fillna(0), high=lambda d: d["value"] + d["conf"].fillna(0))
    legend = alt.Legend(orient="bottom", labelLimit=400)
    base = alt.Chart().encode(y=alt.Y("parameter:N", title=None, axis=alt.Axis(labelLimit=420)), yOffset="index:N",
                              color=alt.Color("index:N", title=None, legend=legend))
    bars = base.mark_bar().encode(x=alt.X("value:Q", title="index (with 95% interval)"), tooltip=[
        alt.Tooltip("output:N", title="output"), alt.Tooltip("parameter:N", title="parameter"),
        alt.Tooltip("index:N", title="index"), alt.Tooltip("value:Q", title="value", format=".3g"),
        alt.Tooltip("conf:Q", title="95% half-width", format=".3g")])
    rules = base.mark_rule(color="black").encode(x="low:Q", x2="high:Q")
    shared.show(alt.layer(bars, rules, data=shown).properties(width=240, height=28 * len(shown["parameter"].unique()))
                .facet(facet=alt.Facet("output:N", title=None), columns=2).resolve_scale(x="independent"))
    table = readable(study.indices).rename(columns={
        "output": "Output", "parameter": "Parameter", "parameter2": "With parameter (S2)", "index": "Index",
        "value": "Value", "conf": "95% half-width"})
    st.dataframe(table.dropna(axis="columns", how="all"), hide_index=True)
    shared.table_downloads({"indices": study.indices, "runs": study.table()}, stem=study.path.name,
                           key="sensitivity:download")


def job_panel() -> None:
    """Progress and Cancel of the running study; when it ends, rerun the page to show its results."""
    job: Job = st.session_state[JOB]
    if job.running:
        st.progress(job.done / job.total, text=f"Study {job.label}: {job.done:,} of {job.total:,} design points, "
                                               f"{job.seconds:.0f} s")
        if not job.cancel.is_set() and st.button("Cancel", key="sensitivity:cancel", help="Stop now: the runs "
                                                 "under way end with their worker processes; finished runs are kept."):
            job.stop()
        if job.cancel.is_set():
            st.caption("Cancelling: the runs under way end with their worker processes; finished runs are kept.")
    else:
        st.rerun()


st.title("Sensitivity")
st.caption("Which assumptions drive equity, provider viability and cost? Morris screening ranks parameters by µ* "
           "(σ flags interactions); Sobol gives first- and total-order shares of variance. Studies run in the "
           "background and are kept in the results store; a study with the same settings is reloaded, or continued "
           "if it was stopped, instead of being recomputed.")

target = shared.pick_scenario("sensitivity", ["run.people", "run.replications"])
st.caption("Each design point averages that many replications with common seeds: more replications per point "
           "make each point's figures less noisy, and the indices' intervals narrower.")
known = candidates()
chosen = st.multiselect("Parameters", list(known), default=DEFAULT_PARAMETERS, key="sensitivity:parameters",
                        persist_state="session", format_func=lambda p: str(labels.parameter(p)))
bounds = {}
for name in chosen:
    low, high = default_bounds(name, known[name])
    left, right = st.columns(2)
    integer = isinstance(known[name]["default"], int)
    with left:
        low = bound_input(name, "low", low, integer)
    with right:
        high = bound_input(name, "high", high, integer)
    bounds[name] = {"low": low, "high": high}

method = st.radio("Method", list(METHODS), horizontal=True, key="sensitivity:method", format_func=METHODS.get,
                  persist_state="session")
time_col, n_col, seed_col = st.columns(3)
minutes = float(time_col.number_input("Time you allow (minutes)", value=5.0, min_value=0.5, step=1.0, format="%g",
                                      key="sensitivity:minutes", persist_state="session",
                                      help="N is sized so that the study takes about this long on this server."))
own_n = n_col.checkbox("Set N myself", key="sensitivity:own_n", persist_state="session")
seed = int(seed_col.number_input("Seed", value=1, step=1, key="sensitivity:seed", persist_state="session"))
outputs = st.multiselect("Outputs analysed", list(OUTPUTS), default=list(ANALYSED), key="sensitivity:outputs",
                         persist_state="session", format_func=lambda o: str(labels.output(o)))

suggested = SMALLEST_N[method]
with contextlib.suppress(ScenarioError):  # a bad deployment setting is shown in the sidebar
    settings = deployment()
    if target is not None:
        suggested = n_for_time(method, target, max(len(chosen), 1), minutes * 60, settings.workers, settings.max_n,
                               settings.max_study_runs)
what = "Morris trajectories" if method == "morris" else "Sobol base sample (a power of two)"
n = int(n_col.number_input(f"N: {what}", value=suggested, step=1, key=f"sensitivity:n:{method}",
                           persist_state="session")) if own_n else suggested
if not own_n:
    n_col.caption(f"N = {n}, sized to {duration(minutes * 60)}.")

problem = None
try:
    if not chosen or not outputs:
        raise ScenarioError("choose at least one parameter and one output")
    space = loads_space(tomli_w.dumps({"name": "dashboard", "parameters": bounds}), origin="parameter space")
    runs = design_size(method, n, len(space.parameters))
    if target is not None:
        deployment().check_study(n, runs * target.run.replications)
        problem = (space, runs)
except ScenarioError as err:
    st.error(str(err))

job = st.session_state.get(JOB)
busy = job is not None and job.running
if problem is not None:
    space, runs = problem
    reps = target.run.replications
    st.caption(f"{runs:,} design points × {reps} replication(s) of {target.run.people:,} people over "
               f"{target.run.months} months (see Settings for where they run).")
    shared.show_estimate([target], runs * reps)
    if st.button("Start study", type="primary", disabled=busy, key="sensitivity:start"):

        def work(progress: ProgressFn, cancel: threading.Event, executor: Executor) -> Study:
            return run_study(target, space, method, n, seed, executor=executor, store_root=STORE, resume=True,
                             progress=progress, cancel=cancel, replications=reps, outputs=tuple(outputs))

        job = Job(f"{target.name}-{method}-n{n}", total=runs)
        st.session_state[JOB] = job
        job.start(work)
        busy = True

if busy:
    st.fragment(job_panel, run_every=1.0)()
elif job is not None and job.error:
    st.error(f"The study {job.label} stopped: {job.error}")
elif job is not None and job.result is not None:
    st.success(f"Study {job.label}: {job.result.manifest['status']} in {job.seconds:.1f} s (shown below).")

st.subheader("Studies in the results store")
stored = list_studies(STORE)
if stored.empty:
    st.caption(f"None yet in the results store ({STORE.name}/).")
else:
    names = {row.path: f"{row.created} · {row.target} · {row.method} N={row.n} · {row.runs_done}/{row.n_runs} runs · "
              f"{row.status}" for row in stored.itertuples()}
    paths = list(reversed(names))  # newest first
    latest = str(job.result.path) if job is not None and job.result is not None else paths[0]
    picked = st.selectbox("Study (reloaded from the store; nothing is recomputed)", paths,
                          index=paths.index(latest) if latest in paths else 0, format_func=names.get,
                          key="sensitivity:stored:" + shared.digest("|".join(names.values())))
    show_study(load_study(picked))
