"""A small durable job queue in PostgreSQL: enqueue inside the caller's transaction, run by a worker in
every app process (``FOR UPDATE SKIP LOCKED``), retried with backoff; periodic work is a job that schedules
its next run. Jobs know no zone: zones declare their handlers and periodic work (``community.zones.Zone``)."""

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
