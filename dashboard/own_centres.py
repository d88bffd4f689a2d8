"""The Forecast page's first part: a council analyst's own day centres, entered or uploaded, forecast
centre by centre (attendance and occupancy against break-even by date, the chance of falling below
break-even and of closing by each date, the closure month's distribution, the cost of keeping each
open), compared with the last forecast, and exported as a CSV table and a one-page HTML briefing."""

import io
import re

import pandas as pd
import shared
import streamlit as st

from model.metrics import labels
from model.metrics.columns import GROUP_LABELS
from model.run import centres
from model.scenario import GROUPS, QUINTILES, Scenario, ScenarioError

CENTRE_FIELDS = labels.CENTRE_FIELDS
RUN_BY = {"council": "in_house", "independent": "independent"}
EXAMPLE = pd.DataFrame([["Riverside Resource Centre", 30, 5, 36.0, 11000.0, "council", 40, 40],
                        ["Hillview Day Service", 20, 5, 36.0, 8000.0, "council", 25, 25],
                        ["Old Mill Centre", 24, 5, 36.0, 9000.0, "independent", 20, 30]], columns=list(CENTRE_FIELDS))


def centres_of(scenario: Scenario, council: int) -> pd.DataFrame:
    """The council's named centres as the analyst's table (the example's three when it names none)."""
    named = scenario.councils[council].day_centres
    if not named:
        return EXAMPLE.copy()
    owner = {v: k for k, v in RUN_BY.items()}
    return pd.DataFrame([[getattr(d, f) if f != "ownership" else owner[d.ownership] for f in CENTRE_FIELDS.values()]
                         for d in named], columns=list(CENTRE_FIELDS))


def read_centres(data: bytes, file_name: str) -> pd.DataFrame:
    """An uploaded CSV of centres, with the table's column headings; a one-line error naming what is wrong."""
    try:
        frame = pd.read_csv(io.BytesIO(data[: shared.MAX_UPLOAD_BYTES + 1]))
    except (ValueError, UnicodeDecodeError) as err:
        raise ScenarioError(f"{file_name}: not a readable CSV table ({err})") from None
    missing = [c for c in CENTRE_FIELDS if c not in frame.columns]
    if missing:
        raise ScenarioError(f"{file_name}: missing the column{'s' if len(missing) > 1 else ''} "
                            f"{', '.join(repr(m) for m in missing)} (the columns are {', '.join(CENTRE_FIELDS)})")
    return frame[list(CENTRE_FIELDS)]


def _in_words(message: str, table: pd.DataFrame) -> str:
    """A scenario error about a named centre, with the table's headings in place of the field names."""
    words = {field: heading for heading, field in CENTRE_FIELDS.items()}
    message = re.sub(r"(?:scenario [^:]*: )?councils\.\d+\.day_centres\.(\d+)\.(\w+)",
                     lambda m: f"row {int(m.group(1)) + 1} ({table.iloc[int(m.group(1))]['Centre']}), "
                               f"'{words.get(m.group(2), m.group(2))}'", message)
    for field, heading in words.items():
        message = message.replace(f" {field} ", f" '{heading}' ")
    return message.replace("in_house", "council").replace("day_centres", "centres")


def with_centres(scenario: Scenario, council: int, table: pd.DataFrame) -> Scenario:
    """The scenario with the council's centres as the table says, at one simulated person per real one."""
    rows = []
    for _, row in table.dropna(how="all").iterrows():
        centre = {field: row[heading] for heading, field in CENTRE_FIELDS.items()}
        centre["ownership"] = RUN_BY.get(str(centre["ownership"]).strip().lower(), str(centre["ownership"]))
        for field in ("places", "days_per_week", "block_places", "attendance"):
            centre[field] = int(centre[field]) if pd.notna(centre[field]) and float(centre[field]).is_integer() \
                else centre[field]
        centre["price"], centre["fixed_cost"] = float(centre["price"]), float(centre["fixed_cost"])
        centre["name"] = str(centre["name"])
        rows.append(centre)
    try:
        named = scenario.with_overrides({f"councils.{council}.day_centres": rows})
    except ScenarioError as err:
        raise ScenarioError(_in_words(str(err), table)) from None
    return centres.at_real_scale(named, council)


