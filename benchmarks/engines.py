"""Engine benchmarks (``make bench``): speed, memory and build time of both engines.

For each engine and population (1,000, 10,000, 100,000 people) a fresh process builds the default
scenario (sds_rollout) and times each month individually over months 6-17 (rollout under way, all
rules active), reporting the median ns per person-month, the model build time and the peak memory
per person (growth of the process's maximum resident set over the post-import baseline). Before
building, each process runs a tiny model once (:func:`model.experiments.runner.warm_up`, as sweep
workers do), so the build time excludes the once-per-process load of the compiled kernels; that
load is reported with the Scotland-scale run. The
per-agent engine at 100,000 people is timed over fewer months (it takes tens of seconds a month).
Then one Scotland-scale run: 32 councils, 250,000 people, 120 months, default engine, timed up to
having all its monthly figures (the recorder works them out in batches; the last batch when read).

Timings are medians on a shared machine, where a process's speed moves by up to a third with the
other tenants' load: so each vector-engine measurement (and the Scotland-scale run) is made in
``--repeat`` fresh processes (3 by default), and the median over them is printed with their range.
The per-agent engine, at tens of seconds a month, is measured once. Compare the two engines'
figures from the same run.

    python -m benchmarks.engines [--quick] [--repeat K]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

SIZES = (1_000, 10_000, 100_000)


def scotland():  # returns a Scenario (model is imported lazily)
    """32 councils that differ in size (Glasgow-like to island-sized) and deprivation."""
    from model import load_scenario

    base = load_scenario("sds_rollout", {"run.people": 250_000})
    weights = [30, 25, 20, 18, 16, 14, 13, 12, 11, 10, 10, 9, 9, 8, 8, 7, 7, 6, 6, 6, 5, 5, 5, 4, 4, 4, 3, 3, 3, 2,
               2, 1]
    total = sum(weights)
    shares = [w / total for w in weights]
    shares[0] += 1.0 - sum(shares)
    councils = []
    for i, share in enumerate(shares):
        tilt = (i % 5 - 2) * 0.04  # deprivation profiles from affluent to deprived
        dep = [0.2 + tilt * 2, 0.2 + tilt, 0.2, 0.2 - tilt, 0.2 - tilt * 2]
        council = base.councils[0].model_dump()
        council.update(name=f"council_{i:02d}", population_share=share, deprivation=dep)
        council["rollout"].update(start_month=6 + (i % 3) * 6, duration_months=12 + (i % 3) * 12)
        councils.append(council)
    data = base.model_dump()
    data["councils"] = councils
    from model.scenario import validate

    return validate(data, "scotland benchmark")


def measure(engine: str, people: int, months: int, warmup: int, scenario: str) -> dict[str, float]:
    """Build a model and time ``months`` months after ``warmup`` months (in this process)."""
    import numpy as np

    from model import load_scenario
    from model.engines import CareEconomy
    from model.experiments.runner import warm_up
    from model.metrics.recorder import MonthRecorder

    t0 = time.perf_counter()
    warm_up()  # once per process: loads the compiled kernels (as a sweep worker does before its first run)
    first_use = time.perf_counter() - t0
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    s = scotland() if scenario == "scotland" else load_scenario(scenario, {"run.people": people})
    t0 = time.perf_counter()
    model = CareEconomy(s, seed=1, engine=engine)
    recorder = MonthRecorder(model)  # observes each month, as in a run (model.run.simulation.run_recorded)
    if engine == "agents":
        model.sync_agents()  # the per-agent engine needs its agents; count building them
    build = time.perf_counter() - t0
    for _ in range(warmup):
        model.step()
        recorder.record()
    per_month = []
    for _ in range(months):
        t = time.perf_counter()
        model.step()
        recorder.record()
        per_month.append(time.perf_counter() - t)
    t = time.perf_counter()
    _ = recorder.rows  # the figures of the months still pending (a run's outputs are read at its end)
    figures = time.perf_counter() - t
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base_rss) * 1024
    alive = int(np.count_nonzero(model.people.view("alive")))
    return {"engine": engine, "people": people, "build_s": build, "first_use_s": first_use, "months": months,
            "median_month_s": statistics.median(per_month), "total_s": sum(per_month) + figures,
            "figures_s": figures,
            "ns_per_person_month": statistics.median(per_month) / people * 1e9,
            "peak_bytes_per_person": peak / people, "alive_at_end": alive}


def run_child(*args: object) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-m", "benchmarks.engines", "--child", *map(str, args)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_children(repeat: int, *args: object) -> tuple[dict[str, float], str]:
    """The same measurement in ``repeat`` fresh processes: the median of each figure over them, and
    the range of ns per person-month (or of the run's seconds at Scotland scale) as text."""
    runs = [run_child(*args) for _ in range(repeat)]
    med = {k: statistics.median(r[k] for r in runs) for k, v in runs[0].items() if isinstance(v, (int, float))}
    key, fmt = ("ns_per_person_month", ".0f") if args[-1] != "scotland" else ("total_s", ".2f")
    values = [r[key] for r in runs]
    return med, f"{min(values):{fmt}}-{max(values):{fmt}}" if repeat > 1 else ""


def import_time() -> float:
    code = "import time; t = time.perf_counter(); import model.engines; print(time.perf_counter() - t)"
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
            for _ in range(3)]
    return statistics.median(runs)


