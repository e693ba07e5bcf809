"""Several app servers on loopback, as in production: gunicorn × N behind nginx, one PostgreSQL
database, Redis and one shared media directory.

Used by the topology test (devtools/topology.py, `make topology`) and the load test
(devtools/loadtest.py, `make loadtest`). Plain Python run as a script, not part of the Django
project: it starts the app's code in subprocesses — any checkout of it, so the load test can run
an earlier commit beside this one — and talks to it only over HTTP and `manage.py`.

Everything lives in a temporary directory (nginx's configuration, pid, logs and temp paths, the
shared media) and every process is stopped on exit, also on Ctrl-C or an error. Nothing is bound
to anything but 127.0.0.1 and no path outside the temporary directory is written, apart from the
checkout's own `staticfiles/` (collectstatic) and the named database.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("CLUSTER_POSTGRES", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("CLUSTER_REDIS_URL", "redis://127.0.0.1:6379/11")
DEMO_PASSWORD = "lanxian2026"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ensure_nginx() -> str:
    """Debian's nginx, installed with apt if it is missing (CI runs as root)."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if found:
        return found
    print("== installing nginx (apt)", flush=True)
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=environment)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "nginx-light"],
        check=True,
        env=environment,
        stdout=subprocess.DEVNULL,
    )
    return shutil.which("nginx") or "/usr/sbin/nginx"


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", f"{POSTGRES}/postgres", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def database_exists(name: str) -> bool:
    result = subprocess.run(
        [
            "psql",
            f"{POSTGRES}/postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname='{name}'",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip() == "1"


def databases_starting_with(prefix: str) -> list[str]:
    result = subprocess.run(
        ["psql", f"{POSTGRES}/postgres", "-tAc", "SELECT datname FROM pg_database"],
        check=True,
        capture_output=True,
        text=True,
    )
    return [name for name in result.stdout.split() if name.startswith(prefix)]


def recreate_database(name: str, *, template: str | None = None) -> None:
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))


