"""The console in a real browser (headless Chromium driven by Selenium) against a real server (uvicorn on a free
port, real job workers and speech models): sign in, upload a two-speaker conversation, watch the job finish,
open the report and one statement's evidence, play the recording from a transcript line, redeliver a webhook
and see the new attempt, sign out and see pages refused.

With CONDUIT_SCREENSHOTS_DIR set, a screenshot of each page is saved there (docs/img/console-*.png)."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from conduit_server.app import create_app
from conduit_server.http_server import uvicorn_config
from conduit_server.store import accounts
from e2e.receiver import WebhookReceiver
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait
from server_testkit import open_test_runtime

pytestmark = [pytest.mark.slow]

JOB_TIMEOUT_S = 240.0


@dataclass
class LiveServer:
    base_url: str
    key: accounts.CreatedKey


@pytest.fixture(scope="module")
def live(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app with its workers and the console, served by uvicorn in a thread of its own (Selenium blocks)."""
    tmp = tmp_path_factory.mktemp("console-live")
    ready = threading.Event()
    box: dict[str, Any] = {}

    async def serve() -> None:
        async with open_test_runtime(database_url, tmp, run_workers=True, console_enabled=True, host="127.0.0.1",
                                     port=0) as rt:
            box["key"] = await accounts.create_key(rt.engine, rt.clock(), label="console")
            server = uvicorn.Server(uvicorn_config(create_app(rt.settings, runtime=rt), rt.settings,
                                                   log_level="warning"))
            box["server"] = server
            task = asyncio.create_task(server.serve())
            while not server.started and not task.done():
                await asyncio.sleep(0.02)
            box["port"] = server.servers[0].sockets[0].getsockname()[1] if server.started else None
            ready.set()
            await task

    def run() -> None:
        try:
            asyncio.run(serve())
        except BaseException as exc:  # surfaced by the fixture below
            box["error"] = exc
            ready.set()

    thread = threading.Thread(target=run, name="console-server", daemon=True)
    thread.start()
    assert ready.wait(60), "the server did not start"
    if box.get("error") is not None or not box.get("port"):
        raise RuntimeError(f"the server did not start: {box.get('error')!r}")
    try:
        yield LiveServer(f"http://127.0.0.1:{box['port']}", box["key"])
    finally:
        box["server"].should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,800",
                "--autoplay-policy=no-user-gesture-required", "--mute-audio", "--disable-gpu"):
        options.add_argument(arg)
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver") or "chromedriver")
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_window_size(1200, 800)
    try:
        yield driver
    finally:
        driver.quit()


def _shot(driver: WebDriver, name: str) -> None:
    """docs/img/console-<name>.png, only when CONDUIT_SCREENSHOTS_DIR asks for them."""
    folder = os.environ.get("CONDUIT_SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / f"console-{name}.png"))


def _wait(driver: WebDriver, check: Callable[[WebDriver], Any], timeout: float = 20.0) -> Any:
    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(check)


def _find(driver: WebDriver, css: str, timeout: float = 20.0) -> WebElement:
    found: WebElement = _wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, css), timeout)
    return found


def _attempts(driver: WebDriver, event_id: str) -> int:
    return len(driver.find_elements(By.CSS_SELECTOR, f'section[data-event="{event_id}"] tr.attempt'))


