"""Marking strings for translation in modules that must not import Flask."""


def N_(message: str) -> str:
    """Mark a string for translation without translating it (pybabel keyword N_)."""
    return message
