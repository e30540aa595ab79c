"""Announcements to an audience of citizens, now or at a set time, and their progress."""
