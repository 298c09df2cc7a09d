"""A child's parcours, from its entry (the decision to support it) to its exit: its page and
forms (views), and the changes they make (operations)."""
