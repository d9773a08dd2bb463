"""GB/T 42195-2022 ability assessments that agree with each elder's priority groups.

- Every active elder in the disabled group (level mild/moderate/severe) has one effective
  assessment in force whose answers score, through `assessments.scoring.score`, to a final level
  the region's policy (`assessments.policies.categories_for`) maps to that disability degree
  (severe: 重度失能, or now and then 完全失能, which policies count as severe too).
- An elder in the dementia group has the dementia fact recorded. It raises the preliminary level
  one level (C.4), so the answers aim one level lower: the final level is still the disabled
  group's level, or the dementia group's own level when the elder is not in the disabled group.
  A few disabled elders had two care-risk events in the last 30 days instead, with the same effect.
- About one in ten other elders had an assessment that found them able (total 90, 能力完好):
  under the default policy even 轻度失能 means 半失能, which those elders are not.
- Most assessments are within the reassessment interval; about one in eight is overdue, and
  some of those have a reassessment planned or under way (scheduled / in progress).

Answers come from a few templates per preliminary level, each scored once; an elder picks a
template and the result (with its facts) is scored once per (template, facts) and reused.
Rows hold exactly what `services._store_result` and `assessment_make_effective` store.
Elders who died or moved away keep no assessment here: their records are closed.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from django.conf import settings

from eldercare.accounts.models import User
from eldercare.assessments import policies, scoring
from eldercare.assessments.facts import AssessmentFacts
from eldercare.assessments.models import Assessment, AssessorQualification, Reason, Status
from eldercare.assessments.standards import CURRENT, Standard, get_standard
from eldercare.core.months import add_months
from eldercare.elders.models import ElderStatus, PriorityGroup

from .writers import Writer

TEMPLATES_PER_LEVEL = 6
INTACT_SAMPLE = 0.10  # of elders in neither the disabled nor the dementia group
OVERDUE = 0.12
PLANNED_WHEN_OVERDUE = 0.4  # a reassessment is scheduled …
IN_PROGRESS_WHEN_OVERDUE = 0.15  # … or already under way
SEVERE_AS_COMPLETE_LOSS = 0.2
RISK_EVENTS = 0.05  # disabled elders (without dementia) raised for care-risk events

# Qualified demo staff: (username, certificate number). The first three assess, the last reviews.
ASSESSORS = ("assessor", "advisor", "doctor")
REVIEWER = "city_officer"
ISSUER = "杭州市民政局（演示）"
QUALIFIED_FROM = dt.date(2022, 1, 1)

# The level one below: what the answers aim at when a rule raises one level.
LOWER = {"mild": "intact", "moderate": "mild", "severe": "moderate", "complete_loss": "severe"}
# Weight of lowering an item of each indicator when building a template: disability shows
# first in self-care and motor ability.
WEIGHTS = {"self_care": 3, "basic_mobility": 3}

Membership = tuple[str, str, dt.date, dt.date | None, str]


def _templates(standard: Standard, rng: random.Random) -> dict[str, list[dict[str, int]]]:
    """Answer sets per preliminary level: from every item at its best option, items are lowered
    one option at a time (GB/T options step by one point) until the total hits a target drawn
    in the level's band. Each is checked by scoring it."""
    items = [item for ind in standard.indicators for item in ind.items]
    weights = [WEIGHTS.get(item.indicator, 1) for item in items]
    out: dict[str, list[dict[str, int]]] = {}
    for band in standard.bands:
        sets = []
        for _ in range(1 if band.min == band.max else TEMPLATES_PER_LEVEL):
            answers = {item.code: max(item.scores) for item in items}
            target = rng.randint(band.min, band.max)
            total = sum(answers.values())
            while total > target:
                item = rng.choices(items, weights)[0]
                lower = sorted(s for s in item.scores if s < answers[item.code])
                if lower:
                    total -= answers[item.code] - lower[-1]
                    answers[item.code] = lower[-1]
            result = scoring.score(standard, answers)
            if result.base_level.code != band.level:  # the bands tile 0–90; this cannot happen
                raise AssertionError(f"template for {band.level} scored {result.base_level.code}")
            sets.append(answers)
        out[band.level] = sets
    return out


