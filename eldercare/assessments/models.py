"""Ability assessments (老年人能力评估) and the qualifications of the people who make them.

An assessment's level changes nothing until it is effective, and then only from its
`effective_from` date; `selectors.current_level` is the one way other apps read it.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .choices import CareCategory, DisabilityDegree, LevelCode, Reason, StandardCode, Status

__all__ = ["Assessment", "AssessorQualification", "CareCategory", "DisabilityDegree", "LevelCode", "Reason", "StandardCode", "Status"]

# Statuses that carry a computed result (answers complete, level set, assessors recorded).
SCORED = (Status.SUBMITTED, Status.REVIEWED, Status.EFFECTIVE)


class AssessorQualificationQuerySet(models.QuerySet):
    def valid_on(self, day: dt.date) -> AssessorQualificationQuerySet:
        return self.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day), valid_from__lte=day)


class AssessorQualification(models.Model):
    """An assessor certificate (评估员资格证书), MZ/T 039-2013 4.2.2."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("评估员"), on_delete=models.CASCADE, related_name="assessor_qualifications"
    )
    certificate_number = models.CharField(_("证书编号"), max_length=64)
    issuer = models.CharField(_("发证机构"), max_length=100, blank=True, default="")
    valid_from = models.DateField(_("有效期起"))
    valid_to = models.DateField(_("有效期止"), null=True, blank=True)
    # Codes of the standards the certificate covers, e.g. ["GB/T 42195-2022"].
    standards = models.JSONField(_("适用标准"), default=list)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = AssessorQualificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("评估员资格")
        verbose_name_plural = _("评估员资格")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")), name="qualification_dates_ordered"
            ),
            models.UniqueConstraint(fields=["issuer", "certificate_number"], name="qualification_unique_certificate"),
        ]

    def __str__(self) -> str:
        return f"{self.user}（{self.certificate_number}）"

    def covers(self, standard: str, day: dt.date) -> bool:
        return standard in self.standards and self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class Assessment(models.Model):
    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), on_delete=models.PROTECT, related_name="assessments")
    standard = models.CharField(_("评估标准"), max_length=20, choices=StandardCode.choices, default=StandardCode.GBT_42195_2022)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    reason = models.CharField(_("评估原因"), max_length=30, choices=Reason.choices)
    scheduled_for = models.DateField(_("计划评估日期"))
    assessed_on = models.DateField(_("评估日期"), null=True, blank=True)

    # Item code → option score, and the facts the level-change rules read (scoring.AssessmentFacts).
    answers = models.JSONField(_("评估答案"), default=dict, blank=True)
    facts = models.JSONField(_("等级变更依据"), default=dict, blank=True)
    # The result, computed on submission.
    total = models.PositiveSmallIntegerField(_("总分"), null=True, blank=True)
    indicator_scores = models.JSONField(_("一级指标得分"), default=dict, blank=True)
    base_level = models.CharField(_("初步等级"), max_length=20, choices=LevelCode.choices, blank=True, default="")
    level = models.CharField(_("最终等级"), max_length=20, choices=LevelCode.choices, blank=True, default="")
    adjustments = models.JSONField(_("等级变更"), default=list, blank=True)
    care_category = models.CharField(_("照护类别"), max_length=20, choices=CareCategory.choices, blank=True, default="")
    disability_degree = models.CharField(_("失能程度"), max_length=20, choices=DisabilityDegree.choices, blank=True, default="")

    effective_from = models.DateField(_("生效日期"), null=True, blank=True)
    reassess_due = models.DateField(_("复评到期日"), null=True, blank=True)
    # Set when a later assessment becomes effective: the day before it starts. Until then (and
    # for the one in force now) it is empty.
    effective_to = models.DateField(_("有效期止"), null=True, blank=True)

    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("评估员"), on_delete=models.PROTECT, null=True, blank=True, related_name="assessments_made"
    )
    second_assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("第二评估员"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审核人"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    scheduled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("安排人"), on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("备注"), blank=True, default="")

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)

    # Annotated by selectors.overdue_reassessments: whether a reassessment is already planned.
    reassessment_open: bool

    class Meta:
        verbose_name = _("能力评估")
        verbose_name_plural = _("能力评估")
        indexes = [
            models.Index(fields=["elder", "status", "effective_from"], name="assessment_elder_effective"),
            # The overdue work list: in-force assessments by due date.
            models.Index(
                fields=["reassess_due"], name="assessment_reassess_due", condition=Q(status="effective", effective_to__isnull=True)
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="assessment_status_known"),
            models.CheckConstraint(condition=Q(standard__in=StandardCode.values), name="assessment_standard_known"),
            models.CheckConstraint(condition=Q(level="") | Q(level__in=LevelCode.values), name="assessment_level_known"),
            models.CheckConstraint(
                condition=Q(second_assessor__isnull=True) | ~Q(second_assessor=F("assessor")), name="assessment_assessors_differ"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=SCORED)
                | (Q(assessor__isnull=False, assessed_on__isnull=False, submitted_at__isnull=False) & ~Q(level="")),
                name="assessment_scored_has_result",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=(Status.REVIEWED, Status.EFFECTIVE)) | Q(reviewer__isnull=False, reviewed_at__isnull=False),
                name="assessment_reviewed_has_reviewer",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.EFFECTIVE) | (Q(effective_from__isnull=False, reassess_due__isnull=False) & ~Q(level="")),
                name="assessment_effective_has_level_and_date",
            ),
            models.CheckConstraint(
                condition=Q(effective_from__isnull=True) | Q(status=Status.EFFECTIVE), name="assessment_only_effective_has_date"
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_from__isnull=False, effective_to__gte=F("effective_from")),
                name="assessment_effective_dates_ordered",
            ),
            models.UniqueConstraint(
                fields=["elder"],
                condition=Q(status__in=(Status.SCHEDULED, Status.IN_PROGRESS, Status.SUBMITTED, Status.REVIEWED)),
                name="assessment_one_open_per_elder",
            ),
            # One in-force start per elder and date, whatever the standard: `current_level` is never ambiguous.
            models.UniqueConstraint(
                fields=["elder", "effective_from"], condition=Q(effective_from__isnull=False), name="assessment_unique_effective_from"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.elder}：{self.standard} {self.get_status_display()}"
