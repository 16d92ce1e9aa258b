"""Randers-trappen: the risk ladder per child, its five analysis areas and the follow-up
cadence that follows the step (issue 16, points 1 and 6)."""
