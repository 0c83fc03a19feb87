"""Starters, leavers and temporary workers: HR's and managers' notices, IT's board.

Included by ``requests/urls.py`` without a namespace of its own, so the names stay
``requests:staff_change`` and the like.
"""

from django.urls import path

from requests.staff import views

urlpatterns = [
    path("staff-changes/", views.notices, name="staff_changes"),
    path("staff-changes/new/", views.choose_kind, name="staff_change_kind"),
    path("staff-changes/new/<str:kind>/", views.new_notice, name="staff_change_new"),
    path("staff-changes/<int:pk>/", views.detail, name="staff_change"),
    path(
        "staff-changes/<int:pk>/tasks/<int:task_pk>/",
        views.complete_task,
        name="staff_change_task",
    ),
    path("staff-changes/<int:pk>/link/", views.link_account, name="staff_change_link"),
    path("staff-changes/<int:pk>/extend/", views.extend, name="staff_change_extend"),
    path("staff-changes/<int:pk>/cancel/", views.cancel, name="staff_change_cancel"),
    path("staff-changes/<int:pk>/invite/", views.invite, name="staff_change_invite"),
    path("it/starters-leavers/", views.board, name="staff_board"),
]
