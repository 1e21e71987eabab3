"""What a source meets: the welcome page, the testimony form, receipts and status, and the endpoints the
source's browser uploads ciphertext to (docs/source-intake.md).

It may import crypto/ and core/, never reviewer/: the two sides meet only through the core's tables and
services. The application factory (sori/app.py) registers its blueprint.
"""
