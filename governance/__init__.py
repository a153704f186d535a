"""governance: tracking-plan governance and data quality for Segment-spec event streams."""

__version__ = "0.1.0"
