"""Signals other apps listen to (entitlements knows nothing of who listens)."""

from django.dispatch import Signal

# Sent inside the locking transaction with `settlement`: the services app marks the month's
# confirmed orders in the region settled.
settlement_locked = Signal()
