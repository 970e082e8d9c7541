"""Prometheus metrics: what an operator watches (docs/deploy.md, "Metrics and alerts").

Every metric of the server is defined here, once, so that the names are in one place and documented in one
place. Other modules count through the objects below and never create metrics of their own:

- ``REQUESTS`` (route template, method, status) and ``REQUEST_SECONDS`` (route template, method): counted
  by ``api.middleware`` for every answer;
- ``ORDERS_CREATED`` (api generation), ``IDEMPOTENT_ANSWERS`` (outcome: ``replayed``, ``in_use`` (409),
  ``reused`` (422)): counted by the create path;
- ``RATE_LIMITED`` (tier): every 429 of the rate limiter;
- ``DB_UNAVAILABLE`` (reason): every 503 answered because the database could not serve now (or the
  request deadline passed); ``DB_POOL_IN_USE`` and ``DB_POOL_TIMEOUTS``: the connection pool;
- ``LIVE_STREAMS``: board event streams open now;
- ``WEBHOOK_DELIVERIES`` (outcome: ``delivered``, ``failed``, ``gave_up``) and
  ``WEBHOOK_DELIVERY_SECONDS``: for the webhook dispatcher, which calls
  ``WEBHOOK_DELIVERIES.labels(outcome="delivered").inc()``.

With several worker processes, prometheus-client's multiprocess mode adds up every worker's values: ``serve``
points ``PROMETHEUS_MULTIPROC_DIR`` at an empty directory before the workers start (``prepare_multiprocess``),
and ``render()`` collects from it. Without that variable (tests, one process) each process reports its
own. The metric names are documented in docs/deploy.md, "Metrics and alerts".
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# Seconds: a create is ~2-20 ms, a deadline is 10 s; the buckets cover both ends.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Counter(
    "clopos_http_requests_total",
    "HTTP answers by route template (the path as declared: /open-api/orders/{order_id}), method, status.",
    ["route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "clopos_http_request_duration_seconds",
    "Time from the request's arrival to its answer's start, by route template and method.",
    ["route", "method"],
    buckets=_LATENCY_BUCKETS,
)
ORDERS_CREATED = Counter("clopos_orders_created_total", "Orders created (not replays).", ["api"])
IDEMPOTENT_ANSWERS = Counter(
    "clopos_idempotency_answers_total",
    "Create requests answered from an Idempotency-Key: replayed (the stored answer), in_use (409), "
    "reused (422, another body under the same key).",
    ["outcome"],
)
RATE_LIMITED = Counter("clopos_rate_limited_total", "429 answers of the rate limiter, by tier.", ["tier"])
DB_UNAVAILABLE = Counter(
    "clopos_db_unavailable_total",
    "503 answers because the database could not serve now, by reason (timeout, pool, connect, starting, "
    "locked, too_many_connections, lost, disk_full, serialization, deadline, other).",
    ["reason"],
)
DB_POOL_IN_USE = Gauge(
    "clopos_db_pool_in_use", "Database connections checked out of the pool now.", multiprocess_mode="livesum"
)
DB_POOL_TIMEOUTS = Counter(
    "clopos_db_pool_timeouts_total", "Requests that waited the whole pool timeout for a connection."
)
LIVE_STREAMS = Gauge("clopos_live_streams", "Board event streams open now.", multiprocess_mode="livesum")
WEBHOOK_DELIVERIES = Counter(
    "clopos_webhook_deliveries_total",
    "Webhook delivery attempts by outcome (delivered, failed, gave_up).",
    ["outcome"],
)
WEBHOOK_DELIVERY_SECONDS = Histogram(
    "clopos_webhook_delivery_seconds",
    "Time of one webhook delivery attempt.",
    buckets=_LATENCY_BUCKETS,
)


def prepare_multiprocess() -> Path:
    """An empty directory for the workers' metric files, exported as PROMETHEUS_MULTIPROC_DIR.

    Called by ``serve`` with more than one worker, before uvicorn starts them (they inherit the
    environment and import prometheus-client afresh, which then keeps its values in that directory). A
    directory named by the operator is emptied: files left by an earlier run would add to this one's counts.
    With one worker the app runs in ``serve``'s own process, which has imported prometheus-client already:
    its values stay in memory unless the variable was set before the start.
    """
    named = os.environ.get(MULTIPROC_ENV)
    if named:
        path = Path(named)
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
    else:
        path = Path(tempfile.mkdtemp(prefix="clopos-metrics-"))
        os.environ[MULTIPROC_ENV] = str(path)
    return path


def forget_multiprocess(path: Path) -> None:
    """The workers are gone: their metric files with them (a directory named by the operator stays)."""
    if path.name.startswith("clopos-metrics-") and path.parent == Path(tempfile.gettempdir()):
        shutil.rmtree(path, ignore_errors=True)


def render() -> tuple[bytes, str]:
    """The text exposition of every metric (all workers' in multiprocess mode) and its content type."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
