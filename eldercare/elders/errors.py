"""Named errors of the registry; messages in Chinese first, then English."""

from eldercare.accounts.selectors import ERR_REGION_UNKNOWN as ERR_REGION_UNKNOWN  # one message for both apps

ERR_DUPLICATE_ID = "该身份证号码已建档 / an elder with this ID number is already registered"
ERR_BIRTH_MISMATCH = "出生日期与身份证号码不符（号码显示为 {derived}）/ the birth date does not match the ID number ({derived})"
ERR_SEX_MISMATCH = "性别与身份证号码不符（号码显示为{derived}）/ the sex does not match the ID number ({derived})"
ERR_NOT_COMMUNITY = "居住地必须是社区（村）一级 / the residence must be a community or village"

ERR_NOT_ELDER_AGE = "未满60周岁，不属于老年人 / under 60 years old: not an elder"
ERR_DISABILITY_LEVEL = "失能须注明程度（轻度、中度、重度）/ disability needs a level (mild, moderate, severe)"
ERR_FROM_ASSESSMENT = (
    "失能及其程度由能力评估确定，不能手工登记 / disability and its degree come from the ability assessment and cannot be entered by hand"
)
ERR_LEVEL_ONLY_DISABILITY = "只有失能身份可以注明程度 / only disability has a level"
ERR_DATES_ORDER = "失效日期不能早于生效日期 / the end date is before the start date"
ERR_INSTITUTION_NEEDED = "入住养老机构的老人须选择机构 / choose the institution the elder lives in"
ERR_PHONE = "电话号码格式不正确 / the phone number is not valid"
ERR_NOT_FOUND = "未找到该老人档案 / no such elder"
ERR_UNKNOWN_FIELD = "不能修改的字段：{fields} / these fields cannot be changed: {fields}"
ERR_COORDINATE = "坐标超出范围（±{bound}°）/ the coordinate is out of range (±{bound}°)"
