"""How an elder is shown to a given user: masking decided in one place, used by
the API, the pages and the exports alike."""

from __future__ import annotations

from django.utils import timezone

from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import has_cap

from .models import Elder, LivingStatus, Relation, Sex
from .selectors import phone_for, visible_groups

# Built once: Model.get_FOO_display() rebuilds the choice map on every call, which dominates list rendering.
SEX_LABELS = dict(Sex.choices)
LIVING_LABELS = dict(LivingStatus.choices)
RELATION_LABELS = dict(Relation.choices)


def elder_row(actor, elder: Elder, today=None) -> dict:
    today = today or timezone.localdate()
    return {
        "id": elder.pk,
        "name": elder.name,
        "sex": elder.sex,
        "sex_label": str(SEX_LABELS.get(elder.sex, elder.sex)),
        "birth_date": elder.birth_date,
        "age": elder.age_on(today),
        "id_masked": elder.id_masked,
        "residence": elder.residence_id,
        "residence_name": elder.residence.name,
        "living_status": elder.living_status,
        "living_status_label": str(LIVING_LABELS.get(elder.living_status, elder.living_status)),
        "status": elder.status,
        "phone": elder.phone_masked,
        "groups": visible_groups(actor, getattr(elder, "active_groups", [])),
    }


def elder_detail(actor, elder: Elder, today=None) -> dict:
    today = today or timezone.localdate()
    row = elder_row(actor, elder, today)
    row.update(
        {
            "phone": phone_for(actor, elder),
            "address": elder.address,
            "latitude": elder.latitude,
            "longitude": elder.longitude,
            "hukou_region": elder.hukou_region_id,
            "hukou_region_name": elder.hukou_region.name if elder.hukou_region is not None else None,
            "status_date": elder.status_date,
            "notes": elder.notes if has_cap(actor, Cap.VIEW_HEALTH) else "",
            "can_reveal_id": has_cap(actor, Cap.REVEAL_ID),
            "can_edit": has_cap(actor, Cap.EDIT_ELDERS),
            "contacts": [
                {
                    "id": c.pk,
                    "name": c.name,
                    "relation": c.relation,
                    "relation_label": str(RELATION_LABELS.get(c.relation, c.relation)),
                    "phone": phone_for(actor, c),
                    "is_guardian": c.is_guardian,
                    "is_emergency": c.is_emergency,
                    "priority": c.priority,
                }
                for c in elder.contacts.all()
            ],
        }
    )
    return row
