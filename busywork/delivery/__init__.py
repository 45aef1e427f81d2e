"""Delivering recommendations by email and signed webhooks through a durable outbox."""
