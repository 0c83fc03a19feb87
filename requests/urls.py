from django.urls import include, path

from requests.views import queue, register, requesting, reviewing

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
    path(
        "requests/waiting-for-budget-holder/",
        queue.waiting_for_budget_holder,
        name="waiting_for_budget_holder",
    ),
    path("it/queue/export/", queue.it_queue_export, name="queue_export"),
    # The register of authorised items
    path("register/", register.register_list, name="register"),
    path("register/new/", register.register_add, name="register_add"),
    path("register/<int:pk>/edit/", register.register_edit, name="register_edit"),
    # Starters, leavers and temporary workers: HR's and managers' notices, IT's board
    path("", include("requests.staff.urls")),
]
