"""A whole company at scale, for benchmarks and for trying the status pages with real volumes.

``seed_company(employees=100_000)`` writes, with bulk inserts only:

* about 60 departments (a budget holder heading each) under one chief executive;
* about 400 senior managers, each over about 20 line managers, each over about 12 staff;
* start dates spread over ten years; mostly permanent staff, some fixed-term, temporary and
  contractors; a few percent leavers (inactive, with an end date before the policy went out);
* the seed policy, every active person assigned to it: about 70% signed (a valid hash chain,
  signed since publication), about 10% overdue and the rest due within three weeks;
* one authorisation request per five people, in every state, each with its latest history row.

Everyone shares one unusable password hash: nobody can sign in as a seeded person, and no
password is hashed 100,000 times. Due dates for people still to sign are spread on purpose
(some overdue, some due soon) so that the status pages have a realistic mix to show; signed
records are real chain records that ``verify_acknowledgements`` checks like any other.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from acknowledgements import chain, publishing, sealing, signing
from acknowledgements.models import Acknowledgement, Assignment, PolicyVersion
from portal import audit
from portal import permissions as roles
from portal.models import Department, User
from requests.models import AuthorisationRequest, Kind, RequestEvent

EMAIL_DOMAIN = "scale.example.com"
NUMBER_PREFIX = "SC"
BATCH = 5000
# The policy went out this long before the seed runs: signatures are spread since then, and
# staff who were there at publication had 21 days (publishing.DUE_AFTER_PUBLICATION) to sign.
PUBLISHED_AGO = timedelta(days=30)
SIGNED, OVERDUE, DUE = "signed", "overdue", "due"
STATUS_WEIGHTS = ((SIGNED, 70), (OVERDUE, 10), (DUE, 20))
LEAVER_SHARE = 0.03
EMPLOYMENT_WEIGHTS = (
    (User.EmploymentType.PERMANENT, 82),
    (User.EmploymentType.FIXED_TERM, 8),
    (User.EmploymentType.TEMPORARY, 6),
    (User.EmploymentType.CONTRACTOR, 4),
)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


CARE_SERVICES = (
    "Residential Care",
    "Community Support",
    "Supported Living",
    "Domiciliary Care",
    "Day Services",
    "Nursing Care",
    "Mental Health Services",
    "Learning Disability Services",
    "Dementia Care",
    "Respite Care",
    "Reablement",
    "Extra Care Housing",
    "Children's Services",
)
REGIONS = ("North", "South", "East", "West")
CENTRAL = (
    "Human Resources",
    "IT Department",
    "Finance",
    "Company Secretariat",
    "Quality and Compliance",
    "Learning and Development",
    "Estates and Facilities",
    "Payroll",
)
FIRST_NAMES = _words(
    "Aaliyah Adam Aisha Alfie Alice Amara Amelia Amir Ana Andrew Anna Arjun Ava Ayesha Ben "
    "Bethany Callum Charlie Charlotte Chloe Ciara Connor Daniel David Deborah Declan Dylan Eilidh "
    "Ella Ellie Emily Emma Eric Esther Ethan Evie Fatima Finley Freya Gareth George Grace Hannah "
    "Harry Harvey Hassan Holly Ibrahim Imogen Isaac Isla Jack Jacob Jade James Jamie Jasmine "
    "Jessica Joanne John Joseph Joshua Julia Karen Kieran Kwame Layla Leah Leo Lewis Liam Lily "
    "Lucy Luke Maria Mark Martha Maryam Matthew Megan Mia Michael Mohammed Molly Morgan Nathan "
    "Niamh Nicola Noah Olivia Oliver Omar Oscar Owen Patricia Paul Peter Poppy Priya Rachel Rhys "
    "Rosie Ruby Ryan Samuel Sarah Scarlett Sean Sian Sofia Sophie Stephen Susan Thomas Tomasz "
    "Victoria William Yusuf Zara Zoe"
)
LAST_NAMES = _words(
    "Adams Ahmed Ali Allen Anderson Armstrong Atkinson Bailey Baker Barker Barnes Bell Bennett "
    "Brown Butler Campbell Carter Chapman Clark Clarke Cole Collins Cook Cooper Cox Davies Davis "
    "Dawson Dixon Doherty Edwards Ellis Evans Fisher Fletcher Foster Fox Gill Graham Grant Gray "
    "Green Griffiths Hall Harris Harrison Hart Hill Holmes Hughes Hunt Hussain Jackson James "
    "Jenkins Johnson Jones Kaur Kelly Kennedy Khan King Knight Kowalski Lee Lewis Lloyd Marshall "
    "Martin Mason Matthews Mills Mitchell Moore Morgan Morris Murphy Murray Nowak O'Brien Owen "
    "Palmer Parker Patel Pearson Phillips Powell Price Reid Reynolds Richards Richardson Roberts "
    "Robertson Robinson Rogers Rose Russell Ryan Saunders Scott Shaw Simpson Singh Smith Stevens "
    "Stewart Taylor Thomas Thompson Turner Walker Walsh Ward Watson Webb White Wilkinson Williams "
    "Wilson Wood Wright Young"
)
CARE_TITLES = (
    "Support Worker",
    "Senior Support Worker",
    "Care Assistant",
    "Night Support Worker",
    "Nurse",
    "Activities Coordinator",
    "Cook",
    "Domestic Assistant",
)
CENTRAL_TITLES = ("Officer", "Administrator", "Adviser", "Assistant", "Analyst", "Coordinator")
# Documentation address ranges (RFC 5737) stand in for the offices' connections.
OFFICE_NETWORKS = ("192.0.2", "198.51.100", "203.0.113")
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/121.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-A546B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36",
)
REQUEST_ITEMS = (
    (Kind.SOFTWARE, "Microsoft Visio", "Microsoft", (0, 0, 280)),
    (Kind.SOFTWARE, "Adobe Acrobat Pro", "Adobe", (0, 180)),
    (Kind.SOFTWARE, "Care planning app", "Nourish", (0,)),
    (Kind.HARDWARE, "Dell Latitude 5440 laptop", "Dell", (0, 899)),
    (Kind.HARDWARE, "Wireless headset", "Jabra", (0, 89)),
    (Kind.HARDWARE, "Second monitor", "Iiyama", (0, 149)),
    (Kind.DOWNLOAD, "7-Zip", "Igor Pavlov", (0,)),
    (Kind.DOWNLOAD, "Zoom Workplace client", "Zoom", (0,)),
    (Kind.SUBSCRIPTION, "Zoom Pro subscription", "Zoom", (120,)),
    (Kind.SUBSCRIPTION, "Canva Pro", "Canva", (99,)),
)
# Relative frequency of each final state of a request.
REQUEST_STATES = (
    (AuthorisationRequest.State.AWAITING_BUDGET_HOLDER, 5),
    (AuthorisationRequest.State.AWAITING_IT, 15),
    (AuthorisationRequest.State.MORE_INFO, 3),
    (AuthorisationRequest.State.APPROVED, 10),
    (AuthorisationRequest.State.REJECTED, 7),
    (AuthorisationRequest.State.FULFILLED, 55),
    (AuthorisationRequest.State.WITHDRAWN, 5),
)
MINIMUM_EMPLOYEES = 20


class SeedRefused(Exception):
    """The company cannot be seeded as asked; the message says why."""


@dataclass(frozen=True)
class Plan:
    """How many people sit at each level for a company of ``employees``."""

    employees: int
    departments: int
    senior_managers: int
    line_managers: int

    @property
    def staff(self) -> int:
        # The chief executive, one head per department, the senior and the line managers.
        return self.employees - 1 - self.departments - self.senior_managers - self.line_managers

    @classmethod
    def for_employees(cls, employees: int) -> Plan:
        if employees < MINIMUM_EMPLOYEES:
            raise SeedRefused(f"A company needs at least {MINIMUM_EMPLOYEES} employees.")
        departments = max(3, min(60, round(employees / 1650)))
        seniors = max(departments, min(400, round(employees / 250)))
        # Each line manager has about 12 staff: managers + 12 * managers = everyone left.
        managers = max(1, round((employees - 1 - departments - seniors) / 13))
        return cls(employees, departments, seniors, managers)


def department_names() -> list[str]:
    """Sixty names, ordered so that a small company still gets care, HR and IT."""
    care = [f"{service} ({region})" for region in REGIONS for service in CARE_SERVICES]
    names = [care[0], CENTRAL[0], CENTRAL[1]]
    names += care[1:] + list(CENTRAL[2:])
    return names


@dataclass
class Person:
    """What later steps need of a created user, without keeping 100,000 model instances."""

    pk: int
    email: str
    first_name: str
    last_name: str
    employee_number: str
    department_id: int
    start_date: date
    date_joined: datetime
    active: bool


@dataclass
class Result:
    employees: int = 0
    departments: int = 0
    line_managers: int = 0
    leavers: int = 0
    assigned: int = 0
    signed: int = 0
    overdue: int = 0
    due: int = 0
    requests: int = 0


class _Company:
    def __init__(self, *, plan: Plan, rng: random.Random, now: datetime) -> None:
        self.plan = plan
        self.rng = rng
        self.now = now
        self.today = timezone.localdate(now)
        self.password = make_password(None)
        self.people: list[Person] = []
        self.it_staff: list[int] = []
        top = (
            User.objects.filter(employee_number__startswith=NUMBER_PREFIX)
            .order_by("-employee_number")
            .values_list("employee_number", flat=True)
            .first()
        )
        self.next_number = int(top[len(NUMBER_PREFIX) :]) + 1 if top else 1

    # --- people -------------------------------------------------------------------------------

    def _user(
        self,
        *,
        department: Department,
        job_title: str,
        manager_id: int | None,
        published_at: datetime,
        senior: bool = False,
    ) -> User:
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        number = self.next_number
        self.next_number += 1
        # Managers have been here at least a year; anyone else started in the last ten years.
        start = self.today - timedelta(days=rng.randint(365 if senior else 0, 3650))
        kind = (
            User.EmploymentType.PERMANENT
            if senior
            else rng.choices(*zip(*EMPLOYMENT_WEIGHTS, strict=True))[0]
        )
        end = None
        if kind in (User.EmploymentType.FIXED_TERM, User.EmploymentType.TEMPORARY):
            end = self.today + timedelta(days=rng.randint(14, 365))
        if start > timezone.localdate(published_at):
            # A new starter: the account is made a few days before the first day.
            joined = max(
                published_at + timedelta(hours=1),
                timezone.make_aware(datetime.combine(start - timedelta(days=3), time(9))),
            )
        else:
            # The directory import that came before the policy went out.
            joined = published_at - timedelta(days=7)
        return User(
            email=f"{first}.{last}.{number}@{EMAIL_DOMAIN}".lower().replace("'", ""),
            first_name=first,
            last_name=last,
            employee_number=f"{NUMBER_PREFIX}{number:07d}",
            job_title=job_title,
            department=department,
            line_manager_id=manager_id,
            employment_type=kind,
            start_date=start,
            end_date=end,
            date_joined=joined,
            password=self.password,
        )

    def _save(self, users: list[User]) -> list[User]:
        created = User.objects.bulk_create(users, batch_size=BATCH)
        self.people.extend(
            Person(
                pk=u.pk,
                email=u.email,
                first_name=u.first_name,
                last_name=u.last_name,
                employee_number=u.employee_number,
                department_id=u.department_id,
                start_date=u.start_date,
                date_joined=u.date_joined,
                active=u.is_active,
            )
            for u in created
        )
        return created

    def _leave(self, user: User, published_at: datetime) -> None:
        """Make ``user`` a leaver who left before the policy went out (so was never asked)."""
        last_day = timezone.localdate(published_at) - timedelta(days=1)
        if user.start_date > last_day - timedelta(days=30):
            user.start_date = last_day - timedelta(days=self.rng.randint(30, 2000))
        user.end_date = user.start_date + timedelta(
            days=self.rng.randint(30, (last_day - user.start_date).days)
        )
        user.date_joined = min(user.date_joined, published_at - timedelta(days=7))
        user.is_active = False

    def build_people(self, published_at: datetime) -> tuple[list[Department], int]:
        plan, rng = self.plan, self.rng
        departments = [
            Department.objects.get_or_create(name=name)[0]
            for name in department_names()[: plan.departments]
        ]
        central = {d.name: d for d in departments if d.name in CENTRAL}
        care = [d for d in departments if d.name not in CENTRAL]
        chief = self._save(
            [
                self._user(
                    department=central.get("Company Secretariat", departments[0]),
                    job_title="Chief Executive",
                    manager_id=None,
                    published_at=published_at,
                    senior=True,
                )
            ]
        )[0]
        heads = self._save(
            [
                self._user(
                    department=d,
                    job_title=f"Head of {d.name.removesuffix(' Department')}",
                    manager_id=chief.pk,
                    published_at=published_at,
                    senior=True,
                )
                for d in departments
            ]
        )
        head_of = {h.department_id: h for h in heads}
        # Care services employ most people: three times the senior managers of a central team.
        weights = [1 if d.name in CENTRAL else 3 for d in departments]
        senior_departments = list(departments) + rng.choices(
            departments, weights=weights, k=plan.senior_managers - len(departments)
        )
        seniors = self._save(
            [
                self._user(
                    department=d,
                    job_title="Senior Manager" if d in care else "Service Lead",
                    manager_id=head_of[d.pk].pk,
                    published_at=published_at,
                    senior=True,
                )
                for d in senior_departments
            ]
        )
        by_id = {d.pk: d for d in departments}
        managers = self._save(
            [
                self._user(
                    department=by_id[seniors[i % len(seniors)].department_id],
                    job_title="Registered Manager"
                    if by_id[seniors[i % len(seniors)].department_id] in care
                    else "Team Leader",
                    manager_id=seniors[i % len(seniors)].pk,
                    published_at=published_at,
                    senior=True,
                )
                for i in range(plan.line_managers)
            ]
        )
        leavers = 0
        order = list(range(plan.staff))
        rng.shuffle(order)
        for start in range(0, plan.staff, BATCH):
            batch = []
            for k in order[start : start + BATCH]:
                manager = managers[k % len(managers)]
                department = by_id[manager.department_id]
                if department in care:
                    title = rng.choice(CARE_TITLES)
                else:
                    title = f"{department.name.split(' ')[0]} {rng.choice(CENTRAL_TITLES)}"
                user = self._user(
                    department=department,
                    job_title=title,
                    manager_id=manager.pk,
                    published_at=published_at,
                )
                if rng.random() < LEAVER_SHARE:
                    self._leave(user, published_at)
                    leavers += 1
                batch.append(user)
            self._save(batch)
        self._roles(heads, seniors, central)
        for department in departments:
            if department.budget_holder_id is None:
                department.budget_holder = head_of[department.pk]
        Department.objects.bulk_update(departments, ["budget_holder"])
        return departments, leavers

    def _roles(self, heads: list[User], seniors: list[User], central: dict) -> None:
        """The heads of HR, IT and the Company Secretariat hold the portal's roles."""
        groups = {name: Group.objects.get_or_create(name=name)[0] for name in roles.ROLE_GROUPS}
        role_of = {
            "Human Resources": roles.HR_GROUP,
            "IT Department": roles.IT_GROUP,
            "Company Secretariat": roles.REVIEWERS_GROUP,
        }
        for person in heads + seniors:
            for name, group in role_of.items():
                department = central.get(name)
                if department is not None and person.department_id == department.pk:
                    groups[group].user_set.add(person)
                    if group == roles.IT_GROUP:
                        self.it_staff.append(person.pk)

    # --- signatures -------------------------------------------------------------------------

    def sign_and_assign(self, version: PolicyVersion, result: Result) -> None:
        rng = self.rng
        published_at = version.published_at
        chain.lock_chain()
        last = Acknowledgement.objects.order_by("-sequence").only("sequence", "record_hash").first()
        sequence = last.sequence if last else 0
        prev_hash = last.record_hash if last else chain.GENESIS
        # A new record never predates the chain's newest one: the chain grows in time order.
        floor = max(published_at, last.signed_at) if last else published_at
        statement = signing.statement_for(version)
        due_for_staff = timezone.localdate(published_at) + publishing.DUE_AFTER_PUBLICATION
        statuses, weights = zip(*STATUS_WEIGHTS, strict=True)

        assignments: list[Assignment] = []
        to_sign: list[tuple[datetime, Person, Assignment]] = []
        for person in self.people:
            if not person.active:
                continue
            status = rng.choices(statuses, weights=weights)[0]
            if person.date_joined > published_at:
                reason = Assignment.Reason.NEW_STARTER
                due = person.start_date + publishing.DUE_AFTER_START
                assigned_at = person.date_joined
            else:
                reason = Assignment.Reason.PUBLISHED
                assigned_at = published_at
                if status == DUE and due_for_staff <= self.today:
                    # Given more time (leave, late to the directory): due within three weeks.
                    due = self.today + timedelta(days=rng.randint(1, 21))
                else:
                    due = due_for_staff
            assignment = Assignment(
                user_id=person.pk,
                version=version,
                reason=reason,
                assigned_at=assigned_at,
                due_date=due,
            )
            assignments.append(assignment)
            if status == SIGNED:
                earliest = max(floor, person.date_joined)
                offset = rng.random() * max(0.0, (self.now - earliest).total_seconds())
                signed_at = earliest + timedelta(seconds=offset)
                to_sign.append((signed_at, person, assignment))

        to_sign.sort(key=lambda item: (item[0], item[1].pk))
        for start in range(0, len(to_sign), BATCH):
            records = []
            for signed_at, person, _ in to_sign[start : start + BATCH]:
                sequence += 1
                ack = Acknowledgement(
                    sequence=sequence,
                    user_id=person.pk,
                    version=version,
                    signer_email=person.email,
                    signer_employee_number=person.employee_number,
                    printed_name=f"{person.first_name} {person.last_name}",
                    statement=statement,
                    body_sha256=version.body_sha256,
                    signed_at=signed_at,
                    ip_address=f"{rng.choice(OFFICE_NETWORKS)}.{rng.randint(1, 254)}",
                    user_agent=rng.choice(USER_AGENTS),
                    auth_method=signing.AUTH_METHOD,
                    prev_hash=prev_hash,
                )
                ack.record_hash = prev_hash = chain.hash_of(ack)
                ack.seal, ack.seal_key_id = sealing.seal(ack.record_hash)
                records.append(ack)
            Acknowledgement.objects.bulk_create(records)
            for ack, (_, _, assignment) in zip(
                records, to_sign[start : start + BATCH], strict=True
            ):
                assignment.acknowledgement_id = ack.pk
        Assignment.objects.bulk_create(assignments, batch_size=BATCH)

        result.assigned = len(assignments)
        result.signed = len(to_sign)
        overdue = sum(
            1 for a in assignments if a.acknowledgement_id is None and a.due_date < self.today
        )
        result.overdue = overdue
        result.due = result.assigned - result.signed - overdue

    # --- requests ---------------------------------------------------------------------------

    def requests(self, departments: list[Department], count: int) -> int:
        rng = self.rng
        State = AuthorisationRequest.State
        holders = {d.pk: d.budget_holder_id for d in departments}
        active = [p for p in self.people if p.active]
        states, weights = zip(*REQUEST_STATES, strict=True)
        it_people = self.it_staff or [None]
        made = 0
        for start in range(0, count, BATCH):
            batch: list[AuthorisationRequest] = []
            events: list[tuple[str, str, int | None]] = []
            for _ in range(min(BATCH, count - start)):
                person = rng.choice(active)
                kind, item, vendor, costs = rng.choice(REQUEST_ITEMS)
                state = rng.choices(states, weights=weights)[0]
                cost = Decimal(rng.choice(costs))
                if state == State.AWAITING_BUDGET_HOLDER and not cost:
                    cost = Decimal(149)
                submitted = self.now - timedelta(minutes=rng.randint(60, 730 * 24 * 60))
                moved = min(self.now, submitted + timedelta(hours=rng.randint(1, 24 * 14)))
                holder = holders.get(person.department_id) if cost else None
                request = AuthorisationRequest(
                    requester_id=person.pk,
                    department_id=person.department_id,
                    kind=kind,
                    item=item,
                    vendor=vendor,
                    quantity=1,
                    cost_one_off=cost if kind != Kind.SUBSCRIPTION else Decimal(0),
                    cost_recurring=cost if kind == Kind.SUBSCRIPTION else Decimal(0),
                    recurring_period="yearly" if kind == Kind.SUBSCRIPTION else "",
                    justification="Needed for my work with the people we support.",
                    state=state,
                    budget_holder_id=holder,
                    budget_approved_at=(
                        moved if holder and state != State.AWAITING_BUDGET_HOLDER else None
                    ),
                    submitted_at=submitted,
                    updated_at=moved if state != State.AWAITING_IT else submitted,
                )
                if request.budget_approved_at is not None:
                    request.authorised_by_id = holder
                    request.authorised_terms = request.authority_terms()
                it_person = rng.choice(it_people)
                action, source, actor = "submitted", "", person.pk
                if state == State.MORE_INFO:
                    action, source, actor = "more_info", State.AWAITING_IT, it_person
                elif state in (State.APPROVED, State.REJECTED):
                    action = "approve" if state == State.APPROVED else "reject"
                    source, actor = State.AWAITING_IT, it_person
                    request.decided_at = moved
                elif state == State.FULFILLED:
                    action, source, actor = "fulfil", State.APPROVED, it_person
                    request.decided_at = moved - timedelta(minutes=30)
                    request.fulfilled_at = moved
                elif state == State.WITHDRAWN:
                    action, source = "withdraw", State.AWAITING_IT
                if actor == it_person:
                    request.assignee_id = it_person
                batch.append(request)
                events.append((action, source, actor))
            created = AuthorisationRequest.objects.bulk_create(batch)
            RequestEvent.objects.bulk_create(
                [
                    RequestEvent(
                        request=r,
                        actor_id=actor,
                        action=action,
                        from_state=source,
                        to_state=r.state,
                        created_at=r.updated_at,
                    )
                    for r, (action, source, actor) in zip(created, events, strict=True)
                ],
                batch_size=BATCH,
            )
            made += len(created)
        return made


