"""The `palabre` command: serve, chat, and the operator's commands."""

from __future__ import annotations

import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from bots.console.channel import ConsoleChat, ConsoleMessenger
from core.communes import service as communes
from core.errors import DomainError
from core.messages.service import requeue_failed
from core.moderation import service as moderation
from core.moderation.models import Role
from core.submissions import service as submissions
from core.submissions.models import Status
from core.submissions.service import LOCAL_TZ
from core.transcripts import dataset
from core.uow import UnitOfWork
from palabre import logs
from palabre.bootstrap import App, bind_communes, bootstrap, migrate, prepare
from palabre.settings import Settings


def _app(*, console: bool = False) -> App:
    settings = Settings()
    logs.setup(settings.log_level, file=settings.log_file if console else None,
               form=settings.log_format)
    messengers = {"console": ConsoleMessenger(sys.stdout)} if console else {}
    app = bootstrap(settings, messengers=messengers)
    if settings.auto_migrate:
        prepare(app)
    else:
        bind_communes(app)
    return app


class _Commands(click.Group):
    """Palabre's commands; a setting that cannot be used is one clear line per problem,
    naming its environment variable, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        from pydantic import ValidationError

        try:
            return super().invoke(ctx)
        except ValidationError as exc:
            raise click.ClickException("\n".join(
                f"{setting_variable(str(error['loc'][0]) if error['loc'] else '?')}: "
                f"{error['msg'].removeprefix('Value error, ')}" for error in exc.errors())
            ) from None


def setting_variable(field: str) -> str:
    """The environment variable that sets a field of Settings (DATABASE_URL, PALABRE_…)."""
    found = Settings.model_fields.get(field)
    alias = getattr(found, "validation_alias", None) if found else None
    choices = getattr(alias, "choices", None)
    return str(choices[0]) if choices else f"PALABRE_{field.upper()}"


@click.group(cls=_Commands)
def main() -> None:
    """Palabre: citizens and their mairie, on WhatsApp, Telegram and the console."""


@main.command()
@click.option("--console/--no-console", default=True, show_default=True,
              help="Also chat in this terminal as a citizen.")
@click.option("--as", "address", default="demo", show_default=True, help="Console citizen.")
@click.option("--web", "web_only", is_flag=True,
              help="Only the web role (webhooks, API, console, Telegram polling): turns, "
                   "deliveries and transcription run in `palabre worker` processes, the "
                   "scheduler in `palabre scheduler`. Implies --no-console.")
def serve(console: bool, address: str, web_only: bool) -> None:
    """Run the HTTP server, the workers and the scheduler (and a console chat); with --web,
    the HTTP server alone."""
    import uvicorn

    from palabre import worker as workers
    from palabre.web import create_web_app, settle_memory

    console = console and not web_only
    app = _app(console=console)
    settings = app.settings
    worker = workers.start(app.pipeline, app.engine, app.wakeup,
                           interval=settings.worker_interval_seconds,
                           turns=not web_only, deliveries=not web_only)
    pollers = _start_polling(app) if settings.telegram_mode == "polling" else []
    speech = None if web_only else _start_transcription(
        settings, settings.transcription_workers,
        log_file=settings.log_file if console else None)
    jobs = _start_scheduler(app) if settings.scheduler and not web_only else None
    # The web app believes X-Forwarded-* from PALABRE_TRUSTED_PROXIES only: uvicorn's own
    # handling would also trust 127.0.0.1 (or FORWARDED_ALLOW_IPS) on top of it. Its log
    # lines go where ours go (log_config=None: uvicorn configures no handler of its own).
    config = uvicorn.Config(create_web_app(app), host=settings.host, port=settings.port,
                            log_config=None, proxy_headers=False)
    server = uvicorn.Server(config)
    settle_memory()
    _exit_on_sigterm()
    try:
        if console:
            _serve_beside_a_chat(server, app, address)
        else:
            server.run()
    finally:
        _stop(worker, pollers, app, speech, jobs)


def _exit_on_sigterm() -> None:
    """SIGTERM (systemd, docker, kill) ends `serve` through its cleanup like Ctrl-C does:
    uvicorn re-raises the signal once its own shutdown is done, which would otherwise kill
    the process and leave its transcription workers running as orphans."""
    import signal

    def leave(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, leave)


def _serve_beside_a_chat(server: Any, app: App, address: str) -> None:
    settings = app.settings
    web = threading.Thread(target=server.run, name="palabre-web", daemon=True)
    web.start()
    click.echo(f"Palabre is listening on http://{settings.host}:{settings.port} "
               f"(health: /healthz; log: {settings.log_file}). "
               f"Chat below as '{address}'; /quit to stop.\n")
    try:
        _chat(app, address)
    finally:
        server.should_exit = True
        web.join(timeout=5)


def _start_polling(app: App) -> list[Any]:
    """Polling mode: one getUpdates loop per Telegram bot."""
    from bots.telegram.polling import Poller

    if app.telegram is None or app.telegram.receiver is None:
        return []
    pollers = [Poller(app.telegram.receiver, bot) for bot in app.telegram.config.bots]
    for poller in pollers:
        poller.start()
    click.echo(f"Telegram: polling for {len(pollers)} bot(s).")
    return pollers


def _start_transcription(settings: Settings, count: int, *,
                         log_file: Path | None = None) -> Any:
    """Transcription worker processes, when voice notes are transcribed here."""
    from palabre.speech import Workers, transcribes

    if count < 1 or not transcribes(settings):
        return None
    click.echo(f"Voice notes: {count} transcription worker(s) "
               f"({settings.transcription_routes}).")
    return Workers(settings, count, log_file=log_file).start()


def _start_scheduler(app: App) -> Any:
    from palabre import scheduler

    return scheduler.start(app)


def _stop(worker: Any, pollers: list[Any], app: App, speech: Any = None,
          jobs: Any = None) -> None:
    if jobs is not None:
        from palabre import scheduler

        scheduler.stop(jobs)
    if speech is not None:
        speech.stop()
    for poller in pollers:
        poller.stop()
    worker.stop()
    app.close()


@main.command()
@click.option("--turns/--no-turns", default=True, show_default=True,
              help="Unpack webhook bodies and run citizens' turns, each citizen in order.")
@click.option("--deliveries/--no-deliveries", default=True, show_default=True,
              help="Send the outbox on the configured channels.")
@click.option("--transcription", "count", type=click.IntRange(0, 16), default=None,
              help="Transcription processes (default PALABRE_TRANSCRIPTION_WORKERS when voice "
                   "notes are transcribed; 0: none).")
def worker(turns: bool, deliveries: bool, count: int | None) -> None:
    """Run worker roles without the web server, until interrupted (Ctrl-C, SIGTERM): any
    number of these, on any number of machines, share one PostgreSQL database."""
    import signal

    from palabre import worker as workers
    from palabre.speech import transcribes

    settings = Settings()
    wanted = settings.transcription_workers if count is None else count
    if not transcribes(settings):
        if count:
            raise click.ClickException("Voice notes are not transcribed: set "
                                       "PALABRE_TRANSCRIPTION_ROUTES (see .env.example).")
        wanted = 0
    if not (turns or deliveries or wanted):
        raise click.ClickException("Nothing to do: give this worker at least one role.")
    app = _app()
    loops = workers.start(app.pipeline, app.engine, app.wakeup,
                          interval=settings.worker_interval_seconds, turns=turns,
                          deliveries=deliveries)
    speech = _start_transcription(settings, wanted) if wanted else None
    roles = [r for r, on in (("turns", turns), ("deliveries", deliveries)) if on]
    if speech is not None:
        roles.append(f"{wanted} transcription process(es)")
    click.echo(f"Worker: {', '.join(roles)}. Ctrl-C stops.")
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        while not stopping.wait(1.0):
            if speech is not None and not any(p.is_alive() for p in speech.processes):
                raise click.ClickException("every transcription worker stopped; see the log")
    except KeyboardInterrupt:
        pass
    finally:
        click.echo("Stopping (each loop finishes its round, each transcription its note)…")
        if speech is not None:
            speech.stop()
        loops.stop()
        app.close()


@main.command()
@click.option("--commune", required=True, help="Commune name, code or id.")
@click.option("--week", default=None, help="Its Monday (2026-11-16); default: last week.")
def digest(commune: str, week: str | None) -> None:
    """Print (and keep) a commune's weekly digest for WhatsApp group animators."""
    from datetime import date

    from core.digests import service as digests
    from dialogs.digest import render_digest
    from palabre.scheduler import digest_ways

    app = _app()
    try:
        with app.uow_factory() as uow:
            found = communes.find_commune(uow=uow, text=commune)
            if found is None:
                raise click.ClickException(f"No enabled commune '{commune}'.")
            monday = date.fromisoformat(week) if week else digests.last_week(uow.clock.now())
            if monday.weekday() != 0:
                raise click.ClickException(f"{monday} is not a Monday.")
            facts = digests.facts(uow=uow, commune_id=found.id, week=monday)
            text = render_digest(app.catalogs, facts, digest_ways(app, found.id))
            digests.keep(uow=uow, commune_id=found.id, week=monday, text=text)
            uow.commit()
        click.echo(text)
    finally:
        app.close()


