"""Nearest neighbours by cosine distance, without an estimator object per search.

:func:`nearest` gives what scikit-learn's ``NearestNeighbors(metric="cosine")`` gives for
sparse vectors (a brute-force search: the distance matrix, chunk by chunk, then each row's
closest columns), from the same ``cosine_distances`` and the same partition and sort, so
distances and their order are bit for bit the same. It skips the estimator's parameter
validation and input checks, which cost more than the search itself on the small blocks
of names :func:`detectors._similar_names.similar_names` compares, once per block.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn import config_context
from sklearn.metrics.pairwise import cosine_distances

#: Query rows per distance matrix: bounds the memory of one chunk to rows x block size.
CHUNK_ROWS = 1024


def nearest(vectors: Any, k: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Each row's ``k`` nearest rows of ``vectors`` (itself included), nearest first.

    Args:
        vectors: A sparse (CSR) matrix of row vectors, at least ``k`` rows.
        k: Neighbours per row.

    Returns:
        ``(distance, index)``, both of shape (rows, ``k``): the cosine distances and the row
        positions of the neighbours, as ``NearestNeighbors(n_neighbors=k,
        metric="cosine").fit(vectors).kneighbors(vectors)`` returns them.
    """
    distances, indices = [], []
    # The arguments are ours and valid: checking them per call costs more than the search.
    with config_context(skip_parameter_validation=True):
        for start in range(0, vectors.shape[0], CHUNK_ROWS):
            distance, index = _chunk(vectors, start, k)
            distances.append(distance)
            indices.append(index)
    return np.vstack(distances), np.vstack(indices)


def _chunk(vectors: Any, start: int, k: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The nearest ``k`` of the query rows from ``start`` on (at most :data:`CHUNK_ROWS`)."""
    # A slice is another object than ``vectors``: the diagonal is not forced to zero, as in
    # the estimator, whose query and fitted rows are two arrays.
    dist = cosine_distances(vectors[start : start + CHUNK_ROWS], vectors)
    rows = np.arange(dist.shape[0])[:, None]
    index = np.argpartition(dist, k - 1, axis=1)[:, :k]
    index = index[rows, np.argsort(dist[rows, index])]
    return dist[rows, index], index
