"""Palabre's domain: communes, citizens, messages, submissions, and the ports to the outside."""
