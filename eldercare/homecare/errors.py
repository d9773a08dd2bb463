"""Named errors of door-to-door services; messages in Chinese first, then English."""

from eldercare.core.errors import Err

ERR_ILLEGAL = Err("homecare.illegal", "工单当前状态为“{status}”，不能{action} / an order that is {status_en} cannot be {action_en}")
ERR_NOT_ASSIGNED = Err("homecare.not_assigned", "只有被派单的护理员可以操作此工单 / only the caregiver the order is assigned to may do this")
ERR_WINDOW = Err("homecare.window", "预约结束时间须晚于开始时间 / the end of the time window must be after its start")
ERR_WINDOW_PAST = Err("homecare.window_past", "预约时间已过 / the time window is in the past")
ERR_QUANTITY = Err("homecare.quantity", "数量须为正整数（次数或分钟） / the quantity must be a positive whole number (visits or minutes)")
ERR_ITEM_INACTIVE = Err("homecare.item_inactive", "该服务项目已停用 / this service item is no longer offered")
ERR_ELDER_INACTIVE = Err("homecare.elder_inactive", "该老人档案不在册，不能下单 / the elder is not on the register: no order can be placed")
ERR_REASON = Err("homecare.reason", "请填写原因 / give a reason")
ERR_RATING = Err("homecare.rating", "评分须为1至5分 / the rating is from 1 to 5")
ERR_NO_PRICE = Err("homecare.no_price", "{region}在{day}没有“{item}”的政府指导价 / {region} has no guide price for {item} on {day}")
ERR_CAREGIVER_INACTIVE = Err("homecare.caregiver_inactive", "该护理员不在岗 / the caregiver is not on duty")
ERR_PROVIDER_INACTIVE = Err("homecare.provider_inactive", "服务商“{provider}”当前不能接单 / provider {provider} cannot take orders now")
ERR_OUTSIDE_AREA = Err("homecare.outside_area", "服务商“{provider}”的服务区域不含该社区 / provider {provider} does not serve this community")
ERR_NO_SKILL = Err("homecare.no_skill", "该护理员不提供“{category}”类服务 / the caregiver does not do {category} services")
ERR_LEVEL = Err("homecare.level", "该项目需要{level}及以上职业等级 / this item needs vocational level {level} or higher")
ERR_CERTIFICATE_EXPIRED = Err("homecare.certificate_expired", "护理员职业技能等级证书已于{day}过期 / the caregiver's certificate expired on {day}")
ERR_NOT_YOUR_PROVIDER = Err("homecare.not_your_provider", "只能派给本服务商的护理员 / only the provider's own caregivers can be assigned")
ERR_CREDIT_CODE = Err("homecare.credit_code", "{message}")
ERR_DUPLICATE_CAREGIVER = Err("homecare.duplicate_caregiver", "该身份证号码的护理员已登记 / a caregiver with this ID number is already registered")
ERR_PRICE_DOCUMENT = Err("homecare.price_document", "请填写指导价的依据文件 / name the document that sets the guide price")
ERR_CHECKOUT_BEFORE_CHECKIN = Err("homecare.checkout_before_checkin", "签退时间早于签到时间 / the check-out is before the check-in")
ERR_TOO_EARLY = Err(
    "homecare.too_early",
    "这项服务预约在{start}开始，服务当天或开始前{hours}小时内才能出发、签到 / this visit starts at {start}: "
    "set off or check in on its day, or within {hours} hours of its start",
)
ERR_COORDINATES = Err("homecare.coordinates", "请提供签到位置（经纬度） / the check-in needs a location (latitude and longitude)")
ERR_CAREGIVER_BUSY = Err(
    "homecare.caregiver_busy", "该护理员在此时段已有工单{order} / the caregiver already has order {order} in this time window"
)
ERR_NO_MATCH = Err("homecare.no_match", "没有可派的护理员：{reasons} / no caregiver can take it: {reasons}")
