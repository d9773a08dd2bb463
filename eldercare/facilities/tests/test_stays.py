"""Stays: the one record of where an elder in an institution lives, and of respite stays."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from eldercare.accounts.roles import Role
from eldercare.core.errors import code_of
from eldercare.elders.models import LivingStatus
from eldercare.facilities import selectors, services
from eldercare.facilities.models import Institution, Stay, StayKind
from eldercare.tests import builders as testing

R = Role


@pytest.fixture
def homes(city):
    return {
        "institution": Institution.objects.create(
            name="清波颐养院", kind="institution", ownership="private", community=city.community, beds=50
        ),
        "day_care": Institution.objects.create(name="清波日间照料中心", kind="day_care", ownership="public", community=city.community),
        "far": Institution.objects.create(name="拱墅福利院", kind="institution", ownership="public", community=city.community_far, beds=80),
    }


def test_moving_into_an_institution_is_one_record(city, personas, homes):
    elder = testing.elder(residence=city.community, living_status=LivingStatus.WITH_FAMILY)
    worker = personas[R.COMMUNITY_WORKER]
    today = timezone.localdate()
    assert selectors.current_institution(actor=worker, elder=elder) is None
    services.stay_record(actor=worker, elder=elder, facility=homes["institution"], kind=StayKind.LONG_TERM, start=today)
    elder.refresh_from_db()
    assert elder.living_status == LivingStatus.IN_INSTITUTION  # moved in today: the registry follows
    assert selectors.current_institution(actor=worker, elder=elder) == homes["institution"]
    assert selectors.current_institution(actor=worker, elder=elder, on=today - dt.timedelta(days=1)) is None


def test_a_respite_or_a_future_stay_leaves_the_living_status(city, personas, homes):
    elder = testing.elder(residence=city.community, living_status=LivingStatus.ALONE)
    worker = personas[R.COMMUNITY_WORKER]
    today = timezone.localdate()
    services.stay_record(actor=worker, elder=elder, facility=homes["day_care"], kind=StayKind.RESPITE, start=today, end=today)
    services.stay_record(
        actor=worker, elder=elder, facility=homes["institution"], kind=StayKind.LONG_TERM, start=today + dt.timedelta(days=10)
    )
    elder.refresh_from_db()
    assert elder.living_status == LivingStatus.ALONE
    with pytest.raises(ValidationError) as clash:
        services.stay_record(actor=worker, elder=elder, facility=homes["day_care"], kind=StayKind.RESPITE, start=today)
    assert code_of(clash.value.error_dict["start"][0].message, "") == "facilities.stay_overlap"


def test_who_may_record_and_end_stays(city, personas, homes):
    elder = testing.elder(residence=city.community)
    worker = personas[R.COMMUNITY_WORKER]
    stay = services.stay_record(
        actor=worker, elder=elder, facility=homes["institution"], kind=StayKind.LONG_TERM, start=dt.date(2026, 1, 1)
    )
    with pytest.raises(PermissionDenied):
        services.stay_record(
            actor=personas[R.CAREGIVER], elder=elder, facility=homes["institution"], kind="long_term", start=dt.date(2026, 2, 1)
        )
    with pytest.raises(PermissionDenied):
        far = testing.user("far_worker", R.COMMUNITY_WORKER, city.community_far)
        services.stay_end(actor=far, stay=stay, end=dt.date(2026, 3, 1))
    other = testing.elder(residence=city.community, name="别人")
    with pytest.raises(ValidationError):
        services.stay_end(actor=worker, elder=other, stay=stay, end=dt.date(2026, 3, 1))
    assert services.stay_end(actor=worker, elder=elder, stay=stay, end=dt.date(2026, 3, 1)).end == dt.date(2026, 3, 1)


def test_stays_over_http(client, city, personas, homes):
    elder = testing.elder(residence=city.community)
    client.force_login(personas[R.COMMUNITY_WORKER])
    url = f"/api/facilities/elders/{elder.pk}/stays"
    made = client.post(
        url, {"facility": homes["institution"].pk, "kind": "long_term", "start": "2026-01-05"}, content_type="application/json"
    )
    assert made.status_code == 201 and made.json()["facility_name"] == "清波颐养院"
    wrong = client.post(
        url, {"facility": homes["day_care"].pk, "kind": "long_term", "start": "2026-06-01"}, content_type="application/json"
    )
    assert (wrong.status_code, wrong.json()["code"]) == (422, "facilities.stay_facility")
    far = client.post(url, {"facility": homes["far"].pk, "kind": "long_term", "start": "2026-06-01"}, content_type="application/json")
    assert (far.status_code, far.json()["code"]) == (404, "facilities.not_found")  # another district's home
    listed = client.get(url).json()
    assert listed["total"] == 1 and listed["items"][0]["kind_label"] == "长期入住"
    ended = client.post(f"{url}/{made.json()['id']}/end", {"end": "2026-01-01"}, content_type="application/json")
    assert (ended.status_code, ended.json()["code"]) == (422, "facilities.stay_dates")
    ended = client.post(f"{url}/{made.json()['id']}/end", {"end": "2026-04-30"}, content_type="application/json")
    assert ended.status_code == 200 and ended.json()["end"] == "2026-04-30"


def test_stays_on_the_record_page(client, city, personas, homes):
    elder = testing.elder(residence=city.community)
    client.force_login(personas[R.COMMUNITY_WORKER])
    page = reverse("console:elder_detail", args=[elder.pk])
    bad = client.post(
        reverse("console:elder_stay_add", args=[elder.pk]),
        {"stay-facility": homes["institution"].pk, "stay-kind": "long_term", "stay-start": "soon"},
    )
    assert bad.status_code == 200 and bad.context["open_form"] == "stay_form" and bad.context["stay_form"].errors["start"]
    done = client.post(
        reverse("console:elder_stay_add", args=[elder.pk]),
        {"stay-facility": homes["institution"].pk, "stay-kind": "long_term", "stay-start": timezone.localdate().isoformat()},
    )
    assert done.status_code == 302
    shown = client.get(page)
    assert shown.context["institution"] == homes["institution"] and "清波颐养院" in shown.content.decode()
    stay = Stay.objects.get(elder=elder)
    ended = client.post(
        reverse("console:elder_stay_end", args=[elder.pk]), {"stay_end-stay": stay.pk, "stay_end-end": timezone.localdate().isoformat()}
    )
    assert ended.status_code == 302
    stay.refresh_from_db()
    assert stay.end == timezone.localdate()
    client.force_login(personas[R.CENTER_OPERATOR])  # may read the record, may not edit it
    assert client.post(reverse("console:elder_stay_add", args=[elder.pk]), {}).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_the_institution_the_registry_held_becomes_a_stay():
    """Migration elders 0003: an institution named on the record, with no stay saying so, becomes an
    open long-term stay there; one the stays already say is left alone."""
    executor = MigrationExecutor(connection)
    before = [("elders", "0002_gugua_group"), ("facilities", "0002_stay")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    Region, Elder = old.get_model("regions", "Region"), old.get_model("elders", "Elder")
    Institution_, Stay_ = old.get_model("facilities", "Institution"), old.get_model("facilities", "Stay")
    city = Region.objects.create(code="330100000000", name="杭州市", level=2)
    community = Region.objects.create(code="330102001001", name="清波社区", level=5, parent=city)
    home = Institution_.objects.create(name="清波颐养院", kind="institution", ownership="private", community=community)

    def elder(n):
        return Elder.objects.create(
            name=f"老人{n}", id_number=f"x{n}", id_hash=f"h{n}", id_masked="m", birth_date=dt.date(1940, 1, 1), sex="M",
            residence=community, institution=home, living_status="in_institution",
        )  # fmt: skip

    bare, told = elder(1), elder(2)
    Stay_.objects.create(elder=told, facility=home, kind="long_term", start=dt.date(2024, 3, 1))
    executor = MigrationExecutor(connection)
    executor.migrate([("elders", "0003_institution_from_stays")])
    stays = {(s.elder_id, s.facility_id, s.kind, s.end) for s in Stay.objects.all()}
    assert stays == {(bare.pk, home.pk, "long_term", None), (told.pk, home.pk, "long_term", None)}
    assert Stay.objects.get(elder_id=told.pk).start == dt.date(2024, 3, 1)  # untouched
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
