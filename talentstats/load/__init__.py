"""Loading: export files -> raw tables -> the canonical Reach Out table, with an account of every row."""
