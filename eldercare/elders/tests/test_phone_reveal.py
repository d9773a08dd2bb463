"""Revealing a phone number for the call desk (issue 14): audited like an ID number, refused to roles
that do not answer alarms and outside the actor's region."""

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied

from eldercare.accounts.roles import Role
from eldercare.elders import services
from eldercare.elders.models import Contact, Relation
from eldercare.tests import builders as testing


@pytest.fixture
def elder(city):
    elder = testing.elder(residence=city.community, phone="13700007049")
    Contact.objects.create(elder=elder, name="王小明", relation=Relation.CHILD, phone="13800001111", phone_masked="138****1111", priority=1)
    return elder


def test_the_call_desk_reveals_an_elders_and_a_contacts_phone_audited(elder, personas):
    operator = personas[Role.CENTER_OPERATOR]  # masked registry, but answers one-key calls
    assert services.phone_reveal(actor=operator, record=elder, alarm_id=7) == "13700007049"
    contact = elder.contacts.get()
    assert services.phone_reveal(actor=operator, record=contact) == "13800001111"
    entries = list(LogEntry.objects.filter(action=LogEntry.Action.ACCESS).order_by("pk"))
    assert [(e.object_id, e.actor, e.additional_data) for e in entries] == [
        (elder.pk, operator, {"revealed": "phone", "alarm": 7}),
        (contact.pk, operator, {"revealed": "phone"}),
    ]
    assert all("13700007049" not in str(e.changes) and "13800001111" not in str(e.changes) for e in entries)


def test_refused_without_the_alarm_capability_or_out_of_region(elder, personas, city):
    with pytest.raises(PermissionDenied):
        services.phone_reveal(actor=personas[Role.CARE_ADVISOR], record=elder)  # no HANDLE_ALARMS
    far = testing.user("centre-far", Role.CENTER_OPERATOR, city.street_b)
    with pytest.raises(PermissionDenied):
        services.phone_reveal(actor=far, record=elder)
    with pytest.raises(PermissionDenied):
        services.phone_reveal(actor=far, record=elder.contacts.get())
    assert not LogEntry.objects.filter(action=LogEntry.Action.ACCESS).exists()
