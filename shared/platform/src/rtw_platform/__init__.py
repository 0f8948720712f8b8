"""Runtime shared by every Return to Work service: broker, outbox, inbox, unit of work, logging."""
