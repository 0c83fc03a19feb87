"""The requests app's audit actions in words, for the audit log (``portal.audit_words``)."""

GROUPS = {
    "request": "Requests to IT",
    "catalogue": "Register of authorised items",
    "staff_change": "Starters, leavers and temporary workers",
}

ACTIONS = {
    "request.submitted": "Request made",
    "request.assigned": "Request assigned",
    "request.edited": "Request changed by the requester",
    "request.commented": "Comment added to a request",
    "request.attachment_added": "File attached to a request",
    "request.budget_approve": "Cost approved by the budget holder",
    "request.budget_reject": "Cost refused by the budget holder",
    "request.budget_more_info": "Budget holder asked for more information",
    "request.approve": "Request approved by IT",
    "request.reject": "Request refused by IT",
    "request.more_info": "IT asked for more information",
    "request.resubmit": "Request sent back with more information",
    "request.withdraw": "Request withdrawn",
    "request.fulfil": "Installed or issued",
    "request.authority_voided": "Cost approval undone by a change to the request",
    "request.authority_moved": "Cost authority moved to someone else",
    "request.queue_exported": "IT queue downloaded as CSV",
    "catalogue.item_added": "Item added to the register",
    "catalogue.item_changed": "Register item changed",
    "staff_change.submitted": "Staff notice given to IT",
    "staff_change.moved": "Mover put in the directory on their date",
    "staff_change.task_completed": "Staff notice task done",
    "staff_change.invitation_sent": "Sign-in invitation sent again",
    "staff_change.extended": "Temporary access extended",
    "staff_change.cancelled": "Staff notice cancelled",
    "staff_change.closed": "Staff notice completed",
}
