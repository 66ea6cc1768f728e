"""Microsoft Entra's sign-in endpoints for a bot: OpenID discovery and the token endpoint, on
https://127.0.0.1 with a self-signed certificate (msal accepts only https authorities).

The token endpoint grants client-credentials tokens for the app registrations it holds and
answers as Entra does otherwise: 401 with `invalid_client` and an AADSTS description.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files; the certificate is its own CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "entra.pem", directory / "entra.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class FakeEntra:
    def __init__(self, directory: Path, apps: dict[str, str]) -> None:
        self.apps = apps  # app id -> client secret
        self.cert, self._key = self_signed(directory)
        self.token_requests: list[dict[str, str]] = []
        app = web.Application()
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._discovery)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        self._server = TestServer(app, host="127.0.0.1", scheme="https")

    async def start(self) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self._key)
        await self._server.start_server(ssl=context)

    async def close(self) -> None:
        await self._server.close()

    def authority(self, tenant: str = "botframework.com") -> str:
        return f"https://127.0.0.1:{self._server.port}/{tenant}"

    async def _discovery(self, request: web.Request) -> web.Response:
        base = self.authority(request.match_info["tenant"])
        return web.json_response(
            {
                "issuer": f"{base}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.token_requests.append(form)
        if form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        client = form.get("client_id", "")
        if client not in self.apps:
            return web.json_response(
                {
                    "error": "unauthorized_client",
                    "error_description": f"AADSTS700016: Application with identifier '{client}' "
                    "was not found in the directory.\r\nTrace ID: 0",
                },
                status=400,
            )
        if form.get("client_secret") != self.apps[client]:
            return web.json_response(
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided. Ensure "
                    "the secret being sent in the request is the client secret value, not the "
                    "client secret ID.\r\nTrace ID: 0",
                },
                status=401,
            )
        return web.json_response(
            {"token_type": "Bearer", "expires_in": 3599, "access_token": f"token-for-{client}"}
        )
