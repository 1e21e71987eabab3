#!/usr/bin/env bash
# Re-extracts every translatable string into translations/messages.pot and merges it into the Korean and
# English catalogs. New strings then need a Korean translation (and an English msgstr equal to the msgid);
# tests/core/test_i18n.py fails until every string has both.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
    --project Sori --version 0.1 --copyright-holder "Sori contributors" --msgid-bugs-address "-" -o translations/messages.pot . 2>/dev/null
.venv/bin/pybabel update -i translations/messages.pot -d translations --no-wrap --ignore-obsolete 2>/dev/null
