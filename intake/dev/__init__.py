"""Development tools: the demo seeder, the mail sink and `make run`'s launcher."""

# The seed `flask dev seed` uses when given none. Here rather than in the generator: the
# command shows it in its help without importing the generator.
DEFAULT_SEED = 20260101
