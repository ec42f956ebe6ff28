"""The dossier follow-up (SPEC section 11): SMS to citizens, letters of apology, the overdue watch."""
