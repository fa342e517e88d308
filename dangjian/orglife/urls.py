from django.urls import path

from dangjian.orglife import views

app_name = "orglife"
urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("mine/", views.my_meetings, name="mine"),
    path("new/<int:org_id>/", views.create, name="create"),
    path("meetings/<int:pk>/", views.detail, name="detail"),
    path("meetings/<int:pk>/edit/", views.edit, name="edit"),
    path("meetings/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("meetings/<int:pk>/record/", views.record, name="record"),
    path("meetings/<int:pk>/mark/", views.mark, name="mark"),
    path("meetings/<int:pk>/mark-all/", views.mark_all, name="mark_all"),
    path("meetings/<int:pk>/screen/", views.screen, name="screen"),
    path("meetings/<int:pk>/screen/qr/", views.screen_qr, name="screen_qr"),
    path("meetings/<int:pk>/screen/count/", views.screen_count, name="screen_count"),
    path("meetings/<int:pk>/checkin/", views.checkin, name="checkin"),
    path("meetings/<int:pk>/checkin/location/", views.checkin_location, name="checkin_location"),
    path("meetings/<int:pk>/leave/", views.leave, name="leave"),
    path("meetings/<int:pk>/resolutions/", views.resolution_add, name="resolution_add"),
    path("meetings/<int:pk>/vote/", views.vote, name="vote"),
    path("meetings/<int:pk>/close-vote/", views.close_vote, name="close_vote"),
    path("meetings/<int:pk>/comments/", views.comment_add, name="comment_add"),
    path("meetings/<int:pk>/photos/", views.photo_add, name="photo_add"),
    path("meetings/<int:pk>/photos/<int:photo_id>/", views.photo, name="photo"),
    path("compliance/", views.compliance, name="compliance"),
    path("compliance/<int:org_id>/", views.compliance, name="compliance_org"),
    path("warnings/", views.warnings, name="warnings"),
]
