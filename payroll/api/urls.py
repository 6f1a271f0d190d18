from django.urls import path

from . import views

RUN_ACTIONS = ("submit", "approve", "reject", "mark-paid", "cancel", "regenerate")

urlpatterns = [
    path("payroll/runs/", views.RunListCreate.as_view(), name="payroll-runs"),
    path("payroll/runs/<int:pk>/", views.RunDetail.as_view(), name="payroll-run"),
    path("payroll/runs/<int:pk>/lines/", views.RunLines.as_view(), name="payroll-run-lines"),
    path("payroll/runs/<int:pk>/payments/", views.RunPayments.as_view(),
         name="payroll-run-payments"),
    path("payroll/runs/<int:pk>/events/", views.RunEvents.as_view(), name="payroll-run-events"),
    *(path(f"payroll/runs/<int:pk>/{action}/", views.RunAction.as_view(action=action),
           name=f"payroll-run-{action}") for action in RUN_ACTIONS),
    path("payroll/runs/<int:pk>/export.csv", views.RunExportCSV.as_view(),
         name="payroll-run-export-csv"),
    path("payroll/runs/<int:pk>/export.xlsx", views.RunExportXLSX.as_view(),
         name="payroll-run-export-xlsx"),
    path("payroll/adjustments/", views.AdjustmentListCreate.as_view(), name="payroll-adjustments"),
    path("payroll/adjustments/<int:pk>/", views.AdjustmentDetail.as_view(),
         name="payroll-adjustment"),
    path("payroll/adjustments/<int:pk>/withdraw/", views.AdjustmentWithdraw.as_view(),
         name="payroll-adjustment-withdraw"),
    path("payroll/suspensions/", views.SuspensionListCreate.as_view(), name="payroll-suspensions"),
    path("payroll/suspensions/<int:pk>/", views.SuspensionDetail.as_view(),
         name="payroll-suspension"),
    path("payroll/suspensions/<int:pk>/lift/", views.SuspensionLift.as_view(),
         name="payroll-suspension-lift"),
    path("payroll/bank-account-changes/", views.BankAccountChangeListCreate.as_view(),
         name="payroll-bank-account-changes"),
    path("payroll/bank-account-changes/<int:pk>/", views.BankAccountChangeDetail.as_view(),
         name="payroll-bank-account-change"),
    *(path(f"payroll/bank-account-changes/<int:pk>/{action}/",
           views.BankAccountChangeDecision.as_view(action=action),
           name=f"payroll-bank-account-change-{action}") for action in ("approve", "reject")),
    path("payroll/me/", views.MyPayroll.as_view(), name="payroll-me"),
]
