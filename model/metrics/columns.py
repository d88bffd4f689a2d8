"""The output columns, named once with a human label, a unit and a one-line meaning.

:data:`TABLES` lists, for each table a run writes (``monthly``, ``breakdown``, ``councils``,
``daycentres``, ``summary``), its columns in order; :data:`BREAKDOWN_METRICS`, :data:`DIMENSIONS`
and :data:`RUN_TOTAL_COLUMNS` describe the values of the breakdown's ``metric`` and ``dimension``
columns and the summary's run totals. The recorder produces its columns in these orders, and
``docs/reference/outputs.md`` is generated from here (:func:`model.run.outputs.reference_page`).
"""

from __future__ import annotations

from dataclasses import dataclass

from model.codes import DOMAINS, PROMPTS
from model.scenario import AGE_BANDS, GROUPS, PROVIDER_TYPES, QUINTILES


@dataclass(frozen=True)
class Column:
    """One output column (or a value of the breakdown's ``metric`` column)."""

    name: str
    label: str
    unit: str
    meaning: str


_TYPES = {"day_centre": "day centres", "agency": "agencies", "personal_assistant": "personal assistants",
          "community_group": "community groups"}
_OPTIONS = {1: "Option 1 (direct payment)", 2: "Option 2 (individual service fund)", 3: "Option 3 (council-arranged)",
            4: "Option 4 (a mix)"}
SHARE, SCORE, GBP_MONTH = "share (0-1)", "score (0-1)", "GBP per month"
#: ASCOT's domains (model.codes.DOMAINS) as people read them.
DOMAIN_LABELS = ("Control over daily life", "Personal care", "Food and drink", "Accommodation", "Safety",
                 "Social participation", "Occupation", "Dignity")
#: What prompts a review choice (model.codes.PROMPTS), as the columns of changes by prompt read.
_PROMPTS = dict(zip(PROMPTS, ("none", "a carer's breakdown", "a change in need", "dissatisfaction",
                              "new information (peers, advice and brokerage)"), strict=True))
#: Outcomes among people with a package whose quintile gaps (and, but for satisfaction,
#: concentration indices) are recorded: name -> (label, unit, what the mean is of).
_EQUITY = {"met_need": ("Met need", SHARE, "share of assessed need met"),
           "wellbeing": ("Quality of life", SCORE, "social-care-related quality of life (ASCOT's eight domains, "
                         "SCRQoL / 24)"),
           "control": ("Control", SCORE, "control (the control value of the person's option, choice.control)"),
           "satisfaction": ("Satisfaction", SCORE, "satisfaction with care"),
           "option1": ("Direct-payment take-up", SHARE, "Option 1 indicator (take-up of direct payments)")}
EQUITY_OUTCOMES = tuple(_EQUITY)


def _equity(name: str) -> list[Column]:
    label, unit, what = _EQUITY[name]
    columns = [Column(name, label, unit, f"Mean {what} over people with a package (NaN when nobody has one)."),
               Column(f"gap_{name}", f"{label} gap Q5-Q1", f"difference in {unit.split()[0]}",
                      f"Mean {what} in deprivation quintile Q5 (least deprived) minus Q1 (most deprived), over people "
                      "with a package; positive: the most deprived are worse off; NaN (missing) when Q1 or Q5 has "
                      "nobody with a package.")]
    if name != "satisfaction":
        columns.append(Column(f"ci_{name}", f"{label} concentration index", "index (-1 to 1)",
                              f"Concentration index of {what} over deprivation quintiles (most deprived first, "
                              "mid-point ranks), people with a package; positive: concentrated among the less "
                              "deprived; NaN when the mean is 0 or fewer than two quintiles have anyone."))
    return columns


def _by_type(t: str) -> list[Column]:
    kind = _TYPES[t]
    return [Column(f"active_{t}", f"Active {kind}", "providers", f"{kind.capitalize()} open at the end of the month."),
            Column(f"entries_{t}", f"{kind.capitalize()} entering", "providers",
                   f"{kind.capitalize()} that opened during the month."),
            Column(f"exits_{t}", f"{kind.capitalize()} exiting", "providers",
                   f"{kind.capitalize()} that closed during the month (their clients are displaced).")]


def _capacity(t: str) -> Column:
    return Column(f"capacity_{t}", f"Places at {_TYPES[t]}", "places", f"Client places at active {_TYPES[t]}.")


def _index(columns: list[Column]) -> dict[str, Column]:
    return {c.name: c for c in columns}


