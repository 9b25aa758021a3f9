"""A small durable job queue in PostgreSQL: enqueue inside the caller's transaction, run by a worker
(``community worker``, or the web process's background work) that claims one job at a time
(``FOR UPDATE SKIP LOCKED``), wakes on NOTIFY, keeps its lease while it runs and gives up past a timeout;
retried with backoff. Periodic work is a job that schedules its next run. Jobs know no zone: zones declare
their handlers and periodic work (``community.zones.Zone``)."""

from community.jobs.services import (
    CLEAN_FINISHED,
    Handler,
    JobContext,
    JobWorker,
    Periodic,
    enqueue,
    register_handler,
    register_periodic,
)

__all__ = (
    "CLEAN_FINISHED",
    "Handler",
    "JobContext",
    "JobWorker",
    "Periodic",
    "enqueue",
    "register_handler",
    "register_periodic",
)
