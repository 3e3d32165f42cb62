"""schemathesis hooks for the contract test (tests/e2e/contract.rs).

A filter's date range must not end before it starts (`from` <= `to`, `modified_from` <=
`modified_to`; a 400 `invalid_date` otherwise, as the parameters say). JSON Schema cannot
compare two fields, so generated requests with a reversed range are dropped rather than
judged: every other rule is still checked on them in other requests.
"""

import schemathesis

RANGES = (("from", "to"), ("modified_from", "modified_to"))


def _ordered(fields):
    if not isinstance(fields, dict):
        return True
    for start, end in RANGES:
        a, b = fields.get(start), fields.get(end)
        # YYYY-MM-DD strings order as their dates do.
        if isinstance(a, str) and isinstance(b, str) and a and b and a > b:
            return False
    return True


@schemathesis.hook
def filter_case(context, case):
    body = case.body if isinstance(case.body, dict) else None
    return (
        _ordered(case.query)
        and _ordered(body)
        and _ordered(body.get("search") if body else None)
    )
