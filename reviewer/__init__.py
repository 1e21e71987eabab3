"""Everything behind a reviewer login: enrolment, vetting, inbox, triage, records and exports."""
