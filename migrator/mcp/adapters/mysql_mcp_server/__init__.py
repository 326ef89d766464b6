"""Adapter for the workshop's MySQL server: PyPI `mysql-mcp-server` 0.4.4, tool `execute_sql`.

That server answers in unquoted comma-separated text (NULL prints as nothing, a comma in
a value shifts the columns), refuses any `;` even inside a string literal, opens a new
connection per call (in the server's time zone) and reports errors as ordinary text. So
this adapter:

- asks for JSON instead: `SELECT JSON_ARRAYAGG(JSON_ARRAY(...)), COUNT(*)` over the wanted
  rows; the cell comes back intact because JSON escapes commas and newlines, and the count
  tells a complete page from one MariaDB cut at `group_concat_max_len` (1 MiB by default;
  the cut is silent and can even leave valid JSON one row short);
- pages under that cut by keyset pagination when given a key, else by ROW_NUMBER() over
  the query's own ORDER BY then every column (so the SQL order survives the aggregation),
  halving a page that came back cut; a row that alone is too long is `limit_exceeded`;
- learns an arbitrary query's column names and types from a short-lived probe view
  (`information_schema.COLUMNS`), so values decode like the built-in server's (this needs
  CREATE VIEW on the database);
- reads at time_zone '+00:00' (`SET STATEMENT ... FOR` on MariaDB, a SET_VAR hint on
  MySQL), as the built-in server does, so TIMESTAMPs do not depend on the server's zone;
- writes parameters and string literals that contain ';' as hex (`_utf8mb4 X'..'`) so a
  `;` in data never trips the server;
- recognises its error texts and maps them onto error codes.

Modules, one job each:

    adapter.py   MysqlMcpServerAdapter: the MySQL facade over `execute_sql`
    answers.py   what the server's text answers mean (errors, a JSON page, grants)
    literals.py  values and statements written so the server's `;` guard lets them through
    fields.py    a query's columns: how each value travels inside JSON and decodes
    order.py     a query's own ORDER BY, carried onto the pages
    paging.py    the SQL of one JSON page and the loop that reads every page
    schema.py    the information_schema reads that describe the database
"""
