"""The meaning half of the spam check (``auditor.offers``) with the default model: a brand's
own terms of service are not unsolicited offers; offers of easy money are."""

from __future__ import annotations

import numpy as np
import pytest

from auditor.embedding import make_embedder
from auditor.offers import THRESHOLD, OfferDetector


@pytest.fixture(scope="module")
def scores():
    embedder = make_embedder("use")
    detector = OfferDetector.build(embedder)

    def score(text: str) -> float:
        return float(detector.scores(np.asarray(embedder.encode([text])))[0])
    return score


@pytest.mark.parametrize("text", [
    # The demo brand's key message, reworded in a post: it was flagged as a spam-style offer.
    "Подключение бесплатное, мастер приедет в удобное для вас время.",
    "Installation is free, and a technician comes whenever suits you.",
    "Курьер привезёт роутер бесплатно и позвонит перед приездом.",
    # A media brand's call to join its writing challenge was flagged too.
    "Ну и сами залетайте в конкурс, миру нужны ваши истории!",
    # A public-sector product's developer documentation ("clients" read as client bases).
    "Sign up for a Notify account and visit the API documentation. You’ll see there are "
    "clients for many common programming languages, such as Java, Python, and JavaScript. "
    "These clients and documentation are maintained by GDS.",
], ids=["ru-installation", "en-installation", "ru-delivery", "ru-challenge", "en-api-clients"])
def test_a_brands_own_terms_are_not_an_offer(scores, text):
    assert scores(text) <= THRESHOLD


@pytest.mark.parametrize("text", [
    "Работа на дому, от 5000 в день, опыт не нужен, пишите в личку.",
    "Earn $300 a day from your phone, no experience, message me for details.",
], ids=["ru-job", "en-job"])
def test_easy_money_is_an_offer(scores, text):
    assert scores(text) > THRESHOLD
