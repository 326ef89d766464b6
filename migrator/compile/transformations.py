"""Transformations (docs/patterns.md): string-format, date-format, number-format, json-parse."""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from migrator.contract.edits import Edit, Remove
from migrator.contract.lint.common import retype
from migrator.contract.model import Attribute, Transformation
from migrator.compile.view_core import BuilderCore, CompileError, fn, iso_timestamp, milliseconds

#: date-format tokens, longest first, to MySQL DATE_FORMAT specifiers ("SSS": milliseconds).
DATE_TOKENS = (("YYYY", "%Y"), ("SSS", ""), ("MM", "%m"), ("DD", "%d"), ("HH", "%H"), ("mm", "%i"), ("ss", "%s"))


class TransformationCompiler(BuilderCore):
    """The four transformation types, applied to an attribute's value."""

    def transformed(self, attr: Attribute, base_value: Callable[[], exp.Expression]) -> exp.Expression:
        """The transformation over the attribute's value; a string-format computes that value
        only when it names the attribute itself (a constant such as "#META" reads nothing)."""
        tf = attr.transformation
        if tf is None:
            return base_value()
        if tf.type == "string-format":
            if tf.format is None:
                raise CompileError(f"{tf.path}.format", "string-format needs a 'format'", 'e.g. "CUSTOMER#{id}"',
                                   "transformation.format")
            return self.template(tf.format, f"{tf.path}.format", own=(attr.name, base_value))
        base = base_value()
        if tf.type == "date-format":
            return self.date_format(tf, base)
        if tf.type == "number-format":
            return self.number_format(attr, tf, base)
        if tf.type == "json-parse":
            if attr.type not in ("M", "L"):
                self.warn(f"{tf.path}.type", f"json-parse gives a map or a list, but '{attr.name}' is declared "
                          f"{attr.type}", "declare it M or L", "transformation.json_type")
            return base
        raise CompileError(f"{tf.path}.type", f"unknown transformation '{tf.type}'",
                           "use string-format, date-format, number-format or json-parse", "transformation.type")

    def date_format(self, tf: Transformation, base: exp.Expression) -> exp.Expression:
        value = base
        source = (tf.source_format or "timestamp").lower()
        if source == "epoch_seconds":
            value = fn("FROM_UNIXTIME", base)
        elif source == "epoch_millis":
            value = fn("FROM_UNIXTIME", exp.Div(this=base, expression=exp.Literal.number(1000)))
        elif source not in ("timestamp", "date", "datetime"):
            raise CompileError(f"{tf.path}.source_format", f"unknown source_format '{tf.source_format}'",
                               "use timestamp, date, epoch_seconds or epoch_millis", "transformation.source_format")
        fmt = tf.format or "ISO8601"
        if fmt.upper() in ("ISO8601", "ISO-8601", "ISO"):
            return iso_timestamp(value)
        parts: list[exp.Expression] = []
        for kind, text in date_format_tokens(fmt):
            if kind == "ms":
                parts.append(milliseconds(value))
            elif parts and isinstance(parts[-1], exp.Anonymous) and parts[-1].name == "DATE_FORMAT":
                previous = parts.pop()
                parts.append(fn("DATE_FORMAT", value, exp.Literal.string(previous.expressions[1].this + text)))
            else:
                parts.append(fn("DATE_FORMAT", value, exp.Literal.string(text)))
        if len(parts) == 1:
            return parts[0]
        return fn("CONCAT", *parts)

    def number_format(self, attr: Attribute, tf: Transformation, base: exp.Expression) -> exp.Expression:
        value = base
        if tf.decimals is not None:
            if not isinstance(tf.decimals, int) or not 0 <= tf.decimals <= 30:
                raise CompileError(f"{tf.path}.decimals", "decimals must be a whole number from 0 to 30", None,
                                   "transformation.decimals")
            value = exp.Cast(this=fn("ROUND", value, exp.Literal.number(tf.decimals)),
                             to=exp.DataType.build(f"DECIMAL(65, {tf.decimals})"))
        if tf.pad is not None:
            if not isinstance(tf.pad, int) or not 1 <= tf.pad <= 64:
                raise CompileError(f"{tf.path}.pad", "pad must be a whole number from 1 to 64", None,
                                   "transformation.pad")
            value = zero_pad(value, tf.pad)
            if attr.type == "N":
                fix: str = "declare it S"
                edit: Edit | None = None
                table = self.entity.table
                if table is not None and (edit := retype(None, table, attr, "S")) is None:
                    # a key, ttl or load column that must stay a number (as contract.lint.transformations says)
                    fix, edit = (("remove `pad` (the attribute must stay a number)", Remove(f"{tf.path}.pad"))
                                 if tf.decimals is not None else
                                 ("remove the transformation (the attribute must stay a number)", Remove(tf.path)))
                self.warn(f"{tf.path}.pad", f"zero-padding makes text, but '{attr.name}' is declared N (the padding "
                          "is lost)", fix, "transformation.pad_type", edit)
        elif tf.decimals is not None and attr.type == "S":
            value = exp.Cast(this=value, to=exp.DataType.build("CHAR"))
        if tf.decimals is None and tf.pad is None:
            self.warn(tf.path, "number-format without decimals or pad changes nothing", "add decimals or pad",
                      "transformation.noop")
        return value


def zero_pad(value: exp.Expression, width: int) -> exp.Expression:
    """The integer digits zero-padded to `width` (never cut), the sign first, the fraction kept:
    -7 -> '-007', 12345 -> '12345', 3.5 -> '003.5' (docs/patterns.md)."""
    text = exp.Cast(this=fn("ABS", value), to=exp.DataType.build("CHAR"))
    dot = fn("LOCATE", exp.Literal.string("."), text.copy())
    whole = fn("SUBSTRING_INDEX", text.copy(), exp.Literal.string("."), exp.Literal.number(1))
    fraction = exp.Case(ifs=[exp.If(this=exp.GT(this=dot, expression=exp.Literal.number(0)),
                                    true=fn("SUBSTRING", text.copy(), dot.copy()))], default=exp.Literal.string(""))
    padded = exp.Case(ifs=[exp.If(this=exp.GTE(this=fn("CHAR_LENGTH", whole.copy()), expression=exp.Literal.number(width)),
                                  true=whole.copy())],
                      default=fn("LPAD", whole.copy(), exp.Literal.number(width), exp.Literal.string("0")))
    sign = exp.Case(ifs=[exp.If(this=exp.LT(this=value.copy(), expression=exp.Literal.number(0)),
                                true=exp.Literal.string("-"))], default=exp.Literal.string(""))
    return fn("CONCAT", sign, padded, fraction)


def date_format_tokens(fmt: str) -> list[tuple[str, str]]:
    """Left to right, the longest token at each position: ("spec", DATE_FORMAT text) or ("ms", "")."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(fmt):
        for token, spec in DATE_TOKENS:
            if fmt.startswith(token, i):
                out.append(("ms", "") if token == "SSS" else ("spec", spec))
                i += len(token)
                break
        else:
            out.append(("spec", fmt[i].replace("%", "%%")))
            i += 1
    return out

