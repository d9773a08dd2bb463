"""Background tasks (Django's tasks interface: the database backend by default, any other
backend in production, same code)."""

from __future__ import annotations

from django.tasks import task


@task()
def issue_month(run_id: int) -> dict:
    from .services.issuance import issuance_execute

    run = issuance_execute(run_id=run_id)
    return {"status": run.status, "accounts_opened": run.accounts_opened}


@task()
def expire_allowances() -> int:
    from .services.ledger import accounts_expire

    return accounts_expire()
