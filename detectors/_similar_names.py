"""Names that may be one party's: cleaned for matching, and compared by character n-grams.

Entity resolution (:mod:`detectors._entities`) links two records by name when their names,
cleaned as :func:`match_name` cleans them (accents, case, punctuation, titles and legal
words such as "Ltd", "Inc", "and" dropped), are equal, or close: :func:`similar_names`
turns them into character 2-3-gram vectors (scikit-learn's ``TfidfVectorizer``, without
IDF so that a score does not depend on the business's other names) and finds each name's
nearest neighbours by cosine (:mod:`detectors._neighbours`) within its block of names with
the same first letter.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

from detectors import _frames as fr
from detectors._neighbours import nearest

#: Cosine similarity of character n-gram vectors from which two names are one entity.
NAME_THRESHOLD = 0.85
#: Neighbours looked at per name (the name itself included).
NEIGHBOURS = 5
#: Words that do not tell businesses apart.
_LEGAL_WORDS = re.compile(
    r"\b(?:the|and|ltd|limited|inc|incorporated|llc|llp|plc|co|company|corp|corporation|gmbh)\b"
)
_SPACES = re.compile(r"\s+")


def match_name(text: str) -> str | None:
    """A name as fuzzy matching compares it.

    That is :func:`~detectors._frames.clean_name` minus legal words: "Acme Ltd" and "ACME
    Limited" are both "acme".
    """
    name = fr.clean_name(text)
    return None if name is None else without_legal_words(name)


def without_legal_words(name: str) -> str:
    """A name :func:`~detectors._frames.clean_name` cleaned, minus legal words.

    :func:`match_name` is this after ``clean_name``: codes cleaned by ``clean_name`` and
    then by this are those cleaned by ``match_name`` (:meth:`detectors._codes.Codes.cleaned`),
    each distinct name cleaned once.
    """
    bare = _SPACES.sub(" ", _LEGAL_WORDS.sub(" ", name)).strip()
    return bare or name


def similar_names(
    names: Any, threshold: float = NAME_THRESHOLD, k: int = NEIGHBOURS
) -> pd.DataFrame:
    """Pairs of distinct ``names`` (positions ``a`` < ``b``) whose cosine reaches ``threshold``.

    Names are compared within blocks of the same first character: a typo in the first letter
    is rare, and blocking keeps the nearest-neighbour search near-linear (100k names are
    ~36 blocks of a few thousand instead of one block of 100k).
    """
    out = pd.DataFrame({"a": pd.Series(dtype="int64"), "b": pd.Series(dtype="int64"),
                        "score": pd.Series(dtype="float64")})  # fmt: skip
    if len(names) < 2:
        return out
    # No IDF: with it a pair's score depends on the other names of the business (the same
    # two spellings scored 0.84 among twelve names and under 0.8 among two), so a threshold
    # would not mean one thing. Plain sublinear term frequencies, L2-normalised, do.
    vectors = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 3), sublinear_tf=True, use_idf=False, dtype=np.float32
    ).fit_transform(names)
    block, _ = pd.factorize(pd.Series(names).str[0])
    order = np.argsort(block, kind="stable")
    bounds = np.flatnonzero(np.diff(block[order])) + 1
    found = []
    for members in np.split(order, bounds):  # one search per block, not per name
        if len(members) < 2:
            continue
        distance, index = nearest(vectors[members], min(k, len(members)))
        one, other = np.repeat(members, index.shape[1]), members[index.ravel()]
        a, b = np.minimum(one, other), np.maximum(one, other)  # found from either side
        score = 1.0 - distance.ravel()
        keep = (a < b) & (score >= threshold - 1e-9)
        found.append(pd.DataFrame({"a": a[keep], "b": b[keep], "score": score[keep]}))
    if not found:
        return out
    return pd.concat(found, ignore_index=True).drop_duplicates(["a", "b"])
