"""Sori's Uwazi layout: records as CSV files that HURIDOCS Uwazi's import reads as intended, and that
``sori records import`` reads back into records.

``layout`` names the files, their columns and Uwazi property types; ``cells`` how a value is written in a
cell; ``thesauri`` the lists of values; ``record_set`` reads records for a selection and ``writer`` writes
them; ``description`` says what to create in Uwazi first. ``sheets``, ``rows`` and ``importer`` read a
folder back, each row through its record form's service; ``messages`` says what went wrong.
"""
