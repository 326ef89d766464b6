"""The migration report: model, build (from the state), guidance and renderers."""
