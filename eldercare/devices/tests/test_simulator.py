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


def test_the_device_client_backs_off_with_full_jitter():
    # Each wait is drawn between 0 and a bound that doubles from retry_seconds up to retry_max_seconds.
    import statistics

    from eldercare.devices.mqtt import RESEND_FIRST, RESEND_MAX, DeviceClient

    device = DeviceClient("BTN-X", seed=13)
    assert (device.retry_seconds, device.retry_max_seconds) == (RESEND_FIRST, RESEND_MAX) == (1.0, 30.0)
    for tries, bound in enumerate([1, 2, 4, 8, 16, 30, 30, 30, 30], start=1):
        waits = [device.wait_after(tries) for _ in range(2000)]
        assert 0 <= min(waits) < 0.05 * bound and 0.95 * bound < max(waits) <= bound
        assert abs(statistics.mean(waits) - bound / 2) < 0.05 * bound
    assert device.wait_after(10_000) <= 30


def test_a_quiet_home_stays_quiet_when_the_simulator_starts_again(city, home):
    # The demo's generator gives some homes a quiet morning; the simulator started after it (and any
    # restart) keeps them quiet instead of tossing its coin again, or the warnings would never come.
    other = testing.elder(residence=city.community_b, name="李大爷", living_status="alone")
    for kind in ("water", "door", "button"):
        Device.objects.create(serial=f"{kind}-2", kind=kind, elder=other)
    first = homes(quiet_share=0.0, seed=1)
    first[1].quiet = True
    now = timezone.now()
    for minutes in (3, 2):
        Simulator(first, seed=1).tick(now=now - dt.timedelta(minutes=minutes), press_chance=0.0)
    again = {h.elder_id: h.quiet for h in homes(quiet_share=0.0, seed=1)}
    assert again == {first[0].elder_id: False, first[1].elder_id: True}