NGINX_CONF = """\
{user}worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
daemon off;
events {{ worker_connections 1024; }}
http {{
    access_log {tmp}/nginx-access.log;
    client_body_temp_path {tmp}/nginx-body;
    proxy_temp_path {tmp}/nginx-proxy;
    fastcgi_temp_path {tmp}/nginx-fastcgi;
    uwsgi_temp_path {tmp}/nginx-uwsgi;
    scgi_temp_path {tmp}/nginx-scgi;
    client_max_body_size 8m;
    # Round robin over the app servers (nginx's default); the answer names the one that served it.
    upstream app {{
{servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


@dataclass
class Cluster:
    """``servers`` gunicorn servers of the checkout ``code`` against the database ``database``;
    nginx in front when ``with_nginx``. Use as a context manager: ``prepare_database()``, then
    ``start()``; leaving the block stops every process and removes the temporary directory."""

    database: str
    servers: int = 2
    code: Path = PROJECT
    with_nginx: bool = True
    workers: int = int(os.environ.get("CLUSTER_WORKERS", "3"))
    threads: int = int(os.environ.get("CLUSTER_THREADS", "4"))
    python: str = sys.executable
    quiet: bool = False
    tmp: Path = field(init=False)
    server_urls: list[str] = field(init=False, default_factory=list)
    nginx_url: str = field(init=False, default="")
    _processes: list[subprocess.Popen] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="lanxian-cluster-"))
        self.media = self.tmp / "media"  # the one media directory every server shares
        self.media.mkdir()

    # --- environment and manage.py ------------------------------------------------------------

    def prepare_database(self, *seed_args: str, template_base: str = "") -> float:
        """Make ``database`` a fresh copy of a migrated and seeded one; return the seconds spent
        building the template (0 when it was there already).

        Migrating and seeding take a minute or more, so their result is kept as a template
        database named for everything it depends on: the checkout's Python files (committed and
        changed), the seed arguments and today's date (the demo's months depend on it). Any
        change builds a new template (and drops the older ones of ``template_base``, by default
        the database's name); otherwise the copy takes a second. Tests and developer tools do not
        shape the data and are left out of the key.
        """
        files = ["--", "*.py", ":!tests", ":!devtools"]
        listing = subprocess.run(
            ["git", "ls-files", "-s", *files], cwd=self.code, capture_output=True, check=True
        ).stdout
        changes = subprocess.run(
            ["git", "diff", "HEAD", *files], cwd=self.code, capture_output=True, check=True
        ).stdout
        key = hashlib.sha1(
            listing + changes + repr((seed_args, datetime.date.today())).encode()
        ).hexdigest()[:10]
        prefix = f"{template_base or self.database}_tpl_"
        template = prefix + key
        built = 0.0
        if not database_exists(template):
            for stale in databases_starting_with(prefix):
                psql(f'DROP DATABASE IF EXISTS "{stale}" WITH (FORCE)')
            building = template + "_building"  # a template only once complete
            recreate_database(building)
            started = time.monotonic()
            with self._using(building):
                self.manage("migrate", "--no-input", "-v0")
                self.manage("seed_demo", *seed_args)
            psql(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
            built = time.monotonic() - started
            if not self.quiet:
                print(f"   built {template} in {built:.0f} s", flush=True)
        recreate_database(self.database, template=template)
        return built

    @contextlib.contextmanager
    def _using(self, database: str):
        """manage.py against ``database`` inside the block (the template being built)."""
        saved, self.database = self.database, database
        try:
            yield
        finally:
            self.database = saved

    def environment(self) -> dict[str, str]:
        environment = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "PYTHONPATH"}
        }
        environment.update(
            DEBUG="0",
            SECRET_KEY="cluster-only-not-a-secret-" + "x" * 40,
            LEDGER_HMAC_KEY="cluster-only-ledger-key-" + "y" * 40,
            DATABASE_URL=f"{POSTGRES}/{self.database}",
            REDIS_URL=REDIS_URL,
            MEDIA_ROOT=str(self.media),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="0",
            SECURE_COOKIES="0",
            LANXIAN_DEVTOOLS="1",
            LOG_LEVEL="WARNING",
            PYTHONDONTWRITEBYTECODE="1",
        )
        return environment

    def manage(self, *args: str, capture: bool = False) -> str:
        result = subprocess.run(
            [self.python, "manage.py", *args],
            cwd=self.code,
            env=self.environment(),
            check=True,
            text=True,
            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        )
        return result.stdout if capture else ""

    def orm(self, code: str) -> str:
        """Run ``code`` in ``manage.py shell`` of the checkout; return what it printed."""
        return self.manage("shell", "-c", code, capture=True).strip()

    # --- start and stop -----------------------------------------------------------------------

    def __enter__(self) -> Cluster:
        return self  # start() when the database is ready; leaving the block stops everything

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        self.manage("collectstatic", "--no-input", "-v0")
        ports = [free_port() for _ in range(self.servers)]
        for index, port in enumerate(ports):
            log = open(self.tmp / f"gunicorn-{index}.log", "w")  # noqa: SIM115 (closed with the process)
            self._processes.append(
                subprocess.Popen(
                    [
                        self.python,
                        "-m",
                        "gunicorn",
                        "lanxian_points.wsgi:application",
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--workers",
                        str(self.workers),
                        "--threads",
                        str(self.threads),
                        "--timeout",
                        "60",
                        "--graceful-timeout",
                        "5",
                    ],
                    cwd=self.code,
                    env=self.environment(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            self.server_urls.append(f"http://127.0.0.1:{port}")
        if self.with_nginx:
            self._start_nginx(ports)
        for url in [*self.server_urls, *([self.nginx_url] if self.nginx_url else [])]:
            self._wait_until_up(url)

    def _start_nginx(self, ports: list[int]) -> None:
        nginx = ensure_nginx()
        port = free_port()
        conf = self.tmp / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                # A root master hands its workers to "nobody" unless told otherwise; they must
                # read this temporary directory.
                user="user root;\n" if os.geteuid() == 0 else "",
                tmp=self.tmp,
                port=port,
                servers="\n".join(f"        server 127.0.0.1:{p};" for p in ports),
            )
        )
        self._processes.append(
            subprocess.Popen(
                [nginx, "-p", str(self.tmp), "-e", str(self.tmp / "nginx-error.log"), "-c", conf],
                stdout=subprocess.DEVNULL,
                stderr=open(self.tmp / "nginx-start.log", "w"),  # noqa: SIM115
                start_new_session=True,
            )
        )
        self.nginx_url = f"http://127.0.0.1:{port}"

    def _wait_until_up(self, url: str, seconds: float = 60) -> None:
        """Until the login page answers (it exists in every version of the app)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for process in self._processes:
                if process.poll() is not None:
                    raise RuntimeError(f"a server stopped at start-up; see {self.tmp}/*.log")
            try:
                with urllib.request.urlopen(f"{url}/accounts/login/", timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{url} did not answer within {seconds:.0f} s; see {self.tmp}/*.log")

    def stop(self) -> None:
        for process in reversed(self._processes):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in self._processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self._processes.clear()
        if os.environ.get("CLUSTER_KEEP_TMP"):
            print(f"   (kept {self.tmp})")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def stop_on_signals() -> None:
    """SIGTERM/SIGHUP end the script like Ctrl-C does, so the `with Cluster` blocks clean up."""

    def _raise(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise)
