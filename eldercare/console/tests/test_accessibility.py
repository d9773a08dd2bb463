"""Every console page, as each of the fourteen roles sees it, passes axe-core (shipped with
axe-playwright-python) with no serious or critical violation (issue 14).

One small world with a record of each kind (an elder, an order, an alarm, an assessment, a home care
bed, a settlement, a provider) is built once; then each persona logs in and visits its home, every
link of its side menu, the detail pages and the forms around them that it may open; the
password-change, 403 and 404 pages for three roles, a form sent empty (its errors), the admin's home on
a phone, and the login page, logged out. All violations are collected and reported
together, so one run shows everything. Each role's home is saved to var/screenshots/homes/<role>.png.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone, translation

from eldercare.accounts.roles import Role
from eldercare.assessments import services as assessment_services
from eldercare.assessments.models import Assessment, Reason
from eldercare.assessments.tests.conftest import qualify
from eldercare.core.months import add_months
from eldercare.devices.beds import bed_register
from eldercare.devices.ingest import parse, store
from eldercare.devices.models import Alarm, Device
from eldercare.devices.tests.conftest import msg
from eldercare.entitlements.services.settlement import settlement_prepare
from eldercare.homecare.catalog import catalog_sync
from eldercare.homecare.models import ServiceItem
from eldercare.homecare.services import orders
from eldercare.homecare.tests.conftest import HOME, caregiver_for, code
from eldercare.providers.models import Provider, ServiceArea
from eldercare.tests.browser import FAILING_IMPACTS, PHONE, SHOTS, chromium, login, shot  # noqa: F401

R = Role


def _build_records(city, personas, world) -> tuple[dict[str, str], list[str]]:
    """One record of each kind around the ELDER persona's own record (王秀英, 清波社区); answers
    the address of each record's detail page, and those of the forms and sub-pages around them."""
    translation.activate("zh-hans")
    elder = world["own"]
    elder.latitude, elder.longitude = HOME
    elder.save()
    catalog_sync()
    provider = Provider.objects.create(name="清波居家养老服务中心", credit_code=code("52330102MJ0000001"), region=city.county)
    provider.admins.add(personas[R.PROVIDER_ADMIN])
    ServiceArea.objects.create(provider=provider, region=city.county)
    zhang = caregiver_for(provider, "张护理", personas[R.CAREGIVER], seq=1)

    now = timezone.now()
    order = orders.order_request(
        actor=personas[R.COMMUNITY_WORKER],
        elder=elder,
        item=ServiceItem.objects.get(code="clean_home"),
        window_start=now + dt.timedelta(hours=1),
        window_end=now + dt.timedelta(hours=3),
        channel="phone",
    )
    orders.order_assign(actor=personas[R.CENTER_OPERATOR], order=order, caregiver=zhang)
    orders.order_dispatch(actor=personas[R.CENTER_OPERATOR], order=order)

    Device.objects.create(serial="BTN-A11Y", kind="button", elder=elder)
    store(parse(json.dumps(msg("a11y-1")).encode(), serial="BTN-A11Y"))
    alarm = Alarm.objects.get(device__serial="BTN-A11Y")

    qualify(personas[R.ASSESSOR], valid_to=timezone.localdate() + dt.timedelta(days=365))
    assessment: Assessment = assessment_services.assessment_schedule(
        actor=personas[R.CIVIL_STREET],
        elder=elder,
        scheduled_for=timezone.localdate(),
        reason=Reason.FIRST,
        assessor=personas[R.ASSESSOR],
    )

    bed = bed_register(
        actor=personas[R.COMMUNITY_WORKER],
        elder=elder,
        provider=provider,
        contract_number="HB-A11Y",
        starts=dt.date(2026, 1, 1),
        equipment=[{"item": "护理床"}],
    )
    settlement = settlement_prepare(
        actor=personas[R.CIVIL_CITY], region=city.county, month=add_months(timezone.localdate().replace(day=1), -1)
    )
    pages = {
        "elder": f"/elders/{elder.pk}/",
        "order": f"/orders/{order.pk}/",
        "alarm": f"/alarms/{alarm.pk}/",
        "assessment": f"/assessments/{assessment.pk}/",
        "bed": f"/beds/{bed.pk}/",
        "settlement": f"/entitlements/settlements/{settlement.pk}/",
        "provider": f"/providers/{provider.pk}/",
    }
    # Pages reached from those records (forms, sub-pages), for the roles that may open them.
    forms = [
        f"/elders/{elder.pk}/edit/",
        f"/elders/{elder.pk}/entitlements/",
        f"/elders/{elder.pk}/assessments/new/",
        f"/elders/{elder.pk}/orders/new/",
        f"/elders/{elder.pk}/standing/",
        f"/assessments/{assessment.pk}/answer/",
        "/entitlements/simulate/",
        "/providers/new/",
        f"/providers/{provider.pk}/caregivers/",
        f"/providers/{provider.pk}/caregivers/new/",
        "/prices/new/",
    ]
    return pages, forms


# Addresses that some roles may not open: the first one a role is refused shows its 403 page.
FORBIDDEN_CANDIDATES = ("/entitlements/", "/elders/import/", "/care/", "/prices/")
NOT_FOUND = "/no-such-page/"
PASSWORD_CHANGE = "/accounts/password_change/"
# The roles on whose behalf the password-change, 403 and 404 pages are checked: the longest working
# menu refused something, the elder's own menu, and the shortest menu.
FRAME_ROLES = (Role.CIVIL_CITY, Role.ELDER, Role.VOLUNTEER)


