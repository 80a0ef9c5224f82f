"""The agent port: a run in the suite's own words, and one transport per protocol that speaks the wire."""
