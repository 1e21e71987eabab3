"""The inbox: ``listing`` (filters and one page of submissions), ``labels`` (the words of its pages and of a
decrypted account) and ``views`` (the inbox, a submission's page, triage, and the ciphertext of envelopes
and notes, which only the reviewer's browser opens)."""
