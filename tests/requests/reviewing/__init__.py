"""A request's page, its steps, assignment and comments: who sees what, who may do what, and
that a refused step changes nothing."""
