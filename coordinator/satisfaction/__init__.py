"""Satisfaction at move-out: the seed's two questions at the end of a stay, on paper or on
the centre's tablet, stored without names in the aggregate (issue 16, point 5)."""
