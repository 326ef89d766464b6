"""Pattern tests (issue 4): each contract pattern's view on a real MariaDB against an independent reference."""
