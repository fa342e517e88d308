from django.urls import path

from dangjian.mobility import views

app_name = "mobility"
urlpatterns = [
    path("", views.registration_list, name="list"),
    path("register/<int:member_id>/", views.register, name="register"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/card/", views.card, name="card"),
    path("<int:pk>/participation/", views.participation_add, name="participation_add"),
    path("<int:pk>/end/", views.end, name="end"),
    path("<int:pk>/group/", views.set_group, name="set_group"),
    path("verify/<str:token>/", views.verify, name="verify"),
    path("groups/", views.group_list, name="groups"),
    path("groups/new/<int:org_id>/", views.group_create, name="group_create"),
    path("groups/<int:pk>/", views.group_detail, name="group"),
    path("lost/", views.lost_list, name="lost"),
    path("lost/new/<int:member_id>/", views.lost_create, name="lost_create"),
    path("lost/<int:pk>/", views.lost_detail, name="lost_detail"),
    path("lost/<int:pk>/attempts/", views.attempt_add, name="attempt_add"),
    path("lost/<int:pk>/outcome/", views.lost_close, name="lost_close"),
    path("lapse/<int:member_id>/", views.lapse, name="lapse"),
    path("lapse/<int:member_id>/excuses/", views.excuse_add, name="excuse_add"),
    path("lapse/<int:member_id>/work/", views.assignment_add, name="assignment_add"),
    path("work/<int:pk>/done/", views.assignment_done, name="assignment_done"),
]
