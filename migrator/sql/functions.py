"""The MySQL 8.0 and MariaDB 10.11 built-in functions a fragment may call, by topic, and the ones
it may not, each with the rule it breaks.

A fragment's value must be computed from the row alone (docs/contract.md, "SQL fragments"): the
view runs it for every row each time it is read, and the load and its checks must agree on it.
The catalog names every built-in that does only that, so a call sqlglot parses untyped can be
told apart from a stored function (which may read or write anything) by name, and a refusal can
say which rule a call breaks instead of calling a built-in "not a built-in". A built-in that
exists on one of the two servers only is still a built-in: the catalog says which server has it,
so the compiler, which knows the server, can say so.

Names are upper case, as MySQL compares them. Aggregates and window functions are not here:
`fragments` refuses them by their own rule.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

Server = Literal["mysql", "mariadb"]


@dataclass(frozen=True)
class Topic:
    """Built-ins of one topic: on both servers, on MySQL 8.0 only, on MariaDB 10.11 only."""

    name: str
    both: frozenset[str]
    mysql_only: frozenset[str] = frozenset()
    mariadb_only: frozenset[str] = frozenset()

    @property
    def names(self) -> frozenset[str]:
        """The topic's built-ins, on either server."""
        return self.both | self.mysql_only | self.mariadb_only


@dataclass(frozen=True)
class Refusal:
    """Built-ins a fragment may not call: `rule` says what each does beyond computing a value from
    the row (it follows "which"), `fix` what to write instead (without changing the source database)."""

    rule: str
    fix: str
    names: frozenset[str]


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


STRING = Topic(
    "string",
    _names("""ASCII BIN BIT_LENGTH CHAR CHAR_LENGTH CHARACTER_LENGTH CONCAT CONCAT_WS ELT EXPORT_SET FIELD
              FIND_IN_SET FORMAT FROM_BASE64 HEX INSERT INSTR LCASE LEFT LENGTH LOCATE LOWER LPAD LTRIM MAKE_SET MID
              OCT OCTET_LENGTH ORD POSITION QUOTE REPEAT REPLACE REVERSE RIGHT RPAD RTRIM SOUNDEX SPACE STRCMP
              SUBSTR SUBSTRING SUBSTRING_INDEX TO_BASE64 TRIM UCASE UNHEX UPPER WEIGHT_STRING"""),
    mariadb_only=_names("""CHR LENGTHB NATURAL_SORT_KEY SFORMAT LPAD_ORACLE RPAD_ORACLE LTRIM_ORACLE RTRIM_ORACLE
                           TRIM_ORACLE REPLACE_ORACLE SUBSTR_ORACLE CONCAT_OPERATOR_ORACLE"""),
)

NUMERIC = Topic(
    "numeric",
    _names("""ABS ACOS ASIN ATAN ATAN2 CEIL CEILING CONV COS COT DEGREES EXP FLOOR LN LOG LOG10 LOG2 MOD PI POW
              POWER RADIANS ROUND SIGN SIN SQRT TAN TRUNCATE"""),
)

#: the clock's functions are refused (CLOCK below); UNIX_TIMESTAMP of a value is this topic's
DATE_TIME = Topic(
    "date and time",
    _names("""ADDDATE ADDTIME CONVERT_TZ DATE DATE_ADD DATE_FORMAT DATE_SUB DATEDIFF DAY DAYNAME DAYOFMONTH
              DAYOFWEEK DAYOFYEAR EXTRACT FROM_DAYS FROM_UNIXTIME GET_FORMAT HOUR LAST_DAY MAKEDATE MAKETIME
              MICROSECOND MINUTE MONTH MONTHNAME PERIOD_ADD PERIOD_DIFF QUARTER SEC_TO_TIME SECOND STR_TO_DATE
              SUBDATE SUBTIME TIME TIME_FORMAT TIME_TO_SEC TIMEDIFF TIMESTAMP TIMESTAMPADD TIMESTAMPDIFF TO_DAYS
              TO_SECONDS UNIX_TIMESTAMP WEEK WEEKDAY WEEKOFYEAR YEAR YEARWEEK"""),
    mariadb_only=_names("ADD_MONTHS TO_CHAR"),
)

