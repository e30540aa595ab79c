"""Service-satisfaction surveys: defined and launched by moderators, answered in the bot."""
