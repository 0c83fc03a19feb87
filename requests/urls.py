from django.urls import path

from requests.views import queue, register, requesting, reviewing, staff_changes

app_name = "requests"

urlpatterns = [
    # Employees
    path("requests/", requesting.my_requests, name="mine"),
    path("requests/new/", requesting.choose_kind, name="choose_kind"),
    path("requests/new/<str:kind>/", requesting.new_request, name="new"),
    path("requests/<int:pk>/edit/", requesting.edit_request, name="edit"),
    # One request: its page, its steps, comments and attachments
    path("requests/<int:pk>/", reviewing.detail, name="detail"),
    path("requests/<int:pk>/act/", reviewing.act, name="act"),
    path("requests/<int:pk>/assign/", reviewing.assign, name="assign"),
    path("requests/<int:pk>/comments/", reviewing.comment, name="comment"),
    path("requests/<int:pk>/attachments/", reviewing.upload, name="upload"),
    path("requests/attachments/<int:pk>/", reviewing.download, name="download"),
    # Budget holders and IT
    path("requests/approvals/", queue.approvals, name="approvals"),
    path("it/queue/", queue.it_queue, name="queue"),
    # The register of authorised items
    path("register/", register.register_list, name="register"),
    path("register/new/", register.register_add, name="register_add"),
    path("register/<int:pk>/edit/", register.register_edit, name="register_edit"),
    # Starters, leavers and temporary workers: HR's and managers' notices, IT's board
    path("staff-changes/", staff_changes.notices, name="staff_changes"),
    path("staff-changes/new/", staff_changes.choose_kind, name="staff_change_kind"),
    path("staff-changes/new/<str:kind>/", staff_changes.new_notice, name="staff_change_new"),
    path("staff-changes/<int:pk>/", staff_changes.detail, name="staff_change"),
    path(
        "staff-changes/<int:pk>/tasks/<int:task_pk>/",
        staff_changes.complete_task,
        name="staff_change_task",
    ),
    path("staff-changes/<int:pk>/link/", staff_changes.link_account, name="staff_change_link"),
    path("staff-changes/<int:pk>/extend/", staff_changes.extend, name="staff_change_extend"),
    path("staff-changes/<int:pk>/cancel/", staff_changes.cancel, name="staff_change_cancel"),
    path("staff-changes/<int:pk>/invite/", staff_changes.invite, name="staff_change_invite"),
    path("it/starters-leavers/", staff_changes.board, name="staff_board"),
]
