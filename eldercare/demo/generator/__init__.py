"""A deterministic synthetic city: Hangzhou's real districts and counties with
made-up streets, communities, institutions, elders, households, contacts,
priority groups, consents and one demo user per role.

Same seed and sizes give the same data (only "today", which ages are counted
from, moves). Everything is drawn from `random.Random` instances seeded from
the seed, never from the global generator or from unordered containers.

Speed: rows are built as plain dicts and written every 5,000 elders, by
PostgreSQL COPY (psycopg 3) or a plain INSERT executemany elsewhere; values are
prepared as the fields would prepare them (encryption with
`eldercare.core.crypto.encrypt`, dates), and a test checks that the result is
identical to the `bulk_create` path (writer="orm"). Primary keys are assigned
here, so contacts and groups point at elders without reading anything back, and
sequences are reset at the end. Nothing sends signals, so the demo data leaves
no audit-log entries. About 50k elders in 8 s on SQLite, 1M in 2.5 min on PostgreSQL.

The parts, in the order a build runs them: `regions` (the region tree),
`users` (demo logins), `households` (who lives together, ages and sexes),
`regions.Institutions` (sized to their residents), `people` with `groups`
(elders, contacts, priority groups, consents) and `assessments` (GB/T 42195-2022
assessments agreeing with the disability and dementia groups, and the assessor
qualifications of the demo staff), written by `writers`; `build`
runs them in one transaction and `reset` deletes what they made.
"""

from .build import DemoDataExists, DemoSummary, build_demo_city, default_communities
from .reset import demo_data_present, reset_demo_data
from .users import DEMO_PASSWORD

__all__ = [
    "DEMO_PASSWORD",
    "DemoDataExists",
    "DemoSummary",
    "build_demo_city",
    "default_communities",
    "demo_data_present",
    "reset_demo_data",
]
