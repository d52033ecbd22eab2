"""Tests of talentstats.load (a package: module names cannot clash with other folders')."""
