"""Schemathesis checks for the hostile-input pass (`./dev test`): the server must never fail on input.

GraphQL reports a client's mistakes (a bad argument, a missing permission) in `errors` with 200, as AppSync does, and
those are answers, not failures; schemathesis's own `not_a_server_error` counts them as server errors. These checks
fail only on what is the server's fault: an HTTP 5xx, or a GraphQL error that is an internal one.
"""

import schemathesis

# The errorType values the server gives a client's mistakes (AppSync's names); anything else in `errors` is not one.
CLIENT_ERROR_TYPES = {
    "BadRequestException",
    "Unauthorized",
    "UnauthorizedException",
    "QueryTooLarge",
    "TooManyErrors",
    "ExecutionTimeout",
    "PayloadTooLarge",
}


@schemathesis.check
def no_server_failure(ctx, response, case):
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:300]}")
    try:
        body = response.json()
    except ValueError:
        return
    for error in body.get("errors") or []:
        kind = error.get("errorType")
        message = error.get("message", "")
        # An error without a path was raised before anything ran: the document was refused (parsing, validation, the
        # depth and complexity limits). A client's error too; a resolver that failed always has a path.
        if kind is None and error.get("path") is None and "Internal" not in message:
            continue
        if kind not in CLIENT_ERROR_TYPES or "Internal" in message:
            raise AssertionError(f"a server-side GraphQL error: {error}")
