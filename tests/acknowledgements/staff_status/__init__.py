"""Who has signed, person by person: HR's list of everyone and a line manager's list of their own
reports, the filters and search, keyset pagination, one person's record, and reminders."""
