from django.urls import path

from dangjian.transfers import views, views_incoming

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
    path("incoming/", views_incoming.incoming_list, name="incoming_list"),
    path("incoming/new/", views_incoming.incoming_new, name="incoming_new"),
    path("incoming/<int:pk>/", views_incoming.incoming_detail, name="incoming_detail"),
    path("incoming/<int:pk>/approve/", views_incoming.incoming_approve, name="incoming_approve"),
    path("incoming/<int:pk>/reject/", views_incoming.incoming_reject, name="incoming_reject"),
    path("incoming/<int:pk>/receipt/", views_incoming.incoming_receipt, name="incoming_receipt"),
]
