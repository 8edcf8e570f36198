"""`make mutate`: mutation testing of the modules that carry the project's promises (modules.toml), each mutant one
small change run against the tests that cover its line; see the README's "Mutation testing"."""
