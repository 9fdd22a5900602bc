"""Group commit: requests hand their event to one writer thread, which stores whatever has
queued up in one transaction and then answers each request. One fsync acknowledges many
events, and the inbox has one writer, as SQLite wants."""

from __future__ import annotations

import asyncio
import queue
import threading
from dataclasses import dataclass

from compiler.billing.inbox import Inbox, Stored

BATCH = 256


@dataclass
class _Job:
    item: Stored
    loop: asyncio.AbstractEventLoop
    answer: asyncio.Future[bool]


class GroupWriter:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="inbox-writer", daemon=True)
        self._thread.start()

    async def store(self, item: Stored) -> bool:
        """True once `item` is committed as new, False for a redelivery; raises what the
        inbox raised (the request then fails, and the provider delivers again)."""
        loop = asyncio.get_running_loop()
        job = _Job(item, loop, loop.create_future())
        self._jobs.put(job)
        return await job.answer

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            first = self._jobs.get()
            if first is None:
                return
            jobs = [first]
            while len(jobs) < BATCH:
                try:
                    nxt = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._jobs.put(None)  # finish this batch, then stop
                    break
                jobs.append(nxt)
            self._commit(jobs)

    def _commit(self, jobs: list[_Job]) -> None:
        try:
            results = self.inbox.store([j.item for j in jobs])
        except Exception as exc:
            for job in jobs:
                job.loop.call_soon_threadsafe(_fail, job.answer, exc)
            return
        for job, new in zip(jobs, results, strict=True):
            job.loop.call_soon_threadsafe(_done, job.answer, new)


def _done(answer: asyncio.Future[bool], new: bool) -> None:
    if not answer.done():
        answer.set_result(new)


def _fail(answer: asyncio.Future[bool], exc: BaseException) -> None:
    if not answer.done():
        answer.set_exception(exc)
