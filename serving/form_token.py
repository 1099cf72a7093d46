"""The manager pages' protection against cross-site form posts (CSRF).

The pages sign in with a cookie (:mod:`serving.routes.pages`), and a browser sends a cookie
with any request to its site, including a form another site makes it post. So every form
that changes something carries a per-session token in a hidden field, and its POST is
refused (403 ``CSRF_REJECTED``) unless the field matches the session's cookie:

    token = form_token(cookie_token)          # rendered into the form
    require_form_token(cookie_token, sent)    # on the POST, before anything else

The form token is an HMAC-SHA256 of a fixed label keyed by the sign-in token, so the server
stores nothing, it changes with the token (a revoked or replaced token's forms stop
working), and it can't be derived without the sign-in token, which is in an HttpOnly cookie
that another site's page can neither read nor see.
(The cookie's ``SameSite=Lax`` already keeps it off most cross-site POSTs; the token does
not depend on the browser honouring that.)
"""

from __future__ import annotations

import hashlib
import hmac

from serving.errors import CsrfRejected

FORM_FIELD = "csrf_token"
_LABEL = b"visitproof manager form v1"


def form_token(session_token: str) -> str:
    """The form token of the session signed in with ``session_token`` (64 hex digits)."""
    return hmac.new(session_token.encode("utf-8"), _LABEL, hashlib.sha256).hexdigest()


def require_form_token(session_token: str, sent: str | None) -> None:
    """:class:`~serving.errors.CsrfRejected` unless ``sent`` is the session's form token
    (compared in constant time)."""
    if not sent or not hmac.compare_digest(sent.encode("utf-8"),
                                           form_token(session_token).encode("utf-8")):
        raise CsrfRejected("the form did not come from a page of this session (missing or "
                           "wrong form token); reload the check-in page and send it again")
