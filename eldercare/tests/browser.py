"""What every browser test shares: Debian's Chromium, a login through the login page, screenshots for
a human to look at (var/screenshots/), and the accessibility check (axe-core, shipped inside
axe-playwright-python; nothing is loaded from the internet).

A journey builds all its data first and only then starts Playwright: once Playwright's event loop runs
in the test's thread, Django refuses ORM calls there (SynchronousOnlyOperation).

    @pytest.mark.browser
    @pytest.mark.django_db(transaction=True)
    def test_a_journey(live_server, browser_settings, …):
        … build the data …
        with chromium() as browser:
            page = login(browser, live_server, "username")
            …
            shot(page, "journeys/officer-01-home.png")
            assert_accessible(page)
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from .builders import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(settings.BASE_DIR).parent / "var" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--lang=zh-CN",  # date and time inputs in Chinese, as the console's users see them
]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
# axe-core impacts that fail a page: "serious" and "critical" (the issue asks for no serious violations).
FAILING_IMPACTS = {"serious", "critical"}


@pytest.fixture
def browser_settings(settings):
    """The live server speaks plain http: cookies marked Secure would never come back."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    return settings


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (skips the test where Debian's is not installed)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def login(
    browser, live_server, username: str, *, password: str = PASSWORD, viewport: dict | None = None, locale: str = "zh-CN", stream: bool = False
):
    """A new page (its own cookies) logged in through the login form, Chinese first; at the home page.

    The alarm board's live stream is refused unless `stream` (the board then polls, as it does when a
    stream fails): in tests the live server's threads share one SQLite connection, and a stream left
    reading it in the background while the test opens the next page would interleave their queries."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport=viewport or DESKTOP, locale=locale, extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    if not stream:
        page.route(re.compile(r"/alarms/stream/"), lambda route: route.abort())
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(f"{live_server.url}/accounts/login/")
    return page


def shot(page, name: str, *, full_page: bool = True) -> Path:
    """A screenshot once the page has fully arrived and its fonts are in."""
    path = SHOTS / name
    path.parent.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready")
    page.screenshot(path=path, full_page=full_page)
    return path


def accessibility_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now, those of serious or critical impact."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [v for v in results.response["violations"] if v.get("impact") in FAILING_IMPACTS]


def assert_accessible(page) -> None:
    """No serious or critical axe-core violation on the page; the message names each rule and where."""
    violations = accessibility_violations(page)
    assert not violations, f"{page.url}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(str(n['target']) for n in v['nodes'][:3])}" for v in violations
    )
