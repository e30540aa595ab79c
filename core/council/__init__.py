"""Council sessions: announced, reminded, followed live, questioned, and their decisions kept."""
