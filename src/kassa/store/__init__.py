"""The store server (DESIGN §2): channel DB access, package pull and serving, sale API."""
