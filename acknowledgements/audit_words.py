"""The acknowledgements app's audit actions in words, for the audit log (``portal.audit_words``)."""

GROUPS = {
    "policy": "Policies and signatures",
    "personal_use": "Personal use",
    "receipt": "Receipts",
}

ACTIONS = {
    "policy.created": "Policy loaded",
    "policy.signed": "Policy signed",
    "policy.draft_created": "Draft of a new version started",
    "policy.draft_updated": "Draft changed",
    "policy.version_published": "New version published",
    "policy.question_asked": "Question about the policy asked",
    "policy.question_answered": "Question about the policy answered",
    "policy.reminder_sent": "Reminder to sign sent",
    "policy.overdue_reminders_requested": "HR reminded the overdue people",
    "policy.reconfirmation_requested": "Everyone asked to confirm the same text again",
    "policy.status_exported": "Signature status exported",
    "policy.review_opened": "Annual review opened",
    "policy.review_outcome": "Reviewer's outcome recorded",
    "policy.review_completed": "Annual review completed",
    "personal_use.granted": "Personal use granted",
    "personal_use.revoked": "Personal use revoked",
    "personal_use.expired": "Personal use expired",
    "receipt.check_throttled": "Receipt checks refused: too many in an hour",
}
