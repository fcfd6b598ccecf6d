"""The review web app: Starlette routes over one database file, Jinja templates (autoescaped), static files from
the package. Every request opens the file and closes it before answering, so that `fazhi extract` can write to it
while the app runs. Every write is a JSON POST carrying the session's CSRF token; the Host header must be a local
name."""

import json
import secrets
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fazhi.agent.errors import FazhiError
from fazhi.agent.genre import Genre
from fazhi.agent.review import pages
from fazhi.agent.review.corrections import CorrectionIn, correct, load_state, prepare
from fazhi.agent.review.fields import ReviewError, ReviewSchema
from fazhi.agent.store import Store
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

HERE = Path(__file__).resolve().parent
COOKIE = "fazhi_review"
HEADER = "x-csrf-token"
LOCAL_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


@dataclass
class Review:
    """What every request shares: the database file (opened by one request at a time, under a lock) and the
    session tokens."""

    path: str
    genre: Genre
    schema: ReviewSchema
    reviewer: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    tokens: set[str] = field(default_factory=set)
    env: Environment = field(default_factory=lambda: templates())

    def open(self) -> Store:
        """A connection for one request: already migrated and prepared when the app was made."""
        return Store(self.path, self.genre, migrate=False)


def templates() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))
    env.filters["jsontext"] = lambda value: json.dumps(value, ensure_ascii=False)
    return env


def create_app(path: str, genre: Genre, reviewer: str | None = None, hosts: list[str] | None = None) -> Starlette:
    """The app over the database file `path` (which must exist); `hosts` are the Host header values accepted."""
    if not Path(path).exists():
        raise FazhiError(f"No database at {path}: run `fazhi extract` first, or pass --db FILE")
    review = Review(path, genre, ReviewSchema.of(genre), reviewer)
    with Store(path, genre) as store:
        prepare(store, review.schema)
    routes = [
        Route("/", page(review, documents_page)),
        Route("/doc/{doc_id}", page(review, document_page)),
        Route("/doc/{doc_id}/result.json", page(review, result_json)),
        Route("/doc/{doc_id}/correct", write(review, post_correction), methods=["POST"]),
        Route("/charts", page(review, charts_page)),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=hosts or LOCAL_HOSTS)]
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={404: not_found})
    app.state.review = review
    return app


Handler = Callable[[Review, Store, Request], Response]


def page(review: Review, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A read: the handler runs under the lock with its own connection; a new visitor gets a session token
    cookie."""

    async def endpoint(request: Request) -> Response:
        token = request.cookies.get(COOKIE) or ""
        fresh = token not in review.tokens
        if fresh:
            token = secrets.token_urlsafe(32)
            review.tokens.add(token)
        request.state.csrf = token
        response = await run_in_threadpool(guarded, review, handler, request)
        if fresh:
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
        return secured(response)

    return endpoint


def write(review: Review, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A write: refused without the session's token in both the cookie and the header."""

    async def endpoint(request: Request) -> Response:
        token = request.cookies.get(COOKIE)
        if not token or token not in review.tokens or not secrets.compare_digest(token, request.headers.get(HEADER,
                                                                                                             "")):
            return secured(JSONResponse({"error": "Missing or wrong CSRF token: reload the page"}, 403))
        request.state.csrf = token
        request.state.body = await request.body()
        return secured(await run_in_threadpool(guarded, review, handler, request))

    return endpoint


def guarded(review: Review, handler: Handler, request: Request) -> Response:
    with review.lock:
        try:
            with review.open() as store:
                return handler(review, store, request)
        except ReviewError as exc:
            return error_response(request, str(exc), 409 if "reload" in str(exc) else 400)
        except FazhiError as exc:
            return error_response(request, str(exc), 400)


def error_response(request: Request, message: str, status: int) -> Response:
    if request.method == "POST":
        return JSONResponse({"error": message}, status)
    return HTMLResponse(f"<!DOCTYPE html><title>Error</title><p>{Markup.escape(message)}</p><p><a href='/'>Documents"
                        "</a></p>", status)


def secured(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


async def not_found(request: Request, exc: Exception) -> Response:
    return secured(error_response(request, "Not found", 404))


def render(review: Review, request: Request, template: str, **values: Any) -> HTMLResponse:
    html = review.env.get_template(template).render(
        csrf=request.state.csrf, reviewer=review.reviewer or "", schema=review.schema, path=request.url.path,
        **values)
    return HTMLResponse(html)


# ---------------------------------------------------------------- pages

def documents_page(review: Review, store: Store, request: Request) -> Response:
    q = request.query_params
    flat = review.schema.flat
    given = {n: q.get(f"f_{n}", "") for n in (flat.names if flat else ())}
    data = pages.list_page(store, review.schema, given, q.get("backend", ""), q.get("status", ""),
                           int_param(q.get("page")))
    return render(review, request, "list.html", data=data, statuses=pages.STATUSES, query=dict(q),
                  item_tasks=review.schema.item_tasks)


def int_param(value: str | None, default: int = 1) -> int:
    try:
        return int(value or default)
    except ValueError:
        return default


def document_page(review: Review, store: Store, request: Request) -> Response:
    state = load_state(store, review.schema, request.path_params["doc_id"])
    views = pages.item_views(state, review.schema)
    _, paths = store.query("SELECT path FROM document_paths WHERE doc_id = ? ORDER BY seen_at, path",
                                  [state.doc_id])
    return render(review, request, "doc.html", state=state, views=views, segments=pages.segments(state.text, views),
                  paths=[p for (p,) in paths], records=state.records,
                  next_doc=pages.next_unreviewed(store, state.doc_id))


def result_json(review: Review, store: Store, request: Request) -> Response:
    state = load_state(store, review.schema, request.path_params["doc_id"])
    return JSONResponse(state.corrected())


def post_correction(review: Review, store: Store, request: Request) -> Response:
    try:
        change = CorrectionIn.model_validate_json(request.state.body)
    except ValidationError as exc:
        return JSONResponse({"error": f"Bad request: {exc.errors()[0].get('msg')}"}, 400)
    if change.reviewer is None:
        change.reviewer = review.reviewer
    correction_id = correct(store, review.schema, request.path_params["doc_id"], change)
    return JSONResponse({"ok": True, "correction_id": correction_id})


def charts_page(review: Review, store: Store, request: Request) -> Response:
    q = dict(request.query_params)
    measure_choices, measure_svg = pages.measure_chart(store, review.schema, q)
    count_choices, count_svg = pages.count_chart(store, review.schema, q)
    runs, eval_svg = pages.eval_chart(store)
    return render(review, request, "charts.html", query=q, measure_choices=measure_choices,
                  measure_svg=Markup(measure_svg), count_choices=count_choices, count_svg=Markup(count_svg), runs=runs,
                  eval_svg=Markup(eval_svg) if eval_svg else None)
