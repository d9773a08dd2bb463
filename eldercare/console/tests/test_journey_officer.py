"""Issue 14's officer journey, in a real browser and the console only: a county officer registers a
provider, gives it a service area and two caregivers, sets a community's guide price and suspends the
provider; then the provider's admin opens its page (no officer actions there), links a caregiver to
their login and takes the other off duty.

Screenshots: var/screenshots/journeys/officer-NN-….png and provider_admin-NN-….png."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from eldercare.accounts.roles import Role
from eldercare.elders import idnumber
from eldercare.homecare.catalog import catalog_sync
from eldercare.homecare.models import Caregiver, GuidePrice
from eldercare.homecare.tests.conftest import code
from eldercare.homecare.tests.conftest import svc as svc  # noqa: F401  # the shared home-care fixture
from eldercare.providers.models import Provider, ProviderStatus
from eldercare.tests import builders as testing
from eldercare.tests.browser import (
    assert_accessible,
    chromium,
    login,
    shot,
)

NAME = "清波安康居家养老服务社"
CREDIT = code("52330102MJ7700001")
FIRST_ID = idnumber.build("330102", dt.date(1978, 4, 12), 31)
SECOND_ID = idnumber.build("330102", dt.date(1981, 9, 3), 42)


def menu(page, label: str):
    """A link of the side menu, by its exact label."""
    return page.locator("nav.sidenav").get_by_role("link", name=label, exact=True)


def register_caregiver(page, *, name: str, id_number: str, phone: str, categories: tuple[str, ...], lat: str, lng: str) -> None:
    page.get_by_role("link", name="+ 登记护理员").first.click()
    page.get_by_label("姓名").fill(name)
    page.get_by_label("身份证号码").fill(id_number)
    page.get_by_label("联系电话").fill(phone)
    page.get_by_label("职业等级").select_option(index=2)
    page.get_by_label("职业技能等级证书编号").fill(f"YLHL-{id_number[-4:]}")
    page.get_by_label("证书有效期至").fill("2029-06-30")
    for category in categories:
        page.get_by_label(category, exact=True).check()
    page.get_by_label("常驻点纬度").fill(lat)
    page.get_by_label("常驻点经度").fill(lng)
    page.get_by_role("button", name="登记", exact=True).click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_officer_registers_a_provider_its_caregivers_and_prices_and_suspends_it(live_server, browser_settings, city):
    from playwright.sync_api import expect

    catalog_sync()
    officer = testing.user("shangcheng", Role.CIVIL_COUNTY, city.county, display_name="上城区民政局 陈科员")
    admin = testing.user("ankang", Role.PROVIDER_ADMIN, display_name="安康 吴经理")
    carer_login = testing.user("jinxiufang", Role.CAREGIVER, city.street, display_name="护理员 金秀芳")
    testing.user("far-carer", Role.CAREGIVER, city.street_b, display_name="拱墅 护理员")  # another county: not offered
    today = timezone.localdate()
    starts = today + dt.timedelta(days=1)

    with chromium() as browser:
        page = login(browser, live_server, officer.username)
        menu(page, "服务商").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("服务商")
        expect(page.get_by_text("共 0 家服务商")).to_be_visible()
        shot(page, "journeys/officer-01-providers.png")
        assert_accessible(page)

        # Register it, first with a mistyped check character: the form says what is wrong and keeps the rest.
        page.get_by_role("link", name="+ 登记服务商").click()
        page.get_by_label("名称").fill(NAME)
        page.get_by_label("统一社会信用代码").fill(CREDIT[:17] + ("0" if CREDIT[17] != "0" else "1"))
        page.get_by_label("注册地").select_option(city.county.code)
        page.get_by_label("资质（备案或许可编号）").fill("杭上民养备〔2026〕12号")
        page.get_by_role("button", name="登记", exact=True).click()
        expect(page.get_by_text("统一社会信用代码校验位错误")).to_be_visible()
        expect(page.get_by_label("名称")).to_have_value(NAME)
        shot(page, "journeys/officer-02-credit-code-error.png")
        assert_accessible(page)
        page.get_by_label("统一社会信用代码").fill(CREDIT.lower())
        page.get_by_role("button", name="登记", exact=True).click()

        expect(page.get_by_role("heading", level=1)).to_contain_text(NAME)
        expect(page.get_by_text(f"服务商已登记：{NAME}")).to_be_visible()
        expect(page.get_by_text("尚未设置服务区域")).to_be_visible()
        assert_accessible(page)

        # Its service area: 清波街道.
        page.get_by_label("新增服务区域").select_option(city.street.code)
        page.get_by_role("button", name="增加服务区域").click()
        expect(page.get_by_text("已增加服务区域")).to_be_visible()
        expect(page.locator(".area-list")).to_contain_text("清波街道")
        shot(page, "journeys/officer-03-provider.png")
        assert_accessible(page)

        # Two caregivers.
        register_caregiver(
            page, name="金秀芳", id_number=FIRST_ID, phone="13900001111", categories=("助洁", "生活照料"), lat="30.2501", lng="120.1602"
        )
        expect(page.get_by_text("护理员已登记：金秀芳")).to_be_visible()
        page.get_by_role("link", name=NAME).click()
        assert_accessible(page)
        page.get_by_role("link", name="+ 登记护理员").click()
        assert_accessible(page)
        page.go_back()
        register_caregiver(
            page, name="沈建华", id_number=SECOND_ID, phone="", categories=("助浴", "助行", "康复护理"), lat="30.2455", lng="120.1688"
        )
        expect(page.get_by_text("护理员已登记：沈建华")).to_be_visible()
        expect(page.get_by_text("共 2 名护理员")).to_be_visible()
        expect(page.get_by_role("row", name=re.compile("沈建华"))).to_contain_text(idnumber.mask(SECOND_ID))
        shot(page, "journeys/officer-04-caregivers.png")
        assert_accessible(page)

        # A guide price for 清波社区, picked by name.
        menu(page, "政府指导价").click()
        assert_accessible(page)
        page.get_by_role("link", name="+ 设定指导价").click()
        page.get_by_label("服务项目").select_option(label="助洁 · 居家保洁")
        page.get_by_label("区域").select_option(label="清波社区（清波街道）")
        page.get_by_label("指导价（元/计价单位）").fill("42.50")
        page.get_by_label("生效日期").fill(starts.isoformat())
        page.get_by_label("依据文件").fill("上民〔2026〕8号")
        shot(page, "journeys/officer-05-price-form.png")
        assert_accessible(page)
        page.get_by_role("button", name="保存").click()
        expect(page.get_by_text("指导价已设定：居家保洁 · 清波社区 · 42.50元")).to_be_visible()
        row = page.get_by_role("row", name=re.compile("居家保洁.*清波社区"))
        expect(row).to_contain_text("42.50元 / 小时")
        expect(row).to_contain_text(starts.isoformat())
        shot(page, "journeys/officer-06-prices.png")
        assert_accessible(page)

        # Suspend it, with the reason the audit keeps.
        menu(page, "服务商").click()
        page.get_by_role("link", name=NAME).click()
        page.get_by_label("暂停原因（记入审计日志）").fill("投诉核查：签到位置与服务记录不符")
        page.get_by_role("button", name="暂停该服务商接单").click()
        expect(page.get_by_text("已暂停该服务商接单")).to_be_visible()
        expect(page.get_by_role("heading", level=1)).to_contain_text("暂停接单")
        expect(page.get_by_text("该服务商已暂停接单")).to_be_visible()
        expect(page.get_by_role("button", name="恢复该服务商接单")).to_be_visible()
        expect(page.locator(".timeline")).to_contain_text("投诉核查：签到位置与服务记录不符")
        shot(page, "journeys/officer-07-suspended.png")
        assert_accessible(page)

    provider = Provider.objects.get(credit_code=CREDIT)
    assert provider.name == NAME and provider.region_id == city.county.code and provider.status == ProviderStatus.SUSPENDED
    assert list(provider.areas.values_list("region_id", flat=True)) == [city.street.code]
    carers = {c.name: c for c in Caregiver.objects.filter(provider=provider)}
    assert set(carers) == {"金秀芳", "沈建华"}
    assert carers["金秀芳"].id_number == FIRST_ID and carers["金秀芳"].phone == "13900001111"
    assert carers["金秀芳"].categories == ["clean", "life_care"] and carers["沈建华"].categories == ["bath", "mobility", "rehab"]
    assert carers["金秀芳"].hours["1"] == [["08:00", "12:00"], ["13:30", "17:30"]] and "6" not in carers["金秀芳"].hours
    price = GuidePrice.objects.get(region=city.community)
    assert (price.item.code, price.price, price.valid_from, price.set_by) == ("clean_home", 42_50, starts, officer)
    entry = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Provider), object_pk=str(provider.pk), additional_data__action="suspend"
    ).get()
    assert entry.actor == officer and entry.additional_data["reason"] == "投诉核查：签到位置与服务记录不符"

    # The provider's admin: its own page, no officer actions; links 金秀芳 to her login, 沈建华 off duty.
    provider.admins.add(admin)
    with chromium() as browser:
        page = login(browser, live_server, admin.username)
        menu(page, "服务商").click()
        expect(page.get_by_text("共 1 家服务商")).to_be_visible()
        expect(page.get_by_role("link", name="+ 登记服务商")).to_have_count(0)
        page.get_by_role("link", name=NAME).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("暂停接单")
        for officer_only in ("恢复该服务商接单", "暂停该服务商接单", "增加服务区域", "移除"):
            expect(page.get_by_role("button", name=officer_only)).to_have_count(0)
        shot(page, "journeys/provider_admin-01-provider.png")
        assert_accessible(page)

        page.get_by_role("link", name=re.compile(r"^护理员（2）")).click()
        page.get_by_role("link", name="编辑护理员金秀芳").click()
        account = page.get_by_label("登录账号")
        expect(account.locator("option")).to_have_text(["不关联账号", "jinxiufang（护理员 金秀芳）"])
        account.select_option(label="jinxiufang（护理员 金秀芳）")
        shot(page, "journeys/provider_admin-02-caregiver-edit.png")
        assert_accessible(page)
        page.get_by_role("button", name="保存").click()
        expect(page.get_by_text("护理员信息已保存：金秀芳")).to_be_visible()
        page.get_by_role("link", name="编辑护理员沈建华").click()
        page.get_by_label("在岗").uncheck()
        page.get_by_role("button", name="保存").click()
        expect(page.get_by_role("row", name=re.compile("沈建华"))).to_contain_text("否")
        expect(page.get_by_role("row", name=re.compile("金秀芳"))).to_contain_text("jinxiufang")
        shot(page, "journeys/provider_admin-03-caregivers.png")
        assert_accessible(page)

    carers = {c.name: c for c in Caregiver.objects.filter(provider=provider)}
    assert carers["金秀芳"].user == carer_login and carers["金秀芳"].active
    assert carers["沈建华"].user is None and not carers["沈建华"].active
    assert carers["金秀芳"].categories == ["clean", "life_care"]  # the rest unchanged
    assert LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Caregiver), object_pk=str(carers["沈建华"].pk), actor=admin
    ).exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_street_officer_resolves_a_fraud_flag(live_server, browser_settings, svc, personas):
    from playwright.sync_api import expect

    from eldercare.homecare.models import FlagKind, FraudFlag
    from eldercare.homecare.tests.test_orders import request

    order = request(svc, personas)
    flag = FraudFlag.objects.create(order=order, kind=FlagKind.TOO_SHORT, detail="实际服务9分钟，应为120分钟 / 9 min served of 120 booked")
    officer = personas[Role.CIVIL_STREET]

    with chromium() as browser:
        page = login(browser, live_server, officer.username)
        menu(page, "服务异常标记").click()
        card = page.locator(f"#flag-{flag.pk}")
        expect(card).to_contain_text("实际服务9分钟")
        expect(card).to_contain_text("王秀英")
        shot(page, "journeys/officer-08-flags.png")
        assert_accessible(page)
        card.get_by_role("button", name="标记为已处理").click()  # nothing written: the browser asks for it
        expect(card.locator("textarea:invalid")).to_have_count(1)
        expect(page.get_by_text("已处理该异常标记")).to_have_count(0)
        page.locator(f"#flag-{flag.pk}").get_by_label("处理结果").fill("电话回访老人：护理员临时有事提前离开，已扣减工时")
        page.locator(f"#flag-{flag.pk}").get_by_role("button", name="标记为已处理").click()
        expect(page.get_by_text("已处理该异常标记")).to_be_visible()
        expect(page.get_by_text("没有需要处理的异常标记。")).to_be_visible()
        page.get_by_label("显示").select_option("resolved")
        page.get_by_role("button", name="查询").click()
        expect(page.locator(f"#flag-{flag.pk}")).to_contain_text("电话回访老人")
        shot(page, "journeys/officer-09-flag-resolved.png")
        assert_accessible(page)

    flag.refresh_from_db()
    assert flag.resolved_by == officer and flag.resolution.startswith("电话回访老人")
