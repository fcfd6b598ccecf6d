"""Running the review app with uvicorn: in the foreground for `fazhi review`, or in a thread for tests."""

import socket
import threading
import time
import webbrowser
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from agent import api
from agent.errors import FazhiError
from agent.review.app import LOCAL_HOSTS, create_app
from agent.store import Store


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/"


def allowed_hosts(host: str) -> list[str]:
    if host in ("0.0.0.0", "::", ""):
        return ["*"]
    return [*LOCAL_HOSTS, host if ":" not in host else f"[{host}]"]


def open_writable(db: str | None) -> Store:
    path = api.store_settings(db).db
    if not Path(path).exists():
        raise FazhiError(f"No database at {path}: run `fazhi extract` first, or pass --db FILE")
    return api.open_store(path, read_only=False)


def server_for(store: Store, sock: socket.socket, reviewer: str | None) -> uvicorn.Server:
    app = create_app(store, reviewer, allowed_hosts(sock.getsockname()[0]))
    return uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))


def serve(db: str | None, sock: socket.socket, reviewer: str | None, open_browser: bool,
          notify: Callable[[str], None]) -> None:
    """Serve until interrupted; the database stays open (and locked for other writers) meanwhile."""
    with open_writable(db) as store:
        server = server_for(store, sock, reviewer)
        url = url_of(sock)
        notify(f"Reviewing {store.path} at {url} (Ctrl-C to stop)")
        if open_browser:
            threading.Timer(0.5, webbrowser.open, [url]).start()
        server.run(sockets=[sock])


@contextmanager
def running(store: Store, reviewer: str | None = None, host: str = "127.0.0.1") -> Iterator[str]:
    """The app served from a thread on a free port; yields its URL and stops it on exit."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))
    server = server_for(store, sock, reviewer)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
