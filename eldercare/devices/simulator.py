"""Simulated homes for the demo and for trying the platform: water meters, door sensors and call
buttons reporting as real ones would, with some homes going quiet (no water, no door) so the early
warnings have something to find. Sends over MQTT (as devices do), or straight into `ingest.store`
when there is no broker (the zero-setup demo)."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import time
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .ingest import Delivery, parse_one, store
from .models import Device, DeviceKind, DeviceStatus, Event, Reading


@dataclass
class Home:
    elder_id: int
    devices: dict[str, str]  # kind → serial
    quiet: bool


SENSING = (DeviceKind.WATER, DeviceKind.DOOR, DeviceKind.MOTION)


def homes(*, quiet_share: float, seed: int) -> list[Home]:
    """The homes with devices in use; about `quiet_share` of them go quiet, and a home that is quiet
    already (its meters and sensors have reported and never shown use) stays quiet, so a simulator
    restarted (or the demo's, after the generator gave some homes a quiet morning) goes on as it was."""
    rng = random.Random(seed)
    found: dict[int, dict[str, str]] = {}
    for elder_id, kind, serial in Device.objects.filter(status=DeviceStatus.ACTIVE).values_list("elder_id", "kind", "serial"):
        found.setdefault(elder_id, {})[kind] = serial
    still = still_homes()
    return [Home(e, d, rng.random() < quiet_share or e in still) for e, d in sorted(found.items())]


def still_homes() -> set[int]:
    """Elders whose water meters and door or motion sensors have reported, none of them ever showing
    use. Two probes of each such device's readings (a lively one stops at its first use)."""
    sensing = Device.objects.filter(kind__in=SENSING, status=DeviceStatus.ACTIVE)
    readings = Reading.objects.filter(device_id=OuterRef("pk"))
    use = Q(value__gt=0) | Q(kind__in=[Event.DOOR, Event.MOTION])
    reported = set(sensing.filter(Exists(readings)).values_list("elder_id", flat=True))
    used = set(sensing.filter(Exists(readings.filter(use))).values_list("elder_id", flat=True))
    return reported - used


class Simulator:
    def __init__(self, houses: list[Home], *, seed: int = 2026, send=None):
        self.houses, self.rng = houses, random.Random(seed)
        self.ids = itertools.count(int(time.time() * 1000))
        self.send = send or self._store

    def _store(self, messages: list[dict]) -> int:
        now = timezone.now()
        return sum(o.status == Delivery.STORED for o in store([parse_one(m, now=now) for m in messages]))

    def tick(self, now: dt.datetime | None = None, press_chance: float = 0.0005) -> int:
        """One round: every home's devices report; a quiet home's show no use (zero water, no door)."""
        now = now or timezone.now()
        batch = []
        for home in self.houses:
            for kind, serial in home.devices.items():
                message = {"device": serial, "msg_id": f"sim-{next(self.ids)}", "ts": now.isoformat(), "battery": self.rng.randint(40, 100)}
                if kind == DeviceKind.WATER:
                    message |= {"kind": "water", "value": 0.0 if home.quiet else round(self.rng.uniform(0, 12), 1)}
                elif kind in (DeviceKind.DOOR, DeviceKind.MOTION):
                    # A quiet home's sensor is alive (heartbeats) but sees nobody.
                    message |= {"kind": "heartbeat"} if home.quiet or self.rng.random() < 0.5 else {"kind": kind}
                elif kind == DeviceKind.BUTTON:
                    message |= {"kind": "button"} if self.rng.random() < press_chance else {"kind": "heartbeat"}
                else:
                    message |= {"kind": "heartbeat"}
                batch.append(message)
        return self.send(batch) if batch else 0
