"""`destroy` removes every object migrator wrote, also those an interrupted apply never
recorded, and never an object somebody else put in the bucket.

Regression for the state machine's `apply_and_crash → converged → destroy`, which failed
with "bucket ... is not empty". Objects are inspected with boto3 directly.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from migrator.sandbox import lifecycle
from tests.conftest import root_connection
from tests.helpers import aws, run_cli


def _cli(tiny: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(tiny["env"], tiny["tmp"], *args)


def _keys(s3: Any, bucket: str) -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def test_objects_written_but_never_recorded_are_destroyed(sandbox: lifecycle.SandboxRecord,
                                                          tiny: dict[str, Any]) -> None:
    s3, bucket = aws(sandbox, "s3"), tiny["env"]["MIGRATOR_BUCKET"]
    applied = _cli(tiny, "apply", str(tiny["contract"]), "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    written = _keys(s3, bucket)
    lineage = json.loads((tiny["tmp"] / "state" / "migrator.state.json").read_text())["lineage"]
    assert any("/results/" in k for k in written) and any("/scripts/" in k for k in written)
    for key in written:  # every object says which state wrote it, the job's result too
        assert s3.head_object(Bucket=bucket, Key=key)["Metadata"].get("migrator-lineage") == lineage, key

    # As if apply had died right after each write: the state forgets the load and the script.
    script = next(k for k in written if "/scripts/" in k)
    forgot = _cli(tiny, "state", "rm", f"load.{tiny['table']}", f"s3_object.{script}")
    assert forgot.returncode == 0, forgot.stdout + forgot.stderr

    destroyed = _cli(tiny, "destroy", "--auto-approve")
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_an_object_migrator_did_not_write_is_kept_and_named(sandbox: lifecycle.SandboxRecord,
                                                             tiny: dict[str, Any]) -> None:
    s3, bucket = aws(sandbox, "s3"), tiny["env"]["MIGRATOR_BUCKET"]
    assert _cli(tiny, "apply", str(tiny["contract"]), "--auto-approve").returncode == 0
    s3.put_object(Bucket=bucket, Key="migrator/results/someone-elses.json", Body=b"{}")  # under our prefix, even
    s3.put_object(Bucket=bucket, Key="notes/readme.txt", Body=b"mine", Metadata={"migrator-lineage": "another"})

    refused = _cli(tiny, "destroy", "--auto-approve")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    text = refused.stdout + refused.stderr
    assert f"s3_bucket.{bucket}: kept: the bucket holds 2 object(s) that this state did not write " \
           "(first: migrator/results/someone-elses.json)" in text, text
    assert "Traceback" not in text
    assert _keys(s3, bucket) == ["migrator/results/someone-elses.json", "notes/readme.txt"]
    state = json.loads((Path(tiny["tmp"]) / "state" / "migrator.state.json").read_text())["resources"]
    assert list(state) == [f"s3_bucket.{bucket}"]  # everything else went; the bucket stays recorded

    for key in _keys(s3, bucket):
        s3.delete_object(Bucket=bucket, Key=key)
    again = _cli(tiny, "destroy", "--auto-approve")
    assert again.returncode == 0, again.stdout + again.stderr
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_destroy_finishes_when_everything_was_deleted_behind_its_back(sandbox: lifecycle.SandboxRecord,
                                                                      tiny: dict[str, Any]) -> None:
    """Issue 24, "gone means done": after a sandbox restart moto forgets every table and object, and a
    user may delete things by hand. Deleting what no longer exists succeeds, so destroy finishes and
    the state is empty. Removed here with boto3 and root SQL directly: the table, every object and
    the bucket, the views."""
    applied = _cli(tiny, "apply", str(tiny["contract"]), "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    s3, ddb, bucket = aws(sandbox, "s3"), aws(sandbox, "dynamodb"), tiny["env"]["MIGRATOR_BUCKET"]
    ddb.delete_table(TableName=tiny["table"])
    for key in _keys(s3, bucket):
        s3.delete_object(Bucket=bucket, Key=key)
    s3.delete_bucket(Bucket=bucket)
    conn = root_connection(sandbox, tiny["db"])
    with conn.cursor() as cur:
        cur.execute("SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s", (tiny["db"],))
        for (view,) in cur.fetchall():
            cur.execute(f"DROP VIEW `{view}`")
    conn.close()
    gone = _cli(tiny, "destroy", "--auto-approve")
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert "it was already gone" in gone.stdout, gone.stdout
    state = json.loads((tiny["tmp"] / "state" / "migrator.state.json").read_text())
    assert state["resources"] == {}, sorted(state["resources"])
