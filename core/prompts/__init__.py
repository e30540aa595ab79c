"""Prompts a citizen can hear: the bot's messages recorded by a mairie in a language."""
