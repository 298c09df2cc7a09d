"""The duplicate warning: the likeness rule and the pairs stored for staff to decide."""
