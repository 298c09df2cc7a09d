"""Pure rules: no Flask, no database, no feature package (import-linter checks it)."""
