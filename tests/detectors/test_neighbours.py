"""The cosine nearest-neighbour search finds what scikit-learn's estimator finds, bit for bit."""

from __future__ import annotations

import random
import string

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.neighbors import NearestNeighbors

from detectors import _neighbours
from detectors._neighbours import nearest


def _vectors(count: int, seed: int) -> object:
    rng = random.Random(seed)
    stems = [
        "".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 12))) for _ in range(count)
    ]
    names = [stem if n % 3 else stem[:-1] + "x" for n, stem in enumerate(stems)]  # near twins
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 3), sublinear_tf=True, use_idf=False, dtype=np.float32
    )
    return vectorizer.fit_transform(names)


@pytest.mark.parametrize(("count", "k"), [(2, 2), (5, 5), (40, 5), (300, 3)])
def test_the_neighbours_and_distances_are_the_estimator_s(count: int, k: int) -> None:
    vectors = _vectors(count, seed=count)
    expected = NearestNeighbors(n_neighbors=k, metric="cosine").fit(vectors).kneighbors(vectors)
    distance, index = nearest(vectors, k)
    assert np.array_equal(index, expected[1])
    assert np.array_equal(distance, expected[0])
    assert distance.dtype == expected[0].dtype


def test_chunks_of_query_rows_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    vectors = _vectors(50, seed=7)
    whole = nearest(vectors, 4)
    monkeypatch.setattr(_neighbours, "CHUNK_ROWS", 7)
    chunked = nearest(vectors, 4)
    assert np.array_equal(whole[0], chunked[0])
    assert np.array_equal(whole[1], chunked[1])
