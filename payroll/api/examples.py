"""Examples for the payroll schema (/api/docs/): answers captured from the demo world of
docs/demo.md (finance1 prepares the 2026-11 run of 黄海路社区, finance2 approves, leader1
reads their own), long lists trimmed to one item."""

from drf_spectacular.utils import OpenApiExample

RUN = {
    "id": 1, "number": "PR202611-450502001001-1", "period": "2026-11", "region": 4,
    "region_code": "450502001001", "region_name": "黄海路社区", "status": "approved",
    "total": "2700.00", "total_base": "2700.00", "total_withheld": "0.00",
    "total_adjustments": "0.00", "total_carried": "0.00", "line_count": 10,
    "payment_count": 10, "prepared_by": 22, "prepared_by_name": "finance1",
    "prepared_at": "2026-12-01T09:00:12+08:00", "submitted_by": 22,
    "submitted_at": "2026-12-01T09:05:40+08:00", "approved_by": 23,
    "approved_by_name": "finance2", "approved_at": "2026-12-01T10:30:02+08:00",
    "paid_by": None, "paid_at": None, "created_at": "2026-12-01T09:00:12+08:00"}
LINE = {"id": 1, "kind": "stipend", "leader": 1, "leader_name": "leader1", "grid": 1,
        "grid_code": "HHL-01", "days_served": 30, "days_in_month": 30,
        "monthly_amount": "300.00", "withholding_percent": "0.00", "base": "300.00",
        "withheld": "0.00", "adjustments": "0.00", "net": "300.00", "suspended": False,
        "note": "", "adjustment": None}
PAYMENT = {"id": 1, "position": 1, "leader": 1, "leader_name": "leader1", "grid": 1,
           "grid_code": "HHL-01", "amount": "300.00", "shortfall": "0.00", "line_count": 1,
           "days_served": 30, "account_name": "陈海燕", "bank_name": "北部湾银行北海分行",
           "account_number": "6231***********0001"}
EVENT = {"id": 3, "action": "approved", "from_status": "submitted", "to_status": "approved",
         "actor": 23, "actor_name": "finance2", "at": "2026-12-01T10:30:02+08:00",
         "total": "2700.00", "line_count": 10, "note": ""}
ADJUSTMENT = {
    "id": 1, "leader": 1, "leader_name": "leader1", "period": "2026-12", "grid": 1,
    "grid_code": "HHL-01", "amount": "200.00", "reason": "台风期间连续值守加班补助",
    "status": "pending", "run": None, "prepared_by": 22,
    "created_at": "2026-12-01T11:02:45+08:00", "approved_by": None, "approved_at": None,
    "withdrawn_by": None, "withdrawn_at": None, "withdrawal_reason": ""}
SUSPENSION = {"id": 1, "leader": 2, "leader_name": "leader2", "period": "2026-12",
              "reason": "连续两周未巡查网格", "created_by": 22,
              "created_at": "2026-12-01T11:10:03+08:00", "active": True, "lifted_by": None,
              "lifted_at": None, "lift_reason": ""}
BANK_ACCOUNT_CHANGE = {
    "id": 13, "leader": 1, "leader_name": "leader1", "account_name": "陈海燕",
    "bank_name": "中国农业银行北海海城支行", "account_number": "6228***********8901",
    "reason": "本人更换工资卡", "status": "pending", "requested_by": 22,
    "requested_at": "2026-12-01T11:20:31+08:00", "decided_by": None, "decided_at": None,
    "decision_note": "", "previous_account_name": "", "previous_bank_name": "",
    "previous_account_number": ""}


def answer(name: str, value: dict, status: str = "200") -> OpenApiExample:
    return OpenApiExample(name, response_only=True, status_codes=[status], value=value)


def reason(name: str, text: str) -> OpenApiExample:
    return OpenApiExample(name, request_only=True, value={"reason": text})


