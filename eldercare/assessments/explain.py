"""The human-readable account of a score, line by line in Chinese and in English."""

from __future__ import annotations

from .results import AppliedAdjustment, Effect, IndicatorResult
from .standards import Level, Method, Standard


def _adjustment_line(standard: Standard, a: AppliedAdjustment) -> tuple[str, str]:
    frm, to = standard.level(a.from_level), standard.level(a.to_level)
    head_zh = f"等级变更条款（{a.clause}）“{a.text}”"
    head_en = f"Level-change rule '{a.code}' ({a.clause})"
    match a.effect:
        case Effect.APPLIED if a.rule == "set_level":
            return f"{head_zh}：直接评定为{to.name}", f"{head_en} is met: the level is set to {to.name_en}"
        case Effect.APPLIED:
            return f"{head_zh}：等级由{frm.name}提高为{to.name}", f"{head_en} is met: the level rises from {frm.name_en} to {to.name_en}"
        case Effect.UNCHANGED:
            return f"{head_zh}：等级已是{to.name}", f"{head_en} is met: the level already is {to.name_en}"
        case Effect.COUNTED_ONCE:
            return (
                f"{head_zh}：同样符合，但多项提级条件合计只提高一个等级",
                f"{head_en} is also met, but several raise conditions raise one level in all",
            )
        case Effect.AT_LAST_LEVEL:
            return f"{head_zh}：已是最高等级{to.name}，不再提高", f"{head_en} is met, but {to.name_en} is already the last level"
        case Effect.OVERRIDDEN:
            return f"{head_zh}：等级已直接评定，不再另行提高", f"{head_en} is met, but the level was set directly"
        case Effect.SUPPRESSED:
            return (
                f"{head_zh}：符合，但初步等级为{frm.name}，不再提高",
                f"{head_en} is met, but the preliminary level {frm.name_en} is not raised",
            )
        case _:  # the guard itself
            return f"{head_zh}：适用", f"{head_en} applies: the preliminary level stays {frm.name_en}"


def _combination_lines(standard: Standard, base: Level, matched: tuple[str, ...]) -> tuple[str, str]:
    table = standard.combination
    assert table is not None  # only graded_combination standards get here, and they have one
    rules = [r for r in table.rules + table.supplementary_rules if r.id in matched]
    ids = "、".join(matched)
    if rules[0].supplementary:
        texts = "；".join(r.text for r in rules)
        return (
            f"组合判定表（{table.clause}）未覆盖此分级组合，按平台补充规则{ids}：{texts}。初步等级：{base.name}",
            f"The combination table does not cover these grades; the platform's rule {', '.join(matched)} applies: "
            f"preliminary level {base.name_en}",
        )
    if len({r.level for r in rules}) > 1:
        return (
            f"分级组合同时符合组合判定表（{table.clause}）规则{ids}，结论不一，取最重者。初步等级：{base.name}",
            f"The grades match rules {', '.join(matched)} of the combination table, which disagree; the most severe applies: "
            f"preliminary level {base.name_en}",
        )
    texts = "；".join(f"{r.id} {r.text}" for r in rules)
    return (
        f"符合组合判定表（{table.clause}）：{texts}。初步等级：{base.name}",
        f"Rule {', '.join(matched)} of the combination table applies: preliminary level {base.name_en}",
    )


def explain(
    standard: Standard,
    indicators: tuple[IndicatorResult, ...],
    total: int | None,
    base: Level,
    final: Level,
    applied: list[AppliedAdjustment],
    matched: tuple[str, ...],
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    zh: list[str] = [f"评估标准：{standard.code}《{standard.title}》"]
    en: list[str] = [f"Standard: {standard.code} ({standard.title_en})"]
    if standard.method == Method.SUM_BANDS:
        zh.append("一级指标得分：" + "、".join(f"{i.name}{i.score}/{i.max_score}分" for i in indicators))
        en.append("Indicator scores: " + ", ".join(f"{i.name_en} {i.score}/{i.max_score}" for i in indicators))
        band = next(b for b in standard.bands if total is not None and b.min <= total <= b.max)  # sum_bands: the total is set
        zh.append(f"总分{total}分（满分{standard.total_max}分），属{band.min}～{band.max}分区间（{band.clause}），初步等级：{base.name}")
        en.append(f"Total {total} of {standard.total_max}, in the band {band.min}–{band.max}: preliminary level {base.name_en}")
    else:
        for i in indicators:
            zh.append(f"{i.name}：" + (f"总分{i.score}分，" if i.score is not None else "") + f"分级{i.grade}（{i.grade_name}）")
            en.append(f"{i.name_en}: " + (f"total {i.score}, " if i.score is not None else "") + f"grade {i.grade}")
        line_zh, line_en = _combination_lines(standard, base, matched)
        zh.append(line_zh)
        en.append(line_en)
    if not applied:
        zh.append("无等级变更情形")
        en.append("No level-change rule applies")
    for adjustment in applied:
        line_zh, line_en = _adjustment_line(standard, adjustment)
        zh.append(line_zh)
        en.append(line_en)
    zh.append(f"最终等级：{final.name}")
    en.append(f"Final level: {final.name_en}")
    return tuple(zh), tuple(en)
