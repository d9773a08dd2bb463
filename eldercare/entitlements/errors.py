"""Named errors of entitlements; messages in Chinese first, then English."""

from eldercare.core.errors import Err

ERR_AMOUNT = Err("entitlements.amount", "数额须为正整数（小时按分钟、金额按分计） / the amount must be a positive whole number (minutes or fen)")
ERR_INSUFFICIENT = Err("entitlements.insufficient", "余额不足：尚余{balance}，本次需{amount} / not enough left: {balance} remain, {amount} asked")
ERR_KEY_REUSED = Err("entitlements.key_reused", "该幂等键已用于另一笔业务 / this idempotency key was already used for a different request")
ERR_NOT_VALID_ON = Err(
    "entitlements.not_valid_on",
    "服务日期{day}不在该账户的使用期（{start}至{end}）内 / the service date {day} is outside the account's period ({start} to {end})",
)
ERR_NOT_A_SPEND = Err("entitlements.not_a_spend", "只能冲正使用记录 / only spends can be reversed")
ERR_ALREADY_REVERSED = Err("entitlements.already_reversed", "该笔使用已冲正 / this spend is already reversed")
ERR_ADJUST_BELOW_ZERO = Err("entitlements.adjust_below_zero", "调减后余额将为负数（尚余{balance}） / the adjustment would take the balance below zero ({balance} remain)")
ERR_REASON = Err("entitlements.reason", "请填写原因 / give a reason")
ERR_MONTH = Err("entitlements.month", "月份须为某月1日，且不晚于下个月 / the month must be a first day of a month, no later than next month")
ERR_RUN_BUSY = Err("entitlements.run_busy", "该区域该月份的发放正在进行 / an issuance for this region and month is already running")
ERR_NOT_FOUND = Err("entitlements.not_found", "未找到该账户 / no such account")
ERR_VALUE = Err("entitlements.value", "请填写本次服务的结算金额（分） / give what the service is worth to the provider, in fen")
ERR_SETTLED = Err("entitlements.settled", "{region}{month}已结算锁定，不能再变动 / {month} is settled and locked for {region}")
ERR_MONTH_NOT_ENDED = Err("entitlements.month_not_ended", "{month}尚未结束，不能结算 / {month} has not ended: it cannot be settled yet")
ERR_OVERLAPPING_SETTLEMENT = Err("entitlements.overlapping_settlement", "{region}{month}已有锁定的结算，范围重叠 / a locked settlement of {region} for {month} overlaps this one")
ERR_ALREADY_LOCKED = Err("entitlements.already_locked", "该结算已锁定 / this settlement is already locked")
