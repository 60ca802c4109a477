"""What one reset request leaves for its executor, and how a worker turns it back into a view.

A job is captured on the request's thread before any lookup, so it is the same kind of thing
for every account. It carries the submitted lookup value and input, the view to rebuild (its
class and ``as_view()`` options), the URL arguments, the active language and a copy of the
request's safe parts. It never carries a token: tokens are generated where they are delivered.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import close_old_connections, connections
from django.http import HttpRequest, QueryDict
from django.utils import translation
from django.utils.datastructures import MultiValueDict
from django.utils.module_loading import import_string

logger = logging.getLogger("resetkit")

#: ``META`` keys copied into every job: what ``build_absolute_uri()``, ``get_host()`` and the
#: client-address hooks read (proxy headers included), and the language. Anything else a hook
#: needs is named on the view (``issue_job_headers``); nothing else leaves the request.
JOB_META_KEYS = (
    "REMOTE_ADDR",
    "SERVER_NAME",
    "SERVER_PORT",
    "SCRIPT_NAME",
    "HTTP_HOST",
    "HTTP_USER_AGENT",
    "HTTP_ACCEPT_LANGUAGE",
    "HTTP_ORIGIN",
    "HTTP_FORWARDED",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_REAL_IP",
)
#: Never copied into a job, even when a view names them: credentials have no business in a
#: queue.
CREDENTIAL_HEADERS = frozenset(
    {"HTTP_AUTHORIZATION", "HTTP_PROXY_AUTHORIZATION", "HTTP_COOKIE", "HTTP_X_CSRFTOKEN"}
)
#: Bound on what a client can make a job carry.
MAX_HEADER_LENGTH = 4096

_IMPORT_MARK = "resetkit:import"


@dataclass(frozen=True)
class IssueJob:
    """Everything the issuing work needs, captured before any account is looked up."""

    #: The view class, or its dotted path once the job has been through JSON.
    view: type | str
    #: What the client submitted to find the account by (``get_lookup_value()``).
    lookup_value: str
    #: The serializer's validated data.
    data: dict[str, Any] = field(default_factory=dict)
    #: The ``as_view()`` options the view was built with.
    initkwargs: dict[str, Any] = field(default_factory=dict)
    #: The URL's positional and keyword arguments.
    args: list[Any] = field(default_factory=list)
    kwargs: dict[str, Any] = field(default_factory=dict)
    #: The ViewSet action, if any.
    action: str | None = None
    #: The active language, so a delivery is worded in the requester's language.
    language: str | None = None
    #: A copy of the request's safe parts (see :func:`snapshot_request`).
    request: dict[str, Any] = field(default_factory=dict)

    @property
    def view_name(self) -> str:
        return self.view if isinstance(self.view, str) else dotted_path(self.view)

    def to_payload(self) -> dict[str, Any]:
        """Return the job as JSON-safe data, or raise ``ImproperlyConfigured`` naming what
        cannot leave the process (a view class defined inside a function, an option that is
        an object).

        Fields at their defaults are left out, and so is the request's ``path_info`` when it
        is its ``path``: a task backend copies and checks the payload several times per
        enqueue, and stores it. :meth:`from_payload` restores them.
        """
        view_path = self.view_name
        where = f"resetkit: the view {view_path}"
        check_importable(view_path, where)
        payload: dict[str, Any] = {
            "view": view_path,
            "lookup_value": self.lookup_value,
            "data": dict(self.data),
        }
        if self.initkwargs:
            payload["initkwargs"] = {
                key: encode_value(value, f"{where}: as_view({key}=...)")
                for key, value in self.initkwargs.items()
            }
        if self.args:
            payload["args"] = list(self.args)
        if self.kwargs:
            payload["kwargs"] = dict(self.kwargs)
        if self.action is not None:
            payload["action"] = self.action
        if self.language is not None:
            payload["language"] = self.language
        request = dict(self.request)
        if request.get("path_info") == request.get("path"):
            request.pop("path_info", None)
        if request:
            payload["request"] = request
        try:
            json.dumps(payload)
        except (TypeError, ValueError) as exc:
            raise ImproperlyConfigured(
                f"{where} cannot send its issuing work to a worker: {exc}. Keep the validated "
                "data and URL arguments to plain JSON values."
            ) from exc
        return payload

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> IssueJob:
        """Rebuild a job from :meth:`to_payload`'s output (any version's: a field left out
        takes its default)."""
        values = dict(payload)
        values["initkwargs"] = {
            key: decode_value(value) for key, value in (values.get("initkwargs") or {}).items()
        }
        request = values.get("request")
        if request and "path" in request and "path_info" not in request:
            values["request"] = {**request, "path_info": request["path"]}
        return cls(**values)


def dotted_path(obj: Any) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def check_importable(path: str, where: str) -> Any:
    """Return what ``path`` names, or raise ``ImproperlyConfigured`` saying why a worker could
    not find it."""
    if "<locals>" in path:
        raise ImproperlyConfigured(
            f"{where} is defined inside a function, so a worker cannot import it. Define it at "
            "module level, or use resetkit.executors.ThreadExecutor."
        )
    try:
        return import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"{where}: a worker could not import {path!r} ({exc}).") from exc


def encode_value(value: Any, where: str) -> Any:
    """Encode an ``as_view()`` option: a class or function travels as its dotted path."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [encode_value(item, where) for item in value]
    if isinstance(value, Mapping):
        return {str(k): encode_value(v, where) for k, v in value.items()}
    if isinstance(value, type) or (callable(value) and hasattr(value, "__qualname__")):
        path = dotted_path(value)
        if check_importable(path, where) is not value:
            raise ImproperlyConfigured(f"{where}: {path!r} does not import as the same object.")
        return {_IMPORT_MARK: path}
    raise ImproperlyConfigured(
        f"{where} is a {type(value).__name__}, which a worker cannot rebuild. Pass a class, a "
        "function, a dotted path or plain values, or use resetkit.executors.ThreadExecutor."
    )