def _describe(path: str, violations: list[dict]) -> list[str]:
    return [
        f"{path}: {v['id']} ({v['impact']}) {v['help']} at " + ", ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:4])
        for v in violations
    ]


def _axe(page, path: str, failing: list[str], advisory: list[str]) -> None:
    """axe-core on the page as it is: serious and critical violations into `failing`, the moderate
    and minor ones into `advisory` (written to a report for a human, not failed on)."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    failing.extend(_describe(path, [v for v in violations if v.get("impact") in FAILING_IMPACTS]))
    advisory.extend(_describe(path, [v for v in violations if v.get("impact") not in FAILING_IMPACTS]))


class _Visit:
    """One role's pages, in one browser context: what axe-core found on each and which were opened."""

    def __init__(self, page, base: str, checked: set[str] | None = None) -> None:
        self.page, self.base = page, base
        # Pages axe-core has seen already, for another role: opened again (each must answer), not
        # checked again. A page differs between roles in its buttons, not its build; every home is checked.
        self.checked = checked if checked is not None else set()
        self.failing: list[str] = []
        self.advisory: list[str] = []
        self.seen: list[str] = []
        self.refused: list[str] = []

    def check(self, path: str, *, expect: int = 200) -> bool:
        """Open `path`; if it answers `expect`, run axe-core on it."""
        response = self.page.goto(self.base + path)
        if response is None or response.status != expect:
            self.refused.append(f"{path} {response and response.status}")
            return False
        self.seen.append(path)
        if path == "/" or path not in self.checked:
            self.checked.add(path)
            _axe(self.page, path, self.failing, self.advisory)
        return True


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_console_page_passes_axe_for_every_role(live_server, browser_settings, city, personas, world):
    details, forms = _build_records(city, personas, world)
    base = live_server.url
    found: dict[str, list[str]] = {}
    advice: dict[str, list[str]] = {}
    visited: dict[str, list[str]] = {}
    checked: set[str] = set()

    with chromium() as browser:
        page = browser.new_page(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"})
        anonymous = _Visit(page, base)
        assert anonymous.check("/accounts/login/")
        found["anonymous"], advice["anonymous"] = anonymous.failing, anonymous.advisory
        page.context.close()

        for role, user in personas.items():
            page = login(browser, live_server, user.username)
            visit = _Visit(page, base, checked)
            assert visit.check("/")
            shot(page, f"homes/{role.value}.png")
            menu = page.eval_on_selector_all("nav.sidenav a", "links => links.map(a => a.getAttribute('href'))")
            for path in dict.fromkeys(menu):
                assert path == "/" or visit.check(path), f"{role}: the menu's {path} does not open"
            for path in [*details.values(), *forms]:
                visit.check(path)  # only those the role may open (others answer 403/404 and are skipped)
            if role == R.SYSTEM_ADMIN:  # a form sent empty: its errors are announced and labelled too
                assert visit.check("/elders/new/")
                send = page.locator("main button[type=submit].btn-big")
                send.evaluate("button => { button.form.noValidate = true }")  # past the browser's own checks
                send.click()
                page.wait_for_load_state("load")
                assert page.locator(".alert-error").count() and page.locator(".has-error").count()
                _axe(page, "/elders/new/ (sent empty)", visit.failing, visit.advisory)
            if role in FRAME_ROLES:  # pages that differ by role only in their menu (checked on every home)
                assert visit.check(PASSWORD_CHANGE), visit.refused
                assert visit.check(NOT_FOUND, expect=404), visit.refused
                assert any(visit.check(path, expect=403) for path in FORBIDDEN_CANDIDATES), visit.refused
            page.context.close()
            found[role.value], advice[role.value], visited[role.value] = visit.failing, visit.advisory, visit.seen

        # On a phone the menu moves above the page, each group a row of links.
        page = login(browser, live_server, personas[R.SYSTEM_ADMIN].username, viewport=PHONE)
        phone = _Visit(page, base)
        assert phone.check("/")
        shot(page, "homes/system_admin-phone.png")
        found["system_admin (phone)"], advice["system_admin (phone)"] = phone.failing, phone.advisory
        page.context.close()

    # Every role reached its own records: the detail pages are checked, not skipped everywhere.
    assert details["elder"] in visited[R.ELDER.value] and details["order"] in visited[R.CAREGIVER.value]
    assert details["alarm"] in visited[R.CENTER_OPERATOR.value] and details["assessment"] in visited[R.ASSESSOR.value]
    assert details["settlement"] in visited[R.CIVIL_CITY.value] and details["provider"] in visited[R.PROVIDER_ADMIN.value]
    assert details["bed"] in visited[R.COMMUNITY_WORKER.value]
    assert forms[5] in visited[R.ASSESSOR.value] and forms[3] in visited[R.COMMUNITY_WORKER.value]
    (SHOTS / "homes" / "axe-moderate-minor.txt").write_text(
        "\n".join(f"[{who}] {line}" for who, lines in advice.items() for line in lines) + "\n", encoding="utf-8"
    )
    report = [f"[{who}] {line}" for who, lines in found.items() for line in lines]
    assert not report, f"{len(report)} serious/critical axe-core violations:\n" + "\n".join(report)
