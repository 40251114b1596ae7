"""Load for the benchmarks that serve the site: client threads, each with its own keep-alive
connection and cookies, that repeat a step until told to stop, and a record of every answer
(what kind of request, when it started, how long it took, the status; 0 for no answer).

    answers = Answers()
    with Traffic(port, answers, [reader_step] * 8):
        time.sleep(10)
    answers.report(["note page", "about"])
"""

import http.client
import random
import secrets
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from server import HOST

TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class Answer:
    kind: str
    started: float  # time.monotonic()
    seconds: float
    status: int  # 0: no answer (refused, reset, timed out)


@dataclass
class Answers:
    items: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, answer: Answer) -> None:
        with self.lock:
            self.items.append(answer)

    def between(self, start: float, end: float) -> list[Answer]:
        with self.lock:
            return [a for a in self.items if start <= a.started < end]


class Client:
    """One connection of one visitor: anonymous, or logged in by a session cookie."""

    def __init__(self, port: int, answers: Answers, cookies: dict[str, str] | None = None, seed: int = 0):
        self.port, self.answers, self.cookies = port, answers, dict(cookies or {})
        self.random = random.Random(seed)
        self.conn: http.client.HTTPConnection | None = None

    def request(self, kind: str, method: str, path: str, form: dict | None = None) -> tuple[int, bytes]:
        headers = {"Accept": "application/json" if method == "POST" else "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            from urllib.parse import urlencode

            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        started = time.monotonic()
        status, content = 0, b""
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=TIMEOUT_SECONDS)
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            status, content = response.status, response.read()
            if response.getheader("Connection", "").lower() == "close":
                self.close()
        except (OSError, http.client.HTTPException):
            self.close()
        self.answers.add(Answer(kind, started, time.monotonic() - started, status))
        return status, content

    def get(self, kind: str, path: str) -> int:
        return self.request(kind, "GET", path)[0]

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Traffic:
    """Threads that each call `step(client)` over and over until the block ends."""

    def __init__(self, clients: list[Client], step: Callable[[Client], None]):
        self.clients, self.step = clients, step
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self._loop, args=(c,), daemon=True) for c in clients]

    def _loop(self, client: Client) -> None:
        while not self.done.is_set():
            self.step(client)
        client.close()

    def __enter__(self) -> "Traffic":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        for thread in self.threads:
            thread.join(timeout=TIMEOUT_SECONDS + 5)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def codes(answers: list[Answer]) -> str:
    counts = Counter(a.status for a in answers)
    return ", ".join(f"{code or 'no answer'}×{n}" for code, n in sorted(counts.items())) or "none"


def table(answers: list[Answer], kinds: list[str]) -> list[str]:
    """One line per kind: count, status codes, p50, p95 and longest answer in ms."""
    lines = [f"    {'kind':<26} {'answers':>7}  {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}  codes"]
    for kind in kinds:
        mine = [a for a in answers if a.kind == kind]
        ms = sorted(a.seconds * 1000 for a in mine)
        lines.append(
            f"    {kind:<26} {len(mine):>7}  {percentile(ms, 50):>7.0f} {percentile(ms, 95):>7.0f} "
            f"{(ms[-1] if ms else 0):>7.0f}  {codes(mine)}"
        )
    return lines


def logged_in_readers(count: int) -> list[dict]:
    """`count` new readers (visitor0, visitor1...), each with a logged-in session: their
    cookies. Django must be set up, on the database the server uses."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model

    store = import_module(settings.SESSION_ENGINE).SessionStore
    cookies = []
    for i in range(count):
        user = get_user_model().objects.create_user(f"visitor{i}", password=secrets.token_urlsafe(16))
        session = store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies.append({"sessionid": session.session_key, "csrftoken": secrets.token_hex(16)})
    return cookies
