"""Every kind of resource migrator manages, in the order messages and the plan schema list them.

A bottom module: the plan's schema (`migrator.plan.schema`) and the provider catalogue
(`migrator.providers.PROVIDERS`, one provider per kind, in this order) both read it, so the
plan's file format needs no provider to know which kinds there are.
"""

from __future__ import annotations

KINDS: tuple[str, ...] = ("mysql_view", "dynamodb_table", "dynamodb_gsi", "s3_bucket", "s3_object", "glue_connection",
                          "glue_job", "load", "check")
