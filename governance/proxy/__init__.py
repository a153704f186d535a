"""The ingestion proxy. Its per-event modules load compiled when their build is current (``governance.native``)."""

from governance import native

native.install()
