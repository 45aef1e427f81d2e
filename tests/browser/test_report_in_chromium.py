"""The HTML report in a real browser: a phone and a laptop, measured, printed, photographed.

Debian's ``chromium`` and ``chromium-driver`` driven through Selenium. Set
``BUSYWORK_SCREENSHOTS=docs`` to refresh the screenshots kept in the documentation.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from busywork.report import render_html

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "tests" / "data" / "report" / "heron-physio.json"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
VIEWPORTS = {"phone": (390, 844), "laptop": (1280, 800)}

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(DRIVER).exists()),
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
)

# Every visible element that holds text of its own, with its font size and box.
MEASURE = """
const out = {overflow: [], small: [], width: window.innerWidth, height: window.innerHeight,
             scrollWidth: document.documentElement.scrollWidth};
for (const el of document.body.querySelectorAll('*')) {
  const box = el.getBoundingClientRect();
  if (box.width === 0 && box.height === 0) continue;
  if (box.right > window.innerWidth + 0.5 || box.left < -0.5)
    out.overflow.push(el.tagName + ': ' + (el.textContent || '').slice(0, 60));
  const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  const size = parseFloat(getComputedStyle(el).fontSize);
  if (own && size < 12)
    out.small.push(el.tagName + ' ' + size + 'px: ' + el.textContent.slice(0, 40));
}
out.shortlist = [...document.querySelectorAll('.shortlist li')].map(li => {
  const box = li.getBoundingClientRect();
  return {text: li.querySelector('a').textContent, bottom: box.bottom};
});
return out;
"""


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    doc = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_html(doc), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _show(browser: Any, page: Path, width: int, height: int, *, open_all: bool = False) -> Any:
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    browser.get(page.as_uri())
    if open_all:
        browser.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    return browser.execute_script(MEASURE)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_nothing_overflows_and_no_text_is_tiny(browser: Any, page: Path, viewport: str) -> None:
    width, height = VIEWPORTS[viewport]
    for open_all in (False, True):
        measured = _show(browser, page, width, height, open_all=open_all)
        assert measured["width"] == width
        assert measured["scrollWidth"] <= width, measured["overflow"][:5]
        assert measured["overflow"] == []
        assert measured["small"] == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_first_screen_holds_the_top_recommendations(
    browser: Any, page: Path, viewport: str
) -> None:
    width, height = VIEWPORTS[viewport]
    measured = _show(browser, page, width, height)
    doc = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    ranked = sorted(
        (rec for rec in doc["recommendations"] if rec.get("rank") is not None),
        key=lambda rec: rec["rank"],
    )
    shown = measured["shortlist"]
    assert 3 <= len(shown) <= 5
    assert [item["text"] for item in shown] == [rec["title"] for rec in ranked[: len(shown)]]
    assert all(item["bottom"] <= height for item in shown), shown
    _keep_screenshot(browser, f"report-{width}.png")


def test_titles_are_whole_and_internal_names_stay_out(browser: Any, page: Path) -> None:
    _show(browser, page, *VIEWPORTS["phone"], open_all=True)
    shown = browser.execute_script("return document.body.innerText")
    doc = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    for rec in doc["recommendations"]:
        assert rec["title"] in shown  # full titles, wrapped, never cut
    for internal in ("cash_flow", "slow_collection", "owner_time", "Score", "T08:30"):
        assert internal not in shown
    assert "about 0%" not in shown
    assert "−0.0" not in shown
    assert "0.0 h" not in shown
    assert "GBP " not in shown  # one money format: £97,591, never "GBP 650.99"


# Reading a layout value first makes Chromium apply the emulated media before
# checkVisibility() answers (Chromium 156 answers from stale style otherwise).
FOLDED_VISIBLE = """
void document.body.offsetHeight;
return [...document.querySelectorAll('details:not([open]) .inner')]
  .map(el => el.checkVisibility({contentVisibilityAuto: true}));
"""


def test_it_prints_to_pdf_with_the_folded_parts_open(browser: Any, page: Path) -> None:
    _show(browser, page, *VIEWPORTS["laptop"])
    on_screen = browser.execute_script(FOLDED_VISIBLE)
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        on_paper = browser.execute_script(FOLDED_VISIBLE)
        pdf = base64.b64decode(browser.print_page())
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert on_screen
    assert not any(on_screen)
    assert len(on_paper) == len(on_screen)
    assert all(on_paper)
    assert pdf.startswith(b"%PDF")


def _keep_screenshot(browser: Any, name: str) -> None:
    folder = os.environ.get("BUSYWORK_SCREENSHOTS")
    if folder:
        target = ROOT / folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        assert browser.save_screenshot(str(target))
