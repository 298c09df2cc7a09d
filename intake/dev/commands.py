"""The `flask dev` commands: `dev seed`, which imports the seeder only when it runs."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup

from intake.dev import DEFAULT_SEED

dev_cli = AppGroup("dev", help="Development helpers: fictional data for demos and benchmarks.")


@dev_cli.command("seed")
@click.option(
    "--count", type=click.IntRange(min=1), required=True, help="How many referrals to add."
)
@click.option("--force", is_flag=True, help="Add to a database that already holds referrals.")
@click.option(
    "--seed",
    "seed_value",
    type=int,
    default=DEFAULT_SEED,
    show_default=True,
    help="Random seed: the same seed gives the same referrals (on the same day).",
)
def seed_command(count: int, force: bool, seed_value: int) -> None:
    """Fill the database with COUNT fictional referrals: children, history, agreements, notes.

    No e-mail is queued; every name is invented and every address is on example.org.
    """
    # Imported here, not at the top: create_app registers this group at every start, and
    # the generator, its word lists and the store are needed only when a seed runs.
    from intake.dev.store import SeedRefused, seed_database

    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        elapsed = time.perf_counter() - started
        click.echo(f"{done}/{total} referrals written ({elapsed:.1f} s)")

    try:
        written = seed_database(
            count,
            territory=current_app.extensions["territory"],
            seed=seed_value,
            force=force,
            progress=progress,
        )
    except SeedRefused:
        raise click.ClickException(
            "The database already holds referrals: nothing written. "
            "Use --force to add fictional ones to them."
        ) from None
    elapsed = time.perf_counter() - started
    click.echo(f"Added {written} fictional referrals in {elapsed:.1f} s (seed {seed_value}).")
