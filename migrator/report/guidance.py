"""Operational guidance: what to do next, each piece derived from what the report saw.

One small rule per topic, each a pure function of the report (and the state it came from),
so a new piece of advice is one function added to RULES. Advice names the table, says why
(the figure that triggered it) and gives the exact command where there is one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from migrator.budget import NOTE, RejectBudget
from migrator.graph import Address
from migrator.report.model import Advice, LoadReport, Report
from migrator.state.model import State

Rule = Callable[[Report, State], list[Advice]]


def _count(n: int) -> str:
    return f"{n:,}"


def failed_checks(report: Report, state: State) -> list[Advice]:
    out = []
    for t in report.tables:
        if t.check is not None and not t.check.ok:
            problems = "; ".join(t.check.problems[:3]) or "the check did not finish"
            out.append(Advice("check_failed", t.name, f"{t.check.address} failed: {problems}. Nothing loaded was "
                              "undone; list every sampled difference, fix the cause, then check again.",
                              ["migrator verify CONTRACT --sample 1000",
                               f"migrator apply CONTRACT -replace {t.check.address}"]))
    return out


def unfinished_loads(report: Report, state: State) -> list[Advice]:
    """A load over its rejection budget has its own advice (rejected_rows); any other failed load is
    here. Apply runs a tainted load again by itself; one recorded ok (a state written before such a
    run was tainted) only when asked to replace it."""
    out = []
    for t in report.tables:
        for load in t.loads:
            if load.problem is None or load.over_budget:
                continue
            if load.status == "ok":
                out.append(Advice("load_unfinished", t.name, f"{load.problem}; it is recorded as done, so apply "
                                  "leaves it as it is: replace it to load again (the items it wrote are written "
                                  "again, none twice).", [f"migrator apply -replace {load.address} CONTRACT"]))
            else:
                out.append(Advice("load_unfinished", t.name, f"{load.problem}; the next apply runs it again (the "
                                  "items it wrote are written again, none twice).", ["migrator apply CONTRACT"]))
    return out


def drifted(report: Report, state: State) -> list[Advice]:
    if not report.drift:
        return []
    return [Advice("drift", None, f"{len(report.drift)} resource(s) changed outside migrator since the last apply "
                   f"({'; '.join(report.drift[:3])}). Review the plan; apply puts the contract's definition back.",
                   ["migrator plan CONTRACT", "migrator apply CONTRACT"])]


def rejected_rows(report: Report, state: State) -> list[Advice]:
    out = []
    for t in report.tables:
        for load in t.loads:
            if not load.items_rejected:
                continue
            reasons = ", ".join(f"{reason} {_count(n)}" for reason, n in
                                sorted(load.rejected_by_reason.items(), key=lambda kv: (-kv[1], kv[0]))[:5])
            where = f"; every one is listed in {load.rejects_location}" if load.rejects_location else ""
            said = f"{_count(load.items_rejected)} rows of {load.view} were not loaded into {t.name} ({reasons}){where}"
            if load.within_budget:
                out.append(Advice("rejected_rows", t.name, f"{said}, within the load's budget of "
                                  f"{load.reject_budget}. Fix them at the source or in the contract if they matter, "
                                  "then load again.", [f"migrator apply CONTRACT -replace {load.address}"]))
            elif load.over_budget:   # a run that stopped or does not add up has its advice in unfinished_loads
                allow = _allowance(load, state)
                out.append(Advice("rejected_rows", t.name, f"{said}: over the load's budget of {load.reject_budget}, "
                                  "so it failed. Fix them at the source or in the contract and apply again"
                                  + (f", or allow them with {allow}." if allow else "."), ["migrator apply CONTRACT"]))
    return out


def _allowance(load: LoadReport, state: State) -> str:
    """What to write in the contract to let this run pass, from the budget recorded with it (the
    same words the failed apply said)."""
    resource = state.get(Address.parse(load.address))
    budget = RejectBudget.from_doc(resource.attributes.get(NOTE) if resource is not None else None)
    return budget.advice(load.items_rejected, load.rows_read)


def collisions(report: Report, state: State) -> list[Advice]:
    return [Advice("key_collisions", t.name, f"{_count(t.check.overwritten)} rows of {t.name} share their key with "
                   "another row: only one item per key is stored. If those rows are distinct entities, the key "
                   "templates of the contract need another column.")
            for t in report.tables if t.check is not None and t.check.overwritten]


def throttling(report: Report, state: State) -> list[Advice]:
    out = []
    for t in report.tables:
        throttles = sum(load.throttles for load in t.loads)
        if throttles:
            out.append(Advice("throttling", t.name, f"{t.name} throttled its load {_count(throttles)} times: "
                              "production writes will meet the same limit. Alarm on throttled writes.",
                              [_alarm_command(t.name)]))
    return out


def _alarm_command(table: str) -> str:
    return (f"aws cloudwatch put-metric-alarm --alarm-name {table}-write-throttles --namespace AWS/DynamoDB "
            f"--metric-name WriteThrottleEvents --dimensions Name=TableName,Value={table} --statistic Sum "
            "--period 60 --evaluation-periods 1 --threshold 1 --comparison-operator GreaterThanOrEqualToThreshold")


def billing(report: Report, state: State) -> list[Advice]:
    out = []
    for t in report.tables:
        seconds = sum(load.duration_seconds or 0 for load in t.loads)
        wcu = sum(load.consumed_wcu for load in t.loads)
        rate = f" (the load spent {wcu:,.0f} write units in {seconds:,.0f} s)" if wcu and seconds else ""
        if t.billing_mode == "PROVISIONED":
            out.append(Advice("billing", t.name, f"{t.name} is provisioned at {t.read_units} read and "
                              f"{t.write_units} write units{rate}. Size them from the application's peak, not the "
                              "load's, and let auto scaling follow the traffic."))
        else:
            out.append(Advice("billing", t.name, f"{t.name} is on-demand{rate}. Keep it so while the traffic is "
                              "unknown; once a few weeks of ConsumedWriteCapacityUnits show a steady level, "
                              "provisioned capacity with auto scaling costs less."))
    return out


def protection(report: Report, state: State) -> list[Advice]:
    """Backups and deletion protection are not part of the contract, so migrator leaves them as
    they are; the advice names what is off, as last read (or says it was never read)."""
    out = []
    for t in report.tables:
        p = t.protection
        if not t.billing_mode or (p.point_in_time_recovery and p.deletion_protection):
            continue
        off = [what for what, on in (("point-in-time recovery", p.point_in_time_recovery),
                                     ("deletion protection", p.deletion_protection)) if not on]
        if p.point_in_time_recovery is None and p.deletion_protection is None:
            sentence = (f"Before {t.name} takes production writes, turn on point-in-time recovery and deletion "
                        "protection unless they are: migrator has not read them (the state predates it; "
                        "`migrator report CONTRACT` reads them).")
        else:
            sentence = (f"{t.name} has {' and '.join(off)} off: turn {'it' if len(off) == 1 else 'them'} on before "
                        "it takes production writes (the contract does not manage them; with deletion protection "
                        "on, `migrator destroy` cannot delete the table).")
        commands = []
        if not p.point_in_time_recovery:
            commands.append(f"aws dynamodb update-continuous-backups --table-name {t.name} "
                            "--point-in-time-recovery-specification PointInTimeRecoveryEnabled=true")
        if not p.deletion_protection:
            commands.append(f"aws dynamodb update-table --table-name {t.name} --deletion-protection-enabled")
        out.append(Advice("backups", t.name, sentence, commands))
    return out


def time_to_live(report: Report, state: State) -> list[Advice]:
    """TTL is declared by the contract (ttl_attribute) but enabled only by the user, after cut-over:
    enabled during the migration, it would delete items the checks then count as missing."""
    out = []
    for t in report.tables:
        p = t.protection
        enable = (f"aws dynamodb update-time-to-live --table-name {t.name} "
                  f"--time-to-live-specification Enabled=true,AttributeName={p.ttl_declared}")
        if p.ttl_declared and not p.ttl_enabled:
            out.append(Advice("ttl", t.name, f"{t.name} declares ttl_attribute {p.ttl_declared} but time to live is "
                              f"{(p.ttl_status or 'not read').lower()}: no item expires. migrator leaves it off while "
                              "it loads and checks; enable it after cut-over.", [enable]))
        elif p.ttl_declared and p.ttl_attribute and p.ttl_attribute != p.ttl_declared:
            out.append(Advice("ttl", t.name, f"Time to live of {t.name} is enabled on {p.ttl_attribute}, but the "
                              f"contract declares {p.ttl_declared}: items expire by the wrong attribute. Disable it "
                              "(one change per hour is allowed), then enable it on the declared one.",
                              [f"aws dynamodb update-time-to-live --table-name {t.name} --time-to-live-specification "
                               f"Enabled=false,AttributeName={p.ttl_attribute}", enable]))
        elif p.ttl_enabled and not p.ttl_declared:
            out.append(Advice("ttl", t.name, f"Time to live of {t.name} is enabled on {p.ttl_attribute}, which the "
                              "contract does not declare: items whose time has passed are being deleted, and a "
                              "check after a reload will find them missing. Declare it as the table's "
                              "ttl_attribute, or disable it until cut-over."))
    return out


def empty_indexes(report: Report, state: State) -> list[Advice]:
    """An index no loaded item carries the keys of serves no access pattern yet (the contract lists
    access patterns per table, not per index, so this is the evidence there is)."""
    return [Advice("empty_index", t.name, f"Index {t.name}.{i.index} holds no items: no item of {t.name} carries "
                   f"its key attributes ({', '.join(i.keys)}). If no access pattern needs it, remove it from the "
                   "contract; if its entity is loaded later, nothing is wrong.")
            for t in report.tables if t.check is not None for i in t.check.indexes
            if i.ok and i.index_items == 0 and i.carrying == 0]


def cut_over(report: Report, state: State) -> list[Advice]:
    """Only when the report is ok. After cut-over the views, scripts, jobs and connection are scaffolding. Handing the tables
    over first (state rm) makes `destroy` remove only the scaffolding, and no later apply can
    load into a table the application now writes."""
    tables = [r for r in sorted(state.resources, key=str) if r.kind in ("dynamodb_table", "dynamodb_gsi")]
    if not tables or not report.ok:   # only a migration with every row accounted for and checked is done
        return []
    scaffolding = len(state.resources) - len(tables)
    return [Advice("cut_over", None, f"After cut-over, hand the {len([a for a in tables if a.kind == 'dynamodb_table'])} "
                   f"table(s) over to the application and remove the {scaffolding} other resources (views, scripts, "
                   "Glue jobs, the connection, results): the tables and their items stay.",
                   ["migrator state rm " + " ".join(str(a) for a in tables), "migrator destroy"])]


RULES: Sequence[Rule] = (failed_checks, unfinished_loads, drifted, rejected_rows, collisions, throttling, billing,
                         protection, time_to_live, empty_indexes, cut_over)


def advise(report: Report, state: State) -> list[Advice]:
    return [advice for rule in RULES for advice in rule(report, state)]

