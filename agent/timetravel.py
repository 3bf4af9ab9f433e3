"""Time travel over a run's checkpoints: list them (with replay branches), show one, replay from one.

Every step of a run is a checkpoint; a replay forks the thread at an earlier checkpoint and
runs the later nodes again with the current settings, so a thread's checkpoints form a tree.
Nothing here prints: functions return data or text for ``agent.timetravel_commands``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from agent.durability.locks import ThreadLock, lock_holder
from agent.errors import RunFailed, RunInterrupted, UsageError
from agent.inspect_runs import _skeleton_graph
from agent.runner import Runtime, execute
from agent.state import PlannerState
from mocks.scenarios import Scenario

# The lead adds this to the schema migrations (agent.durability.checkpointer.open_durable).
# Only the graph's state keys are worth showing; branch:/join: channels are LangGraph's bookkeeping.
STATE_KEYS = frozenset(PlannerState.__annotations__)
SHOWN_ITEMS = 3  # message subjects per source in `show`


@dataclass(frozen=True)
class CheckpointRow:
    id: str
    parent_id: str | None
    step: int
    source: str  # "input", "loop", "fork", "update"
    node: str  # what produced it: "input", the node(s) that ran, or "fork"
    time: datetime  # in the user's timezone
    changed: tuple[str, ...]  # state keys written since the parent checkpoint
    next: tuple[str, ...]  # what a resume from here runs


@dataclass
class Branch:
    number: int
    rows: list[CheckpointRow] = field(default_factory=list)
    forked_from: CheckpointRow | None = None  # None for the original run
    parent: Branch | None = None
    current: bool = False  # holds the thread's latest checkpoint

    @property
    def depth(self) -> int:
        return 0 if self.parent is None else self.parent.depth + 1


@dataclass(frozen=True)
class ReplayResult:
    thread_id: str
    from_checkpoint: str
    outcome: str  # "completed" or "skipped"
    detail: str  # the new plan's path, or why it was skipped


def _config(thread_id: str, checkpoint_id: str | None = None) -> dict[str, Any]:
    configurable = {"thread_id": thread_id, "checkpoint_ns": ""}
    if checkpoint_id is not None:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


def resolve_run(rt: Runtime, thread_prefix: str) -> dict[str, Any]:
    if rt.store is None:
        raise UsageError("Durability is disabled (durability.enabled: false), so no checkpoints are kept.")
    return rt.store.resolve(thread_prefix)


def load_history(rt: Runtime, thread_id: str) -> list[CheckpointRow]:
    """Every checkpoint of the thread, oldest first."""
    tz: tzinfo = rt.settings.user.tz
    # get_state_history gives what each checkpoint would run next; the checkpointer gives the
    # channel versions, which say what was written even when a replay wrote an equal value.
    snapshots = list(_skeleton_graph(rt.checkpointer).get_state_history(_config(thread_id)))
    versions = {t.checkpoint["id"]: t.checkpoint["channel_versions"] for t in rt.checkpointer.list(_config(thread_id))}
    by_id = {s.config["configurable"]["checkpoint_id"]: s for s in snapshots}
    rows: list[CheckpointRow] = []
    for snap in snapshots:
        cid = snap.config["configurable"]["checkpoint_id"]
        parent_id = snap.parent_config["configurable"]["checkpoint_id"] if snap.parent_config else None
        parent = by_id.get(parent_id) if parent_id else None
        source = snap.metadata.get("source", "loop") if snap.metadata else "loop"
        if source in ("input", "fork", "update"):
            node = source
        else:
            ran = parent.next if parent is not None else ()
            node = ", ".join("start" if n == "__start__" else n for n in ran) or "?"
        mine, theirs = versions.get(cid, {}), versions.get(parent_id, {}) if parent_id else {}
        changed = tuple(sorted(k for k in mine if k in STATE_KEYS and mine[k] != theirs.get(k)))
        rows.append(
            CheckpointRow(
                id=cid,
                parent_id=parent_id,
                step=int((snap.metadata or {}).get("step", -1)),
                source=source,
                node=node,
                time=datetime.fromisoformat(snap.created_at).astimezone(tz),
                changed=changed,
                next=tuple(snap.next),
            )
        )
    # Oldest first puts every parent before its children; equal times fall back to the (time-ordered) id.
    rows.sort(key=lambda r: (r.time, r.id))
    return rows


def branches(rows: list[CheckpointRow]) -> list[Branch]:
    """Split the checkpoint tree into branches: a replay (a fork checkpoint, or a second child) starts one."""
    children: dict[str | None, list[CheckpointRow]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    by_id = {row.id: row for row in rows}
    result: list[Branch] = []
    of: dict[str, Branch] = {}
    for row in rows:  # oldest first, so a parent is always placed before its children
        parent_branch = of.get(row.parent_id) if row.parent_id else None
        siblings = children.get(row.parent_id, [])
        continues = parent_branch is not None and row.source != "fork" and siblings[0] is row
        if continues:
            branch = parent_branch
        else:
            forked_from = by_id.get(row.parent_id) if row.parent_id else None
            branch = Branch(number=len(result) + 1, forked_from=forked_from, parent=parent_branch)
            result.append(branch)
        assert branch is not None
        branch.rows.append(row)
        of[row.id] = branch
    if rows:
        of[head(rows).id].current = True
    return result


def head(rows: list[CheckpointRow]) -> CheckpointRow:
    """The thread's latest checkpoint: what a plain resume continues (ids are time-ordered UUIDv6)."""
    return max(rows, key=lambda r: r.id)


