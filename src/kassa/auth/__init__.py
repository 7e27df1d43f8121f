"""Authentication: operator password hashes (:mod:`.passwords`), bearer tokens (:mod:`.tokens`)."""
