"""The territory: its model, its file's reader and validator, address parsing."""
