from django.urls import path

from portal.oidc import views

app_name = "oidc"

urlpatterns = [
    path("start/", views.start, name="start"),
    path("callback/", views.callback, name="callback"),
    path("reauthenticate/", views.reauthenticate, name="reauthenticate"),
]