def _at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(settings.TIME_ZONE))


class Assessments:
    """Called once per elder, in generation order, with its own seeded generator."""

    def __init__(self, *, rng: random.Random, today: dt.date, now: dt.datetime, writer: Writer):
        self.rng, self.today, self.now, self.writer = rng, today, now, writer
        self.standard = get_standard(CURRENT)
        self.templates = _templates(self.standard, rng)
        self.results: dict[tuple[str, int, tuple], scoring.Result] = {}
        self.categories: dict[tuple[str, str], policies.Categories] = {}
        self.intervals: dict[str, policies.Interval] = {}
        self.assessor_ids: list[int] = []
        self.reviewer_id = 0
        self.count = 0

    def qualify_staff(self) -> int:
        """Assessor certificates for the demo staff who assess and review; returns how many were made."""
        users = dict(User.objects.filter(username__in=[*ASSESSORS, REVIEWER]).values_list("username", "pk"))
        self.assessor_ids = [users[name] for name in ASSESSORS]
        self.reviewer_id = users[REVIEWER]
        existing = set(AssessorQualification.objects.filter(issuer=ISSUER).values_list("certificate_number", flat=True))
        new = [
            AssessorQualification(
                user_id=users[name],
                certificate_number=f"ZJPG-DEMO-{n:03d}",
                issuer=ISSUER,
                valid_from=QUALIFIED_FROM,
                valid_to=None,
                standards=[CURRENT],
            )
            for n, name in enumerate([*ASSESSORS, REVIEWER], start=1)
            if f"ZJPG-DEMO-{n:03d}" not in existing
        ]
        AssessorQualification.objects.bulk_create(new)
        return len(new)

    # --- what the policy and the scorer say, cached

    def _categories(self, level: str, region: str) -> policies.Categories:
        key = (level, region)
        if key not in self.categories:
            self.categories[key] = policies.categories_for(level, region)
        return self.categories[key]

    def _interval(self, region: str) -> policies.Interval:
        if region not in self.intervals:
            self.intervals[region] = policies.reassessment_interval(CURRENT, region)
        return self.intervals[region]

    def _score(self, base: str, index: int, facts: AssessmentFacts) -> scoring.Result:
        key = (base, index, tuple(facts.to_dict().values()))
        if key not in self.results:
            self.results[key] = scoring.score(self.standard, self.templates[base][index], facts)
        return self.results[key]

    # --- one elder

    def elder(self, elder_id: int, region: str, status: str, memberships: Sequence[Membership]) -> None:
        rng = self.rng
        if status != ElderStatus.ACTIVE:
            return
        current = {g: (level, start) for g, level, start, end, _ in memberships if end is None and g in DEGREE_GROUPS}
        disabled, dementia = current.get(PriorityGroup.DISABLED), current.get(PriorityGroup.DEMENTIA)
        if held := disabled or dementia:
            degree, since = held
            if dementia:
                since = max(since, dementia[1])
            final = "complete_loss" if degree == "severe" and rng.random() < SEVERE_AS_COMPLETE_LOSS else degree
            risk = not dementia and rng.random() < RISK_EVENTS
            facts = AssessmentFacts(dementia=bool(dementia), care_risk_events=2 if risk else rng.choice((0, 0, 0, 1)))
            base = LOWER[final] if dementia or risk else final
        elif rng.random() < INTACT_SAMPLE:
            since, base, final = None, "intact", "intact"
            facts = AssessmentFacts()
        else:
            return
        index = rng.randrange(len(self.templates[base]))
        result = self._score(base, index, facts)
        if result.final_level.code != final:  # the raise rules are the standard's, not ours: check
            raise AssertionError(f"demo assessment aimed at {final}, scored {result.final_level.code}")
        self._write(elder_id, region, since, self.templates[base][index], facts, result)

    def _write(self, elder_id: int, region: str, since: dt.date | None, answers, facts: AssessmentFacts, result) -> None:
        rng, today = self.rng, self.today
        interval = self._interval(region)
        overdue = rng.random() < OVERDUE
        if overdue:  # due 1–120 days ago
            start = add_months(today, -interval.months) - dt.timedelta(days=rng.randint(1, 120))
        else:
            start = today - dt.timedelta(days=rng.randint(30, 330))
        reason = Reason.PERIODIC
        if since is not None and since >= start:
            start, reason = since, Reason.FIRST
        elif rng.random() < 0.3:
            reason = Reason.FIRST
        assessed = start - dt.timedelta(days=rng.randint(3, 20))
        reviewed = assessed + dt.timedelta(days=rng.randint(1, 2))
        first, second = rng.sample(self.assessor_ids, 2)
        categories = self._categories(result.final_level.code, region)
        created = _at(assessed - dt.timedelta(days=rng.randint(3, 30)), 9, rng.randrange(60))
        self._add(
            elder_id,
            status=Status.EFFECTIVE,
            reason=reason,
            scheduled_for=assessed,
            assessed_on=assessed,
            answers=dict(answers),
            facts=facts.to_dict(),
            total=result.total,
            indicator_scores=result.indicator_scores(),
            base_level=result.base_level.code,
            level=result.final_level.code,
            adjustments=[a.to_dict() for a in result.adjustments],
            care_category=categories.care_category,
            disability_degree=categories.disability_degree,
            effective_from=start,
            reassess_due=interval.due(start),
            assessor_id=first,
            second_assessor_id=second,
            reviewer_id=self.reviewer_id,
            created_at=created,
            updated_at=_at(start, 8, 30),
            submitted_at=_at(assessed, 15, rng.randrange(60)),
            reviewed_at=_at(reviewed, 10, rng.randrange(60)),
        )
        if overdue:
            u = rng.random()
            if u < PLANNED_WHEN_OVERDUE:
                planned = today + dt.timedelta(days=rng.randint(0, 30))
                self._add(elder_id, status=Status.SCHEDULED, reason=Reason.PERIODIC, scheduled_for=planned, assessor_id=first)
            elif u < PLANNED_WHEN_OVERDUE + IN_PROGRESS_WHEN_OVERDUE:
                planned = today - dt.timedelta(days=rng.randint(0, 7))
                partial = dict(list(answers.items())[: rng.randint(4, 16)])  # the first indicators entered
                self._add(
                    elder_id, status=Status.IN_PROGRESS, reason=Reason.PERIODIC, scheduled_for=planned, assessor_id=first, answers=partial
                )

    def _add(self, elder_id: int, **fields) -> None:
        row = {
            "id": self.writer.take_id(Assessment),
            "elder_id": elder_id,
            "standard": CURRENT,
            "status": "",
            "reason": "",
            "scheduled_for": None,
            "assessed_on": None,
            "answers": {},
            "facts": {},
            "total": None,
            "indicator_scores": {},
            "base_level": "",
            "level": "",
            "adjustments": [],
            "care_category": "",
            "disability_degree": "",
            "effective_from": None,
            "reassess_due": None,
            "effective_to": None,
            "assessor_id": None,
            "second_assessor_id": None,
            "reviewer_id": None,
            "scheduled_by_id": self.reviewer_id,
            "note": "",
            "created_at": self.now,
            "updated_at": self.now,
            "submitted_at": None,
            "reviewed_at": None,
            "cancelled_at": None,
        }
        row.update(fields)
        self.writer.add(Assessment, row)
        self.count += 1


DEGREE_GROUPS = (PriorityGroup.DISABLED, PriorityGroup.DEMENTIA)
