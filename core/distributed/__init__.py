"""Scale-out on Ray: one safe way to start or join a Ray cluster, shared by the backends and tuning."""