def existing_people() -> int:
    return User.objects.count()


@transaction.atomic
def seed_company(
    *, employees: int, force_add: bool = False, seed: int = 2016, handful: int = 10
) -> Result:
    """Add a company of ``employees`` people, its signatures and requests, in one transaction.

    Refuses (``SeedRefused``) when the database already holds more than ``handful`` people,
    unless ``force_add``: the seed is for an empty database, and running it twice by mistake
    would double the company.
    """
    plan = Plan.for_employees(employees)
    have = existing_people()
    if have > handful and not force_add:
        raise SeedRefused(
            f"The database already has {have:,} people; this seed builds a whole company and is "
            f"meant for an empty database. Nothing was changed. Use --force-add to add "
            f"{employees:,} more people anyway."
        )
    now = timezone.now()
    # Made-up people, not secrets: a seeded generator makes the same company every time.
    rng = random.Random(seed)  # noqa: S311  # nosec B311
    version = publishing.load_seed_policy()
    if not version.acknowledgements.exists() and not version.assignments.exists():
        # A version nobody has been asked to sign yet: date its publication back, so that the
        # signatures have a month to be spread over and the 21 days for staff have run out.
        PolicyVersion.objects.filter(pk=version.pk).update(published_at=now - PUBLISHED_AGO)
        version.refresh_from_db()
    company = _Company(plan=plan, rng=rng, now=now)
    departments, leavers = company.build_people(version.published_at)
    _policy_reviewers(version)
    result = Result(
        employees=len(company.people),
        departments=len(departments),
        line_managers=1 + len(departments) + plan.senior_managers + plan.line_managers,
        leavers=leavers,
    )
    company.sign_and_assign(version, result)
    result.requests = company.requests(departments, employees // 5)
    audit.record(
        actor=None,
        action="people.scale_seeded",
        data={
            "employees": result.employees,
            "signed": result.signed,
            "requests": result.requests,
        },
    )
    return result


def _policy_reviewers(version: PolicyVersion) -> None:
    """The policy's reviewers are the holders of the reviewers' role, as in the design."""
    policy = version.policy
    if not policy.reviewers.exists():
        policy.reviewers.set(User.objects.filter(groups__name=roles.REVIEWERS_GROUP))
