"""The demo's simulated homes: lively ones use water and open doors, quiet ones do not."""

from __future__ import annotations

import datetime as dt

from django.core.management import call_command
from django.utils import timezone

from eldercare.devices.models import Alarm, Device, Reading
from eldercare.devices.simulator import Simulator, homes
from eldercare.tests import builders as testing


def test_quiet_and_lively_homes(city, home):
    other = testing.elder(residence=city.community_b, name="李大爷", living_status="alone")
    for kind in ("water", "door", "button"):
        Device.objects.create(serial=f"{kind}-2", kind=kind, elder=other)
    houses = homes(quiet_share=0.0, seed=1)
    houses[0].quiet = True
    sim = Simulator(houses, seed=1)
    now = timezone.now()
    for minutes in range(5, 0, -1):
        sim.tick(now=now - dt.timedelta(minutes=minutes), press_chance=0.0)
    quiet_id, lively_id = houses[0].elder_id, houses[1].elder_id
    assert not Reading.objects.filter(device__elder_id=quiet_id, kind="water", value__gt=0).exists()
    assert not Reading.objects.filter(device__elder_id=quiet_id, kind="door").exists()
    assert Reading.objects.filter(device__elder_id=lively_id, kind="water").count() == 5
    assert Reading.objects.filter(device__elder_id=quiet_id, kind="heartbeat").count() == 5  # its button: quiet, not silent
    assert not Alarm.objects.exists()


def test_the_command_presses_a_button_now_and_then(home, capsys):
    call_command("devices_simulate", "--rounds", "2", "--every", "0", "--press-chance", "1")
    assert "round 2" in capsys.readouterr().out
    assert Alarm.objects.filter(source="button").count() == 2
