from django.urls import path

from dangjian.dues import views

app_name = "dues"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("arrears/", views.arrears, name="arrears"),
    path("report/<int:org_id>/", views.report, name="report"),
    path("payments/<int:pk>/receipt.pdf", views.receipt, name="receipt"),
    path("sandbox/pay/<str:out_trade_no>/", views.sandbox_pay, name="sandbox_pay"),
]
