"""80/20 tiering on revenue."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from journey_workbook.core.tiering import tier_by_revenue


def test_top_clients_covering_eighty_percent_are_key():
    tiers = tier_by_revenue({"small": 5, "big": 50, "mid": 30, "tiny": 5, "other": 10})
    assert tiers == {"small": "normal", "big": "key", "mid": "key", "tiny": "normal", "other": "normal"}
    assert list(tiers) == ["small", "big", "mid", "tiny", "other"]  # input order is kept


def test_coverage_just_short_needs_one_more_client():
    assert tier_by_revenue({"a": 50, "b": 29, "c": 11, "d": 10}) == {"a": "key", "b": "key", "c": "key", "d": "normal"}


def test_exactly_eighty_percent_despite_float_error():
    assert tier_by_revenue({"a": 0.7, "b": 0.1, "c": 0.2}) == {"a": "key", "b": "normal", "c": "key"}


def test_missing_zero_or_negative_revenue_is_never_key():
    assert tier_by_revenue({"a": None, "b": 0, "c": -5, "d": 1}) == {"a": "normal", "b": "normal", "c": "normal", "d": "key"}
    assert tier_by_revenue({"a": 0, "b": None}) == {"a": "normal", "b": "normal"}
    assert tier_by_revenue({}) == {}


def test_share_must_be_a_fraction():
    with pytest.raises(ValueError):
        tier_by_revenue({"a": 1}, share=80)


@given(st.dictionaries(st.text(min_size=1, max_size=5), st.integers(0, 10**9), min_size=1, max_size=30),
       st.sampled_from([0.5, 0.8, 0.95, 1.0]))
def test_key_set_is_the_smallest_top_set_covering_the_share(clients, share):
    tiers = tier_by_revenue(clients, share)
    total = sum(clients.values())
    key = [n for n, t in tiers.items() if t == "key"]
    covered = sum(clients[n] for n in key)
    if total == 0:
        assert key == []
        return
    assert covered >= share * total * (1 - 1e-9)
    smallest_key = min(clients[n] for n in key)
    assert all(clients[n] <= smallest_key for n in tiers if tiers[n] == "normal")  # key clients are the top ones
    assert covered - smallest_key < share * total  # dropping any key client loses the coverage
