"""Administrator commands for the master key ring."""

from __future__ import annotations

import click
from flask import Flask, current_app

from pgd.crypto import rotation


def register(app: Flask) -> None:
    @app.cli.command("rotate-master-key")
    @click.option(
        "--resume",
        is_flag=True,
        help="Do not add a key; finish re-wrapping under the current key (after an interruption).",
    )
    def rotate_master_key(resume: bool) -> None:
        """Add a new master key and re-wrap every data key under it."""
        result = rotation.rotate(current_app, add_key=not resume)
        click.echo(
            f"Current master key: {result.new_key_id}. Data keys re-wrapped: {result.rewrapped}."
        )
        click.echo("Back up the key file now. Old keys can go with: flask retire-master-key ID")

    @app.cli.command("retire-master-key")
    @click.argument("key_id")
    def retire_master_key(key_id: str) -> None:
        """Remove an old master key that no data key uses any more."""
        rotation.retire(current_app, key_id)
        click.echo(f"Master key {key_id} removed from the ring.")
