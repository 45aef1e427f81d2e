"""The fake vendor APIs of ``eval --route api`` serve every feed the real connectors read.

A connector that learns a new feed (credit notes, say) must not turn the API route into
"connector failed" for every seed.
"""

from __future__ import annotations

from busywork.evalkit import fake_stripe, fake_xero
from busywork.synth import GeneratorSettings, generate
from connectors import stripe, xero


def test_the_fake_xero_serves_every_xero_feed() -> None:
    assert {path for path, *_ in xero.FEEDS} <= set(fake_xero.FEEDS)


def test_the_fake_stripe_serves_every_stripe_feed() -> None:
    business = generate(GeneratorSettings(seed=1, months=12, customers=20, scale=0.1))
    served = set(fake_stripe.stripe_objects(business.frames))
    assert set(stripe.FEEDS) <= served
