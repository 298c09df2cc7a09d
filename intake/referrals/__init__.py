"""What a public submission and a staff correction share: the referral's fields as the forms
send them and the rows store them, and the screening of a child against the territory."""
