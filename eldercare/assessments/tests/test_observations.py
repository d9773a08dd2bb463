"""An observation between assessments that the standard answers with a reassessment.

MZ/T 039-2013 5.2.1 表6 注1 (official text, p.4): "处于昏迷状态者，直接评定为重度失能。若意识转为清醒，
需重新进行评估"; 4.3.5 (p.2): "出现特殊情况导致能力发生变化时，应进行即时评估". B.3.1 意识水平 scores
0 神志清醒, 1 嗜睡, 2 昏睡, 3 昏迷."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from eldercare.accounts.roles import Role
from eldercare.assessments.errors import RecordError
from eldercare.assessments.models import Reason, Status
from eldercare.assessments.services import ObservationOutcome, assessment_schedule, observation_record
from eldercare.assessments.standards import CURRENT

from .cases import MZT, mzt_answers
from .conftest import effective

CLEAR, DROWSY, STUPOR, COMA = 0, 1, 2, 3


def _in_coma(team, elder, today):
    answers = mzt_answers(0, 0, 0, 0)
    answers["consciousness"] = COMA
    for code in ("vision", "hearing", "communication"):  # 可不进行以下项目的评估
        del answers[code]
    day = today - dt.timedelta(days=30)
    return effective(team, elder, standard=MZT, answers=answers, assessed_on=day, effective_from=day)


def test_an_elder_assessed_in_coma_who_is_conscious_again_is_reassessed(team, elder, today, personas):
    in_force = _in_coma(team, elder, today)
    assert in_force.level == "severe"
    seen = observation_record(actor=personas[Role.FAMILY_DOCTOR], elder=elder, item="consciousness", score=CLEAR, on=today)
    assert (seen.outcome, seen.clause) == (ObservationOutcome.SCHEDULED, "5.2.1 表6 注1")
    planned = seen.assessment
    assert planned is not None
    assert (planned.status, planned.reason, planned.scheduled_for, planned.standard) == (
        Status.SCHEDULED,
        Reason.CHANGE_OF_CONDITION,
        today,
        CURRENT,  # reassessed under the standard in use now
    )
    assert "若意识转为清醒，需重新进行评估" in planned.note
    in_force.refresh_from_db()
    assert in_force.reassess_due == today and in_force.status == Status.EFFECTIVE  # the level stays until the new one takes effect


def test_any_other_change_of_consciousness_is_a_change_of_condition(team, elder, today, personas):
    _in_coma(team, elder, today)
    seen = observation_record(actor=personas[Role.FAMILY_DOCTOR], elder=elder, item="consciousness", score=STUPOR, on=today)
    assert (seen.outcome, seen.clause) == (ObservationOutcome.SCHEDULED, "4.3.5")


def test_nothing_is_asked_when_nothing_changed_or_the_elder_was_never_in_coma(team, elder, today, personas, city):
    from eldercare.tests import builders as testing

    _in_coma(team, elder, today)
    same = observation_record(actor=personas[Role.FAMILY_DOCTOR], elder=elder, item="consciousness", score=COMA, on=today)
    assert (same.outcome, same.assessment) == (ObservationOutcome.NONE, None)
    awake = testing.elder(residence=city.community)
    day = today - dt.timedelta(days=30)
    effective(team, awake, standard=MZT, answers=mzt_answers(1, 0, 0, 0), assessed_on=day, effective_from=day)
    assert observation_record(actor=personas[Role.FAMILY_DOCTOR], elder=awake, item="consciousness", score=CLEAR, on=today).outcome == (
        ObservationOutcome.NONE
    )


def test_an_open_assessment_is_brought_forward_not_doubled(team, elder, today, personas):
    in_force = _in_coma(team, elder, today)
    later = today + dt.timedelta(days=20)
    assessment_schedule(actor=team["officer"], elder=elder, scheduled_for=later, reason=Reason.PERIODIC)
    in_force.refresh_from_db()
    seen = observation_record(actor=personas[Role.FAMILY_DOCTOR], elder=elder, item="consciousness", score=CLEAR, on=today)
    assert seen.outcome == ObservationOutcome.BROUGHT_FORWARD
    in_force.refresh_from_db()
    assert in_force.reassess_due == today
    assert elder.assessments.filter(status=Status.SCHEDULED).count() == 1


def test_bad_observations_and_the_wrong_people_are_refused(team, elder, today, personas, city):
    from eldercare.tests import builders as testing

    with pytest.raises(RecordError) as none:
        observation_record(actor=personas[Role.FAMILY_DOCTOR], elder=elder, item="consciousness", score=CLEAR, on=today)
    assert none.value.code == RecordError.NO_ASSESSMENT
    _in_coma(team, elder, today)
    for item, score, code in (("flying", 0, RecordError.UNKNOWN_ITEM), ("consciousness", 7, RecordError.NOT_AN_OPTION)):
        with pytest.raises(RecordError) as bad:
            observation_record(actor=personas[Role.FAMILY_DOCTOR], elder=elder, item=item, score=score, on=today)
        assert bad.value.code == code
    with pytest.raises(PermissionDenied):
        observation_record(actor=personas[Role.CAREGIVER], elder=elder, item="consciousness", score=CLEAR, on=today)
    with pytest.raises(PermissionDenied):
        far = testing.user("far_doctor", Role.FAMILY_DOCTOR, city.community_far)
        observation_record(actor=far, elder=elder, item="consciousness", score=CLEAR, on=today)


def test_an_observation_over_http(client, team, elder, today, personas):
    _in_coma(team, elder, today)
    client.force_login(personas[Role.FAMILY_DOCTOR])
    url = f"/api/assessments/elders/{elder.pk}/observations"
    bad = client.post(url, {"item": "consciousness", "score": 9}, content_type="application/json")
    assert (bad.status_code, bad.json()["code"]) == (422, RecordError.NOT_AN_OPTION)
    made = client.post(url, {"item": "consciousness", "score": CLEAR}, content_type="application/json")
    assert made.status_code == 200
    body = made.json()
    assert (body["outcome"], body["clause"]) == ("scheduled", "5.2.1 表6 注1")
    assert elder.assessments.get(pk=body["assessment_id"]).scheduled_for == today


def test_an_observation_on_the_record_page(client, team, elder, today, personas):
    """The doctor who finds the elder awake reports it on the record; the reassessment is planned."""
    from django.urls import reverse

    page = reverse("console:elder_detail", args=[elder.pk])
    client.force_login(personas[Role.FAMILY_DOCTOR])
    assert "observe_form" not in client.get(page).context  # nothing to watch yet: not assessed in coma
    _in_coma(team, elder, today)
    shown = client.get(page)
    form = shown.context["observe_form"]
    assert [s for s, _ in form.fields["score"].choices] == [CLEAR, DROWSY, STUPOR, COMA]
    assert "若意识转为清醒，需重新进行评估" in shown.content.decode()
    url = reverse("console:elder_observe", args=[elder.pk])
    bad = client.post(url, {"observe-item": "consciousness", "observe-score": "9", "observe-on": today.isoformat()})
    assert bad.status_code == 200 and bad.context["observe_form"].errors["score"]
    wrong = client.post(url, {"observe-item": "vision", "observe-score": "0", "observe-on": today.isoformat()})
    assert wrong.status_code == 200 and wrong.context["observe_form"].errors["item"]
    done = client.post(url, {"observe-item": "consciousness", "observe-score": str(CLEAR), "observe-on": today.isoformat()})
    assert done.status_code == 302
    assert elder.assessments.filter(status=Status.SCHEDULED, scheduled_for=today).count() == 1
    client.force_login(personas[Role.CENTER_OPERATOR])  # reads the record, reports no health observations
    assert client.post(url, {"observe-item": "consciousness", "observe-score": "0", "observe-on": today.isoformat()}).status_code == 403
