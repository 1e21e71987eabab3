"""Records: the structured, verified knowledge triage produces and dossiers are made of (DESIGN.md section 4).

Models are in :mod:`reviewer.records.models`. Beside them, one service module per kind of record holds its
rules, without Flask: ``persons``, ``organizations``, ``posts`` (positions and occupancies),
``facilities``, ``events`` (incidents and acts), ``involvements``, ``information`` and ``sources``; what
they share is in ``forms`` (checks, refusal, audit of a save), ``record_names`` (name rows and captions),
``lists`` and ``tree`` (the organizations' hierarchy). ``chain``, ``corroboration``, ``search`` and
``merging`` look across records. The pages are the ``*_views`` modules, all on the one blueprint of
``blueprint``, with what they share in ``pages`` and ``choices``. ``uwazi`` is the CSV layout exports write
and ``cli`` (``sori records import``) reads back; ``origins`` keeps the ``sori_id`` a record came with.
"""
