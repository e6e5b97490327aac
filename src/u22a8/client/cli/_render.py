"""Rich tables for what the API returns. Pure functions: value objects in, renderables out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from rich.table import Table

from .._run import Model, Run, _RunFields
from .._types import Estimate, Key, Report, Sample, Version

__all__ = [
    "fmt_score", "fmt_seconds", "models_table", "model_details", "runs_table", "run_details", "run_summary",
    "versions_table", "samples_table", "keys_table", "estimate_table", "confusion_table", "per_class_table",
    "summary_table", "primary",
]


def fmt_score(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 60:
        return f"{value:.1f}s"
    minutes, seconds = divmod(int(value), 60)
    return f"{minutes}m{seconds:02d}s" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


def _when(value: datetime | None, seconds: bool = False) -> str:
    # Local time; to the minute in tables. The JSON output has the exact instant.
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") if value else "-"


def primary(metrics: Mapping[str, Any]) -> str:
    """The metric the search optimized, e.g. ``macro_f1 0.9312``."""
    if "primary" not in metrics:
        return "-"
    return f"{metrics.get('primary_name', 'score')} {fmt_score(metrics['primary'])}"


def _kv(rows: Iterable[tuple[str, Any]], title: str | None = None) -> Table:
    table = Table(show_header=False, title=title, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for key, value in rows:
        table.add_row(key, "-" if value is None else str(value))
    return table


def _ids(table: Table, values: list[str], column: int = 0) -> None:
    """Ids are copied into later commands: never fold or cut them."""
    table.columns[column].no_wrap = True
    table.columns[column].min_width = max((len(v) for v in values), default=2)


def models_table(models: Iterable[Model[Any]]) -> Table:
    table = Table("handle", "task", "state", "samples", "version", "score")
    for m in models:
        v = m.active_version
        table.add_row(m.handle, m.task, m.state, str(m.sample_count), str(v.number) if v else "-",
                      primary(v.metrics) if v else "-")
    return table


def model_details(m: Model[Any]) -> Table:
    v, r = m.active_version, m.last_run
    return _kv([
        ("handle", m.handle), ("task", m.task), ("state", m.state), ("description", m.description or "-"),
        ("labels", ", ".join(m.labels) if m.labels else "(open)"), ("samples", m.sample_count),
        ("active version", f"{v.number} ({primary(v.metrics)})" if v else "-"),
        ("last run", f"{r.id} {r.kind} {r.state}" if r else "-"),
        ("auto retrain", f"on, after {m.auto_retrain.quiet_seconds:g}s quiet" if m.auto_retrain.enabled else "off"),
        ("created", _when(m.created_at, True)), ("updated", _when(m.updated_at, True)),
    ])


def runs_table(runs: Iterable[_RunFields]) -> Table:
    runs = list(runs)
    table = Table("id", "kind", "state", "effort", "trials", "best", "elapsed", "version")
    _ids(table, [r.id for r in runs])
    _ids(table, [r.state for r in runs], column=2)
    for r in runs:
        trials = f"{r.trials_done}/{r.trials_planned if r.trials_planned is not None else '?'}"
        table.add_row(r.id, r.kind, r.state, r.effort or "-", trials, fmt_score(r.best_score),
                      fmt_seconds(r.elapsed_seconds), str(r.version) if r.version else "-")
    return table


def run_details(r: _RunFields) -> Table:
    return _kv([
        ("id", r.id), ("model", r.model), ("kind", r.kind), ("state", r.state), ("effort", r.effort),
        *([("phase", r.phase)] if r.phase else []),
        ("trials", f"{r.trials_done}/{r.trials_planned if r.trials_planned is not None else '?'}"),
        ("best score", fmt_score(r.best_score)), ("elapsed", fmt_seconds(r.elapsed_seconds)),
        ("eta", fmt_seconds(r.eta_seconds)), ("cpu", fmt_seconds(r.cpu_seconds)), ("attempts", r.attempts),
        ("version", r.version), ("decision", r.decision), ("error", r.error),
        ("created", _when(r.created_at, True)), ("started", _when(r.started_at, True)),
        ("finished", _when(r.finished_at, True)),
    ])


def run_summary(r: Run) -> str:
    """One line about a finished run."""
    if r.state == "succeeded":
        made = f"version {r.version}" if r.version else "no new version"
        why = f" ({r.decision})" if r.decision else ""
        return f"run {r.id} succeeded: {made}{why}, best {fmt_score(r.best_score)}, {r.trials_done} trials in {fmt_seconds(r.elapsed_seconds)}"
    return f"run {r.id} {r.state}" + (f": {r.error}" if r.error else "")


def versions_table(versions: Iterable[Version]) -> Table:
    versions = list(versions)
    table = Table("version", "active", "score", "samples", "run", "created")
    _ids(table, [v.run_id for v in versions], column=4)
    for v in versions:
        table.add_row(str(v.number), "*" if v.active else "", primary(v.metrics), str(v.sample_count), v.run_id,
                      _when(v.created_at))
    return table


def samples_table(samples: Iterable[Sample]) -> Table:
    samples = list(samples)
    table = Table("id", "target", "weight", "text")
    _ids(table, [s.id for s in samples])
    for s in samples:
        target = s.label if s.label is not None else ("|".join(s.labels) if s.labels is not None else fmt_score(s.score))
        text = s.text if len(s.text) <= 80 else s.text[:79] + "…"
        table.add_row(s.id, target, f"{s.weight:g}", text)
    return table


def keys_table(keys: Iterable[Key]) -> Table:
    keys = list(keys)
    table = Table("id", "owner", "name", "scopes", "prefix", "created", "revoked")
    _ids(table, [k.id for k in keys])
    _ids(table, [k.prefix for k in keys], column=4)
    for k in keys:
        table.add_row(k.id, k.owner, k.name or "-", ", ".join(k.scopes), k.prefix, _when(k.created_at),
                      _when(k.revoked_at))
    return table


def estimate_table(e: Estimate) -> Table:
    fields = sorted({f for v in e.efforts.values() for f in v})
    table = Table("effort", *fields, caption=f"{e.model}: {e.n_samples} samples, {e.n_labels} labels")
    for effort, values in e.efforts.items():
        table.add_row(effort, *(f"{values[f]:g}" if f in values else "-" for f in fields))
    return table


def summary_table(report: Report) -> Table:
    scalars = [(k, fmt_score(v)) for k, v in report.metrics.items()
               if isinstance(v, (int, float, str)) and not isinstance(v, bool)]
    return _kv([("model", report.model), ("version", report.version), ("samples", report.sample_count), *scalars],
               title="metrics")


def confusion_table(report: Report) -> Table | None:
    found = report.confusion
    if found is None:
        return None
    labels, matrix = found
    table = Table("true \\ predicted", *labels, title="confusion matrix (rows: true label)")
    for i, (label, row) in enumerate(zip(labels, matrix)):
        # The diagonal (right answers) in bold.
        table.add_row(label, *(f"[bold]{n}[/bold]" if i == j else str(n) for j, n in enumerate(row)))
    return table


def per_class_table(report: Report) -> Table | None:
    rows = report.per_class
    if not rows:
        return None
    fields = [f for f in ("precision", "recall", "f1", "support") if any(f in v for v in rows.values())]
    fields += sorted({f for v in rows.values() for f in v} - set(fields))
    table = Table("label", *fields, title="per class")
    for label, values in rows.items():
        table.add_row(label, *(fmt_score(values.get(f)) for f in fields))
    return table
