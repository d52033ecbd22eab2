"""Tests of talentstats.present (a package: module names cannot clash with other folders')."""
