"""The raw loop as a process of its own: `python scripts/bench/rawloop.py VENDOR STREAM URL OUT`.

A tap is measured as a process, its interpreter start and imports included; a raw `requests`
loop a user would write is a process too, and pays its interpreter start and `import requests`
(about 0.15 s here). Running it inside the bench's warm process gave it neither. This script
imports what such a loop imports, then the bench's vendor module (which knows the paths and
credentials; not part of a raw loop, so its import is timed here and left out of the figures),
writes the records to OUT as JSON lines and prints one JSON object: records, requests and the
seconds (wall and CPU) the vendor module's import took.
"""

import json
import sys
import time

import requests

if __name__ == "__main__":
    vendor_key, stream, url, out = sys.argv[1:5]
    wall, cpu = time.perf_counter(), time.process_time()
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench.vendors import VENDORS

    bulk = next(b for v in VENDORS if vendor_key == v.KEY for b in v.BULK if b.stream == stream)
    setup = {"setup_s": time.perf_counter() - wall, "setup_cpu_s": time.process_time() - cpu}
    with open(out, "w", encoding="utf-8") as sink, requests.Session() as session:
        records, made = bulk.raw(session, url, sink)
    print(json.dumps({"records": records, "requests": made, **setup}))
