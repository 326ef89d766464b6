"""migrator: execute a MySQL -> DynamoDB migration contract like Terraform executes configuration."""

__version__ = "0.1.0"