@main.command("scheduler")
def scheduler_command() -> None:
    """Run the scheduler alone (announcements at their time…), until interrupted."""
    import signal

    from palabre import scheduler

    app = _app()
    jobs = scheduler.start(app)
    if jobs.leading:
        click.echo(f"Scheduler leading: {', '.join(j.id for j in jobs.jobs.get_jobs())}. "
                   "Ctrl-C stops.")
    else:
        click.echo("Another scheduler leads on this database: this one waits and takes over "
                   "when it stops. Ctrl-C stops.")
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        while not stopping.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.stop(jobs)
        app.close()


@main.command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--language", default=None,
              help="The language spoken (fr, yo, fon…): its route in "
                   "PALABRE_TRANSCRIPTION_ROUTES; detected when not given.")
def transcribe(files: tuple[str, ...], language: str | None) -> None:
    """Transcribe audio files with the configured models (to try them on real recordings)."""
    import time
    from pathlib import Path

    from core.ports import TranscriptionError
    from palabre.speech import transcriber

    settings = Settings()
    if not settings.transcription_routes.strip():
        raise click.ClickException("PALABRE_TRANSCRIPTION_ROUTES is empty.")
    speech = transcriber(settings)
    results: list[str] = []
    with click.progressbar(files, label="Transcribing", file=sys.stderr,
                           item_show_func=lambda f: Path(f).name if f else None) as bar:
        for name in bar:
            started = time.perf_counter()
            try:
                heard = speech.transcribe(Path(name), language_hint=language)
            except TranscriptionError as exc:
                results.append(f"{name}: not transcribed ({exc.reason}: {exc})")
                continue
            took = time.perf_counter() - started
            confidence = f"{heard.confidence:.2f}" if heard.confidence is not None else "?"
            duration = heard.duration_s or 0.0
            results.append(f"{name} [{heard.language or '?'}, {duration:.1f} s audio in "
                           f"{took:.1f} s, confidence {confidence}, {heard.backend} "
                           f"{heard.model}]\n  {heard.text}")
    for line in results:
        click.echo(line)


