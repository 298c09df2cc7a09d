"""A family's data on request (RGPD art. 15): everything held about one referral, as a
printable page and as JSON, each use in the read log."""
