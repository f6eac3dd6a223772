"""Security headers on every response.

Pages run only scripts from static/ (no inline script, no handler attributes), so the
Content-Security-Policy can refuse every other script: an injected ``<script>`` or
``onerror=`` does nothing even if escaping were ever missed.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # Inline style attributes stay allowed: the plan's progress bars are sized by data,
        # and a style cannot run script.
        "style-src 'self' 'unsafe-inline'",
        # Photo previews and signatures on the phone are blob: and data: URLs.
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def secure(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # Addresses can carry ids (an inspection, a verification code); other sites get none.
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    # Only over HTTPS: browsers ignore it on http, and sending it from a server reached by
    # plain http in development would mean nothing. No includeSubDomains: a bureau's other
    # sites under the same domain may not serve https.
    max_age = int(current_app.config.get("HSTS_MAX_AGE") or 0)
    if request.is_secure and max_age > 0:
        headers.setdefault("Strict-Transport-Security", f"max-age={max_age}")
    if response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    # The app names no server or version of its own. The one "Server" header left is added by
    # the HTTP server after the app has answered (Werkzeug's under `flask run`); behind nginx,
    # nginx drops it and `server_tokens off` hides nginx's own version (README, 部署).
    headers.pop("Server", None)
    return response


def init_app(app: Flask) -> None:
    app.after_request(secure)