def render_history(run: dict[str, Any], rows: list[CheckpointRow]) -> str:
    parts = branches(rows)
    lines = [
        f"History of {run['thread_id']} (plan date {run['plan_date']}, {run['status']}): "
        f"{len(rows)} checkpoints in {len(parts)} branch{'es' if len(parts) != 1 else ''}, oldest first."
    ]
    for branch in parts:
        pad = "    " * branch.depth
        mark = " (current)" if branch.current else ""
        if branch.forked_from is None:
            title = f"Branch {branch.number}{mark}: the original run"
        else:
            src, at = branch.forked_from, branch.rows[0].time
            where = f"step {src.step} of branch {branch.parent.number}" if branch.parent else f"step {src.step}"
            title = f"Branch {branch.number}{mark}: replay of {src.id} ({where}) at {at:%Y-%m-%d %H:%M:%S}"
        lines += ["", pad + title, pad + f"  {'STEP':>4}  {'NODE':<46} {'TIME':<19}  {'CHANGED':<38} CHECKPOINT"]
        for r in branch.rows:
            changed = ", ".join(r.changed) or "-"
            lines.append(pad + f"  {r.step:>4}  {r.node:<46} {r.time:%Y-%m-%d %H:%M:%S}  {changed:<38} {r.id}")
    lines += ["", "Show one with 'show THREAD --checkpoint ID'; re-plan from one with 'replay THREAD --from ID'."]
    return "\n".join(lines)


def resolve_checkpoint(rows: list[CheckpointRow], thread_id: str, prefix: str) -> CheckpointRow:
    """The checkpoint whose id is or starts with ``prefix``; UsageError when none or several."""
    wanted = prefix.strip().lower()
    matches = [r for r in rows if r.id == wanted] or [r for r in rows if wanted and r.id.startswith(wanted)]
    if not matches:
        raise UsageError(
            f"Run {thread_id} has no checkpoint whose id starts with '{prefix}'. "
            f"'python main.py history {thread_id}' lists them."
        )
    if len(matches) > 1:
        raise UsageError(
            f"'{prefix}' matches {len(matches)} checkpoints of run {thread_id} ({matches[0].id}, "
            f"{matches[1].id}, ...). Give more of the checkpoint id."
        )
    return matches[0]


def _history_or_fail(rt: Runtime, run: dict[str, Any]) -> list[CheckpointRow]:
    rows = load_history(rt, run["thread_id"])
    if not rows:
        raise UsageError(
            f"Run {run['thread_id']} has no checkpoints (it ran with durability mode 'exit' and stopped "
            "before its end, or they were deleted)."
        )
    return rows


def show_state(rt: Runtime, thread_prefix: str, checkpoint_prefix: str | None) -> str:
    """The state at a checkpoint (default: the latest), written for a person."""
    run = resolve_run(rt, thread_prefix)
    rows = _history_or_fail(rt, run)
    row = resolve_checkpoint(rows, run["thread_id"], checkpoint_prefix) if checkpoint_prefix else head(rows)
    snap = _skeleton_graph(rt.checkpointer).get_state(_config(run["thread_id"], row.id))
    return render_state(snap.values, row, run, rt.settings.user.tz)


