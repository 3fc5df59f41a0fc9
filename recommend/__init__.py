"""Recommenders over a GraphStore: similar items, with reasons and the parts of their scores."""

from recommend.similar import Recommender

__all__ = ["Recommender"]