_COMMON = _index([
    Column("replication", "Replication", "", "Replication number (0, 1, ...); replication i of a run with seed s "
           "is seeded by numpy's SeedSequence(s).spawn(R)[i]."),
    Column("month", "Month", "month", "Month of the run, from 1: stocks at its end, flows during it."),
    Column("date", "Date", "calendar month", "The month's calendar month (its first day): month 1 is run.start "
           "(model month 0)."),
    Column("council", "Council", "", "Council name (the scenario's councils.N.name)."),
])
_MONTHLY = _index([
    _COMMON["replication"], _COMMON["month"], _COMMON["date"],
    Column("people", "People", "people", "People on the books (referred to social care, living) at the end of the "
           "month, with or without a package."),
    Column("arrivals", "Arrivals", "people", "People newly referred during the month."),
    Column("departures", "Departures", "people", "People who left during the month (death, residential care)."),
    Column("offered_share", "Offered the choice", SHARE,
           "Share of the people on the books who have been offered the SDS choice (NaN when there is nobody)."),
    Column("with_package", "People with a package", "people", "People with a care package (on Options 1-4)."),
    *(Column(f"share_option{j}", f"{_OPTIONS[j]} share", SHARE,
             f"Share of people with a package on {_OPTIONS[j]}; the four shares sum to 1 (NaN, missing, when "
             "nobody has a package).") for j in (1, 2, 3, 4)),
    *(Column(f"sds_option{j}", f"SDS clients on Option {j}", SHARE,
             f"Share of SDS clients (people with a package who have been offered the choice, as the Scottish SDS "
             f"statistics count them) on {_OPTIONS[j]} (NaN with no SDS clients).") for j in (1, 2, 3, 4)),
    Column("sds_65plus", "SDS clients aged 65+", SHARE,
           "Share of SDS clients aged 65 or over (NaN with no SDS clients)."),
    Column("sds_option3_65plus", "Option 3 among SDS clients aged 65+", SHARE,
           "Share of SDS clients aged 65 or over on Option 3 (NaN with none aged 65+)."),
    Column("dp_65plus", "Direct-payment holders aged 65+", SHARE,
           "Share of people on Option 1 (direct payment) aged 65 or over (NaN with nobody on Option 1)."),
    *(c for name in EQUITY_OUTCOMES for c in _equity(name)),
    Column("unmet_need", "Unmet need", SHARE,
           "Mean share of assessed need not met over people with a package: 1 - met_need."),
    Column("equity_gap", "Quality-of-life gap Q5-Q1", "difference in score",
           "The headline equity gap: gap_wellbeing (quality of life, SCRQoL / 24)."),
    *(c for t in PROVIDER_TYPES for c in (*_by_type(t), _capacity(t))),
    Column("dc_open", "Day centres open", "day centres", "Day centres open at the end of the month."),
    Column("dc_attendance", "Day-centre attendance", "people", "Clients of open day centres."),
    Column("dc_occupancy", "Day-centre occupancy", SHARE,
           "Clients of open day centres per place at them (NaN with no places)."),
    Column("dc_below_breakeven", "Day centres below break-even", "day centres",
           "Open day centres whose occupancy is below their break-even occupancy given their current block "
           "contracts (ODD 7.9)."),
    Column("dc_in_deficit", "Day centres in deficit", "day centres",
           "Open day centres whose result this month, block income included, is negative."),
    Column("council_closures", "Own day centres closed by the council", "day centres",
           "The councils' own (in-house) day centres they closed during the month, by decision (close_month or "
           "the occupancy rule of commissioning.in_house_close_occupancy); also counted in exits_day_centre."),
    Column("providers_in_deficit", "Providers in deficit", "providers",
           "Active providers whose reserves are negative."),
    Column("providers_active", "Providers active", "providers", "Active providers of all types."),
    Column("hhi", "Market concentration (HHI)", "HHI (0-10,000)",
           "Herfindahl-Hirschman index of client shares among each council's active providers (types pooled), "
           "averaged over councils weighted by clients; NaN when no provider has clients."),
    Column("displaced", "People displaced", "people", "People who lost a provider when it closed during the month."),
    Column("unmatched", "People unmatched", "people",
           "People seeking a provider who were left without one after this month's matching."),
    Column("handbacks", "Packages handed back", "packages",
           "Council-paid packages home-care agencies handed back during the month because the council's hourly "
           "rate is below their cost per hour (councils.N.commissioning.set_hourly_rate; ODD 7.9); the people "
           "seek a provider again."),
    Column("vacancy_rate", "Care-worker vacancy rate", SHARE,
           "Vacant care-worker posts at home-care agencies per post, at the end of the month (providers.workforce; "
           "NaN, missing, without the workforce or with no posts)."),
    Column("care_workers", "Care workers", "care workers",
           "Care workers employed by home-care agencies at the end of the month, in the model's units "
           "(providers.workforce; 0 without it)."),
    *(Column(f"spend_option{j}", f"Spend on Option {j}", GBP_MONTH,
             f"Council spend on services for people on {_OPTIONS[j]}, net of clawback.") for j in (1, 2, 3, 4)),
    Column("spend_services", "Spend on services", GBP_MONTH,
           "Council spend on services, all options, net of clawback."),
    Column("spend_assessment", "Assessment cost", GBP_MONTH, "Cost of the month's assessments and reviews."),
    Column("spend_admin", "Administration cost", GBP_MONTH,
           "Administration and monitoring of packages (finance.admin_cost by option)."),
    Column("spend_support", "Support cost", GBP_MONTH, "Cost of independent support to choose and manage a budget."),
    Column("spend_short_breaks", "Carers' short breaks", GBP_MONTH,
           "Cost of the month's short breaks for carers (carers.short_breaks, short_break_cost a carer)."),
    Column("spend_in_house", "Net cost of the council's own day centres", GBP_MONTH,
           "The councils' own (in-house) day centres' costs less what they were paid (by the council and by "
           "people's budgets): minus their result, met by council spend (councils.N.day_centres)."),
    Column("council_spend", "Council spend", GBP_MONTH,
           "spend_services + spend_assessment + spend_admin + spend_support + spend_short_breaks + spend_in_house."),
    Column("cost_per_person", "Cost per person", "GBP per person per month",
           "Council spend per person with a package (NaN, missing, when nobody has one)."),
    Column("unpaid_hours", "Unpaid care", "hours per month", "Hours unpaid carers give in the month (weekly hours x "
           "52/12)."),
    Column("unpaid_value", "Value of unpaid care", GBP_MONTH,
           "unpaid_hours at the replacement value of an hour of care (carers.replacement_value)."),
    Column("unpaid_hours_with_need", "Unpaid care per person with need", "hours per month",
           "Hours unpaid carers give in the month per living person with need (need at or above "
           "budgets.eligibility_threshold), with a package or not."),
    Column("carers_strained", "Carers strained", "share",
           "Share of carers giving hours whose strain is above carers.strained_level (they report a health "
           "impact; NaN, missing, when nobody cares)."),
    Column("carer_qol", "Carers' quality of life", "points (0-12)",
           "Mean quality of life of carers giving hours to people with a package, the carers known to councils that "
           "the carers' survey asks (outcomes.carer_qol_*: 12 points as ASCOF 1D scores carer-reported quality of "
           "life; NaN, missing, when there are none)."),
    Column("scrqol", "Social-care-related quality of life", "points (0-24)",
           "Mean SCRQoL over people with a package: the sum of the eight ASCOT domain scores (as ASCOF 1A scores "
           "it; NaN when nobody has a package). wellbeing is this / 24."),
    *(Column(f"ascot_{name}", f"ASCOT domain: {label}", "points (0-3)",
             f"Mean score of the {label.lower()} domain over people with a package (0 high needs, 3 ideal state).")
      for name, label in zip(DOMAINS, DOMAIN_LABELS, strict=True)),
    Column("carer_breakdowns", "Carer breakdowns", "carers", "Unpaid carers who broke down during the month."),
    Column("carer_replacements", "New carers", "carers",
           "People whose carer had broken down who gained a new carer during the month."),
    Column("carer_short_breaks", "Carers given short breaks", "carers",
           "Carers given a short break by the council during the month (carers.short_breaks)."),
    Column("emergency_admissions", "Emergency admissions", "people",
           "Emergency admissions caused by carer breakdowns during the month."),
    Column("crisis_cost", "Crisis cost", GBP_MONTH, "Cost of the month's emergency admissions."),
    Column("society_cost", "Cost to society", GBP_MONTH, "council_spend + unpaid_value + crisis_cost."),
    Column("paid_out", "Paid out", GBP_MONTH, "Paid by councils into direct-payment accounts, to providers directly "
           "(Option 2 and council-arranged spot hours) and for block contracts."),
    Column("provider_received", "Received by providers", GBP_MONTH,
           "Received by providers, from councils and from direct-payment accounts."),
    Column("dp_balance_change", "Change in direct-payment balances", GBP_MONTH,
           "Change in the direct-payment balances held since the month before; paid_out = provider_received + "
           "dp_balance_change + clawback."),
    Column("clawback", "Clawback", GBP_MONTH,
           "Unspent direct-payment money recovered by councils, including the balances of people who left."),
    Column("dp_balances", "Direct-payment balances", "GBP", "Direct-payment balances held at the end of the month."),
    Column("cash_limit", "Cash limit", "GBP per year",
           "The year's cash limits of the councils (finance.cash_per_head x population, grown by "
           "finance.settlement_growth a year; ODD 7.10)."),
    Column("carried_in", "Carried into the year", "GBP",
           "Under- (positive) or overspend (negative) carried into this year from the last (within "
           "finance.carry_over_limit)."),
    Column("year_spend", "Net spend so far this year", "GBP",
           "Councils' net spend (council_spend less charges) from the year's first month to this one."),
    Column("charges", "Charges", GBP_MONTH,
           "Non-residential charges collected (income to the councils, a cost to the people charged)."),
    Column("net_spend", "Net council spend", GBP_MONTH, "council_spend less charges."),
    Column("overspend", "Overspend beyond the levers", "GBP",
           "In a year's last month: the year's net spend beyond the cash limit, what was carried in and the "
           "overspend that may be carried out, which the levers did not prevent; 0 in other months."),
    Column("waiting_list", "Waiting for assessment", "people",
           "People due an assessment or review whom a waiting list held back this month."),
    Column("waiting_new", "Waiting without a package", "people",
           "Of those waiting for assessment, people without a package (most are new referrals)."),
    Column("threshold", "Eligibility threshold", "points",
           "Assessed need at or above which a person gets a budget, mean over councils (the eligibility lever)."),
    Column("ras_rate", "RAS rate at review", "GBP per point per month",
           "Resource allocation rate used at review, mean over councils: budgets.ras_rate less the review "
           "reduction."),
    Column("waiting_list_on", "Waiting list in force", SHARE,
           "Share of councils whose waiting list for assessment is in force (the waiting-list lever)."),
    Column("review_reduction", "Review reduction", SHARE,
           "Cut in budgets set at review, mean over councils (the review-reduction lever)."),
    Column("charge_rate", "Charge rate", "share of chargeable cost",
           "Share of the chargeable part of a package charged, mean over councils (the charging lever)."),
    Column("decommission", "Block places decommissioned", "share of block places",
           "Share of day-centre block places given up, mean over councils (the decommissioning lever)."),
    Column("block_level", "Block contracts held", "share of the starting block contracts",
           "Share of the day-centre block contracts held before rollout that councils hold this month, mean over "
           "councils (commissioning.rundown: on the schedule, or as their commissioning reviews decided)."),
    Column("block_use", "Use of block places", "share of block places",
           "Block places the councils' attendees took this month over those they paid for (missing with none "
           "held); with rundown = occupancy a council gives up places when this runs below "
           "commissioning.block_min_use over a review period."),
    Column("mixed_packages", "Packages with two providers", "share of people with a package",
           "People with a package who bought from two providers this month (Option 4's two slots; with "
           "providers.top_up, a package held in one mode whose first provider's type cannot give all its hours "
           "and its top-up provider); missing with nobody holding a package."),
    Column("mean_wait", "Mean wait", "months",
           "Months waited so far by the people waiting for assessment, on average (missing with nobody waiting)."),
    Column("option_reviews", "Option reviews", "people",
           "Reviews in the month of people holding an SDS option they had chosen: each a decision to keep it or "
           "change (ODD 7.4; first choices, and people not offered the choice, are not counted)."),
    Column("reviews_prompted", "Reviews prompted", "people",
           "Of the option reviews, those where something prompted the person to reconsider: their carer's "
           "breakdown, a change in need, dissatisfaction or new information (choice.prompt_*)."),
    Column("option_changes", "Option changes", "people", "Of the option reviews, those that changed option."),
    Column("option_change_share", "Share of reviews changing option", SHARE,
           "option_changes / option_reviews (NaN, missing, with no option review in the month)."),
    Column("changes_unprompted", "Changes without a prompt", "people",
           "Of the option changes, those of people nothing prompted: fresh choices (choice.review_mode = "
           "fresh_choice; none under keep_unless_prompted)."),
    *(Column(f"changes_{prompt}", f"Changes prompted by {label}", "people",
             f"Of the option changes, those whose first prompt was {label} (prompts are checked in the order carer "
             "breakdown, need change, dissatisfaction, information; the five changes_* columns sum to option_changes).")
      for prompt, label in list(_PROMPTS.items())[1:]),
])
#: Columns the run adds to the recorder's tables (:func:`model.run.simulation.simulate`).
ADDED = ("replication", "date")
#: Columns of the monthly headline row, in order (the recorder's row: the table without ``replication``
#: and ``date``).
MONTHLY_COLUMNS = tuple(c for c in _MONTHLY if c not in ADDED)


