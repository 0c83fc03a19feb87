"""The request workflow, through ``requests.workflow`` itself: where a request goes when it is
submitted, who may take each step from each state, what each step records and whom it tells."""