@main.group("models")
def models_group() -> None:
    """The speech models the transcription routes name."""


@models_group.command("check")
def models_check() -> None:
    """Load each route's model and say, one line each, what works."""
    import time

    from transcription.backends import make_backend
    from transcription.routes import parse_routes

    settings = Settings()
    if not settings.transcription_routes.strip():
        click.echo("PALABRE_TRANSCRIPTION_ROUTES is empty: voice notes are kept as audio.")
        return
    broken = 0
    for route in parse_routes(settings.transcription_routes).all():
        started = time.perf_counter()
        try:
            make_backend(*route.key, cache_dir=settings.transcription_model_dir,
                         cpu_threads=settings.transcription_threads).load()  # as a worker
        except Exception as exc:  # the operator's report: whatever stops a model is said
            broken += 1
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            click.echo(f"{route.language}={route.backend}:{route.model}: cannot load "
                       f"({reason[:300]})")
            continue
        click.echo(f"{route.language}={route.backend}:{route.model}: ok, loaded in "
                   f"{time.perf_counter() - started:.1f} s")
    if broken:
        raise click.ClickException(f"{broken} route(s) cannot hear anything: their voice "
                                   "notes are kept as audio.")


@main.command()
@click.option("--as", "address", default="demo", show_default=True,
              help="Who you are: any name; the same name continues the same conversation.")
