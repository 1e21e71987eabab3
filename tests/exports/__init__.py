"""Tests of dossier exports (issue 6): the dossier, its formats, the signed manifest, the commands and the
sanctions lists."""
