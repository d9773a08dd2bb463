"""Named errors of entitlements; messages in Chinese first, then English."""

ERR_AMOUNT = "数额须为正整数（小时按分钟、金额按分计） / the amount must be a positive whole number (minutes or fen)"
ERR_INSUFFICIENT = "余额不足：尚余{balance}，本次需{amount} / not enough left: {balance} remain, {amount} asked"
ERR_KEY_REUSED = "该幂等键已用于另一笔业务 / this idempotency key was already used for a different request"
ERR_NOT_VALID_ON = (
    "服务日期{day}不在该账户的使用期（{start}至{end}）内 / the service date {day} is outside the account's period ({start} to {end})"
)
ERR_NOT_A_SPEND = "只能冲正使用记录 / only spends can be reversed"
ERR_ALREADY_REVERSED = "该笔使用已冲正 / this spend is already reversed"
ERR_ADJUST_BELOW_ZERO = "调减后余额将为负数（尚余{balance}） / the adjustment would take the balance below zero ({balance} remain)"
ERR_REASON = "请填写原因 / give a reason"
ERR_MONTH = "月份须为某月1日，且不晚于下个月 / the month must be a first day of a month, no later than next month"
ERR_RUN_BUSY = "该区域该月份的发放正在进行 / an issuance for this region and month is already running"
ERR_NOT_FOUND = "未找到该账户 / no such account"