def chat(address: str) -> None:
    """Talk to Palabre as a citizen in this terminal (or from a script on standard input)."""
    _chat(_app(console=True), address)


def _chat(app: App, address: str) -> None:
    interactive = sys.stdin.isatty()
    if interactive:
        click.echo("Type your messages. /location LAT LON · /photo FILE · /voice FILE · /quit\n")
    ConsoleChat(app.pipeline, address=address, inp=sys.stdin, out=sys.stdout,
                echo=not interactive).run()


@main.group()
def db() -> None:
    """The database."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply migrations and load the reference data."""
    app = bootstrap(Settings())
    prepare(app)
    click.echo(f"Database ready: {app.engine.url.render_as_string(hide_password=True)}")


@db.command("migrate-only")
def db_migrate_only() -> None:
    """Apply migrations without loading reference data."""
    migrate(Settings().database_url)


@main.group("communes")
def communes_group() -> None:
    """Communes: list, enable, disable."""


@communes_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include communes not enabled.")
def communes_list(show_all: bool) -> None:
    app = _app()
    with app.uow_factory() as uow:
        rows = (communes.enabled_communes(uow=uow) if not show_all else
                sorted(communes.all_communes(uow=uow), key=lambda c: c.name))
        for commune in rows:
            mark = "*" if commune.enabled else " "
            click.echo(f"{mark} {commune.code:4} {commune.id:11} {commune.name} "
                       f"({commune.department_name})")


@communes_group.command("enable")
@click.argument("commune")
def communes_enable(commune: str) -> None:
    _set_enabled(commune, True)


@communes_group.command("disable")
@click.argument("commune")
def communes_disable(commune: str) -> None:
    _set_enabled(commune, False)


def _set_enabled(commune: str, enabled: bool) -> None:
    app = _app()
    with app.uow_factory() as uow:
        try:
            found = communes.set_enabled(uow=uow, commune=commune, enabled=enabled)
        except LookupError as exc:
            raise click.ClickException(str(exc)) from exc
        uow.commit()
        click.echo(f"{found.name}: {'enabled' if enabled else 'disabled'}")


@main.group("submissions")
def submissions_group() -> None:
    """What citizens filed."""


@submissions_group.command("list")
@click.option("--commune", default=None, help="Commune id, code or name.")
@click.option("--status", type=click.Choice([s.value for s in Status]), default=None)
@click.option("--kind", type=click.Choice(["report", "complaint", "suggestion", "idea"]),
              default=None)
@click.option("--limit", default=50, show_default=True)
def submissions_list(commune: str | None, status: str | None, kind: str | None,
                     limit: int) -> None:
    """Newest first."""
    app = _app()
    with app.uow_factory() as uow:
        commune_id = None
        if commune:
            found = communes.find_commune(uow=uow, text=commune, enabled_only=False)
            if found is None:
                raise click.ClickException(f"unknown commune: {commune}")
            commune_id = found.id
        rows = submissions.list_submissions(uow=uow, commune_id=commune_id, status=status,
                                            kind=kind, limit=limit)
        if not rows:
            click.echo("No submissions.")
        for row in rows:
            summary = " ".join((row.title or row.description or "(voice note)").split())[:60]
            local = row.created_at.astimezone(LOCAL_TZ)
            click.echo(f"{row.reference:16} {row.kind:10} {row.status:12} "
                       f"{local:%Y-%m-%d %H:%M}  {summary}")


