"""What a Then verifies: the event stream, the chat history, account answers."""
