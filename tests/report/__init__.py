"""Tests of talentstats.report (a package: module names cannot clash with other folders')."""
