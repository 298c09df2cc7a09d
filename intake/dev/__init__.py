"""Development tools: the demo seeder, the mail sink, `make run`'s launcher and the writer of
the instance/config.py that `make` leaves on a developer's machine."""

# The seed `flask dev seed` uses when given none. Here rather than in the generator: the
# command shows it in its help without importing the generator.
DEFAULT_SEED = 20260101