def _per_council(name: str, meaning: str | None = None) -> Column:
    c = _MONTHLY[name]
    return Column(name, c.label, c.unit, meaning or c.meaning)


_COUNCILS = _index([
    _COMMON["replication"], _COMMON["month"], _COMMON["date"], _COMMON["council"],
    *(_per_council(name) for name in ("people", "with_package", "council_spend", "spend_services", "spend_assessment",
                                      "spend_admin", "spend_support", "spend_in_house", "crisis_cost",
                                      "cost_per_person", "clawback")),
    *(_per_council(f"{f}_{t}") for f in ("active", "entries", "exits") for t in PROVIDER_TYPES),
    *(_per_council(name) for name in ("dc_open", "dc_attendance", "council_closures", "providers_in_deficit",
                                      "displaced", "unmatched",
                                      "handbacks", "vacancy_rate", "care_workers")),
    *(_per_council(name) for name in ("cash_limit", "carried_in", "year_spend", "charges", "net_spend", "overspend",
                                      "waiting_list", "waiting_new")),
    _per_council("threshold", "The council's eligibility threshold of assessed need (the eligibility lever)."),
    _per_council("ras_rate", "The council's resource allocation rate at review (budgets.ras_rate less its review "
                 "reduction)."),
    _per_council("waiting_list_on", "1 while the council's waiting list for assessment is in force, else 0."),
    Column("assessment_capacity", "Assessment capacity", "assessments per 1,000 people per month",
           "While the council's waiting list is in force, the assessments it makes a month per 1,000 of its "
           "population (budgets.assessment_capacity, rising by budgets.assessment_capacity_step a month as it "
           "relaxes); -1 when none is in force."),
    _per_council("review_reduction", "The council's cut in budgets set at review (the review-reduction lever)."),
    _per_council("charge_rate", "The council's charge rate (the charging lever)."),
    _per_council("decommission", "Share of the council's day-centre block places given up (the decommissioning "
                 "lever)."),
    _per_council("block_level", "Share of the council's day-centre block contracts held before rollout that it "
                 "holds this month."),
    _per_council("block_use", "Block places the council's attendees took this month over those it paid for."),
    _per_council("mean_wait"),
    Column("lever_moved", "Lever moved", "lever code",
           "The lever the council moved at the month's end: 1 waiting list, 2 review reduction, 3 charging, "
           "4 eligibility, 5 decommissioning; positive when tightened, negative when relaxed, 0 when none moved."),
])
#: Columns of the per-council table, in order (the recorder's table: month and council index first).
COUNCIL_COLUMNS = tuple(c for c in _COUNCILS if c not in ADDED)

