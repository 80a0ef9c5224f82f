"""The suite's support layer: clients, actors, event matching, evidence and the embedded stack."""
