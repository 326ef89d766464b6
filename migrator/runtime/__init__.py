"""Code that runs inside the Glue job and in migrator's validation: one item mapping for both.

Constraints (the package is shipped to Glue Python shell as a zip, see `bundle.py`):
Python 3.9 syntax, only the standard library, boto3 and pymysql, and no import of any
other `migrator` package. This file imports nothing so that `import migrator.runtime.x`
stays cheap.
"""
