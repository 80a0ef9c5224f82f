"""Load past one machine, on Locust: `make load` here, the same locustfile on many machines (docs/load.md)."""
