from django.urls import path

from acknowledgements.views import (
    chasing,
    compliance,
    grants,
    questions,
    reading,
    receipts,
    reviews,
    signing,
    staff_status,
    versions,
)

app_name = "acknowledgements"

urlpatterns = [
    # Reading and signing
    path("policies/", reading.policy_list, name="policy_list"),
    path("policies/<slug:slug>/", reading.policy_detail, name="policy_detail"),
    path(
        "policies/<slug:slug>/versions/<int:number>/",
        reading.version_detail,
        name="version_detail",
    ),
    path("policies/<slug:slug>/sign/", signing.sign, name="sign"),
    path("policies/<slug:slug>/sign/confirm/", signing.sign_confirm, name="sign_confirm"),
    path("policies/<slug:slug>/sign/complete/", signing.sign_complete, name="sign_complete"),
    # Receipts and verification
    path("receipts/", receipts.my_receipts, name="my_receipts"),
    path("receipts/<int:pk>/", receipts.receipt, name="receipt"),
    path("receipts/<int:pk>/pdf/", receipts.receipt_pdf, name="receipt_pdf"),
    path("verify/", receipts.verify, name="verify"),
    # New versions (Policy reviewers)
    path("manage/", versions.manage_index, name="manage_index"),
    path("manage/<slug:slug>/", versions.manage_policy, name="manage_policy"),
    path("manage/<slug:slug>/draft/", versions.create_draft, name="create_draft"),
    path("manage/<slug:slug>/reconfirm/", versions.reconfirm, name="reconfirm"),
    path("manage/<slug:slug>/<int:number>/edit/", versions.edit_draft, name="edit_draft"),
    path("manage/<slug:slug>/<int:number>/diff/", versions.version_diff, name="version_diff"),
    path("manage/<slug:slug>/<int:number>/publish/", versions.publish, name="publish"),
    # The annual review (Policy reviewers)
    path("reviews/", reviews.review_list, name="reviews"),
    path("reviews/<int:pk>/", reviews.review_detail, name="review"),
    # Questions to one's line manager before signing
    path("policies/<slug:slug>/ask/", questions.ask, name="ask"),
    path("questions/", questions.question_list, name="questions"),
    path("questions/<int:pk>/", questions.question_detail, name="question"),
    # Personal-use discretion (policy 4.1 and 5.1)
    path("personal-use/", grants.my_personal_use, name="my_personal_use"),
    path("personal-use/register/", grants.all_personal_use, name="all_personal_use"),
    path("team/<int:user_id>/personal-use/", grants.team_member, name="team_personal_use"),
    path(
        "team/<int:user_id>/personal-use/revoke/",
        grants.revoke,
        name="revoke_personal_use",
    ),
    # Acknowledgement status for HR (everyone) and line managers (their own reports)
    path("compliance/", compliance.dashboard, name="dashboard"),
    path("compliance/<slug:slug>/staff/", staff_status.staff_list, name="staff_list"),
    path("compliance/<slug:slug>/staff/export/", staff_status.export_csv, name="staff_export"),
    path(
        "compliance/<slug:slug>/remind-overdue/",
        chasing.remind_overdue,
        name="remind_overdue",
    ),
    path("compliance/people/<int:user_id>/", staff_status.person, name="person"),
    path(
        "compliance/<slug:slug>/remind/<int:user_id>/",
        staff_status.remind,
        name="remind",
    ),
]
