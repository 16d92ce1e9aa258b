"""Who read or changed what, when."""
