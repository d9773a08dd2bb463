from django.contrib import admin

from eldercare.core.admin import ReadOnlyAdmin

from .models import Alarm, AlarmEvent, BedRecord, DailyUsage, DeadLetter, Device, EarlyWarning, Gateway, HomeCareBed


@admin.register(HomeCareBed)
class HomeCareBedAdmin(ReadOnlyAdmin):
    list_display = ["contract_number", "elder", "provider", "starts", "ends"]
    search_fields = ["contract_number", "elder__name"]
    list_select_related = ["elder", "provider"]


@admin.register(BedRecord)
class BedRecordAdmin(ReadOnlyAdmin):
    list_display = ["bed", "kind", "on", "by"]
    list_filter = ["kind"]
    search_fields = ["bed__contract_number"]
    list_select_related = ["bed", "by"]


@admin.register(Device)
class DeviceAdmin(ReadOnlyAdmin):
    list_display = ["serial", "kind", "elder", "status", "battery", "last_seen", "installed_at"]
    list_filter = ["kind", "status"]
    search_fields = ["serial", "elder__name"]
    list_select_related = ["elder"]


@admin.register(DailyUsage)
class DailyUsageAdmin(ReadOnlyAdmin):
    list_display = ["device", "day", "kind", "readings", "total"]
    search_fields = ["device__serial"]
    list_select_related = ["device"]


@admin.register(Alarm)
class AlarmAdmin(ReadOnlyAdmin):
    list_display = ["id", "elder", "source", "status", "region", "raised_at", "acknowledged_at", "resolved_at"]
    list_filter = ["status", "source"]
    search_fields = ["=id", "elder__name"]
    list_select_related = ["elder", "region"]


@admin.register(AlarmEvent)
class AlarmEventAdmin(ReadOnlyAdmin):
    list_display = ["alarm", "what", "at", "actor", "note"]
    list_filter = ["what"]
    search_fields = ["=alarm__id"]
    list_select_related = ["alarm", "actor"]


@admin.register(EarlyWarning)
class EarlyWarningAdmin(ReadOnlyAdmin):
    list_display = ["id", "elder", "rule", "action", "status", "region", "created_at", "closed_at"]
    list_filter = ["status", "action", "rule"]
    search_fields = ["elder__name"]
    list_select_related = ["elder", "region"]


@admin.register(Gateway)
class GatewayAdmin(ReadOnlyAdmin):
    list_display = ["name", "active", "created_at"]


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "source", "reason"]
    search_fields = ["source", "reason"]
