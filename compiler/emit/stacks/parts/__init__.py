"""Pieces the isolation models are assembled from: key, network, database, bucket, compute,
access roles and API limits. Each is a function that adds resources to a `StackBuilder`."""
