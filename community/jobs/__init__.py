"""A small durable job queue in PostgreSQL: enqueue inside the caller's transaction, run by a worker in
every app process (``FOR UPDATE SKIP LOCKED``), retried with backoff. Jobs know no zone: zones register
their handlers by kind."""

from community.jobs.services import JobContext, JobWorker, enqueue, register_handler

__all__ = ("JobContext", "JobWorker", "enqueue", "register_handler")
