"""What changed between two versions of a policy, section by section."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString

from acknowledgements import documents


@dataclass(frozen=True)
class SectionChange:
    number: str
    title: str
    kind: str  # "added", "removed", "changed", "renamed"
    old_text: str
    new_text: str
    old_title: str = ""  # set when the heading was reworded too

    @property
    def anchor(self) -> str:
        return "section-" + self.number.replace(".", "-")

    def word_diff(self) -> SafeString:
        """The new text with insertions in <ins> and deletions in <del> (escaped, word level)."""
        old_words, new_words = self.old_text.split(), self.new_text.split()
        parts: list[SafeString] = []
        matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
        for op, a1, a2, b1, b2 in matcher.get_opcodes():
            if op == "equal":
                parts.append(escape(" ".join(new_words[b1:b2])))
                continue
            if op in {"delete", "replace"}:
                parts.append(format_html("<del>{}</del>", " ".join(old_words[a1:a2])))
            if op in {"insert", "replace"}:
                parts.append(format_html("<ins>{}</ins>", " ".join(new_words[b1:b2])))
        return format_html_join(" ", "{}", ((part,) for part in parts))


def section_changes(old_body: str, new_body: str) -> list[SectionChange]:
    """Sections added, removed, retitled or reworded, in the new version's order."""
    old = {s.number: s for s in documents.sections(old_body)}
    new = {s.number: s for s in documents.sections(new_body)}
    changes: list[SectionChange] = []
    for number, section in new.items():
        before = old.get(number)
        if before is None:
            changes.append(SectionChange(number, section.title, "added", "", section.body))
        elif before.body != section.body:
            old_title = before.title if before.title != section.title else ""
            changes.append(
                SectionChange(
                    number, section.title, "changed", before.body, section.body, old_title
                )
            )
        elif before.title != section.title:
            changes.append(
                SectionChange(number, section.title, "renamed", before.title, section.title)
            )
    for number, section in old.items():
        if number not in new:
            changes.append(SectionChange(number, section.title, "removed", section.body, ""))
    return changes
