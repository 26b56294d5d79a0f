from lampdesk.retrieval.fusion import reciprocal_rank_fusion


def test_item_in_both_lists_wins_and_explains_itself() -> None:
    fused = reciprocal_rank_fusion(
        {"bm25": [(1, 3.0), (2, 1.0)], "dense": [(2, 0.9), (3, 0.5)]},
        raw_names={"bm25": "bm25", "dense": "similarity"},
    )
    assert [f.id for f in fused] == [2, 1, 3]
    assert set(fused[0].why) == {"bm25", "dense"}
    assert fused[0].why["dense"] == {"rank": 1, "similarity": 0.9, "contribution": round(1 / 61, 5)}
    assert fused[2].why.keys() == {"dense"}


def test_weights_change_the_order() -> None:
    fused = reciprocal_rank_fusion(
        {"bm25": [(1, 1.0)], "dense": [(2, 0.9)]}, weights={"dense": 2.0}
    )
    assert [f.id for f in fused] == [2, 1]


def test_empty() -> None:
    assert reciprocal_rank_fusion({"bm25": [], "dense": []}) == []


def test_score_fusion_keeps_the_distance_between_scores() -> None:
    from lampdesk.retrieval.fusion import score_fusion

    fused = score_fusion(
        {"bm25": [(1, 10.0), (2, 1.0)], "dense": [(2, 0.5), (3, 0.45)]},
        weights={"dense": 0.5},
        raw_names={"bm25": "bm25", "dense": "similarity"},
    )
    assert [f.id for f in fused] == [1, 2, 3]
    assert fused[0].why["bm25"]["contribution"] == 1.0
    assert fused[1].why["dense"] == {"rank": 1, "similarity": 0.5, "contribution": 0.5}
    assert score_fusion({"bm25": []}) == []
