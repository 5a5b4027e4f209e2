"""The hearing evaluation: a labelled set of real recorded speech and its scoring."""
