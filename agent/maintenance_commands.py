"""The database housekeeping commands: ``cleanup`` and ``db info``. main.py parses, these print."""

from __future__ import annotations

from datetime import datetime, tzinfo

from agent.commands import durable_runtime
from agent.durability.dbinfo import CHECKPOINT_TABLES, DbInfo, db_info, human_bytes
from agent.durability.retention import CleanupReport, cleanup, format_duration, parse_duration
from agent.errors import UsageError
from config.settings import Settings

SHOWN_THREADS = 5  # thread ids listed by cleanup; the rest are counted


def _need_durability(settings: Settings) -> None:
    if not settings.durability.enabled:
        raise UsageError("Durability is disabled (durability.enabled: false), so there is no database to look at.")


def cmd_cleanup(settings: Settings, older_than: str, dry_run: bool) -> int:
    """Delete the checkpoints and run rows of finished runs older than ``older_than`` ('14d', '36h', '2w')."""
    _need_durability(settings)
    age = parse_duration(older_than)
    with durable_runtime(settings) as rt:
        assert rt.store is not None
        report = cleanup(rt.store.db, rt.checkpointer, age, dry_run=dry_run)
    for line in cleanup_lines(report, settings.user.tz):
        print(line)
    return 0


def cleanup_lines(report: CleanupReport, tz: tzinfo | None = None) -> list[str]:
    """What cleanup removed (or would), the sizes before and after, as printable lines."""
    age = format_duration(report.older_than)
    cutoff = _when(report.cutoff, tz)
    if not report.thread_ids:
        lines = [f"No finished run is older than {age} (finished before {cutoff}): nothing to remove."]
        if report.skipped:
            lines.append(f"{len(report.skipped)} run(s) in use by another process were left alone.")
        return [*lines, "", *_size_table(report)]
    verb = "Would remove" if report.dry_run else "Removed"
    lines = [f"{verb} {report.removed} finished run(s) older than {age} (finished before {cutoff}):"]
    lines += [f"  {t}" for t in report.thread_ids[:SHOWN_THREADS]]
    if report.removed > SHOWN_THREADS:
        lines.append(f"  ... and {report.removed - SHOWN_THREADS} more")
    rows = ", ".join(f"{report.rows[t]} {t}" for t in report.rows if report.rows[t])
    lines.append(
        f"Rows {'to delete' if report.dry_run else 'deleted'}: {rows or 'none'} "
        f"(about {human_bytes(report.deleted_bytes)} of row data)."
    )
    if report.skipped:
        lines.append(f"{len(report.skipped)} run(s) in use by another process were left for the next cleanup.")
    lines += ["", *_size_table(report), ""]
    if report.dry_run:
        lines.append("Dry run: nothing was deleted. Run again without --dry-run to delete them.")
        return lines
    if report.vacuumed:
        lines.append(
            f"VACUUM ran: the {human_bytes(report.deleted_bytes)} of deleted rows are free for new checkpoints "
            "inside the table files. PostgreSQL gives space back to the operating system only when VACUUM can "
            "cut empty pages off a file's end, or with VACUUM FULL (which locks the tables while it rewrites them)."
        )
        if (report.total_after or 0) > report.total_before:
            # The first VACUUM of a table writes its free-space and visibility maps: files grow a little.
            lines.append("The files grew by the free-space and visibility maps VACUUM keeps, a few kB per table.")
    else:
        lines.append(f"VACUUM failed ({report.vacuum_error}); the rows are deleted and autovacuum will free them.")
    return lines


def _size_table(report: CleanupReport) -> list[str]:
    after = report.sizes_after
    if after is None or not report.vacuumed:  # nothing changed on disk: one column
        lines = [f"{'TABLE':<22} {'SIZE':>10}"]
        lines += [f"{name:<22} {human_bytes(size):>10}" for name, size in report.sizes_before.items()]
        return [*lines, f"{'total':<22} {human_bytes(report.total_before):>10}"]
    lines = [f"{'TABLE':<22} {'BEFORE':>10} {'AFTER':>10}"]
    for name, before in report.sizes_before.items():
        lines.append(f"{name:<22} {human_bytes(before):>10} {human_bytes(after[name]):>10}")
    lines.append(f"{'total':<22} {human_bytes(report.total_before):>10} {human_bytes(report.total_after):>10}")
    return lines


def _when(moment: datetime, tz: tzinfo | None) -> str:
    return (moment.astimezone(tz) if tz else moment).strftime("%Y-%m-%d %H:%M %Z").strip()


def cmd_db_info(settings: Settings) -> int:
    """Where the database is, its server version, table sizes and runs by status."""
    _need_durability(settings)
    with durable_runtime(settings) as rt:
        assert rt.store is not None
        info = db_info(rt.store.db)
    for line in db_info_lines(info):
        print(line)
    return 0


def db_info_lines(info: DbInfo) -> list[str]:
    where = f"embedded server in {info.embedded_dir}" if info.embedded_dir else "external server"
    lines = [
        f"Database:  {info.location}  ({where})",
        f"Server:    PostgreSQL {info.server_version}",
        f"Size:      {human_bytes(info.database_bytes)} (database {info.database})",
        "",
        f"{'TABLE':<22} {'ROWS':>10} {'SIZE':>10}",
    ]
    for group, title in (("checkpoint", "checkpoint tables"), ("app", "app tables")):
        tables = [t for t in info.tables if t.group == group]
        for t in tables:
            lines.append(f"{t.name:<22} {t.rows:>10} {human_bytes(t.total_bytes):>10}")
        lines.append(f"{'  ' + title:<22} {'':>10} {human_bytes(info.group_bytes(group)):>10}")
    missing = [n for n in CHECKPOINT_TABLES if n not in {t.name for t in info.tables}]
    if missing:
        lines.append(f"(missing checkpoint tables: {', '.join(missing)})")
    lines += ["", f"{'RUN STATUS':<22} {'RUNS':>10}"]
    lines += [f"{status:<22} {n:>10}" for status, n in info.runs_by_status.items()]
    lines.append(f"{'  total':<22} {sum(info.runs_by_status.values()):>10}")
    lines.append(f"Waiting for review: {info.waiting_for_review}")
    others = {k: v for k, v in info.waiting.items() if k != "review"}
    if others:
        lines.append("Waiting for something else: " + ", ".join(f"{k} {v}" for k, v in others.items()))
    lines.append(
        f"Checkpointed threads: {info.checkpoint_threads}"
        + (f" ({info.orphan_threads} without a runs row; cleanup does not see them)" if info.orphan_threads else "")
    )
    return lines
