"""The demo: portal's people first, then the part each app registers in ``AppConfig.ready()``::

    demo.register(demo.Part(
        name="policy", order=10, seed=demo_data.seed_demo,
        summary="{assigned} newly asked to sign the policy",
    ))

Parts run from the lowest ``order`` up, so a part may use whatever an earlier one made: the
people (order 0, portal's own) before the policy that asks them to sign (10), the policy before
IT's starters and leavers notices about them (20). Each part's ``seed`` is safe to run again and
returns its counts, which fill its ``summary``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from portal import demo_data


@dataclass(frozen=True)
class Part:
    name: str
    order: int
    seed: Callable[[], dict[str, int]]
    summary: str


PARTS: dict[str, Part] = {}


def register(part: Part) -> Part:
    PARTS[part.name] = part
    return part


register(
    Part(
        name="people",
        order=0,
        seed=demo_data.seed_demo,
        summary="{created} people added, {total} in all",
    )
)


def seed_all() -> list[str]:
    """Run every part in order; what each one did, in words."""
    return [
        part.summary.format(**part.seed())
        for part in sorted(PARTS.values(), key=lambda part: part.order)
    ]
