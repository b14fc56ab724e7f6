"""Accuracy floors on real data nobody here wrote (../shared/data), through the product's own
scoring. Skipped with a reason when the data is absent; `make accuracy` runs the full set."""

from __future__ import annotations

import pytest

from benchmarks.accuracy import DATA, check_floors, measure

pytestmark = [pytest.mark.data, pytest.mark.model]


@pytest.mark.skipif(not DATA.is_dir(), reason=f"evaluation data not found at {DATA}")
def test_accuracy_stays_above_the_pinned_floors() -> None:
    results = measure(quick=True, log=lambda line: None)
    assert check_floors(results) == [], results


def test_floors_flag_a_drop() -> None:
    results = {"quick": True, "en": {"mean_auc": 0.5}, "ru": {"mean_auc": 0.99},
               "ru with peers": {"mean_auc": 0.99},
               "respect": {"ru spam, length-matched": {"precision": 0.99, "recall": 0.2}}}
    failures = check_floors(results)
    assert len(failures) == 2 and "en" in failures[0] and "recall" in failures[1]
