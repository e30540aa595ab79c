"""The weekly digest group animators paste into the mairie's WhatsApp groups."""
