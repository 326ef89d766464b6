"""The local Glue runtime: jobs, connections and job runs kept in one folder.

Why it exists: there is no AWS account here and moto never executes a job's script, so
`migrator` runs Glue jobs itself, with Glue's API shapes and run states. The built-in Glue
MCP server uses it as its `local` backend; the sandbox asks it which runs are active and
stops them.

What it offers (everything else in the package is internal):

    LocalGlue(root)            the backend: the Glue server's operations on files and processes
    LocalGlueError             a refused request, with its ErrorCode
    redact_connection(doc)     a connection without anything secret (the AWS backend uses it too)
    TERMINAL_STATES, ACTIVE_STATES
    active_runs(glue_dir), stop_all_runs(glue_dir)    the sandbox's view of the runs
    Run, RunDir, settle        one run's record, its folder, and its true state

Modules: `backend` (LocalGlue), `runs` (run records, file helpers), `processes` (a run's
processes), `supervisor` (the process that executes one run).

Layout under the root folder (the sandbox's `glue/`):

    jobs/<name>.json                 {"Job": <AWS Job>, "Tags": {...}}
    connections/<name>.json          {"Connection": <ConnectionInput + times>} (mode 0600: holds PASSWORD)
    runs/<job>/<run_id>/run.json     the run's state (`Run`), written atomically under run.lock
    runs/<job>/<run_id>/job.json     the job definition as it was when the run started
    runs/<job>/<run_id>/stdout.log, stderr.log, supervisor.log
    runs/<job>/<run_id>/script/      the script fetched from S3
    runs/<job>/<run_id>/py/          --extra-py-files (on PYTHONPATH)
    runs/<job>/<run_id>/work/        the script's working directory (--extra-files land here)

A run is executed by a detached supervisor (`python -m migrator.servers.glue_local.supervisor
RUN_DIR`, its own session) so runs outlive the MCP server. The supervisor fetches the
script from S3, runs it as a child process in its own process group with Glue's argv
convention, enforces the timeout and records the final state. Every process of a run,
the supervisor included, carries `GLUE_RUN_ID=<run id>` in its environment, which is how
leftovers are found and stopped.

Test hook: the run argument `--migrator-timeout-seconds N` (N may be fractional)
replaces the timeout in minutes; it is not passed to the script.

This file must not import `supervisor`: that module runs as `__main__` (`python -m`).
"""

from __future__ import annotations

from migrator.servers.glue_local.backend import LocalGlue, active_runs, redact_connection, stop_all_runs
from migrator.servers.glue_local.runs import ACTIVE_STATES, TERMINAL_STATES, LocalGlueError, Run, RunDir, settle

__all__ = ["ACTIVE_STATES", "TERMINAL_STATES", "LocalGlue", "LocalGlueError", "Run", "RunDir", "active_runs",
           "redact_connection", "settle", "stop_all_runs"]
