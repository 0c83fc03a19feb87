"""The app's pages named without its namespace: the team page is ``{% url 'team' %}``."""

from django.urls import path

from acknowledgements.views import team

urlpatterns = [
    path("team/", team.team, name="team"),
]
