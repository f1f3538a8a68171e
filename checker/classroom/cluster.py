"""The Dask cluster that grades: N local worker processes, or a cluster that is already running.

`--jobs N` starts a LocalCluster on this machine: N worker processes of one thread each (each
runs one nbgrader at a time, and each notebook's kernel is a process of its own), listening on
127.0.0.1 only. `--scheduler ADDRESS` connects to a cluster started elsewhere (`dask scheduler`
and `dask worker`, dask-jobqueue, the Kubernetes operator); its workers need the checker
package installed, nothing else.

A worker that dies while grading: the scheduler gives its task to another worker once
(`allowed-failures` 1, set here for a local cluster; a scheduler of your own keeps its own
setting, Dask's default being 3), then reports it as failed (KilledWorker). Dask counts a
death against every task the worker held, also one only waiting there, so the head sends a
task Dask gave up on once more unless the task's own start events show it ran twice (pool.py).
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging

ALLOWED_FAILURES = 1  # worker deaths a task may survive: one retry on another worker
WORKER_WAIT_SECONDS = 120.0
LOST_WORKER_TIMEOUT = "1h"


class NoWorkers(Exception):
    pass


@contextlib.contextmanager
def grading_client(jobs: int, scheduler: str | None = None):
    """A dask.distributed Client: on a new local cluster of `jobs` processes, or on `scheduler`.

    with grading_client(2) as client:
        client.submit(...)
    """
    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler, timeout="30s") as client:
            _wait_for_workers(client, scheduler)
            yield client
        return
    with (
        dask.config.set(
            {
                "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
                # A dead worker's nanny starts a new one; a LocalCluster closes that nanny for
                # good when the new worker is not back within this time (15 s by default, too
                # short on a busy machine). The head gives up on a cluster without workers.
                "distributed.deploy.lost-worker-timeout": LOST_WORKER_TIMEOUT,
                # The workers' statistical profiler samples every thread's stack every 10 ms
                # and takes the GIL to do it; a grading task mostly waits on its kernel, and
                # nobody reads that profile. About 3 % of a task's time, within noise here.
                "distributed.worker.profile.enabled": False,
                "distributed.admin.system-monitor.gil.enabled": False,
            }
        ),
        LocalCluster(
            n_workers=jobs,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            scheduler_port=0,
            dashboard_address=":0" if has_bokeh() else None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def has_bokeh() -> bool:
    """Dask's dashboard needs bokeh; grading does not."""
    return importlib.util.find_spec("bokeh") is not None


def dashboard_address(client) -> str | None:
    """The dashboard's address when the scheduler serves one and bokeh is installed here."""
    if not has_bokeh():
        return None
    try:
        if "dashboard" not in client.scheduler_info().get("services", {}):
            return None
        return client.dashboard_link
    except Exception:  # noqa: BLE001 - an address to print, nothing depends on it
        return None


def worker_count(client) -> int:
    return len(client.scheduler_info().get("workers", {}))


def _wait_for_workers(client, scheduler: str) -> None:
    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
    except TimeoutError:
        raise NoWorkers(
            f"The Dask scheduler at {scheduler} has no workers (waited {WORKER_WAIT_SECONDS:.0f} s). "
            f"Start some where the checker is installed: dask worker {scheduler} --nthreads 1"
        ) from None
