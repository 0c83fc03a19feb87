"""The pages for starters, leavers and temporary workers: who may open them, and bad input.

Per view: it works for those allowed; a notice the viewer may not know about is a 404; a page
of a role they lack is a 403; the wrong method is a 405. Bad input shows a clear message on the
page and saves nothing.
"""
