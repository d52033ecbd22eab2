"""Tests of talentstats.dashboard and talentstats.serve (a package: module names cannot clash with other folders')."""