_DAYCENTRES = _index([
    _COMMON["replication"], _COMMON["month"], _COMMON["date"], _COMMON["council"],
    Column("provider", "Provider", "", "The centre's provider number (its row: a centre keeps it through the run)."),
    Column("attendance", "Attendance", "people", "Clients of the centre at the end of the month."),
    Column("occupancy", "Occupancy", SHARE, "Clients per place at the centre."),
    Column("breakeven_occupancy", "Break-even occupancy", "share of places",
           "Occupancy at which the centre's result is zero given its current block contracts, price and its "
           "clients' mean hours (18 h/week if it has none), ODD 7.9; it can exceed 1."),
    Column("capacity", "Places", "places", "Client places at the centre."),
    Column("centre", "Centre", "", "The centre's name (councils.N.day_centres.N.name); empty for a centre not "
           "named in the scenario (providers.day_centre.per_1000, or an entrant)."),
    Column("ownership", "Owner", "", "in_house (run by the council) or independent."),
    Column("result", "Result", GBP_MONTH, "The centre's income less its costs this month (fixed cost and "
           "providers.day_centre.variable_cost per hour delivered); for an in-house centre the council's spend "
           "meets minus this (spend_in_house)."),
    Column("block_places", "Block places", "places", "Places at the centre the council holds on block contracts "
           "this month."),
])
#: Columns of the day-centre table (open centres only), in order, without ``replication``.
DAYCENTRE_COLUMNS = tuple(c for c in _DAYCENTRES if c not in ADDED)

