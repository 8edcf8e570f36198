"""The SMS backends against fakes of the providers' HTTP APIs on 127.0.0.1."""
