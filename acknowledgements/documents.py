"""Policy bodies: canonical text, hashing, numbered sections and safe HTML.

A version's ``body_sha256`` is the SHA-256 of its canonical text, so the hash on a receipt can be
recomputed from the stored body years later, whatever editor or platform produced it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

_HEADING = re.compile(r"^(#{2,4})\s+(\d+(?:\.\d+)*)\s+(.+?)\s*$")


def canonical_text(body: str) -> str:
    """NFC, Unix line ends, no trailing spaces, exactly one final newline."""
    text = unicodedata.normalize("NFC", body).replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    return "\n".join(lines).strip("\n") + "\n"


def body_sha256(body: str) -> str:
    return hashlib.sha256(canonical_text(body).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Section:
    number: str  # "4.1"
    title: str
    level: int  # 2 for "4", 3 for "4.1"
    body: str  # the Markdown below the heading, up to the next heading

    @property
    def anchor(self) -> str:
        return "section-" + self.number.replace(".", "-")

    @property
    def heading(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def top_level(self) -> str:
        return self.number.split(".")[0]


def sections(body: str) -> list[Section]:
    """The numbered sections of a body, in order (headings ``## 4`` and ``### 4.1``)."""
    found: list[Section] = []
    current: tuple[str, str, int] | None = None
    lines: list[str] = []
    for line in canonical_text(body).split("\n"):
        match = _HEADING.match(line)
        if match:
            if current is not None:
                found.append(Section(*current, "\n".join(lines).strip()))
            current = (match.group(2), match.group(3), len(match.group(1)))
            lines = []
        elif current is not None:
            lines.append(line)
    if current is not None:
        found.append(Section(*current, "\n".join(lines).strip()))
    return found


def validate_body(body: str) -> list[str]:
    """Problems that would make a body unusable as a policy version; empty when it is fine."""
    problems = []
    numbered = sections(body)
    if not numbered:
        problems.append("The policy needs numbered sections, e.g. '## 1 Purpose'.")
    numbers = [s.number for s in numbered]
    duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
    if duplicates:
        problems.append("Section numbers are used twice: " + ", ".join(duplicates) + ".")
    return problems


_ALLOWED_TAGS = {
    "p", "ul", "ol", "li", "strong", "em", "a", "blockquote", "code", "pre", "br", "hr",
    "table", "thead", "tbody", "tr", "th", "td", "h4", "h5",
}  # fmt: skip


@cache
def _markdown_html(text: str) -> str:
    html = markdown.markdown(text, extensions=["tables", "sane_lists"], output_format="html")
    return nh3.clean(html, tags=_ALLOWED_TAGS, link_rel="noopener noreferrer")


def render_markdown(text: str) -> SafeString:
    """Markdown to HTML with only harmless tags left (reviewers' text is never trusted).

    The one place policy HTML is marked safe: nh3 has kept only the tags above and its own
    list of harmless attributes and link schemes; scripts, styles and event handlers are gone.
    """
    return mark_safe(_markdown_html(text))  # noqa: S308  # nosec B308, B703
