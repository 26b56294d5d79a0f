"""``lampdesk bench memory``: does learning from each exchange delay the next answer?

One process, one profile, one model (as in the app). Questions that carry a statement about the
user ("I started learning the cello. ...") are asked back to back in blocks, memory on for one
block and off for the next, so within an "on" block the learner of one question runs while the
next one starts. The order of the modes swaps every two rounds, so each question is measured as
often in one mode as in the other. The first question of each block is not measured (it still
meets the previous block's learner). Reports the median time to first token in each mode and
their ratio question by question (the geometric mean of each question's on/off ratio: questions
differ in length far more than the modes do). Between an answer and the next question the user
reads for ``reading_s`` seconds (0 gives the worst case: questions back to back).

Before the timed blocks, every question is asked once with memory on (not timed), so the profile
already holds what they teach: both modes then retrieve from the same memories and send prompts
of the same length, and what is left between them is the learner's work after each answer (it
extracts and decides again; repeats change nothing). Without that pass, facts learned in "on"
blocks make later prompts longer, which is personalisation, not waiting for learning; the tokens
evaluated per question are reported to show the prompts match.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from lampdesk.app import LampDesk
from lampdesk.evals import progress
from lampdesk.evals.inference_bench import MEMORIES, PROFILE
from lampdesk.inference.engine import Engine, GenerationSettings
from lampdesk.memory.learner import MEMORY_ENABLED, MEMORY_MODEL_EXTRACTION
from lampdesk.paths import DataPaths

#: Seconds between an answer and the next question (a user reads the answer first).
READING_S = 1.0
#: Questions measured per block of one mode (after one that is not measured).
BLOCK = 2
STATEMENTS = [
    "I started learning the cello last month. Any practice tips?",
    "My brother Tom moved to Porto. What could I send him?",
    "I love spicy food. What should I cook tonight?",
    "I work as a nurse on night shifts. How can I sleep better?",
    "I'm allergic to cats. Which pets would suit me?",
    "I live in Berlin now. What is worth seeing nearby?",
    "I prefer short answers. How do I boil an egg?",
    "I play tennis on Sundays. How do I warm up?",
    "My daughter Mia turns six in May. Party ideas?",
    "I hate running in the rain. Indoor workout ideas?",
    "I'm training for a marathon in April. What should I eat?",
    "I speak Portuguese and German. Which language next?",
]


def run(
    rounds: int = 8,
    max_tokens: int = 16,
    model_extraction: bool = False,
    reading_s: float = READING_S,
) -> dict[str, Any]:
    os.environ.setdefault("LAMPDESK_PASSPHRASE", "benchmark passphrase")
    settings = GenerationSettings(max_tokens=max_tokens, temperature=0.0)
    ttft: dict[str, list[float]] = {"on": [], "off": []}
    prompt: dict[str, list[int]] = {"on": [], "off": []}
    by_question: dict[str, dict[str, list[float]]] = {}
    engine = Engine()
    with tempfile.TemporaryDirectory(prefix="lampdesk-bench-") as tmp:
        session = LampDesk(DataPaths.resolve(Path(tmp) / "data"), engine=engine).open()
        try:
            profile = session.profile
            profile.set_attributes(PROFILE)
            for memory in MEMORIES:
                session.assistant.remember(memory)
            session.assistant.warm_up()
            profile.set_setting(MEMORY_MODEL_EXTRACTION, "on" if model_extraction else "off")
            profile.set_setting(MEMORY_ENABLED, "on")
            for question in STATEMENTS:  # the learning pass (see the module's text)
                session.assistant.ask(question, settings=settings)
            session.assistant.learner.flush()
            before = profile.memory_count()
            questions = iter(STATEMENTS * (rounds * 2 * (BLOCK + 1) // len(STATEMENTS) + 1))
            for number in range(rounds):
                # Two rounds ask every question once; the next two swap the modes, so each
                # question is measured as often in one mode as in the other.
                for mode in ("on", "off") if (number // 2) % 2 == 0 else ("off", "on"):
                    profile.set_setting(MEMORY_ENABLED, mode)
                    progress.note(f"bench memory: memory {mode}", number + 1, rounds)
                    for position in range(BLOCK + 1):
                        time.sleep(reading_s)  # the user reads the answer, then asks again
                        question = next(questions)
                        result = session.assistant.ask(question, settings=settings)
                        # The first of a block still meets the learner of the block before.
                        if position:
                            ttft[mode].append(result.ttft_ms or result.total_ms)
                            by_question.setdefault(question, {"on": [], "off": []})[mode].append(
                                result.ttft_ms or result.total_ms
                            )
                            prompt[mode].append(result.prompt_tokens - result.reused_tokens)
            session.assistant.learner.flush()
            learned = before - len(MEMORIES)
            learned_while_timed = profile.memory_count() - before
        finally:
            session.close()
            engine.close()
    on, off = statistics.median(ttft["on"]), statistics.median(ttft["off"])
    # Questions differ in length far more than the modes do: compare each question with
    # itself, then take the geometric mean of those ratios.
    paired = [
        statistics.median(t["on"]) / statistics.median(t["off"])
        for t in by_question.values()
        if t["on"] and t["off"]
    ]
    ratio = statistics.geometric_mean(paired) if paired else None
    return {
        "model": engine.model_name,
        "rounds": rounds,
        "model_extraction": model_extraction,
        "reading_s": reading_s,
        "ttft_ms_memory_on": round(on, 1),
        "ttft_ms_memory_off": round(off, 1),
        "ratio_on_vs_off": round(ratio, 3) if ratio else None,
        "questions_paired": len(paired),
        # Tokens evaluated per question (not reused from the cache): learned facts that are
        # retrieved make "on" prompts longer; that is personalisation, not waiting for learning.
        "evaluated_tokens_on": statistics.median(prompt["on"]),
        "evaluated_tokens_off": statistics.median(prompt["off"]),
        "memories_learned": learned,
        "memories_learned_while_timed": learned_while_timed,
    }