RUN_CREATE = [
    OpenApiExample("a month of one community, by its division code", request_only=True,
                   value={"period": "2026-11", "region": "450502001001"}),
    answer("the draft, with its first page of lines", {
        **RUN, "status": "draft", "submitted_by": None, "submitted_at": None,
        "approved_by": None, "approved_by_name": None, "approved_at": None,
        "lines": [LINE], "lines_next": None}, "201"),
]
RUN_LIST = [answer("an approved run", RUN)]
RUN_READ = [answer("an approved run", RUN)]
RUN_LINES = [answer("a leader's line", LINE)]
RUN_PAYMENTS = [answer("a payee with the bank details copied at approval", PAYMENT)]
RUN_EVENTS = [answer("approved by the checker", EVENT)]
# One set for submit / approve / reject / mark-paid / cancel / regenerate: they share a view.
RUN_ACTION = [
    OpenApiExample("submit, approve, mark-paid, regenerate: no body", request_only=True,
                   value={}),
    reason("reject or cancel: why", "第5网格天数有误，请核对后重新生成"),
    answer("approved (by someone other than the preparer)", RUN),
]
ADJUSTMENT_LIST = [answer("a pending bonus", ADJUSTMENT)]
ADJUSTMENT_READ = [answer("a pending bonus", ADJUSTMENT)]
ADJUSTMENT_CREATE = [
    OpenApiExample("a bonus for December", request_only=True, value={
        "leader": 1, "period": "2026-12", "amount": "200.00",
        "reason": "台风期间连续值守加班补助", "grid": 1}),
    answer("pending until a run of its month takes it", ADJUSTMENT, "201"),
]
ADJUSTMENT_WITHDRAW = [
    reason("why", "金额有误，重新录入"),
    answer("withdrawn", {**ADJUSTMENT, "status": "withdrawn", "withdrawn_by": 22,
                         "withdrawn_at": "2026-12-01T11:05:10+08:00",
                         "withdrawal_reason": "金额有误，重新录入"}),
]
SUSPENSION_LIST = [answer("an active suspension", SUSPENSION)]
SUSPENSION_READ = [answer("an active suspension", SUSPENSION)]
SUSPENSION_CREATE = [
    OpenApiExample("suspend December", request_only=True,
                   value={"leader": 2, "period": "2026-12", "reason": "连续两周未巡查网格"}),
    answer("suspended", SUSPENSION, "201"),
]
SUSPENSION_LIFT = [
    reason("why", "已补齐巡查记录"),
    answer("lifted, the record kept", {**SUSPENSION, "active": False, "lifted_by": 22,
                                      "lifted_at": "2026-12-01T15:40:00+08:00",
                                      "lift_reason": "已补齐巡查记录"}),
]
BANK_ACCOUNT_CHANGE_LIST = [answer("a pending change", BANK_ACCOUNT_CHANGE)]
BANK_ACCOUNT_CHANGE_READ = [answer("a pending change", BANK_ACCOUNT_CHANGE)]
BANK_ACCOUNT_CHANGE_CREATE = [
    OpenApiExample("a new card", request_only=True, value={
        "leader": 1, "account_name": "陈海燕", "bank_name": "中国农业银行北海海城支行",
        "account_number": "6228480012345678901", "reason": "本人更换工资卡"}),
    answer("pending, the number masked", BANK_ACCOUNT_CHANGE, "201"),
]
# One set for approve / reject: they share a view.
BANK_ACCOUNT_CHANGE_DECISION = [
    reason("approve: a note (optional)", "已核对本人银行卡复印件"),
    reason("reject: why (required)", "户名与本人身份证不一致"),
    answer("approved, the previous details kept", {
        **BANK_ACCOUNT_CHANGE, "status": "approved", "decided_by": 23,
        "decided_at": "2026-12-01T14:02:19+08:00", "decision_note": "已核对本人银行卡复印件",
        "previous_account_name": "陈海燕", "previous_bank_name": "北部湾银行北海分行",
        "previous_account_number": "6231***********0001"}),
]
MY_PAYROLL = [answer("a leader's November line", {
    "lines": [{"run": 1, "run_number": "PR202611-450502001001-1", "run_status": "approved",
               "period": "2026-11", "id": 1, "kind": "stipend", "grid": 1,
               "grid_code": "HHL-01", "days_served": 30, "days_in_month": 30,
               "monthly_amount": "300.00", "withholding_percent": "0.00", "base": "300.00",
               "withheld": "0.00", "adjustments": "0.00", "net": "300.00",
               "suspended": False, "note": "", "adjustment": None}],
    "year_end_shares": []})]
