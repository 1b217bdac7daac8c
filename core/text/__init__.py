"""Point-in-time text: news and social posts with publish and ingest times, scorers and sentiment.

The one rule: a text is used at bar t only if it was public before bar t closed (minus a latency).
Everything here works on frames with a UTC ``published`` column so the features can enforce it.
"""