#: The centre a row of the per-centre forecasts is about.
_CENTRE_KEY = [_COMMON["council"],
               Column("centre", "Centre", "", "The centre's name (councils.N.day_centres.N.name), or 'centre N' (its "
                      "provider number) for a centre not named in the scenario."),
               Column("ownership", "Owner", "", "in_house (run by the council) or independent.")]
_CENTRES = _index([
    *_CENTRE_KEY, _COMMON["month"], _COMMON["date"],
    Column("attendance", "Attendance", "people", "Mean over replications of the centre's attendance at the end of "
           "the month (0 in a replication where it has closed)."),
    Column("attendance_low", "Attendance (5%)", "people", "5th percentile over replications of the same."),
    Column("attendance_high", "Attendance (95%)", "people", "95th percentile over replications of the same."),
    Column("occupancy", "Occupancy", SHARE, "Mean occupancy over the replications in which the centre is open "
           "(NaN when it is open in none)."),
    Column("breakeven_occupancy", "Break-even occupancy", "share of places", "Mean break-even occupancy over the "
           "replications in which the centre is open (daycentres.breakeven_occupancy)."),
    Column("open_share", "Open", SHARE, "Share of replications in which the centre is open at the end of the month."),
    Column("below_breakeven_share", "Below break-even now", SHARE, "Share of replications in which the centre is "
           "open with its occupancy below its break-even occupancy this month."),
    Column("crossed_share", "Below break-even by now", SHARE, "Share of replications in which the centre has been "
           "below its break-even occupancy in some month up to this one, or has closed: the probability of having "
           "crossed break-even by the month."),
    Column("closed_share", "Closed by now", SHARE, "Share of replications in which the centre has closed by the "
           "end of the month."),
    Column("cost_to_keep_open", "Cost of keeping it open", GBP_MONTH, "Mean over the replications in which the "
           "centre is open of what keeping it open costs this month: for an in-house centre the council's net cost "
           "(minus its result); for an independent one the subsidy it would need (its loss, 0 in surplus)."),
])
#: Columns of the per-centre forecast (:func:`model.run.centres.centre_forecast`), in order.
CENTRE_COLUMNS = tuple(_CENTRES)
_CLOSURES = _index([
    *_CENTRE_KEY,
    Column("replications", "Replications", "runs", "Replications of the run."),
    Column("closed_share", "Closed", SHARE, "Share of replications in which the centre closed within the run."),
    Column("closure_month_low", "Closure month (5%)", "month", "5th percentile of the month it closed, over the "
           "replications in which it closed (NaN when it never closed)."),
    Column("closure_month", "Closure month (median)", "month", "Median month of closure over those replications."),
    Column("closure_month_high", "Closure month (95%)", "month", "95th percentile of the same."),
    Column("first_below_breakeven", "First month below break-even (median)", "month", "Median over replications of "
           "the first month its occupancy was below its break-even occupancy (NaN when it never was)."),
    Column("monthly_cost_to_keep_open", "Cost of keeping it open", GBP_MONTH, "Mean of cost_to_keep_open over the "
           "months and replications in which it was open."),
    Column("total_cost_to_keep_open", "Cost of keeping it open, whole run", "GBP", "Mean over replications of "
           "cost_to_keep_open summed over the months it was open."),
])
#: Columns of the per-centre closure table (:func:`model.run.centres.closure_table`), in order.
CLOSURE_COLUMNS = tuple(_CLOSURES)

