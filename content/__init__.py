"""klbot's default knowledge base (``kl_digital.toml``); the format is in README.md here."""
