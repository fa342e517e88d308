from django.urls import path

from dangjian.dues import views

app_name = "dues"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("manage/", views.manage, name="manage"),
    path("arrears/", views.arrears, name="arrears"),
    path("report/<int:org_id>/", views.report, name="report"),
    path("org/<int:org_id>/bases/", views.bases, name="bases"),
    path("bases/import/", views.bases_import, name="bases_import"),
    path("bases/template.xlsx", views.bases_template, name="bases_template"),
    path("members/<int:member_id>/base/", views.member_base, name="member_base"),
    path("members/<int:member_id>/record/", views.member_record, name="member_record"),
    path("payments/<int:pk>/", views.payment, name="payment"),
    path("payments/<int:pk>/refund/", views.payment_refund, name="payment_refund"),
    path("payments/<int:pk>/receipt.pdf", views.receipt, name="receipt"),
    path("sandbox/pay/<str:out_trade_no>/", views.sandbox_pay, name="sandbox_pay"),
]
