"""Development tools: the demo seeder, the mail sink and `make run`'s launcher."""
