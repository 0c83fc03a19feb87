"""The company's people: departments, managers and staff, in bulk, as the directory import would
have made them before the policy went out.

About 60 departments (a budget holder heading each) under one chief executive; about 400 senior
managers, each over about 20 line managers, each over about 12 staff; start dates spread over ten
years; mostly permanent staff, some fixed-term, temporary and contractors; a few percent leavers
(inactive, with an end date before the policy went out). Everyone shares one unusable password
hash: nobody can sign in as a seeded person, and no password is hashed 100,000 times.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.utils import timezone

from portal import permissions as roles
from portal.models import Department, User

EMAIL_DOMAIN = "scale.example.com"
NUMBER_PREFIX = "SC"
BATCH = 5000
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


class Company:
    """The people made so far, and the generator and moment every later step shares."""

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
        """The departments and everyone in them; how many of the people are leavers."""
        departments = [
            Department.objects.get_or_create(name=name)[0]
            for name in department_names()[: self.plan.departments]
        ]
        central = {d.name: d for d in departments if d.name in CENTRAL}
        chief = self._chief(central.get("Company Secretariat", departments[0]), published_at)
        heads = self._heads(departments, chief, published_at)
        seniors = self._senior_managers(departments, heads, published_at)
        managers = self._line_managers(departments, seniors, published_at)
        leavers = self._staff(departments, managers, published_at)
        self._roles(heads, seniors, central)
        head_of = {h.department_id: h for h in heads}
        for department in departments:
            if department.budget_holder_id is None:
                department.budget_holder = head_of[department.pk]
        Department.objects.bulk_update(departments, ["budget_holder"])
        return departments, leavers

    def _chief(self, department: Department, published_at: datetime) -> User:
        return self._managers([(department, "Chief Executive", None)], published_at)[0]

    def _heads(
        self, departments: list[Department], chief: User, published_at: datetime
    ) -> list[User]:
        placed = [
            (d, f"Head of {d.name.removesuffix(' Department')}", chief.pk) for d in departments
        ]
        return self._managers(placed, published_at)

    def _senior_managers(
        self, departments: list[Department], heads: list[User], published_at: datetime
    ) -> list[User]:
        """One per department, the rest spread over them, each under the department's head."""
        head_of = {h.department_id: h for h in heads}
        # Care services employ most people: three times the senior managers of a central team.
        weights = [1 if d.name in CENTRAL else 3 for d in departments]
        spread = list(departments) + self.rng.choices(
            departments, weights=weights, k=self.plan.senior_managers - len(departments)
        )
        placed = [
            (d, "Service Lead" if d.name in CENTRAL else "Senior Manager", head_of[d.pk].pk)
            for d in spread
        ]
        return self._managers(placed, published_at)

    def _line_managers(
        self, departments: list[Department], seniors: list[User], published_at: datetime
    ) -> list[User]:
        """Dealt round the senior managers, each in the senior manager's department."""
        by_id = {d.pk: d for d in departments}
        placed = []
        for i in range(self.plan.line_managers):
            senior = seniors[i % len(seniors)]
            department = by_id[senior.department_id]
            title = "Team Leader" if department.name in CENTRAL else "Registered Manager"
            placed.append((department, title, senior.pk))
        return self._managers(placed, published_at)

    def _managers(
        self, placed: list[tuple[Department, str, int | None]], published_at: datetime
    ) -> list[User]:
        """People with reports, each placed in a department, with a title and a manager."""
        return self._save(
            [
                self._user(
                    department=department,
                    job_title=title,
                    manager_id=manager_id,
                    published_at=published_at,
                    senior=True,
                )
                for department, title, manager_id in placed
            ]
        )

    def _staff(
        self, departments: list[Department], managers: list[User], published_at: datetime
    ) -> int:
        """Everyone else, in batches, dealt round the line managers; how many are leavers."""
        by_id = {d.pk: d for d in departments}
        leavers = 0
        order = list(range(self.plan.staff))
        self.rng.shuffle(order)
        for start in range(0, self.plan.staff, BATCH):
            batch = []
            for k in order[start : start + BATCH]:
                manager = managers[k % len(managers)]
                department = by_id[manager.department_id]
                user = self._user(
                    department=department,
                    job_title=self._staff_title(department),
                    manager_id=manager.pk,
                    published_at=published_at,
                )
                if self.rng.random() < LEAVER_SHARE:
                    self._leave(user, published_at)
                    leavers += 1
                batch.append(user)
            self._save(batch)
        return leavers

    def _staff_title(self, department: Department) -> str:
        if department.name not in CENTRAL:
            return self.rng.choice(CARE_TITLES)
        return f"{department.name.split(' ')[0]} {self.rng.choice(CENTRAL_TITLES)}"

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
