"""xinyong (信用): an open, explainable, contestable implementation of social credit systems."""

__version__ = "0.1.0"