def decode_value(value: Any) -> Any:
    if isinstance(value, list):
        return [decode_value(item) for item in value]
    if isinstance(value, dict):
        if set(value) == {_IMPORT_MARK}:
            return import_string(value[_IMPORT_MARK])
        return {key: decode_value(item) for key, item in value.items()}
    return value


def meta_key(header: str) -> str:
    """``"X-Client"`` -> ``"HTTP_X_CLIENT"``; a ``META`` key is returned as it is."""
    if header.isupper() and "-" not in header:
        return header
    return "HTTP_" + header.upper().replace("-", "_")


def snapshot_request(request: HttpRequest, meta_keys: Iterable[str]) -> dict[str, Any]:
    """Copy what a worker's stand-in request needs: method, path, scheme and the ``META``
    entries named by ``meta_keys`` (credentials never; each value cut to a bounded length)."""
    meta: dict[str, str] = {}
    for key in meta_keys:
        value = request.META.get(key)
        if key not in CREDENTIAL_HEADERS and isinstance(value, str):
            meta[key] = value[:MAX_HEADER_LENGTH]
    return {
        "method": request.method,
        "path": request.path,
        "path_info": request.path_info,
        "scheme": request.scheme,
        "meta": meta,
    }


class DetachedRequest(HttpRequest):
    """The request as a worker sees it: a copy of its safe parts, no body, no credentials.

    ``build_absolute_uri()``, ``headers``, ``META`` (client address and user agent included)
    and ``get_host()`` work as on the live request.
    """

    def __init__(self, snapshot: Mapping[str, Any]) -> None:
        super().__init__()
        self.method = snapshot.get("method") or "POST"
        self.path = snapshot.get("path") or "/"
        self.path_info = snapshot.get("path_info") or self.path
        self.META = dict(snapshot.get("meta") or {})
        self.GET = QueryDict()
        self._scheme = snapshot.get("scheme") or "http"

    def _get_scheme(self) -> str:
        return self._scheme


def rebuild_view(job: IssueJob) -> Any:
    """Build the view again as ``as_view()`` would, bound to a :class:`DetachedRequest`."""
    from rest_framework.request import Request

    view_class = import_string(job.view) if isinstance(job.view, str) else job.view
    view = view_class(**job.initkwargs)
    view.args = tuple(job.args)
    view.kwargs = dict(job.kwargs)
    view.format_kwarg = None
    view.headers = {}
    if job.action is not None:
        view.action = job.action
    request = Request(DetachedRequest(job.request))
    # What the client submitted, as validated: receivers may read ``instance.request.data``.
    request._full_data = request._data = dict(job.data)  # type: ignore[attr-defined]
    request._files = MultiValueDict()  # type: ignore[attr-defined]
    view.request = request
    return view


def run_issue_job(job: IssueJob) -> bool:
    """Rebuild the job's view and run its issuing work, in the job's language.

    Returns whether an eligible account matched. Raises what the work raises: an executor
    decides whether to log it (in-process) or let its backend record and retry it.
    """
    view = rebuild_view(job)
    with translation.override(job.language):
        return bool(view.run_issue_job(job))


def log_job_failure(job: IssueJob) -> None:
    """Log the exception being handled for ``job``: the view and path, never the token or the
    submitted address."""
    logger.exception(
        "resetkit: %s failed to issue reset tokens for a request to %s",
        job.view_name,
        job.request.get("path", ""),
    )


def close_broken_connections() -> None:
    """Close each open database connection that saw an error and no longer works, so that the
    next query opens a new one.

    For task workers that keep connections from job to job and never check them (RQ's
    ``SimpleWorker``): after a database restart one job fails, not every job after it. A
    working connection is kept whatever its age (the worker decides how long it lives), and
    one inside a transaction is left alone.
    """
    for connection in connections.all(initialized_only=True):
        if (
            connection.connection is not None
            and connection.errors_occurred
            and not connection.in_atomic_block
            and not connection.is_usable()
        ):
            connection.close()


def run_issue_job_logged(job: IssueJob, *, manage_connections: bool = True) -> None:
    """Run ``job`` as a background thread does: failures logged (:func:`log_job_failure`), and
    (``manage_connections``) database connections checked before and closed after, as Django
    does around each request."""
    if manage_connections:
        close_old_connections()
    try:
        run_issue_job(job)
    except Exception:
        log_job_failure(job)
    finally:
        if manage_connections:
            close_old_connections()
