"""Accounts, passwords, access tokens, refresh tokens and chat tickets."""
