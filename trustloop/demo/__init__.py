"""Demo data: a seeded, realistic landing folder (see ``generator.generate``)."""

from trustloop.demo.generator import DEFAULT_END_DATE, DEFAULT_SEED, DEFAULT_TICKETS, DEFAULT_WEEKS, generate

__all__ = ["generate", "DEFAULT_TICKETS", "DEFAULT_SEED", "DEFAULT_END_DATE", "DEFAULT_WEEKS"]
