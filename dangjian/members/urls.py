from django.urls import path

from dangjian.members import birthday_views, views

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("new/<int:branch_id>/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/reveal/", views.reveal, name="reveal"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("export/", views.export, name="export"),
    path("<int:pk>/photo/", views.photo, name="photo"),
    path("<int:pk>/photo/upload/", views.photo_upload, name="photo_upload"),
    path("birthday/", birthday_views.birthday, name="birthday"),
    path("birthday/card.png", birthday_views.birthday_card, name="birthday_card"),
]
