"""How an S3 object says which state wrote it.

Every object migrator writes (scripts, the runtime bundle, load results) carries the
state's lineage in this user-metadata key, so `destroy` can remove what it wrote even when
an apply died before recording it, and never touches an object somebody else put there.
Lives in the runtime because the Glue job writes objects too.
"""

LINEAGE_METADATA = "migrator-lineage"

#: the run argument by which a load job learns the lineage it writes for.
ARG_LINEAGE = "migrator_lineage"


def lineage_metadata(lineage: str) -> dict:
    return {LINEAGE_METADATA: lineage} if lineage else {}
