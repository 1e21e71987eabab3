"""Pictures of the records, drawn on the server: the chain of command as a tree, acts on a timeline,
facilities on a map of North Korea, and the counts of the records start page as bar charts.

Each picture is laid out once into a :class:`~reviewer.records.pictures.scene.Scene` (boxes, lines, marks and
lines of text with their measured boxes, in points), which is then written out as SVG for the pages
(reviewer/records/pictures/svg.py) or drawn as vector graphics in a dossier's PDF
(reviewer/exports/pdf_pictures.py). The layout never depends on the renderer, so tests check it directly:
no two text boxes overlap, every name is there.

Modules: ``text`` (the font's metrics and line breaking), ``scene`` (what a layout produces), ``svg``,
``words`` (the texts the pictures print, in one language or both); for the chain-of-command diagram,
``chain_cards`` (what it is made of), ``chain_tree`` with ``chain_folding`` and ``chain_names`` (what it
shows, from reviewer/records/chain.py) and ``chain_layout`` (where it goes); ``timeline``, ``facility_map``
with ``geodata``, and ``bars``.
"""
