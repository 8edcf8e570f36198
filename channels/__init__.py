"""Provider adapters: provider payloads in, channel-neutral values out (and back); no Flask, no queue."""
