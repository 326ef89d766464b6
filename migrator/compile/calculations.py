"""Calculations (docs/patterns.md): aggregate (a one-step path, emitted by compile/path_sql.py), case,
concat, date-math."""

from __future__ import annotations

import re
from typing import cast

from sqlglot import exp

from migrator.compile.path_sql import PathEmitter, one_step
from migrator.compile.view_core import AGGREGATES, BASE, DATE_UNITS, CompileError, Namespace, fn
from migrator.contract.model import Attribute, Calculation
from migrator.sql.fragments import FragmentError, parse_fragment


class CalculationCompiler(PathEmitter):
    """The four calculation types, over the entity's own row or a correlated subquery."""

    def calculation(self, attr: Attribute, calc: Calculation) -> exp.Expression:
        handler = {"aggregate": self.aggregate, "case": self.case, "concat": self.concat,
                   "date-math": self.date_math}.get(calc.type)
        if handler is None:
            raise CompileError(f"{calc.path}.type", f"unknown calculation '{calc.type}'", None, "calculation.type")
        return handler(attr, calc)

    def aggregate(self, attr: Attribute, calc: Calculation) -> exp.Expression:
        op = (calc.operation or "").upper()
        if op not in AGGREGATES:
            raise CompileError(f"{calc.path}.operation", f"aggregate operation '{calc.operation}' is not one of "
                               + ", ".join(sorted(AGGREGATES)), None, "calculation.operation")
        source = self.source()
        target = self.table_info(calc.target_table, f"{calc.path}.target_table", plain=True)
        jn = self.new_alias(target)
        same = target.name.lower() == source.name.lower()
        names = {source.name.lower(): (BASE, source), BASE: (BASE, source), jn: (jn, target)}
        if not same:
            names[target.name.lower()] = (jn, target)
        self_ref = self.self_reference(str(calc.join_condition), f"{calc.path}.join_condition", source, jn,
                                       to_many=True) if same else None
        where = self.fragment(calc.join_condition, f"{calc.path}.join_condition", Namespace(names), self_ref)
        value_ns = Namespace({**names, source.name.lower(): (jn, target)} if same else names, default=jn)
        column = self.fragment(calc.select_column or "*", f"{calc.path}.select_column", value_ns) \
            if calc.select_column not in (None, "*") else exp.Star()
        call = cast(exp.Expression, exp.func(op, column))
        return self.emit_aggregate(one_step(source, target.name, jn, target, where), call, None, calc.path,
                                   count=op == "COUNT")

    def case(self, attr: Attribute, calc: Calculation) -> exp.Expression:
        if not calc.cases:
            raise CompileError(f"{calc.path}.cases", "a case calculation needs cases", None, "calculation.case")
        ns = self.base_namespace()
        ifs = [exp.If(this=self.fragment(c.when, f"{calc.path}.cases[{i}].when", ns),
                      true=self.fragment(c.then, f"{calc.path}.cases[{i}].then", ns)) for i, c in enumerate(calc.cases)]
        default = self.fragment(calc.else_value, f"{calc.path}.else", ns) if calc.else_value is not None else None
        return exp.Case(ifs=ifs, default=default)

    def concat(self, attr: Attribute, calc: Calculation) -> exp.Expression:
        if not calc.parts:
            raise CompileError(f"{calc.path}.parts", "a concat calculation needs parts", None, "calculation.concat")
        values: list[exp.Expression] = []
        source = self.source()
        for i, part in enumerate(calc.parts):
            ppath = f"{calc.path}.parts[{i}]"
            text = str(part)
            if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
                try:  # MySQL's literal rules (doubled quotes, backslash escapes), through the parser
                    literal = parse_fragment(text).tree
                except FragmentError as exc:
                    raise CompileError(ppath, f"{text} {exc}", None, exc.code) from None
                if not (isinstance(literal, exp.Literal) and literal.is_string):
                    raise CompileError(ppath, f"{text} is not one quoted literal", "quote the whole part once",
                                       "calculation.concat")
                values.append(literal)
            elif (other := self.entity.attribute(text)) is not None and other.name != attr.name:
                values.append(self.as_text(self.value(other)))
            else:
                column = self.column_name(source, text, ppath, plain=True)
                values.append(self.as_text(exp.column(column, table=BASE, quoted=True)))
        return fn("CONCAT_WS", exp.Literal.string(calc.separator or ""), *values)

    def date_math(self, attr: Attribute, calc: Calculation) -> exp.Expression:
        op = (calc.operation or "").lower()
        unit = (calc.unit or "").upper()
        if unit not in DATE_UNITS:
            raise CompileError(f"{calc.path}.unit", f"unit '{calc.unit}' is not one of " + ", ".join(sorted(DATE_UNITS)),
                               None, "calculation.unit")
        source = self.source()
        column = exp.column(self.column_name(source, attr.column, f"{attr.path}.source_column",
                                             plain=isinstance(attr.source_column, str)), table=BASE, quoted=True)
        if op == "diff":
            if calc.other_column:
                other: exp.Expression = exp.column(self.column_name(source, calc.other_column,
                                                                    f"{calc.path}.other_column", plain=True), table=BASE, quoted=True)
            elif isinstance(calc.value, str) and calc.value.strip():
                other = exp.Literal.string(calc.value.strip())  # a date or datetime constant
            else:
                raise CompileError(f"{calc.path}.other_column", "diff needs other_column (or a date as value)", None,
                                   "calculation.date_math")
            return fn("TIMESTAMPDIFF", exp.var(unit), other, column)
        if op not in ("add", "subtract"):
            raise CompileError(f"{calc.path}.operation", f"date-math operation '{calc.operation}' is not add, "
                               "subtract or diff", None, "calculation.operation")
        if calc.other_column:
            amount: exp.Expression = exp.column(self.column_name(source, calc.other_column, f"{calc.path}.other_column",
                                                                 plain=True),
                                                table=BASE, quoted=True)
        elif isinstance(calc.value, (int, float)) and not isinstance(calc.value, bool):
            amount = exp.Literal.number(calc.value)
        elif isinstance(calc.value, str) and re.fullmatch(r"-?\d+(\.\d+)?", calc.value.strip()):
            amount = exp.Literal.number(calc.value.strip())
        else:
            raise CompileError(f"{calc.path}.value", "date-math needs a numeric value or other_column", None,
                               "calculation.date_math")
        interval = exp.Interval(this=amount, unit=exp.var(unit))
        return fn("DATE_ADD" if op == "add" else "DATE_SUB", column, interval)