def clients_of(scenario: Scenario, council: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The council's clients as the analyst's two tables: by client group and by deprivation quintile (the
    scenario's own mix of its people, rounded)."""
    h = labels.CLIENT_HEADERS
    people = scenario.councils[council].population_share * scenario.run.people
    groups = pd.DataFrame({h["group"]: [GROUP_LABELS[g] for g in GROUPS],
                           h["clients"]: [round(people * x) for x in scenario.demography.group_mix]})
    quintiles = pd.DataFrame({h["quintile"]: [GROUP_LABELS[q] for q in QUINTILES],
                              h["clients"]: [round(people * x) for x in scenario.councils[council].deprivation]})
    return groups, quintiles


def with_clients(scenario: Scenario, council: int, groups: pd.DataFrame, quintiles: pd.DataFrame,
                 over65: float) -> Scenario:
    """The scenario with the analyst's client numbers: the people simulated in the council are its clients
    (``run.people``), the client-group mix and the deprivation mix their shares, and the share aged 65 or
    over of clients outside the older-people group ``over65``; a one-line error names a bad number."""
    h = labels.CLIENT_HEADERS
    counts = {}
    for name, table in (("client group", groups), ("deprivation quintile", quintiles)):
        values = pd.to_numeric(table[h["clients"]], errors="coerce")
        if values.isna().any() or (values < 0).any() or values.sum() <= 0:
            raise ScenarioError(f"clients by {name}: each must be a number of people, at least 0, not all 0")
        counts[name] = values.to_numpy(dtype=float)
    total = counts["client group"].sum()
    if abs(counts["deprivation quintile"].sum() - total) > 0.01 * total + 1:
        raise ScenarioError(f"clients by deprivation quintile: must add up to the clients by client group "
                            f"({total:,.0f}; got {counts['deprivation quintile'].sum():,.0f})")
    share = scenario.councils[council].population_share or 1.0
    return scenario.with_overrides({
        "run.people": round(total / share), "demography.group_mix": (counts["client group"] / total).tolist(),
        f"councils.{council}.deprivation": (counts["deprivation quintile"] / counts["deprivation quintile"].sum()
                                            ).tolist(),
        "demography.over65_share_other_groups": float(over65)}, origin="your clients")


def centre_charts(record: shared.RunRecord) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-centre forecast and closure table of a run (named centres only)."""
    run = record.scenario.run
    dc = record.result.daycentres
    dc = dc[dc["centre"] != ""]
    return (centres.centre_forecast(dc, run.replications, run.months),
            centres.closure_table(dc, run.replications, run.months))


def dated_chart(frame: pd.DataFrame, columns: dict[str, str], y_title: str, title: str, y_format: str,
                band: tuple[str, str] | None = None) -> object:
    """Lines by calendar date, one colour per centre and one dash per series in ``columns``, with an
    optional 5-95 % band."""
    import altair as alt

    long = frame.melt(id_vars=["centre", "date", *(band or ())], value_vars=list(columns), var_name="what")
    long["what"] = long["what"].map(columns)
    base = alt.Chart(long).encode(
        x=alt.X("date:T", title="date", axis=alt.Axis(format="%Y", tickCount="year")),
        color=alt.Color("centre:N", title="centre", legend=alt.Legend(orient="bottom", labelLimit=320)))
    line = base.mark_line().encode(
        y=alt.Y("value:Q", title=y_title, axis=alt.Axis(format=y_format)),
        strokeDash=alt.StrokeDash("what:N", title=None, sort=list(columns.values()),
                                  legend=alt.Legend(orient="bottom") if len(columns) > 1 else None),
        tooltip=["centre:N", "what:N", alt.Tooltip("date:T", format="%b %Y"), alt.Tooltip("value:Q", format=y_format)])
    layers = [line]
    if band:
        layers.insert(0, base.mark_area(opacity=0.15).encode(y=f"{band[0]}:Q", y2=f"{band[1]}:Q"))
    return alt.layer(*layers).properties(title=title, height=shared.CHART_HEIGHT)


SUMMARY_HEADINGS = labels.CENTRE_SUMMARY


def readable(closures: pd.DataFrame, forecast: pd.DataFrame) -> pd.DataFrame:
    """The closure table for people: months as calendar months, owners in words, money rounded."""
    when = dict(zip(forecast["month"], forecast["date"].dt.strftime("%b %Y"), strict=False))
    out = closures[list(SUMMARY_HEADINGS)].copy()
    out["ownership"] = out["ownership"].map({"in_house": "council", "independent": "independent"})
    for column in ("closure_month", "closure_month_low", "closure_month_high", "first_below_breakeven"):
        out[column] = [when.get(m, "") if pd.notna(m) else "—" for m in out[column]]
    for column in ("monthly_cost_to_keep_open", "total_cost_to_keep_open"):
        out[column] = out[column].round(-1)
    return out.rename(columns=SUMMARY_HEADINGS)


def own_centres(scenario: Scenario) -> None:
    """The analyst's walk: enter or upload the council's centres, forecast them, compare with the last
    forecast, export a briefing."""
    st.header("Your council's centres")
    st.caption("Enter your centres, or upload a CSV table with these columns. Each centre's costs and price are "
               "its own; a council centre is funded and closed by the council, an independent one closes when its "
               "money runs out. The council is stylised: its people are drawn from published figures.")
    names = [c.name for c in scenario.councils]
    council = names.index(st.selectbox("Council", names, key="forecast:own_council")) if len(names) > 1 else 0
    upload = st.file_uploader("Upload your centres (CSV)", type=["csv"], key="forecast:centres_file")
    table = centres_of(scenario, council)
    if upload is not None:
        try:
            table = read_centres(upload.getvalue(), upload.name)
            st.success(f"Read {len(table)} centres from {upload.name}.")
        except ScenarioError as err:
            st.error(str(err))
    edited = st.data_editor(table, num_rows="dynamic", key=f"forecast:centres:{upload.name if upload else ''}",
                            column_config={"Run by": st.column_config.SelectboxColumn(options=list(RUN_BY)),
                                           "Price (£ a day)": st.column_config.NumberColumn(format="£%.2f"),
                                           "Fixed cost (£ a month)": st.column_config.NumberColumn(format="£%.0f")})
    with st.expander("Your clients (optional): numbers by client group and deprivation"):
        st.caption("Leave as shown to use the stylised council's mix. The forecast then simulates these clients "
                   "one for one.")
        groups, quintiles = clients_of(scenario, council)
        left, right = st.columns(2)
        groups = left.data_editor(groups, hide_index=True, disabled=[labels.CLIENT_HEADERS["group"]],
                                  key="forecast:clients_groups")
        quintiles = right.data_editor(quintiles, hide_index=True, disabled=[labels.CLIENT_HEADERS["quintile"]],
                                      key="forecast:clients_quintiles")
        over65 = st.number_input(str(labels.parameter("demography.over65_share_other_groups")), 0.0, 1.0,
                                 float(scenario.demography.over65_share_other_groups), 0.05,
                                 key="forecast:clients_over65")
    try:
        named = with_centres(with_clients(scenario, council, groups, quintiles, over65), council, edited)
    except ScenarioError as err:
        st.error(str(err))
        return
    shared.show_estimate([named])
    clicked = st.button("Forecast these centres", type="primary", key="forecast:centres_run")
    record = shared.run(named, clicked)
    if record is None:
        shared.ask_to_run("Forecast these centres")
        return
    history: list = st.session_state.setdefault("forecast:history", [])
    key = shared.run_key(named)
    if not history or history[-1][0] != key:
        history.append((key, record, edited.copy()))
        del history[:-2]
    forecast, closures = centre_charts(record)
    st.subheader("Attendance and occupancy by date")
    shared.show(dated_chart(forecast, {"attendance": "attendance"}, "people attending",
                            "Attendance (mean and 5–95% band)", ",.0f", band=("attendance_low", "attendance_high")))
    shared.show(dated_chart(forecast, {"occupancy": "occupancy", "breakeven_occupancy": "break-even"},
                            "share of places", "Occupancy against break-even occupancy (while open)", ".0%"))
    shared.show(dated_chart(forecast, {"crossed_share": "below break-even", "closed_share": "closed"}, "chance",
                            "Chance of having fallen below break-even, and of having closed, by each date", ".0%"))
    st.subheader("Closure and the cost of keeping each centre open")
    st.dataframe(readable(closures, forecast), hide_index=True,
                 column_config={"Closes within the forecast": st.column_config.NumberColumn(format="percent"),
                                "Cost of keeping it open (£ a month)": st.column_config.NumberColumn(format="£%,.0f"),
                                "Over the forecast (£)": st.column_config.NumberColumn(format="£%,.0f")})
    st.caption("Cost of keeping it open: for a council centre, its costs less what it is paid; for an independent "
               "centre, the subsidy it would need to break even. Negative: it covers its costs.")
    if len(history) == 2:
        st.subheader("Before and after")
        _, before, before_table = history[0]
        changed = [f"{row['Centre']}: {h.lower()} {before_table.loc[i, h]:,} → {row[h]:,}"
                   for i, row in edited.iterrows() if i in before_table.index for h in CENTRE_FIELDS
                   if h != "Centre" and before_table.loc[i, h] != row[h]]
        st.caption("What changed: " + ("; ".join(changed) if changed else "the run settings") + ".")
        was = readable(centre_charts(before)[1], forecast).set_index("Centre")
        now = readable(closures, forecast).set_index("Centre")
        compared = pd.concat({"before": was, "after": now}, axis=1).swaplevel(axis=1).sort_index(axis=1, level=0)
        st.dataframe(compared[[c for c in compared.columns if c[0] in ("Closes within the forecast", "Median closure",
                                                                       "Cost of keeping it open (£ a month)")]])
    title = f"{scenario.councils[council].name}: day-centre forecast"
    cols = st.columns(2)
    cols[0].download_button("Download the forecast (CSV)", data=lambda: shared.csv_bytes(forecast),
                            file_name="centre_forecast.csv", mime="text/csv", on_click="ignore",
                            key="forecast:centres_csv")
    cols[1].download_button("Download the briefing (HTML)", data=lambda: centres.briefing_html(
        forecast, closures, title, note=f"{len(edited)} centres as entered.").encode("utf-8"),
        file_name="centre_briefing.html", mime="text/html", on_click="ignore", key="forecast:briefing")
    st.caption(centres.CAVEAT)
