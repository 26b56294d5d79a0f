"""LoCoMo-format conversation files, the format the evaluations use, as a source.

A LoCoMo file is JSON: one sample (or a list of them), each with a ``conversation`` holding
``speaker_a``, ``speaker_b`` and sessions ``session_N`` (lists of turns with ``speaker``,
``dia_id`` and ``text``, optionally ``blip_caption``) dated by ``session_N_date_time``, and a
``qa`` list. Reading is the evaluation's own (:mod:`lampdesk.evals.retrieval`): each turn is one
item ``"Speaker: text"``, dated with its session, its ``dia_id`` kept as its position.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

from lampdesk.errors import LampdeskError
from lampdesk.evals.retrieval import conversation_items, read_samples
from lampdesk.sources.model import ItemDraft, Limits, Part, Plan, Problem, Progress, check_cancel


def scan_locomo(
    path: Path,
    known: dict[str, str],
    limits: Limits,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> Plan:
    """A LoCoMo ``.json`` file, or a folder of them: one part per conversation (sample)."""
    files = sorted(p for p in path.glob("*.json") if p.is_file()) if path.is_dir() else [path]
    plan = Plan("locomo", str(path), f"LoCoMo conversations ({path.name})")
    seen: set[str] = set()
    for number, file in enumerate(files, start=1):
        check_cancel(cancel)
        if progress is not None:
            progress("reading", number - 1, len(files))
        relative = file.name
        try:
            if file.stat().st_size > limits.max_file_bytes:
                plan.problems.append(Problem(relative, "too large for a LoCoMo file"))
                continue
            samples = list(read_samples(file))
        except (LampdeskError, OSError) as exc:
            plan.problems.append(Problem(relative, str(exc)))
            continue
        for name, conversation, _qa in samples:
            key = f"{relative}:{name}"
            seen.add(key)
            fingerprint = hashlib.sha256(
                json.dumps(conversation, sort_keys=True, ensure_ascii=False).encode()
            ).hexdigest()
            if known.get(key) == fingerprint:
                plan.unchanged.append(key)
                continue
            items = conversation_items(conversation, name)
            if not items:
                plan.problems.append(Problem(f"{relative} {name}", "no turns in any session"))
                continue
            part = Part(key, relative, name, fingerprint, items[-1].happened_at)
            part.items = [
                ItemDraft(
                    item.text,
                    f"turn {item.turn_ids[0]}" if item.turn_ids else "turn",
                    kind="turn",
                    happened_at=item.happened_at,
                    context=item.context,
                    turn_ids=tuple(item.turn_ids),
                )
                for item in items
            ]
            plan.parts.append(part)
    plan.removed = sorted(set(known) - seen)
    if progress is not None:
        progress("reading", len(files), len(files))
    return plan
