"""``lampdesk bench inference``: what personalisation costs in time to first token.

In one run, on the same model file and threads: raw llama-cpp-python answering a bare question
(the baseline), LampDesk personalised (cold, a follow-up, and after a restart with the saved
prefix), LampDesk with personalisation off, the fifth turn of a conversation (its four
earlier turns in the prompt), and LampDesk personalised with constraint enforcement off (no
logits processor, no final check), so that what enforcement costs shows as a ratio measured in
the same run.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from lampdesk.app import LampDesk
from lampdesk.evals import progress
from lampdesk.inference.engine import Engine, GenerationSettings, chat_formatter
from lampdesk.inference.models import new_llama
from lampdesk.paths import DataPaths
from lampdesk.retrieval.dense import Embedder

QUESTION = "Suggest a dinner for tonight."
FOLLOW_UP = "And what about lunch tomorrow?"
#: A conversation: the fifth question is measured, with the four before it in its prompt.
THREAD = (
    QUESTION,
    "Make it shorter.",
    "Which of these is quickest?",
    "Can I take it to work?",
    "And what should I drink with it?",
)
PROFILE = [
    ("name", "Ana"),
    ("diet", "vegan"),
    ("city", "Berlin"),
    ("tone", "concise and friendly"),
    ("job", "nurse on night shifts"),
    ("languages", "German, Portuguese, English"),
]
MEMORIES = [
    "I'm training for a half marathon in April",
    "I am allergic to peanuts",
    "My sister Lena lives in Lisbon and visits in May",
    "I cook dinner for two most evenings",
    "I do not own an oven, only a stove and a microwave",
    "I prefer dishes that take under 30 minutes",
]


def _measure_raw(model: Path, n_ctx: int, threads: int, max_tokens: int) -> dict[str, float]:
    llama = new_llama(
        model_path=str(model),
        n_ctx=n_ctx,
        n_threads=threads,
        n_threads_batch=threads,
        verbose=False,
    )
    try:
        started = time.perf_counter()
        first: float | None = None
        tokens = 0
        stream: Any = llama.create_chat_completion(
            messages=[{"role": "user", "content": QUESTION}],
            stream=True,
            max_tokens=max_tokens,
            temperature=0.0,
            seed=42,
        )
        for chunk in stream:
            if chunk["choices"][0]["delta"].get("content"):
                tokens += 1
                if first is None:
                    first = time.perf_counter() - started
        total = time.perf_counter() - started
        prompt = chat_formatter(llama)(messages=[{"role": "user", "content": QUESTION}]).prompt
        return {
            "ttft_ms": (first or total) * 1000,
            "prompt_tokens": len(llama.tokenize(prompt.encode(), add_bos=False, special=True)),
            "tok_per_s": (tokens - 1) / (total - (first or 0)) if tokens > 1 else 0.0,
            "tokens": tokens,
        }
    finally:
        llama.close()


def _lampdesk_run(ask: Callable[[], Any]) -> dict[str, float]:
    result = ask()
    return {
        "ttft_ms": result.ttft_ms or result.total_ms,
        "prompt_tokens": result.prompt_tokens,
        "reused_tokens": result.reused_tokens,
        "tok_per_s": result.tok_per_s,
        "tokens": result.tokens,
        "retrieval_ms": result.retrieval_ms,
        "items": len(result.items),
    }


RUNS = (
    "raw",
    "personalized_cold",
    "personalized_followup",
    "personalized_restart",
    "unpersonalized",
    "unenforced_cold",
    "unenforced_followup",
    "thread_turn5",
)


# Each measurement runs in a fresh process: a second llama.cpp context that has computed in a
# process slows every later one there (measured: ~145 -> ~82 tokens/s), which would make the
# comparison unfair, and a fresh process is what a restart is anyway.


def _task_raw(max_tokens: int, n_ctx: int, threads: int) -> dict[str, dict[str, float]]:
    return {"raw": _measure_raw(Engine().model_path, n_ctx, threads, max_tokens)}


def _lampdesk_task(
    data: str, runs: tuple[str, ...], max_tokens: int, n_ctx: int, threads: int
) -> dict[str, dict[str, float]]:
    settings = GenerationSettings(max_tokens=max_tokens, temperature=0.0)
    embedder = Embedder()
    embedder.embed(["warm up"])  # model loads are not what this measures
    engine = Engine(n_ctx=n_ctx, n_threads=threads)
    engine.load()
    session = LampDesk(DataPaths.resolve(data), engine=engine, embedder=embedder).open()
    # The profile's constraints (vegan, peanuts) are enforced unless this run measures without.
    session.assistant.constraints.enforce = not any(r.startswith("unenforced") for r in runs)
    try:
        if session.profile.memory_count() == 0:
            session.profile.set_attributes(PROFILE)
            for memory in MEMORIES:
                session.assistant.remember(memory)
            session.assistant.index()
        session.assistant.warm_up()  # what the window does before its first question
        ask = session.assistant.ask
        questions = {
            "personalized_cold": lambda: ask(QUESTION, settings=settings),
            "personalized_followup": lambda: ask(FOLLOW_UP, settings=settings),
            # a new process finds the stable prefix saved (encrypted) in the profile
            "personalized_restart": lambda: ask(FOLLOW_UP, settings=settings),
            "unpersonalized": lambda: ask(QUESTION, personalize=False, settings=settings),
            "unenforced_cold": lambda: ask(QUESTION, settings=settings),
            "unenforced_followup": lambda: ask(FOLLOW_UP, settings=settings),
        }
        return {name: _lampdesk_run(questions[name]) for name in runs}
    finally:
        session.close()
        engine.close()


def _thread_task(
    data: str, max_tokens: int, n_ctx: int, threads: int
) -> dict[str, dict[str, float]]:
    """The fifth turn of a conversation, in a fresh process and a fresh profile."""
    from lampdesk.conversations import Chat

    settings = GenerationSettings(max_tokens=max_tokens, temperature=0.0)
    embedder = Embedder()
    embedder.embed(["warm up"])
    engine = Engine(n_ctx=n_ctx, n_threads=threads)
    engine.load()
    session = LampDesk(DataPaths.resolve(data), engine=engine, embedder=embedder).open()
    try:
        session.profile.set_attributes(PROFILE)
        for memory in MEMORIES:
            session.assistant.remember(memory)
        session.assistant.index()
        session.assistant.warm_up()
        chat = Chat(session.assistant)
        thread_id: int | None = None
        for question in THREAD[:-1]:
            thread_id = chat.ask(question, thread_id=thread_id, settings=settings).thread_id

        def last() -> Any:
            return chat.ask(THREAD[-1], thread_id=thread_id, settings=settings).result

        return {"thread_turn5": _lampdesk_run(last)}
    finally:
        session.close()
        engine.close()


def _round(max_tokens: int, n_ctx: int, threads: int) -> dict[str, dict[str, float]]:
    """One measurement of every run, each in a fresh process, in a fresh profile."""
    spawn = multiprocessing.get_context("spawn")
    runs: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="lampdesk-bench-") as tmp:
        data = str(Path(tmp) / "data")
        tasks: list[tuple[Any, tuple[Any, ...]]] = [
            (_task_raw, (max_tokens, n_ctx, threads)),
            (_lampdesk_task, (data, ("personalized_cold", "personalized_followup"))),
            (_lampdesk_task, (data, ("personalized_restart",))),
            (_lampdesk_task, (str(Path(tmp) / "bare"), ("unpersonalized",))),
            (_lampdesk_task, (str(Path(tmp) / "free"), ("unenforced_cold", "unenforced_followup"))),
            (_thread_task, (str(Path(tmp) / "thread"),)),
        ]
        for task, args in tasks:
            progress.note(f"bench inference: {task.__name__.strip('_')} {args[-1]}")
            if task in (_lampdesk_task, _thread_task):
                args = (*args, max_tokens, n_ctx, threads)
            with ProcessPoolExecutor(1, mp_context=spawn) as pool:
                runs.update(pool.submit(task, *args).result())
    return runs


def run(max_tokens: int = 64, n_ctx: int = 2048, rounds: int = 3) -> dict[str, Any]:
    """Medians over *rounds* interleaved rounds, so a busy moment does not decide a ratio."""
    threads = os.cpu_count() or 1
    os.environ.setdefault("LAMPDESK_PASSPHRASE", "benchmark passphrase")
    measured = [_round(max_tokens, n_ctx, threads) for _ in range(rounds)]
    report: dict[str, Any] = {
        "model": Engine().model_name,
        "threads": threads,
        "max_tokens": max_tokens,
        "rounds": rounds,
    }
    for name in RUNS:
        keys = measured[0][name].keys()
        report[name] = {k: statistics.median(r[name][k] for r in measured) for k in keys}
    raw = report["raw"]
    report["ratios"] = {
        "followup_ttft_vs_raw": report["personalized_followup"]["ttft_ms"] / raw["ttft_ms"],
        "restart_ttft_vs_raw": report["personalized_restart"]["ttft_ms"] / raw["ttft_ms"],
        "cold_ttft_vs_raw": report["personalized_cold"]["ttft_ms"] / raw["ttft_ms"],
        "thread_turn5_ttft_vs_raw": report["thread_turn5"]["ttft_ms"] / raw["ttft_ms"],
        "tok_per_s_vs_raw": report["personalized_followup"]["tok_per_s"] / raw["tok_per_s"]
        if raw["tok_per_s"]
        else 0.0,
    }
    off = report["unenforced_followup"]
    on = report["personalized_followup"]
    report["ratios"]["enforced_ttft_vs_unenforced"] = on["ttft_ms"] / off["ttft_ms"]
    report["ratios"]["enforced_cold_ttft_vs_unenforced"] = (
        report["personalized_cold"]["ttft_ms"] / report["unenforced_cold"]["ttft_ms"]
    )
    report["ratios"]["enforced_tok_per_s_vs_unenforced"] = (
        on["tok_per_s"] / off["tok_per_s"] if off["tok_per_s"] else 0.0
    )
    return report