#: What the breakdown table breaks the people with a package down by, and each dimension's levels
#: (the councils' names for ``council``).
DIMENSIONS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "council": ("Council", None), "client_group": ("Client group", GROUPS), "age_band": ("Age band", AGE_BANDS),
    "quintile": ("Deprivation quintile (Q1 most deprived)", QUINTILES)}
_BREAKDOWN = _index([
    _COMMON["replication"], _COMMON["month"],
    Column("dimension", "Dimension", "",
           f"What the people with a package are broken down by: {', '.join(DIMENSIONS)}."),
    Column("level", "Level", "", "The group within the dimension (for example Q1, older or a council's name)."),
    Column("metric", "Metric", "", "Which figure value holds (see the breakdown metrics)."),
    Column("value", "Value", "", "The metric for the group, in the metric's unit."),
])


def _group_mean(name: str) -> Column:
    label, unit, what = _EQUITY[name]
    return Column(name, label, unit, f"Mean {what} over the group's people with a package (NaN when it has none).")


#: Columns of the breakdown table, in order, without ``replication``.
BREAKDOWN_COLUMNS = tuple(_BREAKDOWN)[1:]
#: Values of the breakdown's ``metric`` column: figures over a group's people with a package.
BREAKDOWN_METRICS = _index([
    Column("people", "People with a package", "people", "People with a package in the group."),
    *(Column(f"share_option{j}", f"{_OPTIONS[j]} share", SHARE,
             f"Share of the group's people with a package on {_OPTIONS[j]}; NaN when it has none.")
      for j in (1, 2, 3, 4)),
    _group_mean("met_need"),
    Column("unmet_need", "Unmet need", SHARE, "1 - met_need of the group (NaN when it has nobody with a package)."),
    _group_mean("wellbeing"), _group_mean("control"),
    Column("offered", "Offered the choice", SHARE, "Share of the group's people with a package who have been offered "
           "the SDS choice (NaN when it has none)."),
])

