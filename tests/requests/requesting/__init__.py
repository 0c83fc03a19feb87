"""The employee's side of requests: choosing a kind, the form for each kind, where a request goes
when it is submitted and who is told, my requests, and answering a request for more information."""
