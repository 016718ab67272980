"""Shared building blocks of the SalesBlink, Salesflow and Sales.Rocks Singer taps.

- :mod:`outreach_kit.client`: base REST stream (errors, retries with Retry-After, pacing).
- :mod:`outreach_kit.tap`: base tap (secret registration, shared pacer, setting checks).
- :mod:`outreach_kit.cli`: console entry point with one-paragraph errors.
- :mod:`outreach_kit.redaction`: process-wide secret masking of logs and stderr.
- :mod:`outreach_kit.concurrency`: child partitions fetched ahead on worker threads.
- :mod:`outreach_kit.conformance`: type conformance worked out once per schema.
- :mod:`outreach_kit.streaming`: large array bodies parsed in bounded memory.
- :mod:`outreach_kit.pacing`, :mod:`outreach_kit.timestamps`, :mod:`outreach_kit.windows`.
"""

__version__ = "0.1.0"
