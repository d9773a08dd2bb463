import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from eldercare.accounts.roles import Role
from eldercare.core.crypto import keyed_hash
from eldercare.elders import idnumber, selectors, services
from eldercare.elders.models import DisabilityLevel, Elder, ElderGroup, LivingStatus, PriorityGroup
from eldercare.tests import builders as testing


@pytest.fixture
def worker(personas):
    return personas[Role.COMMUNITY_WORKER]


def test_create_derives_birth_date_and_sex_and_protects_the_number(city, worker):
    data = testing.elder_data(residence=city.community, birth=dt.date(1938, 2, 14), male=False, phone="13912345678")
    elder = services.elder_create(actor=worker, **data)
    assert (elder.birth_date, elder.sex) == (dt.date(1938, 2, 14), "F")
    assert elder.id_masked == idnumber.mask(data["id_number"])
    assert elder.phone_masked == "139****5678"
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM elders_elder WHERE id = %s", [elder.pk])
        stored_id, stored_phone = cursor.fetchone()
    assert data["id_number"] not in stored_id and "13912345678" not in stored_phone
    assert Elder.objects.get(id_hash=keyed_hash(data["id_number"])).id_number == data["id_number"]


def test_duplicate_id_number_is_refused(city, worker):
    data = testing.elder_data(residence=city.community)
    services.elder_create(actor=worker, **data)
    with pytest.raises(ValidationError) as info:
        services.elder_create(actor=worker, **{**data, "id_number": data["id_number"].lower(), "name": "另一人"})
    assert "已建档" in str(info.value)
    assert Elder.objects.count() == 1


def test_birth_date_and_sex_given_must_match_the_number(city, worker):
    data = testing.elder_data(residence=city.community, birth=dt.date(1945, 6, 1), male=True)
    with pytest.raises(ValidationError) as info:
        services.elder_create(actor=worker, birth_date=dt.date(1945, 6, 2), **data)
    assert "birth_date" in info.value.error_dict
    with pytest.raises(ValidationError) as info:
        services.elder_create(actor=worker, sex="F", **data)
    assert "sex" in info.value.error_dict
    assert not Elder.objects.exists()


def test_under_sixty_is_not_an_elder(city, worker):
    data = testing.elder_data(residence=city.community, birth=dt.date.today().replace(year=dt.date.today().year - 59))
    with pytest.raises(ValidationError, match="60"):
        services.elder_create(actor=worker, **data)


def test_residence_must_be_a_community(city, personas):
    data = testing.elder_data(residence=city.street)
    with pytest.raises(ValidationError) as info:
        services.elder_create(actor=personas[Role.CIVIL_STREET], **data)
    assert "residence" in info.value.error_dict


def test_bad_phone(city, worker):
    with pytest.raises(ValidationError) as info:
        services.elder_create(actor=worker, phone="12345", **testing.elder_data(residence=city.community))
    assert "phone" in info.value.error_dict


def test_moving_an_elder_out_of_ones_region_is_refused(city, worker):
    elder = testing.elder(residence=city.community)
    with pytest.raises(PermissionDenied):
        services.elder_update(actor=worker, elder=elder, residence=city.community_b)
    with pytest.raises(ValidationError):
        services.elder_update(actor=worker, elder=elder, id_number="11010519491231002X")


def test_group_membership_dates(city, worker):
    elder = testing.elder(residence=city.community)
    with pytest.raises(ValidationError) as info:  # disability is the assessment's to set
        services.elder_group_add(
            actor=worker, elder=elder, group=PriorityGroup.DISABLED, level=DisabilityLevel.MILD, valid_from=dt.date(2024, 1, 1)
        )
    assert "能力评估" in str(info.value)
    with pytest.raises(ValidationError):
        services.elder_group_add(actor=worker, elder=elder, group=PriorityGroup.DIBAO, level="mild", valid_from=dt.date(2024, 1, 1))
    with pytest.raises(ValidationError):
        services.elder_group_add(
            actor=worker, elder=elder, group=PriorityGroup.DIBAO, valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2023, 1, 1)
        )
    first = services.elder_group_add(actor=worker, elder=elder, group=PriorityGroup.DIBAO, valid_from=dt.date(2023, 1, 1))
    services.elder_group_add(actor=worker, elder=elder, group=PriorityGroup.DIBAO, valid_from=dt.date(2025, 3, 1), source="2025年复核")
    first.refresh_from_db()
    assert first.valid_to == dt.date(2025, 2, 28)  # the open membership ends the day before the new one
    active = {
        day: list(ElderGroup.objects.active_on(day).filter(elder=elder).values_list("source", flat=True))
        for day in (dt.date(2024, 6, 1), dt.date(2025, 6, 1))
    }
    assert active == {dt.date(2024, 6, 1): [""], dt.date(2025, 6, 1): ["2025年复核"]}
    assert not ElderGroup.objects.filter(group=PriorityGroup.DISABLED).exists()


