"""Shared loop for the peer scripts: one JSON case per stdin line, one JSON answer per line.

Each case has an "op" naming the function; the answer is {"out": ...} or {"error": "..."}
when the peer refuses the input (tests decide whether that is expected).
"""

import json
import sys
import warnings

# cryptography warns about TDES on every call; the warnings are not results.
warnings.simplefilter("ignore")


def h(value):
    return bytes.fromhex(value)


def serve(ops):
    out = sys.stdout
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        case = json.loads(line)
        try:
            answer = {"out": ops[case["op"]](case)}
        except Exception as exc:  # the peer's refusal is an answer too
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        out.write(json.dumps(answer) + "\n")
    out.flush()
