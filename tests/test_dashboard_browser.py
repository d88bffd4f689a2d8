"""End to end: ``streamlit run dashboard/app.py`` on 127.0.0.1, driven by Playwright in headless Chromium.

The browser runs the default scenario (``sds_rollout``, as shipped) from the Scenario page, checks
that the headline metrics and charts appear with no exception, starts a large run and cancels it
(its worker processes, children of the server, must end), visits every other page, and saves
screenshots (``dashboard.png`` of the Scenario page, ``settings.png`` of the read-only Settings,
``cancel.png`` of a run under way and ``cancelled.png`` after Cancel) in pytest's temporary
directory, so the test suite leaves the working tree clean. To refresh the documentation's copies deliberately, set
``CARECON_SCREENSHOT_DIR`` (``make screenshots`` sets it to ``docs/img``). Skipped only when
Debian's Chromium is not installed.

The server runs on a free port; the fixture waits for its health endpoint, and at the end stops it
(SIGTERM), waits for it, and checks that no process it or the test started is left.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.conftest import workers_of

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
#: Where the screenshot goes when not in pytest's temporary directory (``make screenshots``: docs/img).
SCREENSHOT_DIR = "CARECON_SCREENSHOT_DIR"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
HEADLINES = ("Option 1 (direct payment) share", "Quality-of-life gap Q5-Q1 (difference in score)", "Day centres open",
             "Cost per person (£/person/month)", "Cost to society (£/month)")
#: The screen the walk-throughs are looked at on.
VIEWPORT = {"width": 1440, "height": 900}

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser"),
              pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent (apt-get install chromium)")]


def free_port() -> int:
    """A loopback port no one listens on (the OS picks it; 8501 may be someone's dashboard)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen
    studies: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The dashboard served by ``streamlit run`` on a free loopback port (waited for); stopped and checked
    at the end: the server, its worker processes and anything else this test started have exited."""
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    port = free_port()
    tmp = tmp_path_factory.mktemp("dashboard")
    env = {**os.environ, "CARECON_STUDIES": str(tmp / "studies"), "CARECON_MAX_PEOPLE": "300000"}
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"), "--server.address",
           "127.0.0.1", "--server.port", str(port), "--server.headless", "true"]  # no usage statistics: .streamlit/
    log = tmp / "streamlit.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300  # a bound for a loaded machine, not a timing check
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"streamlit did not start: {log.read_text(errors='replace')[-2000:]}")
                time.sleep(0.3)
        yield Server(url, proc, tmp / "studies")
    finally:
        started = psutil.Process(proc.pid).children(recursive=True) if proc.poll() is None else []
        proc.terminate()
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail("streamlit did not stop on SIGTERM")
        _, alive = psutil.wait_procs(started, timeout=60)
        left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
        assert not alive and not left, f"left running: {alive + left}"
    assert proc.returncode == 0, log.read_text(errors="replace")[-2000:]


def test_default_scenario_in_the_browser(server: Server, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots = Path(os.environ.get(SCREENSHOT_DIR) or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(server.url)
            expect(page.get_by_role("heading", name="Scenario")).to_be_visible(timeout=120_000)
            page.get_by_role("button", name="Run", exact=True).click()
            metrics = page.get_by_test_id("stMetric")
            expect(metrics).to_have_count(10, timeout=300_000)
            for label in HEADLINES:
                expect(page.get_by_role("strong").filter(has_text=re.compile(f"^{re.escape(label)}$"))).to_be_visible()
            expect(page.get_by_test_id("stMetricValue").first).to_have_text(re.compile(r"^\d+\.\d%$"))
            expect(page.get_by_text("5 replications of 2,000 people over 120 months")).to_be_visible()
            expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
            assert page.get_by_test_id("stException").count() == 0
            page.set_viewport_size({"width": 1400, "height": 2000})  # the app scrolls inside its own container
            page.screenshot(path=str(shots / "dashboard.png"))
            page.set_viewport_size({"width": 1400, "height": 1000})

            # Settings are read-only: what the deployment set, no widget.
            page.get_by_test_id("stSidebar").get_by_text("Settings", exact=True).click()
            expect(page.get_by_text("Runs and studies execute in a process pool on this machine")).to_be_visible()
            assert page.get_by_test_id("stSidebar").get_by_role("textbox").count() == 0
            assert page.get_by_test_id("stSidebar").get_by_role("spinbutton").count() == 0
            page.screenshot(path=str(shots / "settings.png"))

            # A run of minutes, cancelled: its worker processes (children of the server) end.
            people = page.get_by_label(re.compile(r"^People simulated"))
            people.fill("300000")
            people.press("Enter")
            months = page.get_by_label(re.compile(r"^Months simulated"))
            months.fill("600")
            months.press("Enter")
            page.get_by_role("button", name="Run", exact=True).click()
            cancel = page.get_by_role("button", name="Cancel", exact=True)
            expect(cancel).to_be_visible(timeout=60_000)
            expect(page.get_by_text(re.compile(r"Running sds_rollout: 0 of 5 runs done"))).to_be_visible(timeout=60_000)
            workers = workers_of(server.process.pid)
            assert 0 < len(workers) <= (os.cpu_count() or 1)
            page.screenshot(path=str(shots / "cancel.png"))
            cancel.click()
            expect(page.get_by_text("Running sds_rollout: cancelled; its worker processes have ended.")).to_be_visible(
                timeout=60_000)
            page.screenshot(path=str(shots / "cancelled.png"))
            _, alive = psutil.wait_procs(workers, timeout=60)
            assert not alive, f"workers of the cancelled run still running: {alive}"

            # Every other page opens without an exception.
            for title in ("Compare", "Sensitivity", "Day-centre forecast", "Equity"):
                page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
                expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=60_000)
                assert page.get_by_test_id("stException").count() == 0
        finally:
            browser.close()


@pytest.fixture
def browser_page(server: Server) -> Iterator[Any]:
    """A fresh tab at 1440 × 900 on the dashboard's first page."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(server.url)
            expect(page.get_by_role("heading", name="Scenario")).to_be_visible(timeout=120_000)
            yield page
        finally:
            browser.close()


def screenshots(tmp_path: Path, prefix: str) -> Callable[[Any, str, Any], None]:
    """``shot(page, name, locator)``: the screen, scrolled to ``locator``, saved as ``prefix_name.png`` in
    ``CARECON_SCREENSHOT_DIR`` (default: pytest's temporary directory)."""
    folder = Path(os.environ.get(SCREENSHOT_DIR) or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def shot(page: Any, name: str, locator: Any = None) -> None:
        if locator is not None:  # to the top of the screen, as a reader would scroll
            locator.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.screenshot(path=str(folder / f"{prefix}_{name}.png"))

    return shot


def go(page: Any, title: str) -> None:
    """Open a page from the sidebar and wait for its heading (which starts with the page's title)."""
    from playwright.sync_api import expect

    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    expect(page.get_by_role("heading", name=title).first).to_be_visible(timeout=60_000)


def test_policy_lead_compares_sds_rollout_with_baseline(server: Server, browser_page: Any, tmp_path: Path) -> None:
    """A policy lead: baseline as the reference, sds_rollout against it, the paired who-gains table with its
    95% intervals and the plain-language summary."""
    from playwright.sync_api import expect

    page, shot = browser_page, screenshots(tmp_path, "policy")
    go(page, "Compare")
    chooser = page.get_by_test_id("stMultiSelect").first
    chooser.get_by_role("button", name="Clear all").click()
    for name in ("baseline", "sds_rollout"):
        chooser.locator("input").fill(name)
        page.get_by_role("option", name=name, exact=True).click()
    page.keyboard.press("Escape")
    expect(page.get_by_text("Estimate: about 10 runs")).to_be_visible(timeout=60_000)
    shot(page, "1_choose")
    page.get_by_role("button", name="Run", exact=True).click()
    expect(page.get_by_role("heading", name="Paired differences from baseline")).to_be_visible(timeout=600_000)
    expect(page.get_by_test_id("stVegaLiteChart").first.locator("canvas, svg").first).to_be_visible(timeout=60_000)
    assert page.get_by_test_id("stException").count() == 0
    shot(page, "2_differences", page.get_by_role("heading", name="Paired differences from baseline"))
    gains = page.get_by_role("heading", name="Who gains and who loses")
    pp = r"[+-]\d+\.\d pp"
    summary = page.get_by_text(re.compile(rf"^sds_rollout against baseline: Met need: the most deprived fifth {pp} "
                                          rf"\[{pp}, {pp}\] \((a clear (rise|fall)|no clear change.*)\); the least"))
    expect(summary).to_be_visible()
    shot(page, "3_who_gains", gains)
    table = page.get_by_test_id("stDataFrame").last
    expect(table.locator("canvas").first).to_be_visible()
    shot(page, "4_who_gains_table", page.get_by_text("Outcome", exact=True))
    page.get_by_role("heading", name="Over time").evaluate("e => e.scrollIntoView({block: 'start'})")
    expect(page.get_by_test_id("stVegaLiteChart").last.locator("canvas, svg").first).to_be_visible()
    shot(page, "5_over_time", page.get_by_role("heading", name="Over time"))

    # With the calibrated posterior: pairs of runs share drawn parameters; the chart is a fan whose caption splits
    # its width into parameters and run-to-run noise.
    reps = page.get_by_label(re.compile(r"^Replications"))
    reps.fill("6")
    reps.press("Enter")
    page.get_by_text("Include parameter uncertainty (calibrated posterior)").click()
    expect(page.get_by_text("Estimate: about 12 runs")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Run", exact=True).click()
    expect(page.get_by_role("heading", name="Over time")).to_be_visible(timeout=600_000)
    chart = page.get_by_test_id("stVegaLiteChart").last
    expect(chart.locator("canvas, svg").first).to_be_visible(timeout=60_000)
    assert page.get_by_test_id("stException").count() == 0
    shot(page, "6_fan_chart", page.get_by_role("heading", name="Over time"))


def test_policy_lead_reads_who_gains_on_the_equity_page(server: Server, browser_page: Any, tmp_path: Path) -> None:
    """A policy lead on the Equity page: sds_rollout against baseline (the comparator offered first), each
    group's paired difference with its 95% interval, in a chart and a table, and the plain-language summary."""
    from playwright.sync_api import expect

    page, shot = browser_page, screenshots(tmp_path, "policy_equity")
    go(page, "Equity")
    page.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name="sds_rollout", exact=True).click()
    expect(page.get_by_role("combobox", name="Comparator")).to_have_value("baseline")
    expect(page.get_by_text("Estimate: about 10 runs")).to_be_visible(timeout=60_000)
    shot(page, "0_choose")
    page.get_by_role("button", name="Run", exact=True).click()
    heading = page.get_by_role("heading", name="Who gains and who loses: sds_rollout against baseline")
    expect(heading).to_be_visible(timeout=600_000)
    assert page.get_by_test_id("stException").count() == 0
    pp = r"[+-]\d+\.\d pp"
    expect(page.get_by_text(re.compile(rf"^Met need: the most deprived fifth {pp} \[{pp}, {pp}\] "
                                       rf"\((a clear (rise|fall)|no clear change.*)\); the least"))).to_be_visible()
    chart = page.get_by_test_id("stVegaLiteChart").first
    expect(chart.locator("canvas, svg").first).to_be_visible(timeout=60_000)
    shot(page, "1_paired", heading)
    table = page.get_by_test_id("stDataFrame").first
    expect(table.locator("canvas").first).to_be_visible()
    shot(page, "2_table", table)


def test_researcher_runs_a_small_morris_study(server: Server, browser_page: Any, tmp_path: Path) -> None:
    """A researcher: a Morris study of 500 people, one replication per point, N = 4; the indices appear with
    their names, and the noise warning shows exactly when the stored indices call for it."""
    from playwright.sync_api import expect

    from model.experiments.sensitivity import noise_warnings
    from model.experiments.store import list_studies, load_study

    page, shot = browser_page, screenshots(tmp_path, "researcher")
    go(page, "Sensitivity")
    for label, value in ((r"^People simulated", "500"), (r"^Replications", "1")):
        box = page.get_by_label(re.compile(label))
        box.fill(value)
        box.press("Enter")
    page.get_by_text("Set N myself").click()
    n = page.get_by_label(re.compile(r"^N: Morris"))
    n.fill("4")
    n.press("Enter")
    expect(page.get_by_text(re.compile(r"^16 design points × 1 replication\(s\) of 500 people"))).to_be_visible(
        timeout=60_000)
    shot(page, "1_form", page.get_by_role("button", name="Start study"))
    page.get_by_role("button", name="Start study").click()
    expect(page.get_by_text(re.compile(r"design points, \d+ s"))).to_be_visible(timeout=60_000)
    shot(page, "2_running", page.get_by_role("button", name="Cancel"))
    expect(page.get_by_text(re.compile(r"^Study sds_rollout-morris-n4: complete"))).to_be_visible(timeout=600_000)
    assert page.get_by_test_id("stException").count() == 0
    expect(page.get_by_test_id("stVegaLiteChart").last.locator("canvas, svg").first).to_be_visible(timeout=60_000)
    stored = list_studies(server.studies)
    noisy = noise_warnings(load_study(stored["path"].iloc[-1]).indices)
    warning = page.get_by_text(re.compile(r"^Some indices cannot be told from noise at N = 4 with 1 replication"))
    expect(warning).to_have_count(1 if noisy else 0)
    shot(page, "3_results", page.get_by_text(re.compile(r"Morris screening with N = 4: 16 of 16 runs")))
    chart = page.get_by_test_id("stVegaLiteChart").last
    expect(chart.locator("canvas, svg").first).to_be_visible()
    shot(page, "4_indices", chart)


#: The analyst's council file: three named centres, as the Forecast page's table has them.
CENTRES_CSV = ("Centre,Places a day,Days open a week,Price (£ a day),Fixed cost (£ a month),Run by,"
               "Block places (people),Attending now (people)\n"
               "Riverside Resource Centre,30,5,36,11000,council,40,40\n"
               "Hillview Day Service,20,5,36,8000,council,25,25\n"
               "Old Mill Centre,24,5,36,9000,independent,20,30\n")


def test_analyst_forecasts_own_centres_in_the_browser(server: Server, tmp_path: Path) -> None:
    """A council analyst's walk on the Forecast page: upload a file with three named centres, forecast them,
    upload it again with one centre's fixed cost raised, re-forecast (before and after side by side) and
    download the briefing, which opens as a page with its figures and the stylised-council caveat.
    Screenshots of each step: forecast_upload.png, forecast_centres.png, forecast_before_after.png,
    forecast_briefing.png."""
    from playwright.sync_api import expect, sync_playwright

    shots = Path(os.environ.get(SCREENSHOT_DIR) or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    first, raised = tmp_path / "northshire_centres.csv", tmp_path / "northshire_centres_raised.csv"
    first.write_text(CENTRES_CSV, encoding="utf-8")
    raised.write_text(CENTRES_CSV.replace("Hillview Day Service,20,5,36,8000", "Hillview Day Service,20,5,36,16000"),
                      encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{server.url}/forecast")
            expect(page.get_by_role("heading", name="Your council's centres")).to_be_visible(timeout=120_000)
            upload = page.get_by_test_id("stFileUploaderDropzoneInput")
            upload.set_input_files(str(first))
            expect(page.get_by_text(f"Read 3 centres from {first.name}.")).to_be_visible(timeout=60_000)
            page.screenshot(path=str(shots / "forecast_upload.png"), full_page=True)
            page.get_by_role("button", name="Forecast these centres").click()
            expect(page.get_by_text("Closure and the cost of keeping each centre open")).to_be_visible(timeout=300_000)
            assert page.get_by_test_id("stException").count() == 0
            expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
            page.set_viewport_size({"width": 1400, "height": 2600})
            page.screenshot(path=str(shots / "forecast_centres.png"))

            upload.set_input_files(str(raised))
            expect(page.get_by_text(f"Read 3 centres from {raised.name}.")).to_be_visible(timeout=60_000)
            page.get_by_role("button", name="Forecast these centres").click()
            expect(page.get_by_role("heading", name="Before and after")).to_be_visible(timeout=300_000)
            expect(page.get_by_text("Hillview Day Service: fixed cost (£ a month) 8,000 → 16,000.")).to_be_visible()
            assert page.get_by_test_id("stException").count() == 0
            page.get_by_role("heading", name="Before and after").scroll_into_view_if_needed()
            page.screenshot(path=str(shots / "forecast_before_after.png"))

            with page.expect_download(timeout=120_000) as info:
                page.get_by_role("button", name="Download the briefing (HTML)").click()
            briefing = tmp_path / "briefing.html"
            info.value.save_as(briefing)
            text = briefing.read_text(encoding="utf-8")
            assert "This is a stylised council" in text and text.count("data:image/png;base64,") == 2
            assert all(line.split(",")[0] in text for line in CENTRES_CSV.splitlines()[1:])  # every centre
            page.set_viewport_size({"width": 1100, "height": 1400})
            page.goto(briefing.as_uri())
            page.screenshot(path=str(shots / "forecast_briefing.png"), full_page=True)
        finally:
            browser.close()
