"""QuietRoom: a review room for voice recordings."""
__version__ = "0.1.0"
