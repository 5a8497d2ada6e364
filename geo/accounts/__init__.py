"""Accounts, tokens, sign-in, browser sessions, passwords and who may do what."""
