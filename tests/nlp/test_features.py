"""Lexicon and who-acts features on hand-written articles."""

import copy

import numpy as np

from nlp.features import ACTOR_FEATURES, actor_features, article_places, lexicon_features
from nlp.normalize import clean_article

GOVERNOR_RUN = clean_article(
    "برگزاری جشنواره گردشگری نوروزی در گیلان",
    "",
    "اداره کل میراث فرهنگی و گردشگری گیلان با همکاری استانداری برنامه‌های نوروزی را برگزار می‌کند. "
    "در پایان اشاره شد که شهرداری رشت نیز غرفه‌ای در این نمایشگاه دارد.",
)
CITY_RUN = clean_article(
    "شهرداری رشت جشنواره غذای محلی را در میدان شهرداری برگزار می‌کند",
    "",
    "معاون فرهنگی شهرداری رشت گفت این جشنواره با حضور گردشگران در پیاده‌راه فرهنگی برگزار می‌شود.",
)


def _row(item):
    return dict(zip(ACTOR_FEATURES, actor_features([item])[0], strict=True))


def test_who_acts_first_is_seen():
    gov, city = _row(GOVERNOR_RUN), _row(CITY_RUN)
    assert gov["actor_first_other"] < gov["actor_first_muni"] < 1.0
    assert gov["actor_muni_first"] == 0.0
    assert city["actor_first_muni"] == 0.0 and city["actor_muni_first"] == 1.0
    assert city["actor_first_other"] == 1.0  # no other public body named at all
    assert city["actor_muni_share"] > gov["actor_muni_share"]
    assert city["actor_muni_head"] > 0 and gov["actor_other_head"] > 0


def test_places_and_lexicon_rows_come_from_the_same_pass():
    assert "رشت" in article_places(*CITY_RUN)
    rows = lexicon_features([GOVERNOR_RUN, CITY_RUN])
    assert rows.shape[0] == 2 and np.isfinite(rows).all()


def test_a_model_trained_before_the_actor_columns_still_predicts(analyzer):
    old = copy.copy(analyzer.model)
    del old.actor_scaler  # what a pickle from before the who-acts features holds
    assert old._municipal_matrix("x", [CITY_RUN]) == "x"
    current = analyzer.model.predict([CITY_RUN, GOVERNOR_RUN])
    assert current.municipal[0] > current.municipal[1]
