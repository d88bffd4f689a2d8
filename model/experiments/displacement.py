"""Where a closed day centre's attendees go (ODD 7.9, a council's own day services).

The council closes one of its named centres (``councils.N.day_centres.K.close_month``). The people
attending it at the end of the month before are followed for some months after (through the
model's compaction of departed rows), and where each is then is counted: still at the centre,
another day centre, another provider type, a package with no provider, no package, or gone (died,
residential care). The same is done, on the same seeds (common random numbers), for the same
council keeping the centre open (``close_month = 0``): up to the closing month both runs are one
and the same, so the people followed are the same people, and the paired differences are what the
closure did to them. The council's spend over the months followed is compared too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.codes import DAY_CENTRE, NO_PROVIDER, PROVIDER_TYPES
from model.engines import CareEconomy
from model.run.simulation import seeds_for
from model.scenario import Scenario, ScenarioError

#: Where a followed attendee is at the end of the months followed, in this order.
WHERE = ("same centre", "another day centre", *(t.replace("_", " ") for t in PROVIDER_TYPES[1:]), "no provider",
         "no package", "left")


def _closing(scenario: Scenario, council: int, centre: int) -> int:
    """The run's month in which the council closes the centre (a one-line error if none is set)."""
    spec = scenario.councils[council].day_centres[centre]
    if spec.close_month <= 0:
        raise ScenarioError(f"day centre '{spec.name}' has no close_month; set the month the council closes it",
                            "centre")
    return spec.close_month


def kept_open(scenario: Scenario, council: int, centre: int) -> Scenario:
    """The same scenario with the council keeping the centre open."""
    return scenario.with_overrides({f"councils.{council}.day_centres.{centre}.close_month": 0})


def follow(scenario: Scenario, council: int, centre: int, month: int, after: int,
           seed: np.random.SeedSequence) -> dict[str, float]:
    """One run: the people attending the council's named centre ``centre`` at the end of the run's
    month ``month - 1``, followed to the end of month ``month - 1 + after``. Returns how many were
    followed, where they are (:data:`WHERE`), their mean met need (those still on the books with a
    package), and the council's spend and the in-house centres' net cost over the months followed."""
    model = CareEconomy(scenario, seed=seed)
    P, Q = model.people, model.providers
    row = int(np.flatnonzero((Q.view("council") == council) & (Q.view("centre") == centre))[0])
    tracked = np.empty(0, dtype=np.int64)
    compact = model.compact

    def compact_and_renumber() -> None:  # departed rows go: the followed people's rows move with them
        nonlocal tracked
        alive, n = P.view("alive").copy(), P.n
        compact()
        if P.n != n:
            new = np.cumsum(alive) - 1
            tracked = np.where((tracked >= 0) & alive[np.maximum(tracked, 0)], new[np.maximum(tracked, 0)], -1)

    model.compact = compact_and_renumber  # type: ignore[method-assign]
    spend = in_house = 0.0
    for _ in range(month - 1):
        model.step()
    tracked = np.flatnonzero((P.provider[: P.n] == row).any(axis=1))
    for _ in range(after):
        model.step()
        spend += float(model.ledger.council_spend().sum())
        in_house += float(model.ledger.in_house_cost.sum())
    here = tracked[tracked >= 0]
    here = here[P.alive[here]]
    held = P.provider[here]
    counts = dict.fromkeys(WHERE, 0)
    counts["left"] = tracked.size - here.size
    for r, slots in zip(here.tolist(), held.tolist(), strict=True):
        types = [int(Q.ptype[q]) for q in slots if q != NO_PROVIDER]
        if P.option[r] == 0:
            counts["no package"] += 1
        elif row in slots:
            counts["same centre"] += 1
        elif DAY_CENTRE in types:
            counts["another day centre"] += 1
        elif types:
            counts[WHERE[1 + types[0]]] += 1
        else:
            counts["no provider"] += 1
    met = P.met_need[here][P.option[here] > 0]
    return {"attendees": float(tracked.size), **{k: float(v) for k, v in counts.items()},
            "met_need": float(met.mean()) if met.size else float("nan"), "council_spend": spend,
            "in_house_cost": in_house}


def closure_study(scenario: Scenario, council: int = 0, centre: int = 0, after: int = 12,
                  replications: int = 8, seed: int | None = None) -> pd.DataFrame:
    """Both arms (``closed``: the scenario; ``kept open``: :func:`kept_open`) on the same seeds, one
    row per arm and replication (:func:`follow`, from the centre's closing month for ``after``
    months)."""
    month = _closing(scenario, council, centre)
    if month - 1 + after > scenario.run.months:
        raise ScenarioError(f"the closing month {month} plus {after} months followed is beyond run.months "
                            f"{scenario.run.months}", "after")
    seeds = seeds_for(scenario.run.seed if seed is None else seed, replications)
    rows = []
    for arm, s in (("closed", scenario), ("kept open", kept_open(scenario, council, centre))):
        for i, ss in enumerate(seeds):
            rows.append({"arm": arm, "replication": i, **follow(s, council, centre, month, after, ss)})
    return pd.DataFrame(rows)


def summarise(study: pd.DataFrame) -> pd.DataFrame:
    """Per figure: each arm's mean and 5-95 % range across replications, and the paired difference
    (closed less kept open, replication by replication): its mean and 5-95 % range."""
    figures = [c for c in study.columns if c not in ("arm", "replication")]
    closed = study[study["arm"] == "closed"].set_index("replication")[figures]
    kept = study[study["arm"] == "kept open"].set_index("replication")[figures]
    diff = closed - kept
    out = {}
    for name, frame in (("closed", closed), ("kept open", kept), ("difference", diff)):
        out[(name, "mean")] = frame.mean()
        out[(name, "5%")] = frame.quantile(0.05)
        out[(name, "95%")] = frame.quantile(0.95)
    return pd.DataFrame(out)


if __name__ == "__main__":
    import sys

    from model.scenario import load_scenario

    name, reps = (sys.argv[1], int(sys.argv[2])) if len(sys.argv) > 2 else ("close_day_centre", 8)
    study = closure_study(load_scenario(name), replications=reps)
    pd.set_option("display.width", 200)
    print(summarise(study).round(3).to_string())