#: Totals over a run reported in the summary and the headline (definitions.RUN_TOTALS).
RUN_TOTAL_COLUMNS = _index([
    Column("provider_entries", "Provider entries", "providers", "Providers opened over the run, all types: "
           "entries_<type> summed over months and types."),
    Column("provider_exits", "Provider exits", "providers", "Providers closed over the run, all types: exits_<type> "
           "summed over months and types."),
    Column("dc_closures", "Day-centre closures", "day centres", "Day centres closed over the run: exits_day_centre "
           "summed over months."),
    Column("displaced", "People displaced", "people", "People who lost a provider when it closed, over the run: "
           "displaced summed over months."),
    Column("total_council_spend", "Total council spend", "GBP", "council_spend summed over the run's months."),
])
_SUMMARY = _index([
    Column("figure", "Figure", "", "A headline figure at the horizon (the monthly column's value in the last month) "
           "or a total over the run."),
    Column("mean", "Mean", "", "Mean over replications, in the figure's unit, leaving out those where it is NaN."),
    Column("p05", "5th percentile", "", "5th percentile across replications (linear interpolation)."),
    Column("p95", "95th percentile", "", "95th percentile across replications (linear interpolation)."),
])

#: Outcomes of the equity table, over the population with need (everyone living at or above the
#: scenario's starting eligibility threshold, with or without a package).
EQUITY_TABLE_OUTCOMES = _index([
    Column("has_package", "Has a care package", SHARE, "1 for a person with a care package (Options 1-4), else 0: "
           "the share of the population with need who get a package."),
    Column("met_need", "Met need", SHARE, "Share of the person's formal hours of need delivered this month (0 for "
           "someone with need and no package; 1 when their carer covers all of it)."),
    Column("unmet_need", "Unmet need", SHARE, "1 - met_need: the share of formal hours of need not delivered."),
    Column("direct_payment", "Direct-payment uptake", SHARE, "1 for a person on Option 1 (direct payment), else 0; "
           "over the people with need who hold a package."),
    Column("wellbeing", "Quality of life", SCORE, "The person's social-care-related quality of life this month "
           "(SCRQoL / 24)."),
    Column("formal_hours", "Formal care hours", "hours per month", "Formal care hours delivered to the person this "
           "month (use of services)."),
])
#: Measures of the equity table, with the unit of each (``outcome`` means the outcome's own unit).
EQUITY_MEASURES = _index([
    Column("mean", "Mean", "outcome", "Mean of the outcome over the group (a share for a 0/1 outcome)."),
    Column("concentration", "Concentration index", "index (-1 to 1)",
           "2 cov(y, R) / mean(y), R the fractional rank by deprivation quintile (Q1 most deprived first, ties at "
           "the mid-point): positive when the outcome is concentrated among the less deprived (O'Donnell et al. 2008, "
           "ch. 8)."),
    Column("erreygers", "Erreygers corrected index", "index (-1 to 1)",
           "8 cov(y, R) / (upper - lower) for an outcome bounded in [lower, upper] (here 0-1; Erreygers 2009); "
           "the index of 1 - y is minus the index of y."),
    Column("wagstaff", "Wagstaff normalised index", "index (-1 to 1)",
           "(upper - lower) mean C / ((upper - mean)(mean - lower)) for a bounded outcome (Wagstaff 2005); NaN "
           "when the mean is at a bound."),
    Column("sii", "Slope index of inequality", "outcome",
           "Slope of the outcome on R (weighted least squares): the fitted difference between the least "
           "deprived end (R = 1) and the most deprived end (R = 0), in the outcome's unit."),
    Column("rii", "Relative index of inequality", "ratio", "sii / mean (Mackenbach and Kunst 1997)."),
    Column("hi", "Horizontal inequity index", "index",
           "Concentration index of formal hours minus that of the hours expected from need (indirect "
           "standardisation on need points, age band and client group over the population with need; "
           "O'Donnell et al. 2008, ch. 15): 0 when use follows need, positive when the less deprived get "
           "more than their need predicts."),
])
#: Dimensions of the equity table and their groups.
EQUITY_DIMENSIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "all": ("Everyone with need", ("all",)), "age_band": ("Age band", AGE_BANDS),
    "client_group": ("Client group", GROUPS), "carer": ("Carer status", ("no carer", "carer")),
    "quintile": ("Deprivation quintile (Q1 most deprived)", QUINTILES),
    "age_band_x_deprivation": ("Age band x deprivation quintile", tuple(f"{a} {q}" for a in AGE_BANDS
                                                                        for q in QUINTILES))}
