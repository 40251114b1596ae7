"""What the benchmarks that serve the site share: gunicorn on a loopback port, manage.py in
a process of its own, a plain HTTP fetch, and the error that says a benchmark cannot run."""

import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from scratch import ROOT

VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
GUNICORN = VENV_BIN / "gunicorn"
HOST = "127.0.0.1"


class CannotRun(Exception):
    pass


def production_environ(**extra: str) -> dict[str, str]:
    """The settings a production server gets from its environment (DEBUG off, a throwaway
    SECRET_KEY, this host only), over plain http on loopback: no redirect to https."""
    return {
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "0",
        **extra,
    }


def empty_cache(redis_url: str) -> None:
    """Empty the Redis database the benchmark's server will cache in (one of its own)."""
    import redis

    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=1).flushdb()
    except redis.RedisError as error:
        raise CannotRun(f"Redis at {redis_url}: {error}") from error


def process_environ(settings_environ: dict[str, str], **extra: str) -> dict[str, str]:
    """This process's environment with `settings_environ`, for manage.py and gunicorn (which
    set DJANGO_SETTINGS_MODULE themselves)."""
    env = {**os.environ, **settings_environ, **extra}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def manage(env: dict, *args: str, tolerate_failure: bool = False) -> None:
    proc = subprocess.run(
        [str(PYTHON), "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    output = f"{proc.stdout}{proc.stderr}"
    if proc.returncode != 0 and not (tolerate_failure and proc.stdout.strip()):
        raise CannotRun(f"manage.py {' '.join(args)} exited with {proc.returncode}:\n{output}")
    last = (proc.stdout.strip().splitlines() or [""])[-1]
    print(f"  manage.py {' '.join(args)}: {last}")
    if proc.returncode != 0:
        # import_notes exits 1 when a note is rejected; the others are still published.
        for line in proc.stdout.strip().splitlines()[:-1][:10]:
            print(f"    {line}")


def fetch(url: str, timeout: float = 10, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    # A plain opener that does not follow redirects: a 301 to https must show as a 301.
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class Gunicorn:
    """gunicorn serving config.wsgi on a loopback port with `args` (default: the site's own
    settings, config/gunicorn.py); stopped by its own pid."""

    def __init__(self, env: dict, port: int, log: Path, args: tuple[str, ...] = ("-c", "config/gunicorn.py")):
        self.env, self.port, self.log, self.args = env, port, log, args
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, probe_path: str) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(GUNICORN), *self.args, "-b", f"{HOST}:{self.port}", "config.wsgi"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=log,  # gunicorn's error log; no access log (it would cost time in the measurement)
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise CannotRun(f"gunicorn exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                fetch(self.base + probe_path, timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        raise CannotRun(f"gunicorn did not answer within 30 s:\n{self.tail()}")

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # the master stops its workers
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return ""


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (VmRSS), or 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
