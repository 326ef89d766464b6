"""boto3 clients for the job, configured once.

AWS_ENDPOINT_URL (the local emulator) is passed explicitly so that older boto3 releases,
which ignore that variable, still reach it; on AWS it is unset and boto3 resolves the
endpoint itself. Botocore's standard retry mode covers network blips; throttling that
outlasts it reaches BatchWriter, which backs off for longer and counts it.
"""

from __future__ import annotations

import os
from typing import Any


def client(service: str, connections: int = 10) -> Any:
    """`connections`: the client's HTTP connection pool (botocore's default is 10); a client
    shared by more threads needs one per thread, or botocore discards and reopens them."""
    import boto3
    from botocore.config import Config

    endpoint = os.environ.get("AWS_ENDPOINT_URL") or None
    config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10, read_timeout=60,
                    max_pool_connections=max(10, connections))
    return boto3.session.Session().client(service, endpoint_url=endpoint, config=config)