#: How a group of the equity and breakdown tables reads for people (the tables keep the codes).
GROUP_LABELS = {"all": "everyone with need", "older": "older people", "physical_disability": "physical disability",
                "learning_disability": "learning disability", "mental_health": "mental health",
                "Q1": "Q1 (most deprived fifth)", "Q2": "Q2", "Q3": "Q3", "Q4": "Q4",
                "Q5": "Q5 (least deprived fifth)", "no carer": "no unpaid carer", "carer": "with an unpaid carer"} | {
                    band: f"aged {band}" for band in AGE_BANDS}
_EQUITY_TABLE = _index([
    _COMMON["replication"],
    Column("month", "Month", "month", "Month of the run: each year's last month (12, 24, ...) and the last month."),
    Column("outcome", "Outcome", "", "Which outcome (see the equity outcomes)."),
    Column("dimension", "Dimension", "", "What the population with need is broken down by (see the equity "
           "dimensions); indices that rank by deprivation are given for all, age_band, client_group and carer, "
           "means for every dimension."),
    Column("group", "Group", "", "The group within the dimension."),
    Column("measure", "Measure", "", "Which figure value holds (see the equity measures)."),
    Column("value", "Value", "", "The measure for the group, in the measure's unit; NaN (missing) when nobody is "
           "behind it or there is nothing to rank along."),
    Column("low", "Low (95%)", "", "In the run's last month: the 2.5th percentile of the measure over 199 "
           "bootstrap resamples of the people within the run (a fixed seed derived from the run's, so reproducible); "
           "NaN in the yearly months, whose spread is the one across replications."),
    Column("high", "High (95%)", "", "The 97.5th percentile of the same resamples (last month only)."),
    Column("people", "People", "people", "People the figure is over (for direct_payment, those with a package)."),
])
#: Columns of the equity table, in order.
EQUITY_TABLE_COLUMNS = tuple(_EQUITY_TABLE)

#: Columns of the who-gains-who-loses table (model.metrics.equity.who_gains).
WHO_GAINS_COLUMNS = _index([
    Column("scenario", "Scenario", "", "The scenario."),
    Column("comparator", "Comparator", "", "The scenario it is compared with (same seeds: common random numbers)."),
    Column("month", "Month", "month", "Month of the runs."),
    Column("outcome", "Outcome", "", "Which outcome (see the equity outcomes)."),
    Column("dimension", "Dimension", "", "quintile, age_band, client_group, carer or all."),
    Column("group", "Group", "", "The group within the dimension."),
    Column("difference", "Difference", "outcome", "Mean over replications of scenario minus comparator of the "
           "group's mean outcome among its people with need, in the outcome's unit; NaN when either run has "
           "nobody in the group."),
    Column("low", "Low (95%)", "outcome", "Student-t 95% interval of the mean paired difference, low end."),
    Column("high", "High (95%)", "outcome", "The interval's high end."),
    Column("comparator_mean", "Comparator mean", "outcome", "The comparator's mean of the group's outcome."),
    Column("scenario_mean", "Scenario mean", "outcome", "The scenario's mean of the group's outcome."),
    Column("replications", "Replications", "runs", "Paired replications with the group non-empty in both runs."),
])

#: Every output table's columns, in order, by table name.
TABLES: dict[str, dict[str, Column]] = {"monthly": _MONTHLY, "breakdown": _BREAKDOWN, "councils": _COUNCILS,
                                        "daycentres": _DAYCENTRES, "centres": _CENTRES, "centre_closures": _CLOSURES,
                                        "equity": _EQUITY_TABLE, "summary": _SUMMARY}