@submissions_group.command("status")
@click.argument("reference")
@click.argument("status", type=click.Choice([s.value for s in Status if s != Status.NEW]))
@click.option("--note", default=None, help="Public note: the citizen reads it.")
@click.option("--internal-note", default=None, help="For moderators only.")
@click.option("--by", "actor", default="operator", show_default=True, help="Who decides.")
def submissions_status(reference: str, status: str, note: str | None,
                       internal_note: str | None, actor: str) -> None:
    """Change a submission's status; its author and followers are told."""
    app = _app()
    with app.uow_factory() as uow:
        try:
            changed = submissions.change_status(uow=uow, reference=reference,
                                                status=Status(status), actor=actor,
                                                public_note=note, internal_note=internal_note)
        except DomainError as exc:
            raise click.ClickException(str(exc)) from exc
        uow.commit()
    click.echo(f"{changed.reference}: {status}. The message to the citizen is queued; the "
               "worker of `palabre serve` (or their next console session) delivers it.")


@main.group("inbound")
def inbound_group() -> None:
    """Messages citizens sent."""


@inbound_group.command("retry-failed")
def inbound_retry_failed() -> None:
    """Handle again the messages whose turns failed three times (once the cause is fixed)."""
    app = _app()
    with app.uow_factory() as uow:
        count = requeue_failed(uow=uow)
        uow.commit()
    click.echo(f"{count} message(s) queued again.")


@main.group("retention")
def retention_group() -> None:
    """Personal data kept no longer than PALABRE_RETENTION_MONTHS."""


@retention_group.command("run")
@click.option("--dry-run", is_flag=True, help="Count what would go; change nothing.")
@click.option("--months", type=click.IntRange(min=1), default=None,
              help="Instead of PALABRE_RETENTION_MONTHS.")
def retention_run(dry_run: bool, months: int | None) -> None:
    """Strip the contacts and voice recordings of submissions closed that long ago, forget
    the identities of citizens silent that long (the nightly job does the same); a real run
    is audited."""
    from core.retention import service as retention

    app = _app()
    period = months or app.settings.retention_months
    if period == 0:
        raise click.ClickException("PALABRE_RETENTION_MONTHS=0: everything is kept "
                                   "(give --months to run anyway).")
    report = retention.apply_retention(uow_factory=app.uow_factory, months=period,
                                       dry_run=dry_run)
    verb = "would be" if dry_run else "were"
    click.echo(f"Data older than {report.cutoff:%Y-%m-%d} ({period} months):")
    for name, label in RETENTION_LINES:
        click.echo(f"  {report.done[name]:>7} {label} {verb} {RETENTION_VERBS[name]}")


RETENTION_LINES = (("submissions", "closed submissions"), ("voice_notes", "voice recordings"),
                   ("citizens", "silent citizens"), ("inbound", "received messages"),
                   ("outbound", "messages to citizens"),
                   ("provider_posts", "raw webhook bodies"))
RETENTION_VERBS = {"submissions": "stripped of their author's contact and followers",
                   "voice_notes": "erased (transcripts kept)",
                   "citizens": "forgotten (identities removed)",
                   "inbound": "stripped of their sender", "outbound": "stripped of their address",
                   "provider_posts": "deleted"}


@main.group("transcripts")
def transcripts_group() -> None:
    """Voice notes' transcripts: the moderators' corrections as training data."""


@transcripts_group.command("export")
@click.option("--language", required=True,
              help="The language spoken in the notes: fon, yo, fr… (ISO 639 code).")