JSON = Topic(
    "JSON",
    _names("""JSON_ARRAY JSON_ARRAY_APPEND JSON_ARRAY_INSERT JSON_CONTAINS JSON_CONTAINS_PATH JSON_DEPTH
              JSON_EXTRACT JSON_INSERT JSON_KEYS JSON_LENGTH JSON_MERGE JSON_MERGE_PATCH JSON_MERGE_PRESERVE
              JSON_OBJECT JSON_OVERLAPS JSON_PRETTY JSON_QUOTE JSON_REMOVE JSON_REPLACE JSON_SEARCH JSON_SET
              JSON_TYPE JSON_UNQUOTE JSON_VALID JSON_VALUE"""),
    mysql_only=_names("JSON_SCHEMA_VALID JSON_SCHEMA_VALIDATION_REPORT JSON_STORAGE_FREE JSON_STORAGE_SIZE"),
    mariadb_only=_names("JSON_COMPACT JSON_DETAILED JSON_EQUALS JSON_EXISTS JSON_LOOSE JSON_NORMALIZE JSON_QUERY"),
)

SPATIAL = Topic(
    "spatial",
    _names("""GEOMETRYCOLLECTION LINESTRING MULTILINESTRING MULTIPOINT MULTIPOLYGON POINT POLYGON MBRCONTAINS
              MBRDISJOINT MBREQUALS MBRINTERSECTS MBROVERLAPS MBRTOUCHES MBRWITHIN ST_AREA ST_ASBINARY ST_ASGEOJSON
              ST_ASTEXT ST_ASWKB ST_ASWKT ST_BUFFER ST_CENTROID ST_CONTAINS ST_CONVEXHULL ST_CROSSES ST_DIFFERENCE
              ST_DIMENSION ST_DISJOINT ST_DISTANCE ST_DISTANCE_SPHERE ST_ENDPOINT ST_ENVELOPE ST_EQUALS
              ST_EXTERIORRING ST_GEOMCOLLFROMTEXT ST_GEOMCOLLFROMWKB ST_GEOMETRYCOLLECTIONFROMTEXT
              ST_GEOMETRYCOLLECTIONFROMWKB ST_GEOMETRYFROMTEXT ST_GEOMETRYFROMWKB ST_GEOMETRYN ST_GEOMETRYTYPE
              ST_GEOMFROMGEOJSON ST_GEOMFROMTEXT ST_GEOMFROMWKB ST_INTERIORRINGN ST_INTERSECTION ST_INTERSECTS
              ST_ISCLOSED ST_ISEMPTY ST_ISSIMPLE ST_LENGTH ST_LINEFROMTEXT ST_LINEFROMWKB ST_LINESTRINGFROMTEXT
              ST_LINESTRINGFROMWKB ST_MLINEFROMTEXT ST_MLINEFROMWKB ST_MPOINTFROMTEXT ST_MPOINTFROMWKB
              ST_MPOLYFROMTEXT ST_MPOLYFROMWKB ST_MULTILINESTRINGFROMTEXT ST_MULTILINESTRINGFROMWKB
              ST_MULTIPOINTFROMTEXT ST_MULTIPOINTFROMWKB ST_MULTIPOLYGONFROMTEXT ST_MULTIPOLYGONFROMWKB
              ST_NUMGEOMETRIES ST_NUMINTERIORRINGS ST_NUMPOINTS ST_OVERLAPS ST_POINTFROMTEXT ST_POINTFROMWKB
              ST_POINTN ST_POLYFROMTEXT ST_POLYFROMWKB ST_POLYGONFROMTEXT ST_POLYGONFROMWKB ST_SRID ST_STARTPOINT
              ST_SYMDIFFERENCE ST_TOUCHES ST_UNION ST_WITHIN ST_X ST_Y"""),
    mysql_only=_names("""MBRCOVEREDBY MBRCOVERS ST_BUFFER_STRATEGY ST_FRECHETDISTANCE ST_GEOHASH ST_GEOMCOLLFROMTXT
                         ST_HAUSDORFFDISTANCE ST_ISVALID ST_LATFROMGEOHASH ST_LATITUDE ST_LINEINTERPOLATEPOINT
                         ST_LINEINTERPOLATEPOINTS ST_LONGFROMGEOHASH ST_LONGITUDE ST_MAKEENVELOPE ST_NUMINTERIORRING
                         ST_POINTATDISTANCE ST_POINTFROMGEOHASH ST_SIMPLIFY ST_SWAPXY ST_TRANSFORM ST_VALIDATE"""),
    # MariaDB keeps the names without ST_ that MySQL 8.0 removed (but OVERLAPS, which sqlglot reads as the
    # operator, so no fragment can call it: ST_OVERLAPS can), and a few ST_ functions MySQL lacks
    mariadb_only=_names("""ST_BOUNDARY ST_ISRING ST_POINTONSURFACE ST_RELATE MBREQUAL AREA ASBINARY ASTEXT ASWKB
                           ASWKT BOUNDARY BUFFER CENTROID CONTAINS CONVEXHULL CROSSES DIMENSION DISJOINT ENDPOINT
                           ENVELOPE EQUALS EXTERIORRING GEOMCOLLFROMTEXT GEOMCOLLFROMWKB GEOMETRYCOLLECTIONFROMTEXT
                           GEOMETRYCOLLECTIONFROMWKB GEOMETRYFROMTEXT GEOMETRYFROMWKB GEOMETRYN GEOMETRYTYPE
                           GEOMFROMTEXT GEOMFROMWKB GLENGTH INTERIORRINGN INTERSECTS ISCLOSED ISEMPTY ISRING
                           ISSIMPLE LINEFROMTEXT LINEFROMWKB LINESTRINGFROMTEXT LINESTRINGFROMWKB MLINEFROMTEXT
                           MLINEFROMWKB MPOINTFROMTEXT MPOINTFROMWKB MPOLYFROMTEXT MPOLYFROMWKB
                           MULTILINESTRINGFROMTEXT MULTILINESTRINGFROMWKB MULTIPOINTFROMTEXT MULTIPOINTFROMWKB
                           MULTIPOLYGONFROMTEXT MULTIPOLYGONFROMWKB NUMGEOMETRIES NUMINTERIORRINGS NUMPOINTS
                           POINTFROMTEXT POINTFROMWKB POINTN POLYFROMTEXT POLYFROMWKB POLYGONFROMTEXT
                           POLYGONFROMWKB SRID STARTPOINT TOUCHES WITHIN X Y"""),
)

