"""Background tasks of door-to-door services."""

from __future__ import annotations

from django.tasks import task


@task()
def generate_recurring_orders() -> int:
    from .services.recurrences import recurrences_generate

    return recurrences_generate()
