from django.urls import path

from dangjian.recruitment import views

app_name = "recruitment"
urlpatterns = [
    path("", views.index, name="index"),
    path("org/<int:org_id>/", views.pipeline, name="pipeline"),
    path("org/<int:org_id>/plan/", views.plan, name="plan"),
    path("org/<int:org_id>/new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/steps/<slug:key>/", views.step, name="step"),
    path("<int:pk>/terminate/", views.terminate, name="terminate"),
    path("<int:pk>/documents/", views.document_add, name="document_add"),
    path("<int:pk>/documents/<int:doc_id>/", views.document, name="document"),
    path("<int:pk>/record.pdf", views.record_pdf, name="record_pdf"),
]
