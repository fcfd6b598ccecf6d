"""Running the review app with uvicorn: in the foreground for `fazhi review`, or in a thread for tests."""

import socket
import threading
import time
import webbrowser
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import uvicorn
from fazhi.agent import api
from fazhi.agent.genre import Genre
from fazhi.agent.review.app import LOCAL_HOSTS, create_app


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/"


def allowed_hosts(host: str) -> list[str]:
    if host in ("0.0.0.0", "::", ""):
        return ["*"]
    return [*LOCAL_HOSTS, host if ":" not in host else f"[{host}]"]


def server_for(path: str, genre: Genre, sock: socket.socket, reviewer: str | None) -> uvicorn.Server:
    app = create_app(path, genre, reviewer, allowed_hosts(sock.getsockname()[0]))
    return uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))


def serve(db: str | None, sock: socket.socket, reviewer: str | None, open_browser: bool,
          notify: Callable[[str], None]) -> None:
    """Serve until interrupted. Each request opens the database and closes it before answering, so other
    commands (`fazhi extract`) can write to it meanwhile."""
    settings = api.store_settings(db)
    server = server_for(settings.db, api.import_genre(settings.genre), sock, reviewer)
    url = url_of(sock)
    notify(f"Reviewing {settings.db} at {url} (Ctrl-C to stop)")
    if open_browser:
        threading.Timer(0.5, webbrowser.open, [url]).start()
    server.run(sockets=[sock])


@contextmanager
def running(path: str, genre: Genre, reviewer: str | None = None, host: str = "127.0.0.1") -> Iterator[str]:
    """The app over the database file `path` served from a thread on a free port; yields its URL and stops it
    on exit."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))
    server = server_for(path, genre, sock, reviewer)
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
