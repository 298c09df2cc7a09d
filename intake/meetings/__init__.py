"""EPS meetings: their agenda, decisions, printable agenda and fiches de liaison."""
