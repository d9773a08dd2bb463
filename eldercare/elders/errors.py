"""Named errors of the registry; messages in Chinese first, then English."""

from eldercare.accounts.selectors import ERR_REGION_UNKNOWN as ERR_REGION_UNKNOWN  # one message for both apps
from eldercare.core.errors import Err

ERR_DUPLICATE_ID = Err("elders.duplicate_id", "该身份证号码已建档 / an elder with this ID number is already registered")
ERR_BIRTH_MISMATCH = Err("elders.birth_mismatch", "出生日期与身份证号码不符（号码显示为 {derived}）/ the birth date does not match the ID number ({derived})")
ERR_SEX_MISMATCH = Err("elders.sex_mismatch", "性别与身份证号码不符（号码显示为{derived}）/ the sex does not match the ID number ({derived})")
ERR_NOT_COMMUNITY = Err("elders.not_community", "居住地必须是社区（村）一级 / the residence must be a community or village")
ERR_NOT_ELDER_AGE = Err("elders.not_elder_age", "未满60周岁，不属于老年人 / under 60 years old: not an elder")
ERR_DISABILITY_LEVEL = Err("elders.disability_level", "失能须注明程度（轻度、中度、重度）/ disability needs a level (mild, moderate, severe)")
ERR_FROM_ASSESSMENT = Err(
    "elders.from_assessment",
    "失能及其程度由能力评估确定，不能手工登记 / disability and its degree come from the ability assessment and cannot be entered by hand",
)
ERR_LEVEL_ONLY_DISABILITY = Err("elders.level_only_disability", "只有失能身份可以注明程度 / only disability has a level")
ERR_DATES_ORDER = Err("elders.dates_order", "失效日期不能早于生效日期 / the end date is before the start date")
ERR_PHONE = Err("elders.phone", "电话号码格式不正确 / the phone number is not valid")
ERR_NOT_FOUND = Err("elders.not_found", "未找到该老人档案 / no such elder")
ERR_UNKNOWN_FIELD = Err("elders.unknown_field", "不能修改的字段：{fields} / these fields cannot be changed: {fields}")
ERR_COORDINATE = Err("elders.coordinate", "坐标超出范围（±{bound}°）/ the coordinate is out of range (±{bound}°)")
ERR_PERSONAL_IN_URL = Err(
    "elders.personal_in_url",
    "身份证号或电话号码不能放在网址中，请用搜索（POST）查询 / ID and phone numbers are never put in a URL: search with POST",
)
