"""Launch day: every employee signs a newly published version while HR watches the dashboard.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_load \\
    REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/launch_day.py [--employees 2000] [--workers N] [--concurrency C]

Not a test. It DROPS and recreates the database named by DATABASE_URL and empties the Redis
database named by REDIS_URL, then runs the production stack on this machine: gunicorn (sync
workers), PostgreSQL, Redis, one Celery worker and a local mail server (bench/smtp_sink.py),
with production settings: DEBUG off, a secret key from the environment (a fresh one if
DJANGO_SECRET_KEY is unset), HTTPS as behind a TLS-terminating proxy (the load generator sends
X-Forwarded-Proto), Argon2 passwords.

1. Seeds the employees in bulk. Their password is a real Argon2 hash of a known password, hashed
   once and shared, so seeding takes seconds. Each is signed in by writing the session that
   signing in would write: sign-in costs a password hash of its own, and the phase measured here
   is signing. HR signs in through the sign-in page.
2. Measures the raw password hasher: Argon2 verifications per second of the seeded hash, with as
   many processes as gunicorn has workers.
3. Publishes a material version (everyone must sign it again), then every employee signs it as
   fast as the server allows: GET the signing page (for its CSRF token), POST the name, the
   password and the tick. Meanwhile HR reloads the dashboard every ``--dashboard-interval``
   seconds. The load generator is httpx on asyncio, in this process.
4. Waits for the worker to deliver every receipt, counts the records (exactly one per employee),
   verifies the chain with ``manage.py verify_acknowledgements``, measures the hasher again (the
   machine may be shared) and prints a Markdown section for bench/RESULTS.md.

Signing throughput cannot beat the hasher's: each signature re-checks a password. Target: at
least 90% of the hasher's throughput, no errors.
"""

from __future__ import annotations

import argparse
import asyncio
import http.cookiejar
import io
import multiprocessing
import os
import platform
import re
import resource
import secrets
import statistics
import string
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "launch-day-Passw0rd!"  # noqa: S105  (a throwaway database's known password)
EMAIL_DOMAIN = "launch.example"
DEPARTMENTS = 20
TEAM_SIZE = 10  # one in ten employees manages the nine after them
SIGN_PATH = "/policies/acceptable-use/sign/"
DASHBOARD_PATH = "/compliance/"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
RECEIPT_PATH = re.compile(r"^/receipts/\d+/$")
FIRST = ("Amira", "Ben", "Chloe", "Dev", "Ewa", "Femi", "Grace", "Hamza", "Isla", "Jack")
LAST = ("Patel", "Smith", "Jones", "Khan", "Evans", "Murphy", "Nowak", "Okafor", "Reid", "Shah")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--employees", type=int, default=2000)
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 2, help="gunicorn sync workers"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=0,
        help="signers in flight at once (default: twice the workers, so none waits for work)",
    )
    parser.add_argument("--celery-concurrency", type=int, default=1)
    parser.add_argument(
        "--dashboard-interval",
        type=float,
        default=5.0,
        help="seconds between HR's reloads of the dashboard (a person pressing reload)",
    )
    parser.add_argument("--hasher-seconds", type=float, default=20.0)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--smtp-port", type=int, default=8766, help="the local mail server (bench/smtp_sink.py)"
    )
    parser.add_argument(
        "--max-minutes", type=float, default=60.0, help="give up on the load after this long"
    )
    args = parser.parse_args()
    args.concurrency = args.concurrency or 2 * args.workers
    return args


