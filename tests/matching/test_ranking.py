"""matching.ranking: signals, weights and the order they give, on hand-made candidates."""

from __future__ import annotations

import itertools

import pytest

from matching import ranking
from matching.ranking import Candidate, Query


@pytest.mark.parametrize(
    ("answered", "timely", "missed", "expired", "expected"),
    [
        (0, 0, 0, 0, 0.5),  # new: neutral
        (1, 1, 0, 0, 0.6),  # (1 + 2) / (1 + 4)
        (4, 4, 0, 0, 0.75),  # (4 + 2) / 8
        (16, 16, 0, 0, 0.9),  # (16 + 2) / 20
        (4, 0, 0, 0, 0.5),  # late answers count half
        (0, 0, 1, 0, 0.4),  # 2 / 5
        (0, 0, 8, 4, 0.125),  # 2 / 16
        (2, 5, 0, 0, 0.6667),  # timely is never more than answered
    ],
)
def test_responsiveness_prior_is_a_smoothed_share_of_timely_answers(answered, timely, missed, expired, expected):
    assert round(ranking.responsiveness_prior(answered, timely, missed, expired), 4) == expected


def test_each_timely_answer_raises_responsiveness_a_little_less_than_the_one_before():
    values = [ranking.responsiveness_prior(n, n, 0, 0) for n in range(6)]
    steps = [b - a for a, b in itertools.pairwise(values)]
    assert all(step > 0 for step in steps)
    assert steps == sorted(steps, reverse=True)


def test_many_missed_referrals_lower_responsiveness_below_a_newcomers():
    assert ranking.responsiveness_prior(2, 2, 6, 0) < ranking.responsiveness_prior(0, 0, 0, 0)


@pytest.mark.parametrize(
    ("won", "lost", "expected"),
    [(0, 0, 0.5), (1, 0, 0.6), (0, 1, 0.4), (6, 2, 0.6667), (0, 6, 0.2)],
)
def test_outcomes_prior_is_a_smoothed_share_of_deals_won(won, lost, expected):
    assert round(ranking.outcomes_prior(won, lost), 4) == expected


@pytest.mark.parametrize(
    ("query", "signals"),
    [
        (Query(), ["responsiveness", "outcomes"]),
        (Query(words=2), ["tags", "text", "responsiveness", "outcomes"]),
        (Query(radius_km=50), ["proximity", "responsiveness", "outcomes"]),
        (Query(size="50-249"), ["size_fit", "responsiveness", "outcomes"]),
        (Query(words=2, meaning=True), ["tags", "text", "meaning", "responsiveness", "outcomes"]),
        (Query(learned=True), ["responsiveness", "outcomes", "fit"]),
        (Query(words=1, radius_km=10, size="1-9", meaning=True, learned=True), list(ranking.SIGNALS)),
    ],
)
def test_only_the_signals_a_search_asks_about_take_part_and_their_weights_add_up_to_one(query, signals):
    weights = ranking.active_weights(query)
    assert list(weights) == signals
    assert sum(weights.values()) == pytest.approx(1.0)


def test_tags_count_four_times_the_description():
    weights = ranking.active_weights(Query(words=2))
    assert weights["tags"] == pytest.approx(4 * weights["text"])


@pytest.mark.parametrize(
    ("candidate", "query", "expected"),
    [
        (Candidate(), Query(), 0.5),
        (Candidate(tag_hits=2), Query(words=2), (0.4 + 0.15 * 0.5 + 0.05 * 0.5) / 0.7),
        (Candidate(distance_km=25), Query(radius_km=50), (0.2 * 0.5 + 0.15 * 0.5 + 0.05 * 0.5) / 0.4),
        (Candidate(target_sizes=frozenset({"1-9"})), Query(size="1-9"), (0.1 + 0.1) / 0.3),
        (Candidate(target_sizes=frozenset({"5000+"})), Query(size="1-9"), 0.1 / 0.3),
        (Candidate(), Query(size="1-9"), (0.05 + 0.1) / 0.3),
    ],
)
def test_the_score_is_the_weighted_sum_of_the_signals(candidate, query, expected):
    assert ranking.score(candidate, query) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("candidate", "query"),
    [
        (Candidate(tag_hits=1, text_hits=1, distance_km=12.5, responsiveness=0.7), Query(words=2, radius_km=40)),
        (Candidate(target_sizes=frozenset({"1-9"}), outcomes=0.3), Query(size="1-9")),
    ],
)
def test_the_explanation_lists_each_signal_and_its_points_add_up_to_the_score(candidate, query):
    signals = ranking.explain(candidate, query)
    assert [s.signal for s in signals] == list(ranking.active_weights(query))
    assert sum(s.points for s in signals) == pytest.approx(ranking.score(candidate, query), abs=1e-3)
    assert all(s.points == pytest.approx(s.value * s.weight, abs=1e-3) for s in signals)


def ranked(candidates: dict[str, Candidate], query: Query) -> list[str]:
    return sorted(candidates, key=lambda name: -ranking.score(candidates[name], query))


# Hand-made profiles that differ in one signal only: the order the finder must give them.
ORDER_CASES = [
    (
        "a responsive partner outranks an otherwise equal unresponsive one",
        {
            "unresponsive": Candidate(tag_hits=2, responsiveness=ranking.responsiveness_prior(2, 1, 6, 2)),
            "responsive": Candidate(tag_hits=2, responsiveness=ranking.responsiveness_prior(10, 9, 0, 0)),
        },
        Query(words=2),
        ["responsive", "unresponsive"],
    ),
    (
        "a new partner ranks between a responsive and an unresponsive one",
        {
            "unresponsive": Candidate(responsiveness=ranking.responsiveness_prior(0, 0, 5, 0)),
            "new": Candidate(responsiveness=ranking.responsiveness_prior(0, 0, 0, 0)),
            "responsive": Candidate(responsiveness=ranking.responsiveness_prior(5, 5, 0, 0)),
        },
        Query(),
        ["responsive", "new", "unresponsive"],
    ),
    (
        "a closer partner outranks a farther one",
        {"far": Candidate(distance_km=80), "near": Candidate(distance_km=5), "middle": Candidate(distance_km=40)},
        Query(radius_km=100),
        ["near", "middle", "far"],
    ),
    (
        "a tag match outranks a description match",
        {"description": Candidate(text_hits=2), "tags": Candidate(tag_hits=2)},
        Query(words=2),
        ["tags", "description"],
    ),
    (
        "a partner targeting the size outranks a size-blind one, which outranks one targeting other sizes",
        {
            "others": Candidate(target_sizes=frozenset({"5000+"})),
            "blind": Candidate(),
            "targets": Candidate(target_sizes=frozenset({"10-49"})),
        },
        Query(size="10-49"),
        ["targets", "blind", "others"],
    ),
    (
        "deals won raise a partner over one that loses them",
        {
            "loses": Candidate(outcomes=ranking.outcomes_prior(0, 5)),
            "wins": Candidate(outcomes=ranking.outcomes_prior(5, 0)),
        },
        Query(),
        ["wins", "loses"],
    ),
]


@pytest.mark.parametrize(("case", "candidates", "query", "expected"), ORDER_CASES, ids=[c[0] for c in ORDER_CASES])
def test_order(case, candidates, query, expected):
    assert ranked(candidates, query) == expected


def test_great_circle_distance_between_berlin_and_moscow():
    assert round(ranking.haversine_km(52.52437, 13.41053, 55.75222, 37.61556)) == 1608
