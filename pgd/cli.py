"""Administrator commands: migrations and clinician accounts (never self-registered)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app

from pgd import crypto, db


def register(app: Flask) -> None:
    from pgd.crypto import cli as crypto_cli

    crypto_cli.register(app)

    @app.cli.command("db-upgrade")
    def db_upgrade() -> None:
        """Apply database migrations (safe to run every start), then check the key ring."""
        url = current_app.config["DATABASE_URL"]
        db.upgrade(url)
        crypto.verify_ring(db.session(), crypto.ring())
        click.echo("Database is up to date.")

    @app.cli.command("citus-statements")
    def citus_statements() -> None:
        """Print the SQL that distributes the tables over a Citus cluster (by patient)."""
        from pgd import distribution

        for statement in distribution.citus_statements():
            click.echo(statement)

    @app.cli.command("compact-readings")
    @click.option(
        "--lock-timeout",
        default=10,
        show_default=True,
        type=click.IntRange(1, 600),
        help="Seconds to wait for the table's lock before giving up (nothing changes).",
    )
    def compact_readings(lock_timeout: int) -> None:
        """PostgreSQL: rewrite the readings in the order of their key (CLUSTER).

        Readings saved one day at a time end up spread over the table, a page each, and
        leave index pages half full: a patient whose data is not in memory waits for
        every page (benchmarks/cold_bench.py), and the table grows. Afterwards each
        patient's readings lie together again. It holds the table's lock while it runs:
        readings saved meanwhile wait for it, so run it at a quiet hour (cron)."""
        import time

        from sqlalchemy import text
        from sqlalchemy.exc import OperationalError

        engine = db.engine()
        if engine.dialect.name != "postgresql":
            click.echo("Nothing to do: this is for PostgreSQL only.")
            return
        size = text("SELECT pg_total_relation_size('measurements')")
        began = time.perf_counter()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            before = conn.execute(size).scalar_one()
            conn.execute(text(f"SET lock_timeout = '{lock_timeout}s'"))
            try:
                conn.execute(text("CLUSTER measurements USING pk_measurements"))
            except OperationalError as busy:
                raise click.ClickException(
                    f"The readings table stayed in use for {lock_timeout} s; nothing was "
                    "changed. Try again at a quieter moment (or with a longer --lock-timeout)."
                ) from busy
            conn.execute(text("ANALYZE measurements"))
            after = conn.execute(size).scalar_one()
        click.echo(
            f"Readings compacted: {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB "
            f"in {time.perf_counter() - began:.1f} s."
        )

    @app.cli.command("create-clinician")
    @click.option("--email", required=True)
    @click.option("--name", required=True)
    @click.option(
        "--profession",
        required=True,
        type=click.Choice(
            ["poh", "huisarts", "praktijkverpleegkundige", "dietist", "verpleegkundige"]
        ),
    )
    @click.option("--practice", default=None, help="Name of the practice, shown to patients.")
    @click.option("--agb", "agb_code", default=None, help="AGB code (8 digits), optional.")
    @click.password_option(
        "--password",
        prompt="Initial password",
        help="Or set PGD_NEW_PASSWORD.",
        envvar="PGD_NEW_PASSWORD",
    )
    def create_clinician(
        email: str,
        name: str,
        profession: str,
        practice: str | None,
        agb_code: str | None,
        password: str,
    ) -> None:
        """Create a clinician account (POH, huisarts, ...)."""
        from email_validator import EmailNotValidError, validate_email

        from pgd.accounts import passwords, services
        from pgd.accounts.models import Profession

        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError as exc:
            raise click.BadParameter(str(exc), param_hint="--email") from None
        if agb_code is not None and not (agb_code.isdigit() and len(agb_code) == 8):
            raise click.BadParameter("An AGB code has 8 digits.", param_hint="--agb")
        if not name.strip() or len(name) > 100:
            raise click.BadParameter("Give a name of 1 to 100 characters.", param_hint="--name")
        problems = passwords.problems(password, email=email, name=name)
        if problems:
            raise click.BadParameter(" ".join(problems), param_hint="--password")
        try:
            # The typed password is for the first login only: it is replaced there.
            user = services.create_clinician(
                email,
                password,
                name,
                Profession(profession),
                practice,
                agb_code,
                must_change_password=True,
            )
        except services.DuplicateEmail:
            raise click.ClickException(f"An account with e-mail {email} already exists.") from None
        click.echo(f"Clinician account created: {user.email} ({profession}).")
        click.echo(
            "At the first login they choose a new password, then set up the second factor. "
            f"Or send a link: flask --app pgd send-password-link {user.email}"
        )

    @app.cli.command("send-password-link")
    @click.argument("email")
    def send_password_link(email: str) -> None:
        """E-mail a one-time link to choose a password (72 hours), instead of typing one."""
        from pgd.accounts import reset, services

        user = services.user_by_email(email)
        if user is None:
            raise click.ClickException(f"There is no account with e-mail {email}.")
        reset.send_set_password_link(user)
        where = (
            "by e-mail"
            if current_app.config.get("MAIL_SERVER")
            else "to the log and instance/mail/ (MAIL_SERVER is not set)"
        )
        click.echo(
            f"A link to choose a password was sent {where} for {user.email}. "
            "It works once, for 72 hours."
        )

    @app.cli.command("verify-access-log")
    @click.option(
        "--anchor-file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="The anchor to compare with (default: ACCESS_LOG_ANCHOR_FILE, written by the "
        "app and by anchor-access-log); kept outside the database, it shows a chain "
        "rewritten from its start, or cut short, too.",
    )
    @click.option("--no-anchor", is_flag=True, help="Check the chains only.")
    def verify_access_log(anchor_file: Path | None, no_anchor: bool) -> None:
        """Check every chain of the access log (the legacy one and one per patient)."""
        from pgd.sharing import access_anchor, access_log

        anchor = None
        if not no_anchor:
            path = anchor_file or access_anchor.anchor_file(current_app)
            if path.exists():
                try:
                    anchor = access_anchor.read(path)
                except access_anchor.AnchorError as exc:
                    raise click.ClickException(str(exc)) from None
                click.echo(f"Compared with the anchor {path} (written {anchor.written_at} UTC).")
            elif anchor_file is not None:
                raise click.ClickException(f"There is no anchor file {path}.")
            else:
                click.echo(f"No anchor file yet ({path}): the chains alone are checked.")
        report = access_log.verify(anchor)
        if report.intact:
            click.echo(
                f"Access log is intact: {report.events} events in {report.chains} "
                f"chain{'' if report.chains == 1 else 's'}, every chain unbroken."
            )
            return
        for broken in report.problems:
            ident = f" (id {broken.event_id})" if broken.event_id else ""
            click.echo(f"BROKEN, {broken.chain}: {broken.reason}{ident}.", err=True)
        raise click.ClickException(
            f"Access log is BROKEN in {len(report.problems)} place(s); "
            f"{report.events} events in {report.chains} chains checked."
        )

    @app.cli.command("anchor-access-log")
    def anchor_access_log() -> None:
        """Write the anchor of the access log now (every chain's head, outside the
        database); run it from cron, e.g. every 5 minutes."""
        from pgd.sharing import access_anchor

        anchor = access_anchor.write(current_app._get_current_object())  # type: ignore[attr-defined]
        assert anchor is not None
        click.echo(
            f"Anchor written to {access_anchor.anchor_file(current_app)}: "
            f"{len(anchor.heads)} patient chains"
            + (", and the legacy chain." if anchor.legacy else ".")
        )

    @app.cli.command("reset-second-factor")
    @click.argument("email")
    def reset_second_factor(email: str) -> None:
        """Remove a user's second factor (lost phone); they set it up again at next login."""
        from pgd.accounts import second_factor, services

        user = services.user_by_email(email)
        if user is None:
            raise click.ClickException(f"There is no account with e-mail {email}.")
        if not second_factor.remove(user):
            raise click.ClickException(f"{user.email} has no second factor; nothing changed.")
        click.echo(
            f"Second factor removed for {user.email}; all their sessions have ended. "
            + (
                "They must set up a new one at their next login before they see any patient."
                if user.role == "clinician"
                else "They log in with their password only, until they set up a new one."
            )
        )

    @app.cli.command("disable-user")
    @click.argument("email")
    def disable_user(email: str) -> None:
        """Switch an account off: no login; sessions, API keys and share codes end at once."""
        from pgd.accounts import disabling, services

        user = services.user_by_email(email)
        if user is None:
            raise click.ClickException(f"There is no account with e-mail {email}.")
        try:
            done = disabling.disable(user)
        except disabling.AlreadyDone:
            raise click.ClickException(f"{user.email} is already switched off.") from None
        click.echo(
            f"{user.email} is switched off: {done.sessions_ended} session(s) ended, "
            f"{done.api_keys_revoked} API key(s) revoked."
        )
        if user.role == "clinician":
            click.echo(
                f"{done.share_codes_deleted} unused share code(s) deleted, "
                f"{len(done.grant_ids)} share(s) stopped: patients no longer find this "
                "clinician, and the clinician sees no patient."
            )
        click.echo(f"Undo with: flask --app pgd enable-user {user.email}")

    @app.cli.command("enable-user")
    @click.argument("email")
    def enable_user(email: str) -> None:
        """Switch an account on again (ended sessions, keys and shares stay ended)."""
        from pgd.accounts import disabling, services

        user = services.user_by_email(email)
        if user is None:
            raise click.ClickException(f"There is no account with e-mail {email}.")
        try:
            disabling.enable(user)
        except disabling.AlreadyDone:
            raise click.ClickException(f"{user.email} is not switched off.") from None
        click.echo(
            f"{user.email} can log in again. Revoked API keys and stopped shares stay "
            "stopped: new keys are made, and patients share again, as for a new start."
        )

    @app.cli.command("seed-demo")
    @click.option("--email", default="demo@voorbeeldpraktijk.nl", show_default=True)
    @click.option("--months", default=6, show_default=True, type=click.IntRange(1, 120))
    @click.option(
        "--seed", default=2026, show_default=True, help="Random seed (same data each time)."
    )
    def seed_demo(email: str, months: int, seed: int) -> None:
        """Create a demo patient with months of realistic measurements."""
        import random
        import secrets
        from datetime import date, timedelta

        from pgd.accounts import services
        from pgd.measurements import demo
        from pgd.measurements import services as measurements
        from pgd.measurements import settings as patient_settings
        from pgd.measurements.models import Source

        password = "demo-" + secrets.token_urlsafe(9)
        try:
            user = services.register_patient(email, password, "Demo Patiënt", date(1956, 5, 17))
        except services.DuplicateEmail:
            raise click.ClickException(
                f"{email} already exists. Choose another address with --email."
            ) from None
        patient_settings.save(user, user.id, patient_settings.Settings(height_cm=176.0))
        end = date.today()
        start = end - timedelta(days=round(months * 30.4))
        items = demo.generate(start, end, random.Random(seed))  # noqa: S311 - demo data, not secrets
        result = measurements.add_many(user, user.id, items, Source.DEMO)
        click.echo(f"Demo patient created with {result.added} measurements.")
        click.echo(f"Log in at http://127.0.0.1:5000/login as {email} with password: {password}")