def repeat_count(text: str) -> int:
    """``--repeat``: a whole number of processes, 1-20 (ASCII digits only)."""
    k = int(text) if text.strip().isascii() and text.strip().isdigit() else 0
    if not 1 <= k <= 20:
        raise argparse.ArgumentTypeError(f"--repeat must be a whole number from 1 to 20, got {text!r}")
    return k


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.engines", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="skip 100,000 people and the Scotland-scale run")
    p.add_argument("--repeat", type=repeat_count, default=3, metavar="K",
                   help="fresh processes per vector-engine measurement (1-20; default 3)")
    p.add_argument("--child", nargs=5, metavar=("ENGINE", "PEOPLE", "MONTHS", "WARMUP", "SCENARIO"),
                   help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        engine, people, months, warmup, scenario = a.child
        print(json.dumps(measure(engine, int(people), int(months), int(warmup), scenario)))
        return 0
    import model
    from model.experiments.store import code_version

    # Which code is measured: a shared environment's editable install can point at another checkout.
    print(f"carecon {code_version()} ({Path(model.__file__).parent})")
    print(f"import model.engines: {import_time() * 1e3:.0f} ms (median of 3 fresh processes)")
    print(f"{'people':>8} {'engine':>7} {'ns/person-month':>16} {'build s':>8} {'peak B/person':>14} {'ratio':>7}"
          f"  {f'range of {a.repeat} processes' if a.repeat > 1 else ''}")
    sizes = SIZES[:2] if a.quick else SIZES
    for n in sizes:
        vec, spread = run_children(a.repeat, "vector", n, 12, 6, "sds_rollout")
        agt = run_child("agents", n, 12 if n <= 10_000 else 2, 6 if n <= 10_000 else 1, "sds_rollout")
        ratio = agt["ns_per_person_month"] / vec["ns_per_person_month"]
        for r in (vec, agt):
            print(f"{n:>8} {'agents' if r is agt else 'vector':>7} {r['ns_per_person_month']:>16.0f} "
                  f"{r['build_s']:>8.2f} {r['peak_bytes_per_person']:>14.0f} {ratio if r is agt else 1.0:>7.1f}"
                  f"  {'' if r is agt else spread}".rstrip())
    if not a.quick:
        t = time.perf_counter()
        sc, spread = run_children(a.repeat, "vector", 250_000, 120, 0, "scotland")
        wall = (time.perf_counter() - t) / a.repeat
        over = f"; medians of {a.repeat} processes, run {spread} s" if a.repeat > 1 else ""
        print(f"\nScotland scale (32 councils, 250,000 people, 120 months, vector{over}): run {sc['total_s']:.2f} s "
              f"(with {sc['figures_s']:.2f} s working out the last months' figures) "
              f"+ build {sc['build_s']:.2f} s = {sc['total_s'] + sc['build_s']:.2f} s "
              f"(build {100 * sc['build_s'] / sc['total_s']:.0f}% of the run); "
              f"median {sc['ns_per_person_month']:.0f} ns/person-month; "
              f"peak {sc['peak_bytes_per_person']:.0f} B/person; process wall {wall:.1f} s (mean), of which "
              f"{sc['first_use_s']:.2f} s loading the compiled kernels (once per process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