def test_disability_follows_the_assessment_from_its_effective_date(city):
    elder = testing.elder(residence=city.community)
    services.elder_disability_set(elder=elder, degree=DisabilityLevel.MILD, valid_from=dt.date(2023, 1, 1), source="a1")
    services.elder_disability_set(elder=elder, degree=DisabilityLevel.SEVERE, valid_from=dt.date(2025, 3, 1), source="a2")

    def on(day):
        return list(ElderGroup.objects.active_on(day).filter(elder=elder, group=PriorityGroup.DISABLED).values_list("level", flat=True))

    assert on(dt.date(2024, 6, 1)) == ["mild"] and on(dt.date(2025, 6, 1)) == ["severe"]
    services.elder_disability_set(elder=elder, degree="", valid_from=dt.date(2026, 1, 1), source="a3")  # recovered: intact
    assert on(dt.date(2025, 12, 31)) == ["severe"] and on(dt.date(2026, 1, 2)) == []
    services.elder_disability_set(
        elder=elder, degree=DisabilityLevel.MODERATE, valid_from=dt.date(2025, 3, 1), source="a4"
    )  # supersedes a2
    assert on(dt.date(2025, 6, 1)) == ["moderate"]
    assert list(ElderGroup.objects.filter(elder=elder, source="a2")) == []


def test_filters(city, personas):
    today = dt.date.today()
    old = testing.elder(
        residence=city.community,
        birth=today.replace(year=today.year - 91) - dt.timedelta(days=3),
        name="高寿",
        groups=((PriorityGroup.DEMENTIA, ""),),
    )
    testing.elder(residence=city.community_b, birth=today.replace(year=today.year - 72), name="年轻", living_status=LivingStatus.ALONE)
    officer = personas[Role.CIVIL_STREET]
    names = lambda **f: {e.name for e in selectors.elder_list(actor=officer, filters=selectors.ElderFilters(**f))}  # noqa: E731
    assert names(age_min=90) == {"高寿"}
    assert names(age_min=70, age_max=79) == {"年轻"}
    assert names(groups=[PriorityGroup.DEMENTIA]) == {"高寿"}
    assert names(living_status=LivingStatus.ALONE) == {"年轻"}
    assert names(region=city.community_b.code) == {"年轻"}
    assert names(q="高") == {"高寿"}
    assert names(q=old.id_number) == {"高寿"}
    with pytest.raises(PermissionDenied):  # filtering by health data is itself reading health data
        selectors.elder_list(actor=personas[Role.CENTER_OPERATOR], filters=selectors.ElderFilters(groups=[PriorityGroup.DEMENTIA]))


def test_changes_are_audited_with_actor_and_masked_values(city, worker):
    elder = services.elder_create(actor=worker, **testing.elder_data(residence=city.community, phone="13700001111"))
    services.elder_update(actor=worker, elder=elder, address="望江路1号", phone="13700002222")
    services.elder_group_add(actor=worker, elder=elder, group=PriorityGroup.DIBAO, valid_from=dt.date(2024, 1, 1))
    entries = list(selectors.elder_audit(actor=worker, elder=elder))
    assert sorted(e.action for e in entries) == [LogEntry.Action.CREATE, LogEntry.Action.CREATE, LogEntry.Action.UPDATE]
    assert all(e.actor == worker for e in entries)
    update = next(e for e in entries if e.action == LogEntry.Action.UPDATE)
    assert update.changes_dict["address"][1] == "望江路1号"
    created = next(e for e in entries if e.action == LogEntry.Action.CREATE and e.object_id == elder.pk)
    assert elder.id_number not in str(created.changes) and "13700002222" not in str(update.changes)


def test_revealing_an_id_is_audited(city, personas):
    elder = testing.elder(residence=city.community)
    officer = personas[Role.CIVIL_STREET]
    assert services.elder_reveal_id(actor=officer, elder=elder) == elder.id_number
    access = LogEntry.objects.get(action=LogEntry.Action.ACCESS, object_id=elder.pk)
    assert access.actor == officer
    with pytest.raises(PermissionDenied):
        services.elder_reveal_id(actor=personas[Role.CARE_ADVISOR], elder=elder)
    assert LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count() == 1


def test_coordinates_out_of_range_get_a_clear_error(city, worker):
    with pytest.raises(ValidationError) as info:
        services.elder_create(actor=worker, latitude=91, **testing.elder_data(residence=city.community))
    assert "latitude" in info.value.error_dict and "±90" in str(info.value)
    assert not Elder.objects.exists()