def test_a_report_from_upload_to_evidence_playback_and_webhook_redelivery(live: LiveServer, browser: WebDriver) -> None:
    from fixtures.speech import two_speaker_short

    conversation = two_speaker_short()
    d = browser
    with WebhookReceiver() as receiver:
        # sign in: any page first redirects to the sign-in form
        d.get(live.base_url + "/console/jobs")
        _wait(d, lambda d: "/console/sign-in" in d.current_url)
        _shot(d, "sign-in")
        _find(d, "#key").send_keys(live.key.api_key)
        _find(d, "#sign-in").click()
        # the sign-in page's own address ends ".../sign-in?next=/console/jobs": wait for the jobs page itself, or the
        # next navigation can start before the sign-in response has set the session cookie
        _wait(d, lambda d: urlsplit(d.current_url).path == "/console/jobs")

        # new report: upload the recording, with a webhook, and land on the live job
        d.get(live.base_url + "/console/reports/new")
        _find(d, "#file").send_keys(str(conversation.path))
        _find(d, "#webhook_url").send_keys(receiver.url("/hooks/console"))
        _shot(d, "new-report")
        _find(d, "#start").click()
        _wait(d, lambda d: urlsplit(d.current_url).path.startswith("/console/jobs/job_"))
        job_id = d.current_url.rsplit("/", 1)[-1]
        _find(d, "#report-link", timeout=JOB_TIMEOUT_S)  # htmx polling swaps the finished panel in
        assert _find(d, "#job-status").text == "succeeded"
        _shot(d, "job")

        d.get(live.base_url + "/console/jobs")
        assert job_id in _find(d, "#job-rows").text
        _shot(d, "jobs")

        # the report: a statement's evidence opens beside it
        d.get(live.base_url + f"/console/jobs/{job_id}/report")
        claims = d.find_elements(By.CSS_SELECTOR, ".claim")
        assert len(claims) >= 3
        claims[1].click()
        evidence = _find(d, "#evidence-body")
        assert claims[1].text.split(":")[0][:20] in evidence.text
        assert evidence.find_elements(By.CSS_SELECTOR, ".indicator")  # the measurements behind it
        _shot(d, "report")

        # the recording: click a transcript line, the player jumps there
        d.get(live.base_url + f"/console/jobs/{job_id}")
        _find(d, "#recording-link").click()
        lines = _wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, "#transcript .line"))
        assert len(lines) >= 4
        assert {e.text for e in d.find_elements(By.CSS_SELECTOR, ".lane .who")} == {"Speaker 0", "Speaker 1"}
        _wait(d, lambda d: d.execute_script("return document.getElementById('player').readyState") >= 1)
        line = lines[3]
        start = float(line.get_attribute("data-start") or "nan")
        assert start > 1.0
        line.click()
        _wait(d, lambda d: start - 0.05 <= d.execute_script("return document.getElementById('player').currentTime")
              < start + 3.0, timeout=10)
        _wait(d, lambda d: d.execute_script(
            "var w = document.querySelector('#waveform > div'); return !!(w && w.shadowRoot)"), timeout=10)
        _shot(d, "recording")

        # webhooks: the delivered event, redelivered, shows one more attempt
        first = receiver.wait_for(lambda x: x.path == "/hooks/console", timeout=60)
        d.get(live.base_url + "/console/webhooks")
        event = _find(d, "section.event")
        event_id = event.get_attribute("data-event") or ""
        _wait(d, lambda d: _attempts(d, event_id) >= 1)
        before = _attempts(d, event_id)
        event.find_element(By.CSS_SELECTOR, "button.redeliver").click()
        _wait(d, lambda d: _attempts(d, event_id) == before + 1, timeout=30)
        assert sum(1 for x in receiver.deliveries if x.path == "/hooks/console") >= 2
        assert first.headers.get("conduit-event-type") or first.body
        _shot(d, "webhooks")

        d.get(live.base_url + "/console/entities")
        assert len(d.find_elements(By.CSS_SELECTOR, "tbody tr[id^='ent_']")) >= 1
        _shot(d, "entities")
        d.get(live.base_url + "/console/keys")
        _shot(d, "keys")

        # sign out: every page is refused again
        _find(d, "#sign-out").click()
        _wait(d, lambda d: "/console/sign-in" in d.current_url)
        for path in ("/console/jobs", f"/console/jobs/{job_id}/report", "/console/webhooks"):
            d.get(live.base_url + path)
            assert "/console/sign-in" in d.current_url