def configure(args: argparse.Namespace) -> dict[str, str]:
    """Production settings for this process and the servers it starts."""
    env = {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(60),
        "DJANGO_HTTPS": "1",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "PORTAL_ORG_NAME": os.environ.get("PORTAL_ORG_NAME", "Bench Care Ltd"),
        "PORTAL_BASE_URL": f"https://127.0.0.1:{args.port}",
        "DATABASE_URL": os.environ.get(
            "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_load"
        ),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        # bench/smtp_sink.py, started with the servers: every receipt is a real SMTP delivery.
        "EMAIL_URL": f"smtp://127.0.0.1:{args.smtp_port}",
        "PORTAL_LOG_LEVEL": "WARNING",
        "PORTAL_VAR_DIR": str(ROOT / "var" / "launch-day"),
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    return env


# --- Seeding ----------------------------------------------------------------------------------
def recreate_database() -> None:
    import psycopg2
    import redis
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit("The launch-day benchmark needs PostgreSQL: set DATABASE_URL.")
    connections.close_all()
    admin = psycopg2.connect(
        dbname="postgres",
        user=db["USER"] or "postgres",
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        password=db["PASSWORD"] or None,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{db["NAME"]}"')
    admin.close()
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    call_command("migrate", verbosity=0)
    # DEBUG is off: pages name the hashed static files, which collectstatic lists.
    call_command("collectstatic", interactive=False, verbosity=0)


@dataclass(frozen=True)
class Person:
    pk: int
    full_name: str
    session_key: str


def seed(employees: int) -> tuple[list[Person], str]:
    """The company, with everyone signed in; returns the employees and the shared hash."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import transaction
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from acknowledgements import publishing
    from portal import permissions
    from portal.models import Department, User

    password_hash = make_password(PASSWORD)  # the first hasher in settings: Argon2
    assert password_hash.startswith("argon2$"), password_hash[:20]
    joined = timezone.now() - timedelta(days=400)
    # Changed a month ago: well inside the 90 days after which every page asks for a new one.
    changed = timezone.now() - timedelta(days=30)
    with transaction.atomic():
        departments = Department.objects.bulk_create(
            Department(name=f"Care Home {n:02d}") for n in range(1, DEPARTMENTS + 1)
        )
        people = User.objects.bulk_create(
            User(
                email=f"employee{n:05d}@{EMAIL_DOMAIN}",
                first_name=FIRST[n % len(FIRST)],
                last_name=f"{LAST[n // len(FIRST) % len(LAST)]}-{n}",
                employee_number=f"L{n:05d}",
                job_title="Support Worker",
                department=departments[n % DEPARTMENTS],
                password=password_hash,
                password_changed_at=changed,
                date_joined=joined,
                start_date=joined.date(),
            )
            for n in range(employees)
        )
        for index, person in enumerate(people):
            if index % TEAM_SIZE:
                person.line_manager = people[index - index % TEAM_SIZE]
        User.objects.bulk_update(people, ["line_manager"], batch_size=1000)
        hr = User.objects.create(
            email=f"hr@{EMAIL_DOMAIN}",
            first_name="Harriet",
            last_name="Ross",
            department=departments[0],
            job_title="HR Officer",
            password=password_hash,
            password_changed_at=changed,
            date_joined=joined,
        )
        hr.groups.add(Group.objects.get_or_create(name=permissions.HR_GROUP)[0])
        # Version 1 has been in force for a while; version 2 is what launches.
        publishing.load_seed_policy()

        # Signed in beforehand, as each of them would be by Monday morning.
        auth_hash = people[0].get_session_auth_hash()  # the same password hash for everyone
        expires = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
        alphabet = string.ascii_lowercase + string.digits  # Django's own session key characters
        sessions = [
            Session(
                session_key=get_random_string(32, alphabet),
                session_data=SessionStore().encode(
                    {
                        SESSION_KEY: str(person.pk),
                        BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                        HASH_SESSION_KEY: auth_hash,
                    }
                ),
                expire_date=expires,
            )
            for person in people
        ]
        Session.objects.bulk_create(sessions, batch_size=1000)
    return [
        Person(person.pk, person.full_name, session.session_key)
        for person, session in zip(people, sessions, strict=True)
    ], password_hash


def publish_new_version() -> int:
    """Version 2, a material change: every active person must sign it. Returns its pk."""
    from acknowledgements import publishing
    from acknowledgements.models import Policy

    policy = Policy.objects.get(slug=publishing.SEED_SLUG)
    draft = publishing.create_draft(actor=None, policy=policy)
    old, new = "Change your password every 3 months.", "Change your password every 6 months."
    publishing.update_draft(
        actor=None,
        version=draft,
        body=draft.body.replace(old, new),
        change_summary="Passwords change every 6 months.",
    )
    return publishing.publish(actor=None, version=draft, material=True).pk


def analyse() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# --- The raw hasher ---------------------------------------------------------------------------
def _verify_for(args: tuple[str, float]) -> tuple[int, float, float]:
    from django.contrib.auth.hashers import Argon2PasswordHasher

    encoded, seconds = args
    hasher = Argon2PasswordHasher()
    done, start, cpu = 0, time.perf_counter(), time.process_time()
    while (elapsed := time.perf_counter() - start) < seconds:
        assert hasher.verify(PASSWORD, encoded)
        done += 1
    return done, elapsed, time.process_time() - cpu


@dataclass(frozen=True)
class Hasher:
    per_second: float
    cpu_ms: float  # CPU time of one verification


def hasher_throughput(encoded: str, processes: int, seconds: float) -> Hasher:
    """Argon2 verifications per second with ``processes`` processes busy at once."""
    from django.db import connections

    connections.close_all()  # nothing shared with the forked processes
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        results = pool.map(_verify_for, [(encoded, seconds)] * processes)
    return Hasher(
        per_second=sum(done / elapsed for done, elapsed, _ in results),
        cpu_ms=1000 * sum(cpu for *_, cpu in results) / sum(done for done, *_ in results),
    )


# --- Where the CPU goes -----------------------------------------------------------------------
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[int, float]]:
    """Every process: its parent and the CPU seconds it has used."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it ended meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        found[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS)
    return found


def _tree(root: int, processes: dict[int, tuple[int, float]]) -> set[int]:
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, (parent, _) in processes.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return tree


def cpu_snapshot(servers: list[subprocess.Popen], database: str) -> dict[str, dict[int, float]]:
    """CPU seconds so far of gunicorn, the worker, this database's backends and this script."""
    processes = _processes()
    backends = set()
    for pid in processes:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if command.startswith("postgres: ") and f" {database} " in command:
            backends.add(pid)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    groups = {
        "web": _tree(servers[0].pid, processes),
        "worker": _tree(servers[1].pid, processes),
        "postgres": backends,
    }
    snapshot = {
        name: {pid: processes[pid][1] for pid in pids if pid in processes}
        for name, pids in groups.items()
    }
    snapshot["generator"] = {0: usage.ru_utime + usage.ru_stime}
    return snapshot


class CpuTracker:
    """CPU time each part uses from ``start()`` on, sampled every few seconds.

    A process's time is read while it lives: Django closes a database connection after 60 s
    (CONN_MAX_AGE) and its backend exits, so sampling loses at most one interval of each.
    """

    def __init__(self, servers: list[subprocess.Popen], database: str) -> None:
        self.servers, self.database = servers, database
        self.first: dict[str, dict[int, float]] = {}
        self.last: dict[str, dict[int, float]] = {}

    def start(self) -> None:
        self.first = cpu_snapshot(self.servers, self.database)
        self.last = {name: dict(pids) for name, pids in self.first.items()}

    def sample(self) -> None:
        for name, pids in cpu_snapshot(self.servers, self.database).items():
            self.last[name].update(pids)

    def used(self) -> dict[str, float]:
        """CPU seconds per part since ``start()``."""
        return {
            name: sum(cpu - self.first[name].get(pid, 0.0) for pid, cpu in pids.items())
            for name, pids in self.last.items()
        }


# --- The servers ------------------------------------------------------------------------------
def start_servers(args: argparse.Namespace, env: dict[str, str]) -> list[subprocess.Popen]:
    logs = ROOT / "var" / "launch-day"
    logs.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, **env}
    commands = {
        "gunicorn": [
            sys.executable,
            "-m",
            "gunicorn",
            "portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            "sync",
            "--backlog",
            "4096",
            "--timeout",
            "300",
            "--log-level",
            "warning",
        ],
        "worker": [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--loglevel=WARNING",
            f"--concurrency={args.celery_concurrency}",
            "--without-gossip",
            "--without-mingle",
        ],
        "smtp": [
            sys.executable,
            str(ROOT / "bench" / "smtp_sink.py"),
            str(args.smtp_port),
            str(logs / "smtp-count"),
        ],
    }
    processes = []
    for name, command in commands.items():
        log = (logs / f"{name}.log").open("w")
        processes.append(
            subprocess.Popen(  # noqa: S603  (fixed arguments, this Python)
                command, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT
            )
        )
    return processes


def stop_servers(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- The load ---------------------------------------------------------------------------------
class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """Each person's cookies are kept by the script: one shared client must not mix them."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: object) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: object) -> bool:
        return False


def cookie_header(cookies: dict[str, str]) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}


def remember_cookies(response: httpx.Response, cookies: dict[str, str]) -> None:
    for header in response.headers.get_list("set-cookie"):
        for name, morsel in SimpleCookie(header).items():
            cookies[name] = morsel.value


@dataclass
class Timings:
    ok: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(self, seconds: float, error: str | None) -> None:
        if error:
            self.errors.append(error)
        else:
            self.ok.append(seconds)

    def percentile(self, p: int) -> float:
        if len(self.ok) < 2:
            return self.ok[0] * 1000 if self.ok else float("nan")
        return statistics.quantiles(self.ok, n=100, method="inclusive")[p - 1] * 1000


@dataclass
class LoadResult:
    wall: float = 0.0
    get_page: Timings = field(default_factory=Timings)
    post: Timings = field(default_factory=Timings)
    signing: Timings = field(default_factory=Timings)  # GET and POST together
    dashboard: Timings = field(default_factory=Timings)
    load_samples: list[float] = field(default_factory=list)


async def sign_in_over_http(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    cookies: dict[str, str] = {}
    page = await client.get("/accounts/login/")
    remember_cookies(page, cookies)
    token = CSRF_INPUT.search(page.text).group(1)
    answer = await client.post(
        "/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": email, "password": PASSWORD},
        headers=cookie_header(cookies),
    )
    assert answer.status_code == 302, f"HR could not sign in: {answer.status_code}"
    remember_cookies(answer, cookies)
    return cookies


async def sign(client: httpx.AsyncClient, person: Person, version: int, result: LoadResult) -> None:
    cookies = {"sessionid": person.session_key}
    start = time.perf_counter()
    try:
        page = await client.get(SIGN_PATH, headers=cookie_header(cookies))
    except Exception as exc:  # the server refused or dropped the connection
        result.get_page.add(0, f"GET {type(exc).__name__}: {exc}")
        return
    fetched = time.perf_counter()
    found = CSRF_INPUT.search(page.text) if page.status_code == 200 else None
    result.get_page.add(fetched - start, None if found else f"GET {page.status_code}")
    if found is None:
        return
    remember_cookies(page, cookies)
    form = {
        "csrfmiddlewaretoken": found.group(1),
        "version": str(version),
        "printed_name": person.full_name,
        "password": PASSWORD,
        "agree": "on",
    }
    try:
        answer = await client.post(SIGN_PATH, data=form, headers=cookie_header(cookies))
    except Exception as exc:
        result.post.add(0, f"POST {type(exc).__name__}: {exc}")
        return
    done = time.perf_counter()
    signed = answer.status_code == 302 and RECEIPT_PATH.match(answer.headers.get("location", ""))
    error = None if signed else f"POST {answer.status_code} {answer.headers.get('location', '')}"
    result.post.add(done - fetched, error)
    result.signing.add(done - start, error)


async def signer(
    client: httpx.AsyncClient, queue: asyncio.Queue, version: int, result: LoadResult
) -> None:
    while True:
        try:
            person = queue.get_nowait()
        except asyncio.QueueEmpty:
            return
        await sign(client, person, version, result)


async def watch_dashboard(
    client: httpx.AsyncClient,
    cookies: dict[str, str],
    stop: asyncio.Event,
    interval: float,
    result: LoadResult,
) -> None:
    while not stop.is_set():
        start = time.perf_counter()
        try:
            page = await client.get(DASHBOARD_PATH, headers=cookie_header(cookies))
        except Exception as exc:
            result.dashboard.add(0, f"{type(exc).__name__}: {exc}")
        else:
            ok = page.status_code == 200 and "Acknowledgements" in page.text
            result.dashboard.add(time.perf_counter() - start, None if ok else f"{page.status_code}")
            remember_cookies(page, cookies)
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


async def sample_load(stop: asyncio.Event, result: LoadResult, cpu: CpuTracker) -> None:
    while not stop.is_set():
        result.load_samples.append(os.getloadavg()[0])
        cpu.sample()
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 5)


async def wait_until_up(client: httpx.AsyncClient) -> None:
    import httpx

    for _ in range(120):
        try:
            # The liveness form (portal.healthz): this run starts no worker or beat.
            if (await client.get("/healthz?check=database")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.5)
    raise SystemExit("gunicorn did not answer /healthz within a minute: see var/launch-day/")


async def run_load(
    args: argparse.Namespace,
    people: list[Person],
    publish: Callable[[], int],
    cpu: CpuTracker,
) -> tuple[LoadResult, int]:
    import httpx

    result = LoadResult()
    limits = httpx.Limits(max_connections=args.concurrency + 2)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{args.port}",
        # As behind the TLS-terminating proxy: Django sees HTTPS and checks the origin of posts.
        headers={"X-Forwarded-Proto": "https", "Origin": f"https://127.0.0.1:{args.port}"},
        cookies=http.cookiejar.CookieJar(policy=_NoCookies()),
        limits=limits,
        timeout=httpx.Timeout(300),
    ) as client:
        await wait_until_up(client)
        hr_cookies = await sign_in_over_http(client, f"hr@{EMAIL_DOMAIN}")
        for _ in range(3):  # each worker loads its templates before the clock starts
            await client.get(DASHBOARD_PATH, headers=cookie_header(hr_cookies))
        version = await asyncio.to_thread(publish)

        queue: asyncio.Queue[Person] = asyncio.Queue()
        for person in people:
            queue.put_nowait(person)
        stop = asyncio.Event()
        watchers = [
            asyncio.create_task(
                watch_dashboard(client, hr_cookies, stop, args.dashboard_interval, result)
            ),
            asyncio.create_task(sample_load(stop, result, cpu)),
        ]
        cpu.start()
        start = time.perf_counter()
        signers = [signer(client, queue, version, result) for _ in range(args.concurrency)]
        try:
            await asyncio.wait_for(asyncio.gather(*signers), timeout=args.max_minutes * 60)
        finally:
            result.wall = time.perf_counter() - start
            stop.set()
            await asyncio.gather(*watchers)
    return result, version


# --- Afterwards -------------------------------------------------------------------------------
def wait_for_receipts(cpu: CpuTracker, timeout: float = 600) -> tuple[dict[str, int], float]:
    """Until the worker has delivered every receipt; returns the counts and the time it took."""
    from django.db.models import Count

    from portal.models import Notification

    start = time.perf_counter()
    while True:
        counts = dict(
            Notification.objects.filter(kind="acknowledgement-receipt")
            .order_by()
            .values_list("status")
            .annotate(n=Count("pk"))
        )
        if not counts.get(Notification.Status.PENDING) or time.perf_counter() - start > timeout:
            cpu.sample()
            return counts, time.perf_counter() - start
        cpu.sample()
        time.sleep(1)


def verify_chain() -> tuple[bool, str]:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = io.StringIO()
    try:
        call_command("verify_acknowledgements", stdout=out)
    except CommandError as exc:
        return False, str(exc)
    return True, out.getvalue().strip()


def machine() -> str:
    from django.db import connection

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    import redis
    from django.conf import settings

    redis_version = redis.Redis.from_url(settings.REDIS_URL).info("server")["redis_version"]
    return (
        f"{os.cpu_count()} vCPU {cpu}, {memory_kib / 1024 / 1024:.0f} GiB RAM, "
        f"Python {platform.python_version()}, PostgreSQL {postgres}, Redis {redis_version}, "
        "all on the same machine"
    )


def report(
    args: argparse.Namespace,
    result: LoadResult,
    hasher: tuple[Hasher, Hasher],
    records: dict[str, int],
    receipts: tuple[dict[str, int], float],
    chain: tuple[bool, str],
    setup: dict[str, float],
    cpu: dict[str, float],
) -> str:
    from django.contrib.auth.hashers import Argon2PasswordHasher

    argon = Argon2PasswordHasher()
    signed = len(result.post.ok)
    throughput = signed / result.wall if result.wall else 0.0
    raw = statistics.mean(h.per_second for h in hasher)
    hash_cpu = statistics.mean(h.cpu_ms for h in hasher)
    per_signature = {name: 1000 * seconds / max(signed, 1) for name, seconds in cpu.items()}
    # With every core busy, signing can reach at most this share of the hasher's throughput,
    # whatever else runs on the machine: the part of each signature's CPU time that is the hash.
    ceiling = hash_cpu / sum(per_signature.values()) if signed else 0.0
    ratio = throughput / raw if raw else 0.0
    errors = result.get_page.errors + result.post.errors
    loads = result.load_samples or [float("nan")]
    counts, drained = receipts

    def row(name: str, timings: Timings) -> str:
        return (
            f"| {name} | {len(timings.ok):,} | {timings.percentile(50):.0f} ms | "
            f"{timings.percentile(95):.0f} ms | {len(timings.errors)} |"
        )

    lines = [
        f"- Machine: {machine()}.",
        f"- Stack: gunicorn {args.workers} sync workers, 1 Celery worker "
        f"(concurrency {args.celery_concurrency}), {args.concurrency} signers in flight, HR "
        f"reloading the dashboard every {args.dashboard_interval:g} s. Argon2id "
        f"(time cost {argon.time_cost}, memory {argon.memory_cost // 1024} MiB, "
        f"parallelism {argon.parallelism}).",
        f"- Seeding {args.employees:,} employees with their sessions: {setup['seed']:.1f} s "
        f"(one Argon2 hash, shared).",
        f"- Load average (1 min) during the run: {min(loads):.1f} to {max(loads):.1f}, mean "
        f"{statistics.mean(loads):.1f}, on {os.cpu_count()} cores.",
        "",
        "| | figure | target |",
        "|---|---|---|",
        f"| signatures | {signed:,} in {result.wall:.1f} s: **{throughput:.2f}/s** | |",
        f"| raw hasher, {args.workers} processes | {hasher[0].per_second:.2f}/s before, "
        f"{hasher[1].per_second:.2f}/s after: mean {raw:.2f}/s | |",
        f"| signing / hasher | **{ratio:.1%}** | >= 90% ({'met' if ratio >= 0.9 else 'MISSED'}) |",
        f"| ceiling from CPU time: hash / all CPU per signature | {ceiling:.1%} | |",
        f"| errors | {len(errors)} | 0 ({'met' if not errors else 'MISSED'}) |",
        f"| records afterwards | {records['total']:,} ({records['version']:,} of the new version, "
        f"{records['people']:,} people) | exactly {args.employees:,} "
        f"({'met' if records['version'] == records['total'] == args.employees else 'MISSED'}) |",
        f"| chain | {'verified' if chain[0] else 'BROKEN'}: {chain[1].splitlines()[0]} | "
        "verified |",
        f"| receipts | {counts.get('sent', 0):,} sent, {counts.get('pending', 0)} pending, "
        f"{counts.get('failed', 0)} failed; the last {drained:.1f} s after the last signature | |",
        "",
        "| request | count | p50 | p95 | errors |",
        "|---|---|---|---|---|",
        row("signing page (GET)", result.get_page),
        row("signature (POST)", result.post),
        row("signing, GET + POST", result.signing),
        row("HR dashboard (GET)", result.dashboard),
        "",
        "CPU time per signature, from the start of signing until the last receipt was delivered "
        f"(the dashboard's {len(result.dashboard.ok)} loads are in the web figure):",
        "",
        "| one Argon2 check (raw hasher) | gunicorn | Celery worker | PostgreSQL | load generator "
        "| all but the hash |",
        "|---|---|---|---|---|---|",
        f"| {hash_cpu:.0f} ms | {per_signature['web']:.0f} ms | {per_signature['worker']:.0f} ms "
        f"| {per_signature['postgres']:.0f} ms | {per_signature['generator']:.0f} ms | "
        f"{sum(per_signature.values()) - hash_cpu:.0f} ms |",
    ]
    if errors:
        lines += ["", "First errors: " + "; ".join(sorted(set(errors))[:5])]
    return "\n".join(lines)


def main() -> None:
    args = parse_args()
    env = configure(args)
    print(f"Recreating {os.environ['DATABASE_URL']} and seeding {args.employees:,} employees...")
    recreate_database()
    started = time.perf_counter()
    people, password_hash = seed(args.employees)
    setup = {"seed": time.perf_counter() - started}
    analyse()
    print(f"Seeded in {setup['seed']:.1f} s. Measuring the hasher with {args.workers} processes...")
    before = hasher_throughput(password_hash, args.workers, args.hasher_seconds)
    print(f"Hasher: {before.per_second:.2f}/s. Starting gunicorn and the worker...")

    from django.db import connections

    connections.close_all()
    servers = start_servers(args, env)
    database = connections["default"].settings_dict["NAME"]
    tracker = CpuTracker(servers, database)
    try:
        result, version = asyncio.run(run_load(args, people, publish_new_version, tracker))
        print(f"{len(result.post.ok):,} signed in {result.wall:.1f} s; waiting for receipts...")
        receipts = wait_for_receipts(tracker)
        cpu = tracker.used()
    finally:
        stop_servers(servers)

    from acknowledgements.models import Acknowledgement

    records = {
        "total": Acknowledgement.objects.count(),
        "version": Acknowledgement.objects.filter(version_id=version).count(),
        "people": Acknowledgement.objects.values("user").distinct().count(),
    }
    chain = verify_chain()
    after = hasher_throughput(password_hash, args.workers, args.hasher_seconds)
    print()
    print(report(args, result, (before, after), records, receipts, chain, setup, cpu))


if __name__ == "__main__":
    main()
