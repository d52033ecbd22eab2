"""The canonical dataset: exports normalised once and stored, read back by month."""