#: hashes, checksums, bit counts and compression: one value in, one value out, no key
BIT_HASH = Topic(
    "bit, hash and compression",
    _names("BIT_COUNT COMPRESS CRC32 MD5 SHA SHA1 SHA2 UNCOMPRESS UNCOMPRESSED_LENGTH"),
    mysql_only=_names("STATEMENT_DIGEST STATEMENT_DIGEST_TEXT"),
    mariadb_only=_names("CRC32C"),
)

CONTROL_FLOW = Topic(
    "control flow and comparison",
    _names("COALESCE GREATEST IF IFNULL INTERVAL ISNULL LEAST NULLIF"),
    mariadb_only=_names("DECODE_ORACLE NVL NVL2"),
)

CONVERSION = Topic(
    "conversion and character sets",
    _names("CAST CHARSET COERCIBILITY COLLATION CONVERT"),
    mysql_only=_names("BIN_TO_UUID IS_UUID UUID_TO_BIN"),
)

NETWORK = Topic(
    "network",
    _names("INET_ATON INET_NTOA INET6_ATON INET6_NTOA IS_IPV4 IS_IPV4_COMPAT IS_IPV4_MAPPED IS_IPV6"),
)

#: XPath over XML text held in the row
XML = Topic("XML", _names("EXTRACTVALUE UPDATEXML"))

REGEXP = Topic(
    "regular expressions",
    _names("REGEXP_INSTR REGEXP_REPLACE REGEXP_SUBSTR"),
    # MariaDB has only the REGEXP operator; the dialect writes REGEXP_LIKE(a, b) as a REGEXP b
    mysql_only=_names("REGEXP_LIKE"),
)

MISC = Topic(
    "miscellaneous",
    _names("NAME_CONST"),
    mysql_only=_names("FORMAT_BYTES FORMAT_PICO_TIME GTID_SUBSET GTID_SUBTRACT"),
    # MariaDB's dynamic columns: a blob of named values in one column, read and built from the row
    mariadb_only=_names("""COLUMN_ADD COLUMN_CHECK COLUMN_CREATE COLUMN_DELETE COLUMN_EXISTS COLUMN_GET COLUMN_JSON
                           COLUMN_LIST DECODE_HISTOGRAM"""),
)

#: the built-ins a fragment may call, by topic
CATALOG: tuple[Topic, ...] = (STRING, NUMERIC, DATE_TIME, JSON, SPATIAL, BIT_HASH, CONTROL_FLOW, CONVERSION,
                              NETWORK, REGEXP, XML, MISC)

#: functions whose value is the time of the read (UNIX_TIMESTAMP only without an argument)
CLOCK_FUNCTIONS = ("NOW", "SYSDATE", "CURDATE", "CURTIME", "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP",
                   "LOCALTIME", "LOCALTIMESTAMP", "UTC_DATE", "UTC_TIME", "UTC_TIMESTAMP", "UNIX_TIMESTAMP")