@click.option("--out", "out", required=True,
              type=click.Path(file_okay=False, writable=True, path_type=Path),
              help="A new (or empty) directory for the dataset.")
@click.option("--commune", default=None, help="Only this commune's notes (id, code or name).")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Only notes corrected on or after this day (2026-11-01).")
def transcripts_export(language: str, out: Path, commune: str | None,
                       since: datetime | None) -> None:
    """Write the notes moderators transcribed, of citizens who agreed, as a speech dataset:
    audio/*.wav (16 kHz mono), metadata.csv and manifest.jsonl (docs/voice.md)."""
    app = _app()
    try:
        with app.uow_factory() as uow:
            commune_id = _commune_id(uow, commune) if commune else None
            start = since.replace(tzinfo=LOCAL_TZ) if since else None
            chosen = dataset.training_notes(uow=uow, language=language.strip().lower(),
                                            commune_id=commune_id, since=start)
        written = dataset.write_dataset(notes=chosen.notes, language=language.strip().lower(),
                                        out=out, pcm16=_pcm16(app.settings))
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        app.close()
    skipped = chosen.skipped
    click.echo(f"{written.notes} note(s) exported ({written.seconds / 60:.1f} min of audio) to "
               f"{out}; left out: {skipped['consent']} without the citizen's consent, "
               f"{skipped['anonymous']} anonymous, {skipped['erased']} recording(s) erased, "
               f"{skipped['number']} saying a telephone number, {written.unreadable} unreadable.")


def _pcm16(settings: Settings) -> dataset.Pcm16:
    """A stored note as 16 kHz mono 16-bit samples, decoded as the transcription workers do."""
    import numpy as np

    from transcription.audio import decode

    def pcm16(path: Path) -> bytes:
        audio = decode(path, max_seconds=float(settings.transcription_max_seconds))
        return (np.clip(audio.samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()

    return pcm16


@main.group("moderators")
def moderators_group() -> None:
    """Moderator accounts and their API tokens."""


@moderators_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), default="moderator",
              show_default=True)
@click.option("--commune", "communes_", multiple=True,
              help="Commune id, code or name (repeat for several); not for admins.")
@click.option("--contacts", is_flag=True, help="May see citizens' numbers and ids unmasked.")
def moderators_add(name: str, role: str, communes_: tuple[str, ...], contacts: bool) -> None:
    """Create an account and print its first token (shown once)."""
    app = _app()
    with app.uow_factory() as uow:
        ids = [_commune_id(uow, c) for c in communes_]
        try:
            account = moderation.add_moderator(uow=uow, name=name, role=Role(role),
                                               communes=ids, can_see_contacts=contacts)
        except DomainError as exc:
            raise click.ClickException(str(exc)) from exc
        issued = moderation.issue_token(uow=uow, moderator=account, label="first")
        link = _signin_link(app, uow, account) if account.role in CONSOLE_ROLES else None
        uow.commit()
    click.echo(f"{name} ({role}{', ' + ', '.join(ids) if ids else ''}) created.")
    click.echo(f"Token (shown once, keep it secret): {issued.token}")
    if link:
        click.echo(f"Console: {name} chooses a password within 3 days at {link}")


CONSOLE_ROLES = (Role.ADMIN, Role.MODERATOR)


def _signin_link(app: App, uow: UnitOfWork, account: Any) -> str:
    """A one-time address where the account sets its console password."""
    from core.moderation import signin

    settings = app.settings
    base = settings.public_url.rstrip("/") or f"http://{settings.host}:{settings.port}"
    return f"{base}/console/password/{signin.issue_signin_link(uow=uow, moderator=account)}"


