"""The conversations and their engine, without a provider; and their catalogues."""