CLOCK = Refusal(
    "reads the clock, so the value changes between the load and its checks (and at every re-run): the items "
    "could never be checked against their rows",
    "read a column that holds the time (such as the row's own updated_at), or write the date as a literal",
    frozenset(CLOCK_FUNCTIONS))

#: the built-ins a fragment may not call, each group with its rule
REFUSALS: tuple[Refusal, ...] = (
    Refusal("waits or burns time, for every row each time the view is read", "remove the call",
            _names("SLEEP BENCHMARK MASTER_POS_WAIT SOURCE_POS_WAIT WAIT_FOR_EXECUTED_GTID_SET "
                   "WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS MASTER_GTID_WAIT")),
    Refusal("reads a file on the database server, outside the row",
            "read a column that holds the content instead", _names("LOAD_FILE")),
    Refusal("takes or reads a server lock, outside the row", "remove the call",
            _names("GET_LOCK RELEASE_LOCK RELEASE_ALL_LOCKS IS_FREE_LOCK IS_USED_LOCK")),
    Refusal("gives another value at every read, so the load and its checks could never agree",
            "derive a stable value from the row instead, such as MD5() or SHA2() of its key columns",
            _names("RAND UUID UUID_SHORT RANDOM_BYTES SYS_GUID")),
    Refusal("reads the state of the session or of the server, not the row", "write the value as a literal",
            _names("LAST_INSERT_ID ROW_COUNT FOUND_ROWS CONNECTION_ID CURRENT_USER CURRENT_ROLE SESSION_USER "
                   "SYSTEM_USER USER DATABASE SCHEMA VERSION ICU_VERSION ROLES_GRAPHML PS_CURRENT_THREAD_ID "
                   "PS_THREAD_ID BINLOG_GTID_POS VALIDATE_PASSWORD_STRENGTH WSREP_LAST_SEEN_GTID "
                   "WSREP_LAST_WRITTEN_GTID WSREP_SYNC_WAIT_UPTO_GTID")),
    Refusal("numbers the rows as the query reads them, so the value depends on which rows are read and in what "
            "order", "read a column that holds a key of the row instead", _names("ROWNUM")),
    Refusal("advances or reads a sequence, outside the row", "read a column that holds the number instead",
            _names("NEXTVAL LASTVAL SETVAL")),
    # AES_ENCRYPT and its kin are deterministic, but their key would stand in clear in the contract and in the
    # view's definition (SHOW CREATE VIEW shows it to whoever may read the view); MySQL's AES result depends
    # on the session's block_encryption_mode, PASSWORD's on old_passwords, ENCRYPT's on a random salt if none
    # is given. Keyless hashes (MD5, SHA2) stay allowed: the same row always gives the same digest.
    Refusal("encrypts or hashes with a key or a server setting or a server setting, which the contract and the view's definition "
            "would show in clear and the load and its checks need not share",
            "load the column as it is (DynamoDB encrypts every table at rest), or hash it with SHA2()",
            _names("AES_ENCRYPT AES_DECRYPT DES_ENCRYPT DES_DECRYPT ENCODE DECODE ENCRYPT PASSWORD OLD_PASSWORD")),
    CLOCK,
)


#: every built-in a fragment may call, on either server
PURE_FUNCTIONS: frozenset[str] = frozenset().union(*(topic.names for topic in CATALOG))
#: each refused call's name with the rule it breaks
REFUSED_FUNCTIONS: Mapping[str, str] = MappingProxyType(
    {name: refusal.rule for refusal in REFUSALS for name in sorted(refusal.names)})


def refusal(name: str) -> Refusal | None:
    """The refusal naming `name` (any case), if one does."""
    upper = name.upper()
    return next((r for r in REFUSALS if upper in r.names), None)


def server_only(name: str) -> Server | None:
    """"mysql" or "mariadb" for a built-in only that server has (the compiler, which knows the server,
    can warn before the view fails to create); None for one both have, and for a name in no topic."""
    upper = name.upper()
    for topic in CATALOG:
        if upper in topic.mysql_only:
            return "mysql"
        if upper in topic.mariadb_only:
            return "mariadb"
    return None


def closest(name: str) -> str | None:
    """The built-in whose name is nearest to `name`, for a misspelt call ("did you mean")."""
    known = sorted(PURE_FUNCTIONS)
    found = difflib.get_close_matches(name.upper(), known, n=1, cutoff=0.8)
    return found[0] if found else None