@moderators_group.command("link")
@click.argument("name")
def moderators_link(name: str) -> None:
    """A new one-time link to set the console password (a forgotten one, a new colleague);
    an unused earlier link stops working, sessions end once the password is set."""
    app = _app()
    with app.uow_factory() as uow:
        try:
            account = moderation.get_moderator(uow=uow, name=name)
        except DomainError as exc:
            raise click.ClickException(str(exc)) from exc
        if account.role not in CONSOLE_ROLES:
            raise click.ClickException(f"{name} is an {account.role}: the console is for "
                                       "admins and moderators.")
        link = _signin_link(app, uow, account)
        uow.commit()
    click.echo(f"{name} chooses a password within 3 days at {link}")


def _commune_id(uow: UnitOfWork, text: str) -> str:
    found = communes.find_commune(uow=uow, text=text, enabled_only=False)
    if found is None:
        raise click.ClickException(f"unknown commune: {text}")
    return found.id


@moderators_group.command("token")
@click.argument("name")
@click.option("--label", default="", help="What the token is for (a laptop, a script…).")
def moderators_token(name: str, label: str) -> None:
    """Issue another token for an account (shown once)."""
    app = _app()
    with app.uow_factory() as uow:
        try:
            account = moderation.get_moderator(uow=uow, name=name)
        except DomainError as exc:
            raise click.ClickException(str(exc)) from exc
        issued = moderation.issue_token(uow=uow, moderator=account, label=label)
        uow.commit()
    click.echo(f"Token {issued.token_id} for {name} (shown once): {issued.token}")


@moderators_group.command("revoke")
@click.argument("token_id", type=int)
def moderators_revoke(token_id: int) -> None:
    """Revoke a token by its number (see `palabre moderators list`)."""
    app = _app()
    with app.uow_factory() as uow:
        try:
            moderation.revoke_token(uow=uow, token_id=token_id)
        except DomainError as exc:
            raise click.ClickException(str(exc)) from exc
        uow.commit()
    click.echo(f"Token {token_id} revoked.")


@moderators_group.command("list")
def moderators_list() -> None:
    """Accounts and their tokens (numbers and first characters only)."""
    app = _app()
    with app.uow_factory() as uow:
        for account in moderation.list_moderators(uow=uow):
            scope = ", ".join(account.communes) or "every commune"
            contacts = ", sees contacts" if account.can_see_contacts else ""
            click.echo(f"{account.name} — {account.role} ({scope}{contacts})")
            for token in moderation.tokens_of(uow=uow, moderator=account):
                state = "revoked" if token.revoked_at else "active"
                click.echo(f"    token {token.id}: {token.prefix}… {state} {token.label}")


@main.group("telegram")
def telegram_group() -> None:
    """Telegram bots: webhook, polling, announcements."""


def _telegram(app: App) -> Any:
    if app.telegram is None:
        raise click.ClickException("No Telegram bot: set PALABRE_TELEGRAM_TOKEN (see README).")
    return app.telegram


@telegram_group.command("set-webhook")
@click.option("--url", default="", help="This server's public https address "
              "(default: PALABRE_PUBLIC_URL).")
def telegram_set_webhook(url: str) -> None:
    """Tell Telegram to call /webhooks/telegram/<bot id> with each bot's secret."""
    app = _app()
    telegram = _telegram(app)
    base = (url or app.settings.public_url).rstrip("/")
    if not base.startswith("https://"):
        raise click.ClickException("Telegram calls https addresses only: give --url https://…")
    try:
        for bot in telegram.config.bots:
            target = f"{base}/webhooks/telegram/{bot.account}"
            telegram.client.call(bot.account, lambda b, t=target, s=bot.secret: b.set_webhook(
                t, secret_token=s, allowed_updates=["message", "edited_message",
                                                    "callback_query", "channel_post"]))
            click.echo(f"bot {bot.account} (@{telegram.client.username(bot.account)}): {target}")
    finally:
        app.close()


@telegram_group.command("info")
def telegram_info() -> None:
    """Each bot's name and webhook as Telegram sees them."""
    app = _app()
    telegram = _telegram(app)
    try:
        for bot in telegram.config.bots:
            info = telegram.client.call(bot.account, lambda b: b.get_webhook_info())
            name = telegram.client.username(bot.account)
            click.echo(f"bot {bot.account} @{name}: webhook {info.url or '(none: polling)'}, "
                       f"{info.pending_update_count} pending"
                       + (f", last error: {info.last_error_message}"
                          if info.last_error_message else ""))
    finally:
        app.close()


