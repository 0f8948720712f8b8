"""Prometheus metrics shared by every service (one process runs one service)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

MESSAGES_CONSUMED = Counter(
    "rtw_messages_consumed_total",
    "Messages handled by a consumer, by outcome "
    "(processed, duplicate, retried, not_yet_known, dead_lettered).",
    ["service", "queue", "outcome"],
)
MESSAGE_SECONDS = Histogram(
    "rtw_message_handling_seconds",
    "Time spent handling one message.",
    ["service", "queue"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
OUTBOX_BACKLOG = Gauge(
    "rtw_outbox_backlog", "Events written to the outbox and not yet published.", ["service"]
)
OUTBOX_OLDEST_SECONDS = Gauge(
    "rtw_outbox_oldest_unpublished_seconds",
    "Age of the oldest event not yet published (0 when none waits): the outbox's lag.",
    ["service"],
)
QUEUE_MESSAGES = Gauge(
    "rtw_queue_messages",
    "Messages waiting in a consumed queue, not yet delivered to a consumer (consumer lag).",
    ["service", "queue"],
)
QUEUE_CONSUMERS = Gauge("rtw_queue_consumers", "Consumers on a consumed queue.", ["service", "queue"])
DEAD_LETTERS = Gauge(
    "rtw_dead_letters", "Messages in a consumed queue's dead-letter queue.", ["service", "queue"]
)
OUTBOX_PUBLISHED = Counter(
    "rtw_outbox_published_total", "Events the relay published with a broker confirm.", ["service"]
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "rtw_outbox_publish_failures_total", "Relay batches that failed to publish.", ["service"]
)
HTTP_REQUESTS = Counter(
    "rtw_http_requests_total", "HTTP requests answered.", ["service", "method", "route", "status"]
)
HTTP_SECONDS = Histogram("rtw_http_request_seconds", "HTTP request duration.", ["service", "method", "route"])
