"""Provider adapters: payloads in, replies and sends out, signatures, encodings."""
