"""Registering the devices in an elder's home."""

from __future__ import annotations

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from eldercare.accounts.models import User
from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import require, require_elder
from eldercare.core.errors import Err
from eldercare.elders.models import Elder

from .models import Device, DeviceKind

ERR_KIND = Err("devices.kind", "未知设备类型 / unknown device kind")
ERR_SERIAL = Err("devices.serial", "该设备编号已登记 / this serial is already registered")
ERR_SERIAL_FORMAT = Err("devices.serial_format", "设备编号为1至64个可见字符，不含空格 / a serial is 1 to 64 visible characters, no spaces")


def device_register(*, actor: User, elder: Elder, serial: str, kind: str) -> Device:
    """A device installed in the elder's home; its serial is what it calls itself on the wire."""
    require(actor, Cap.EDIT_ELDERS)
    require_elder(actor, elder)
    serial = serial.strip()
    if not serial or len(serial) > 64 or not serial.isprintable() or any(ch.isspace() for ch in serial):
        raise ValidationError({"serial": ERR_SERIAL_FORMAT})
    if kind not in DeviceKind.values:
        raise ValidationError({"kind": ERR_KIND})
    try:
        with transaction.atomic(), set_actor(actor):
            return Device.objects.create(serial=serial, kind=kind, elder=elder)
    except IntegrityError:  # the serial is unique: a second registration, perhaps at the same moment
        raise ValidationError({"serial": ERR_SERIAL}) from None
