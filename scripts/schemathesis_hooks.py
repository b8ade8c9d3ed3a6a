"""Loaded by schemathesis (SCHEMATHESIS_HOOKS) before a run; see scripts/schemathesis.sh.

CPython 3.11 (up to 3.11.7, what this machine ships) can raise
`SystemError: AST constructor recursion depth mismatch` from `ast.parse` when
hypothesis describes a filter's lambda for its repr (CPython gh-106905). It is a bug
of the interpreter, not of the API under test, and it aborts the whole operation's
tests. The description is only cosmetic, so a failure to build it is replaced by a
placeholder instead of ending the run.
"""

from hypothesis.internal import lambda_sources

_describe = lambda_sources.lambda_description


def _lambda_description(f):
    try:
        return _describe(f)
    except SystemError:
        return "lambda: <source unavailable>"


lambda_sources.lambda_description = _lambda_description


# Idempotency-Key is stateful on purpose: the same key with another body is refused
# (422). A fuzzer reuses simple values ("0", "AAA") across unrelated requests, so every
# valid key it generates is replaced by a fresh one; invalid keys are kept, to check
# they are refused. The semantics themselves are tested in crates/server/tests/api/idempotency.rs.
import re
import uuid

import schemathesis

_VALID_KEY = re.compile(r"^[\x21-\x7E]{1,255}$")


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key" and isinstance(headers[name], str) and _VALID_KEY.match(headers[name]):
            headers[name] = str(uuid.uuid4())
