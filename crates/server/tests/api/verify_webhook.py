"""Verifies one webhook with the Standard Webhooks reference library (PyPI
`standardwebhooks`), independently of the Rust code that signed it.

Reads {"secret": "whsec_…", "headers": {name: value}, "body": "…"} on stdin; prints the
verified payload as JSON and exits 0, or prints why it was refused and exits 1.
"""

import json
import sys

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

request = json.load(sys.stdin)
try:
    payload = Webhook(request["secret"]).verify(request["body"], request["headers"])
except WebhookVerificationError as error:
    print(f"refused: {error}")
    sys.exit(1)
print(json.dumps(payload))
