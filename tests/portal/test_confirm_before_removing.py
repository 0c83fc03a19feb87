"""Every action that removes, cancels, revokes or withdraws something asks first, the same way
everywhere: through templates/portal/_confirm.html (a first button that opens what will happen,
and a second that does it), never a lone submit button."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
CONFIRM = TEMPLATES / "portal" / "_confirm.html"
REMOVING = re.compile(
    r"<button[^>]*>\s*(Revoke|Cancel|Withdraw|Remove|Delete|Void|Discard|Retract)\b", re.I
)
USES = {
    "acknowledgements/grants/team_member.html": "acknowledgements:revoke_personal_use",
    "requests/staff/detail.html": "requests:staff_change_cancel",
    "portal/staff_import_job.html": "staff_import_cancel",
    "requests/reviewing/_actions.html": "requests:act",
}


def test_no_template_has_a_one_click_removing_button() -> None:
    offenders = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if path != CONFIRM and "emails" not in path.parts and REMOVING.search(path.read_text())
    ]
    assert offenders == []


def test_each_removing_action_goes_through_the_confirmation() -> None:
    for name, route in USES.items():
        text = (TEMPLATES / name).read_text()
        assert '{% include "portal/_confirm.html"' in text, name
        assert f"{{% url '{route}'" in text, name


def test_the_confirmation_says_what_will_happen_before_its_button() -> None:
    text = CONFIRM.read_text()
    assert text.index("<summary") < text.index("<form") < text.index("{{ consequence }}")
    assert text.index("{{ consequence }}") < text.index('<button type="submit"')
