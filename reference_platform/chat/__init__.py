"""The chat socket, threads and messages, the agent and its tools."""
