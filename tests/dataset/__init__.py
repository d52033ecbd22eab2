"""Tests of talentstats.dataset (a package: module names cannot clash with other folders')."""