def _local(iso: str | None, tz: tzinfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return datetime.fromisoformat(iso).astimezone(tz).strftime(fmt) if iso else "?"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render_state(values: dict[str, Any], row: CheckpointRow, run: dict[str, Any], tz: tzinfo) -> str:
    lines = [
        f"Run {run['thread_id']} at checkpoint {row.id}",
        f"  step {row.step}, after {row.node}, {row.time:%Y-%m-%d %H:%M:%S}",
        "",
    ]
    if "plan_date" in values:
        review = ", pauses for review before writing" if values.get("review") else ""
        lines.append(
            f"Inputs: plan date {values['plan_date']}, window {_local(values.get('since'), tz)} → "
            f"{_local(values.get('now'), tz)} ({tz}){review}"
        )
    else:
        lines.append("Inputs: not applied yet (this is the run's input checkpoint)")
    for key, label in (("email", "Email"), ("slack", "Slack")):
        result = values.get(key)
        if result is None:
            lines.append(f"{label}: not collected yet")
            continue
        skipped = sum(result.get("skipped", {}).values())
        lines.append(f"{label}: {len(result['messages'])} messages" + (f", {skipped} skipped" if skipped else ""))
        for message in result["messages"][:SHOWN_ITEMS]:
            # A Slack "subject" is only the channel name: the start of the text says what it is about.
            what = message["subject"] or "(no subject)"
            if key == "slack":
                what += ": " + _clip(" ".join(message["text"].split()), 70)
            lines.append(f"  - {what} ({message['sender']})")
        if len(result["messages"]) > SHOWN_ITEMS:
            lines.append(f"  ... and {len(result['messages']) - SHOWN_ITEMS} more")
    calendar = values.get("calendar")
    if calendar is not None:
        meetings = calendar["meetings"]
        lines.append(f"Calendar: {len(meetings)} meetings")
        lines += [
            f"  - {'all day' if m['all_day'] else _local(m['start'], tz, '%H:%M')} {m['title']}"
            for m in meetings[:SHOWN_ITEMS]
        ]
    tasks = values.get("tasks")
    if tasks is None:
        lines.append("Tasks: not extracted yet")
    else:
        lines.append(f"Tasks: {len(tasks)}")
        lines += [f"  {t['id']:<12} {t['priority']:<3} due {t.get('due') or '-':<10} {t['title']}" for t in tasks]
    plan = values.get("plan")
    if plan is None:
        lines.append("Plan: not made yet")
    else:
        workday = plan["workday"]
        lines.append(
            f"Plan: workday {_local(workday['start'], tz, '%H:%M')}–{_local(workday['end'], tz, '%H:%M')}, "
            f"{len(plan['blocks'])} blocks, {len(plan['unscheduled'])} unscheduled, "
            f"{plan['planned_minutes']} min planned, {plan['free_minutes']} min free"
        )
    outputs = values.get("outputs")
    lines.append("Outputs: " + (", ".join(f"{k} {v}" for k, v in outputs.items()) if outputs else "none written yet"))
    lines.append("Next: " + (", ".join(row.next) if row.next else "nothing, the run ends here"))
    return "\n".join(lines)


def replay(rt: Runtime, scenario: Scenario | None, thread_prefix: str, checkpoint_prefix: str) -> ReplayResult:
    """Fork the thread at a checkpoint and run the later nodes with today's settings, under the thread's lock."""
    run = resolve_run(rt, thread_prefix)
    assert rt.store is not None
    thread_id = run["thread_id"]
    start = resolve_checkpoint(_history_or_fail(rt, run), thread_id, checkpoint_prefix)
    if not start.next:
        raise UsageError(
            f"Checkpoint {start.id} is the end of run {thread_id}: nothing runs after it. Replay from an earlier "
            f"one ('python main.py history {thread_id}' lists them)."
        )
    with ThreadLock(rt.store.db, thread_id) as lock:
        if not lock.acquired:
            holder = lock_holder(rt.store.db, thread_id) or "another process"
            return ReplayResult(thread_id, start.id, "skipped", f"run {thread_id} is being run by {holder}")
        scenario_name = scenario.name if scenario else "live"
        # Counted as one more attempt, owned by this process: a crash mid-replay is then
        # recognised and resumed (on the new branch) like any other run.
        row = rt.store.start_attempt(thread_id, scenario_name)
        with rt.store.db.pool.connection() as conn:
            fork = conn.execute(
                "INSERT INTO forks (thread_id, from_checkpoint, scenario) VALUES (%s, %s, %s) RETURNING id",
                (thread_id, start.id, scenario_name),
            ).fetchone()
        rt.report(
            f"Replaying run {thread_id} from checkpoint {start.id} (step {start.step}): "
            f"{', '.join(start.next)} and what follows run again with the current settings"
        )
        try:
            outcome = execute(
                rt, scenario, thread_id, attempt=row["attempts"], row=row, resume=True, checkpoint_id=start.id
            )
        except (RunFailed, RunInterrupted) as exc:
            _set_fork_outcome(rt, fork["id"], "interrupted" if isinstance(exc, RunInterrupted) else "failed")
            raise
        _set_fork_outcome(rt, fork["id"], "completed")
    return ReplayResult(thread_id, start.id, "completed", outcome.outputs.get("markdown", ""))


def _set_fork_outcome(rt: Runtime, fork_id: int, outcome: str) -> None:
    assert rt.store is not None
    with rt.store.db.pool.connection() as conn:
        conn.execute("UPDATE forks SET outcome = %s WHERE id = %s", (outcome, fork_id))
