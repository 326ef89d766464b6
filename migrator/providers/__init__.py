"""One provider per node kind: read / plan / create / update / delete through the facades."""

from __future__ import annotations

from migrator.providers.base import Provider
from migrator.providers.check import CheckProvider
from migrator.providers.dynamodb_table import DynamoTableProvider
from migrator.providers.glue_connection import GlueConnectionProvider
from migrator.providers.glue_job import GlueJobProvider
from migrator.providers.load import LoadProvider
from migrator.providers.mysql_view import MysqlViewProvider
from migrator.providers.s3_bucket import S3BucketProvider
from migrator.providers.s3_object import S3ObjectProvider


def providers(lineage: str) -> dict[str, Provider]:
    """The providers of one run, by node kind."""
    return {p.kind: p for p in (MysqlViewProvider(), DynamoTableProvider(lineage), S3BucketProvider(), S3ObjectProvider(),
                                GlueConnectionProvider(), GlueJobProvider(), LoadProvider(), CheckProvider())}
