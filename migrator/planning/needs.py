"""What a plan asks of each role's server: the operations its resources' providers call (each
provider declares them), plus the reads every plan makes and `verify`'s. `doctor CONTRACT`
checks exactly these, so a server that lacks something no step of *this* migration calls is a
note, not a failure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from migrator.providers import PROVIDERS

#: operations outside any resource: reading the source and the targets for a plan, and `verify`
COMMAND_OPERATIONS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "plan": {"mysql": ("server_info", "describe_schema", "query"), "dynamodb": ("describe_table", "scan")},
    "verify": {"mysql": ("query",), "dynamodb": ("describe_table", "batch_get"),
               "s3": ("list_objects", "get_object")},   # the loads' rejects logs
    "verify --full": {"glue": ("create_job", "start_job_run", "get_job_run", "stop_job_run", "delete_job",
                               "get_job"),
                      "s3": ("put_object", "get_object", "delete_object")},
}

#: role -> operation -> what needs it (node kinds, then commands)
Needs = dict[str, dict[str, tuple[str, ...]]]


def operations_needed(kinds: Iterable[str]) -> Needs:
    """The operations a plan with resources of these kinds calls, and who calls each."""
    wanted = set(kinds)
    callers: dict[str, dict[str, list[str]]] = {}
    sources = [(p.kind, p.operations) for p in PROVIDERS if p.kind in wanted] + list(COMMAND_OPERATIONS.items())
    for who, operations in sources:
        for role, names in operations.items():
            for name in names:
                callers.setdefault(role, {}).setdefault(name, []).append(who)
    return {role: {op: tuple(who) for op, who in sorted(ops.items())} for role, ops in sorted(callers.items())}
