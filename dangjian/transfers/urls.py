from django.urls import path

from dangjian.transfers import views

app_name = "transfers"
urlpatterns = [
    path("", views.transfer_list, name="list"),
    path("apply/", views.apply, name="apply"),
    path("apply/<int:member_id>/", views.apply_for, name="apply_for"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/reject/", views.reject, name="reject"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/reissue/", views.reissue, name="reissue"),
    path("<int:pk>/receipt/", views.receipt, name="receipt"),
    path("<int:pk>/letter/", views.letter, name="letter"),
    path("verify/<str:token>/", views.verify, name="verify"),
]