@telegram_group.command("poll")
def telegram_poll() -> None:
    """Receive Telegram updates by polling (no public address needed) and answer them."""
    from palabre import worker as workers

    app = _app()
    _telegram(app)
    worker = workers.start(app.pipeline, app.engine, app.wakeup,
                           interval=app.settings.worker_interval_seconds)
    pollers = _start_polling(app)
    click.echo("Press Ctrl+C to stop.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        _stop(worker, pollers, app)


@telegram_group.command("announce")
@click.option("--commune", required=True, help="Commune name, code or id.")
@click.argument("text")
def telegram_announce(commune: str, text: str) -> None:
    """Post TEXT to the commune's Telegram groups and channels (PALABRE_TELEGRAM_COMMUNE_CHATS)."""
    from bots.telegram.announce import announce

    app = _app()
    telegram = _telegram(app)
    try:
        with app.uow_factory() as uow:
            found = communes.find_commune(uow=uow, text=commune)
            if found is None:
                raise click.ClickException(f"No enabled commune '{commune}'.")
            queued = announce(uow=uow, config=telegram.config, commune_id=found.id, text=text)
            uow.commit()
        app.pipeline.deliver(channels=["telegram"])
        click.echo(f"{queued} message(s) for {found.name}'s Telegram groups and channels.")
    finally:
        app.close()



@main.group("whatsapp")
def whatsapp_group() -> None:
    """WhatsApp through Twilio: links and QR codes for mairie groups."""


@whatsapp_group.command("link")
@click.option("--commune", required=True, help="Commune name, code or id.")
@click.option("--flow", type=click.Choice(["report", "complaint", "idea"]), default="report",
              show_default=True)
@click.option("--language", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
@click.option("--qr", "qr_path", type=click.Path(dir_okay=False), default=None,
              help="Where to write the QR code PNG (default: palabre-<commune>-<flow>.png).")
def whatsapp_link(commune: str, flow: str, language: str, qr_path: str | None) -> None:
    """Print a wa.me link that starts FLOW with the commune's sender, and write its QR code."""
    from pathlib import Path

    from bots.whatsapp.links import wa_link, write_qr

    app = _app()
    try:
        if app.whatsapp is None:
            raise click.ClickException("No WhatsApp sender: set PALABRE_TWILIO_ACCOUNT_SID, "
                                       "PALABRE_TWILIO_AUTH_TOKEN, PALABRE_WHATSAPP_SENDERS.")
        with app.uow_factory() as uow:
            found = communes.find_commune(uow=uow, text=commune)
        if found is None:
            raise click.ClickException(f"No enabled commune '{commune}'.")
        senders = [s for s in app.whatsapp.config.senders if not s.is_service]
        bound = [s for s in senders
                 if app.dialogs.bound_communes.get(("whatsapp", s.address)) == found.id]
        shared = [s for s in senders if ("whatsapp", s.address) not in app.dialogs.bound_communes]
        sender = (bound or shared or [None])[0]
        if sender is None:
            raise click.ClickException(f"No WhatsApp number serves {found.name}.")
        link = wa_link(sender, flow, language=language)
        path = write_qr(link, Path(qr_path or f"palabre-{found.code.lower()}-{flow}.png"))
        click.echo(link)
        click.echo(f"QR code: {path}")
        if not bound:
            click.echo(f"(a shared number: citizens will be asked for their commune, "
                       f"{found.name})")
    finally:
        app.close()


def _register_groups() -> None:
    """The command groups kept in their own modules (translations, recorded prompts)."""
    from palabre.i18n import i18n_group
    from palabre.prompts import prompts_group

    main.add_command(i18n_group)
    main.add_command(prompts_group)


_register_groups()
