"""A local OpenID metadata document and JWKS with a generated RSA key, and a token minter.

botframework-connector fetches signing keys with blocking `requests` calls from inside the event
loop, so this server runs in a thread of its own rather than on the test's loop.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://api.botframework.com"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class OpenIdServer:
    def __init__(self, kid: str = "test-key-1") -> None:
        self.kid = kid
        self.key = new_key()
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=self.kid, use="sig", endorsements=["msteams"])
        self.jwks = {"keys": [jwk]}
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                if self.path.endswith("/openid-configuration"):
                    body: dict[str, Any] = {
                        "issuer": ISSUER,
                        "jwks_uri": f"{server.base}/keys",
                        "id_token_signing_alg_values_supported": ["RS256"],
                    }
                elif self.path.endswith("/keys"):
                    body = server.jwks
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def metadata_url(self) -> str:
        return f"{self.base}/v1/.well-known/openid-configuration"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def token(
        self,
        audience: str,
        service_url: str,
        *,
        key: rsa.RSAPrivateKey | None = None,
        expires_in: int = 3600,
        issuer: str = ISSUER,
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": audience,
            "serviceurl": service_url,
            "nbf": now - 60,
            "iat": now - 60,
            "exp": now + expires_in,
        }
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": self.kid})
