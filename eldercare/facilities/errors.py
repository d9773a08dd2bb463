"""Named errors of facilities; messages in Chinese first, then English."""

from eldercare.core.errors import Err

ERR_STAY_OVERLAP = Err(
    "facilities.stay_overlap", "与该老人{start}起的另一段入住（托养）时间重叠 / overlaps the elder's other stay starting {start}"
)
ERR_STAY_DATES = Err("facilities.stay_dates", "离开日期不能早于入住日期 / the last day is before the first day")
ERR_STAY_ENDED = Err("facilities.stay_ended", "该段入住已于{end}结束 / this stay already ended on {end}")
ERR_STAY_FACILITY = Err(
    "facilities.stay_facility",
    "长期入住须在养老机构，托养须在居家养老服务设施 / long-term stays are in institutions, respite stays in home-care facilities",
)
ERR_STAY_NOT_THEIRS = Err("facilities.stay_not_theirs", "该段入住不属于此老人 / this stay is not the elder's")
ERR_NOT_FOUND = Err("facilities.not_found", "未找到该机构 / no such facility")
