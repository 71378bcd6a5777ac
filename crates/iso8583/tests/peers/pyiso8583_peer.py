"""The independent peer for posnet's ISO 8583 tests: pyiso8583 4.0.1.

Usage (one process handles many messages, one per line):
  pyiso8583_peer.py spec NAME      prints the spec as JSON
  pyiso8583_peer.py encode NAME    stdin: JSON {"mti": .., "fields": {..}} per line -> hex per line
  pyiso8583_peer.py decode NAME    stdin: hex per line -> JSON {"mti": .., "fields": {..}} per line
NAME is a pyiso8583 spec: default or default_ascii. Errors come back as a line "ERR <text>".
"""

import json
import sys

import iso8583
from iso8583 import specs

assert iso8583.__version__ == "4.0.1", f"expected pyiso8583 4.0.1, found {iso8583.__version__}"


def main() -> None:
    mode, name = sys.argv[1], sys.argv[2]
    spec = getattr(specs, name)
    if mode == "spec":
        print(json.dumps(spec))
        return
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            if mode == "encode":
                doc = json.loads(line)
                dec = {"t": doc["mti"], **doc["fields"]}
                raw, _ = iso8583.encode(dec, spec)
                print(bytes(raw).hex().upper())
            elif mode == "decode":
                dec, _ = iso8583.decode(bytes.fromhex(line), spec)
                fields = {k: v for k, v in dec.items() if k not in ("t", "p", "1", "h")}
                print(json.dumps({"mti": dec["t"], "fields": fields}))
            else:
                raise SystemExit(f"unknown mode {mode}")
        except (iso8583.EncodeError, iso8583.DecodeError) as e:
            print("ERR " + str(e).replace("\n", " "))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
