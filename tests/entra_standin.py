"""A stand-in for Microsoft Entra's sign-in endpoints (the v2.0 OpenID configuration, the device-code flow and
the token endpoint) over HTTPS on 127.0.0.1 with a self-signed certificate, for `sli graph login` with msal.

msal only accepts an https authority, so the stand-in makes a certificate for 127.0.0.1 (`cert_path`; point
REQUESTS_CA_BUNDLE at it) and answers as Microsoft's "OAuth 2.0 device authorization grant" page describes: the
device code with its sentence, then tokens (an access token, a refresh token, an id token naming the account and
Entra's `client_info`)."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

TENANT = "11111111-2222-4333-8444-555555555555"
USER_CODE = "SLI-TEST-CODE"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


class EntraStandIn:
    """`authority` is what SLI_GRAPH_AUTHORITY takes; `access_token` the token it hands out."""

    def __init__(self, folder: Path, client_id: str, account: str = "sli-tracker@council.example"):
        self.client_id, self.account = client_id, account
        self.access_token = "entra-standin-access-token"
        self.grants: list[str] = []
        #: How many times the OpenID configuration was fetched (msal's discovery of the authority).
        self.discoveries = 0
        self.cert_path, key_path = self._certificate(folder)
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                standin.discoveries += 1
                standin._answer(self, standin._configuration())

            def do_POST(self) -> None:  # noqa: N802
                form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())
                if self.path.endswith("/devicecode"):
                    return standin._answer(self, {
                        "user_code": USER_CODE, "device_code": "device-code-1", "expires_in": 900, "interval": 1,
                        "verification_uri": "https://microsoft.com/devicelogin",
                        "message": f"To sign in, use a web browser to open the page https://microsoft.com/devicelogin "
                                   f"and enter the code {USER_CODE} to authenticate."})
                standin.grants.append(form.get("grant_type", [""])[0])
                return standin._answer(self, standin._tokens())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, key_path)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def authority(self) -> str:
        return f"https://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def _certificate(folder: Path) -> tuple[str, str]:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
        now = dt.datetime.now(dt.UTC)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
                .not_valid_after(now + dt.timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                               critical=False)
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))
        cert_path, key_path = folder / "entra-standin.pem", folder / "entra-standin.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        return str(cert_path), str(key_path)

    def _configuration(self) -> dict:
        base = f"{self.authority}/{TENANT}"
        return {"authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode", "issuer": f"{base}/v2.0"}

    def _tokens(self) -> dict:
        now = int(time.time())
        claims = {"iss": f"{self.authority}/{TENANT}/v2.0", "sub": "subject-1", "aud": self.client_id, "iat": now,
                  "exp": now + 3600, "oid": "object-1", "tid": TENANT, "preferred_username": self.account}
        return {"token_type": "Bearer", "scope": "Files.ReadWrite.All", "expires_in": 3600,
                "access_token": self.access_token, "refresh_token": "refresh-1",
                "id_token": f"{_b64({'alg': 'none'})}.{_b64(claims)}.", "client_info": _b64({"uid": "object-1",
                                                                                           "utid": TENANT})}

    @staticmethod
    def _answer(http: BaseHTTPRequestHandler, body: dict) -> None:
        data = json.dumps(body).encode()
        http.send_response(200)
        http.send_header("Content-Type", "application/json")
        http.send_header("Content-Length", str(len(data)))
        http.end_headers()
        http.wfile.write(data)
