"""HR's acknowledgement dashboard: the status rules, the breakdowns, the charts and the page."""
