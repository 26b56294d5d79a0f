"""LoCoMo-format conversation files, the format the evaluations use, as a source.

A LoCoMo file is JSON: one sample (or a list of them), each with a ``conversation`` holding
``speaker_a``, ``speaker_b`` and sessions ``session_N`` (lists of turns with ``speaker``,
``dia_id`` and ``text``, optionally ``blip_caption``) dated by ``session_N_date_time``, and a
``qa`` list. Each turn is one item ``"Speaker: text [photo: caption]"``, dated with its session,
its ``dia_id`` kept as its position. The evaluations (:mod:`lampdesk.evals`) read their data sets
with this reader too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lampdesk.errors import LampdeskError, UsageError
from lampdesk.profile import NewItem
from lampdesk.retrieval import dates
from lampdesk.sources.model import ItemDraft, Part, Plan, Problem, ScanJob


def scan_locomo(
    path: Path,
    job: ScanJob,
) -> Plan:
    """A LoCoMo ``.json`` file, or a folder of them: one part per conversation (sample)."""
    known, limits = job.known, job.limits
    files = sorted(p for p in path.glob("*.json") if p.is_file()) if path.is_dir() else [path]
    plan = Plan("locomo", str(path), f"LoCoMo conversations ({path.name})")
    seen: set[str] = set()
    for number, file in enumerate(files, start=1):
        job.check_cancel()
        job.report(number - 1, len(files))
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
    job.report(len(files), len(files))
    return plan


def read_samples(path: Path) -> Iterator[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path} is not a readable LoCoMo JSON file: {exc}") from exc
    samples = data if isinstance(data, list) else [data]
    for number, sample in enumerate(samples):
        if not isinstance(sample, dict) or "qa" not in sample:
            raise UsageError(f"{path} does not look like LoCoMo data (no 'qa' list).")
        conversation = sample.get("conversation", sample)
        name = str(sample.get("sample_id") or path.stem)
        if len(samples) > 1 and "sample_id" not in sample:
            name = f"{name}-{number}"
        yield name, conversation, list(sample["qa"])


def _turn_text(turn: dict[str, Any]) -> str:
    text = f"{turn.get('speaker', '?')}: {str(turn.get('text', '')).strip()}"
    caption = turn.get("blip_caption")
    if caption:
        text += f" [photo: {str(caption).strip()}]"
    return text


def _session_numbers(conversation: dict[str, Any]) -> list[int]:
    numbers = []
    for key, value in conversation.items():
        suffix = key.removeprefix("session_")
        if key.startswith("session_") and suffix.isdigit() and isinstance(value, list):
            numbers.append(int(suffix))
    return sorted(numbers)


def conversation_items(conversation: dict[str, Any], name: str) -> list[NewItem]:
    """One item per turn, dated with its session, its neighbours as hidden context."""
    items: list[NewItem] = []
    for number in _session_numbers(conversation):
        turns = [t for t in conversation[f"session_{number}"] if isinstance(t, dict)]
        day = dates.parse_day(str(conversation.get(f"session_{number}_date_time", "")))
        texts = [_turn_text(t) for t in turns]
        for i, turn in enumerate(turns):
            neighbours = texts[max(0, i - 1) : i] + texts[i + 1 : i + 2]
            items.append(
                NewItem(
                    text=texts[i],
                    kind="turn",
                    source=f"locomo:{name}:session_{number}",
                    happened_at=day.isoformat() if day else None,
                    turn_ids=(str(turn.get("dia_id", "")),),
                    context="\n".join(neighbours),
                )
            )
    return items


def read_folder(
    data_dir: Path,
) -> Iterator[tuple[str, list[NewItem], list[dict[str, Any]]]]:
    """Every conversation in the LoCoMo ``.json`` files of *data_dir*: its name, its turns as
    profile items, and its raw question records."""
    files = sorted(p for p in data_dir.glob("*.json") if p.is_file())
    if not files:
        raise UsageError(f"There are no LoCoMo .json files in {data_dir}.")
    for path in files:
        for name, conversation, qa in read_samples(path):
            yield name, conversation_items(conversation, name), qa
