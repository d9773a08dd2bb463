"""The demo's smart homes give the logins who answer alarms work in their own region (issue 14), and
the rest of the city no false early warnings at start-up."""

from __future__ import annotations

import pytest

from eldercare.accounts.models import User
from eldercare.demo.generator import build_demo_city
from eldercare.demo.generator.devices import build_devices
from eldercare.devices import selectors
from eldercare.devices.models import Alarm, EarlyWarning, Reading
from eldercare.devices.simulator import Simulator, homes
from eldercare.devices.warnings import warnings_sweep


def quiet(_message):
    pass


@pytest.mark.django_db
def test_the_call_desk_and_the_community_worker_have_alarms_and_warnings_of_their_own():
    build_demo_city(elders=1_000, communities=26, seed=3, log=quiet)
    made = build_devices(seed=3, limit=120, log=quiet)
    assert made["quiet_homes"] > 0 and made["presses"] > 0
    # What `demo_city` and `bin/demo` do next: every home's first readings, then the watch's first sweep.
    Simulator(homes(quiet_share=0.05, seed=3), seed=3).tick(press_chance=0.0)
    opened = warnings_sweep()
    history = set(
        Reading.objects.filter(at__lt=Reading.objects.order_by("-at").values("at")[:1]).values_list("device__elder_id", flat=True)
    )
    # Only homes with hours behind them can be judged: none of the rest of the city is warned.
    assert opened and {w.elder_id for w in opened} <= history
    for username in ("community_worker", "centre_operator"):
        user = User.objects.get(username=username)
        board = list(selectors.alarm_board(user))
        warnings = list(selectors.open_warnings(user))
        assert any(a.source == "button" for a in board), username
        assert warnings and {w.rule for w in warnings} & {"no_movement", "no_water_daytime"}, username
    assert not EarlyWarning.objects.filter(detail__contains="最近：—").exclude(elder_id__in=history).exists()
    again = build_devices(seed=3, limit=120, log=quiet)  # a second run adds no history
    assert "quiet_homes" not in again and Alarm.objects.filter(source="button").count() == made["presses"]
