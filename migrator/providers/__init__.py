"""One provider per node kind: read / plan / create / update / delete through the facades.

`PROVIDERS` is the catalogue: a new node kind is its provider module, one entry here and its name
in `migrator.kinds.KINDS` (the bottom list the plan schema reads; a test keeps both in step).
What the rest of migrator knows about a kind derives from its provider's declarations
(`Provider.kind`, `computed`, `replace_paths`, `importable`): which addresses parse, what a
change knows only after apply (planning copies `computed` onto each `Change`), `IMPORTABLE`.
"""

from __future__ import annotations

from migrator.errors import MigratorError
from migrator.graph import Address
from migrator.kinds import KINDS
from migrator.providers.base import Provider
from migrator.providers.check import CheckProvider
from migrator.providers.dynamodb_gsi import DynamoGsiProvider
from migrator.providers.dynamodb_table import DynamoTableProvider
from migrator.providers.glue_connection import GlueConnectionProvider
from migrator.providers.glue_job import GlueJobProvider
from migrator.providers.load import LoadProvider
from migrator.providers.mysql_view import MysqlViewProvider
from migrator.providers.s3_bucket import S3BucketProvider
from migrator.providers.s3_object import S3ObjectProvider

#: every provider, in the order of `KINDS`
PROVIDERS: tuple[type[Provider], ...] = (MysqlViewProvider, DynamoTableProvider, DynamoGsiProvider, S3BucketProvider,
                                         S3ObjectProvider, GlueConnectionProvider, GlueJobProvider, LoadProvider,
                                         CheckProvider)

#: the kinds `migrator import` can adopt
IMPORTABLE: tuple[str, ...] = tuple(sorted(p.kind for p in PROVIDERS if p.importable))


class Providers(dict[str, Provider]):
    """The providers of one run, by kind; asking for a kind no provider has (a state file written
    by another migrator version, say) is a sentence, not a KeyError."""

    def __missing__(self, kind: str) -> Provider:
        raise MigratorError(f"'{kind}' is not a kind of resource this migrator knows",
                            hint="the state may come from another migrator version; the kinds known here are "
                                 + ", ".join(KINDS))


def providers(lineage: str) -> Providers:
    """The providers of one run, by node kind."""
    return Providers({cls.kind: cls(lineage) for cls in PROVIDERS})


def parse_address(text: str) -> Address:
    """KIND.NAME with KIND one this migrator has a provider for."""
    return Address.parse(text, KINDS)


__all__ = ["IMPORTABLE", "PROVIDERS", "Provider", "Providers", "parse_address", "providers"]
