"""Signs requests with Python's http-message-signatures (RFC 9421, Ed25519), as Griffin's
own Python sample does, and sends them with requests: an implementation that is not
hyperbank's, for hyperbank's tests.

Reads one JSON object on stdin and writes one JSON value on stdout.

- {"keygen": true} -> {"private-pem": ..., "public-pem": ...}: a new Ed25519 key pair.
- {"requests": [request, ...]} -> [{"status", "content-type", "body"}, ...], sent in order.
  A request: {"method", "url", "headers": {...}, "body": str | null,
  "signatures": [{"private-pem", "keyid", "label", "created", "expires", "nonce",
  "components": [...], "digest": "sha-512" | "sha-256" | "none", "alg": bool}],
  "after-signing": {"body": str, "recompute-digest": bool, "headers": {...}}}.
  "created"/"expires" are Unix seconds; "digest" other than "none" makes the signer compute
  Content-Digest from the body and cover it.
"""

import datetime
import json
import sys

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from http_message_signatures import HTTPMessageSigner, HTTPSignatureKeyResolver, algorithms
from http_message_signatures.digests import ContentDigest


class Sha512Digest(ContentDigest):
    algorithm = "sha-512"


class Sha256Digest(ContentDigest):
    algorithm = "sha-256"


class OneKey(HTTPSignatureKeyResolver):
    def __init__(self, pem):
        self.key = serialization.load_pem_private_key(pem.encode(), password=None)

    def resolve_private_key(self, key_id):
        return self.key


def keygen():
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return {"private-pem": private.decode(), "public-pem": public.decode()}


def moment(seconds):
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)


def sign(prepared, body, signature, append):
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519, key_resolver=OneKey(signature["private-pem"])
    )
    digest = signature.get("digest", "sha-512")
    if digest != "none":
        signer.content_digest_class = Sha512Digest if digest == "sha-512" else Sha256Digest
    existing = "Content-Digest" in prepared.headers
    signer.sign(
        prepared,
        key_id=signature["keyid"],
        label=signature.get("label", "sig1"),
        created=moment(signature["created"]),
        expires=moment(signature["expires"]) if "expires" in signature else None,
        nonce=signature.get("nonce"),
        include_alg=signature.get("alg", True),
        covered_component_ids=signature["components"],
        append_if_signature_exists=append,
        body=None if digest == "none" or existing else body,
        use_existing_digest=existing,
    )


def send(session, request):
    body = request.get("body")
    body = body.encode() if body is not None else None
    prepared = requests.Request(
        request["method"], request["url"], headers=request.get("headers", {}), data=body
    ).prepare()
    for i, signature in enumerate(request.get("signatures", [])):
        sign(prepared, body if body is not None else b"", signature, append=i > 0)
    after = request.get("after-signing")
    if after:
        if "body" in after:
            prepared.body = after["body"].encode()
            prepared.headers["Content-Length"] = str(len(prepared.body))
            if after.get("recompute-digest"):
                prepared.headers["Content-Digest"] = Sha512Digest.create(prepared.body)
        prepared.headers.update(after.get("headers", {}))
    response = session.send(prepared, timeout=30)
    return {
        "status": response.status_code,
        "content-type": response.headers.get("content-type"),
        "body": response.text,
    }


def main():
    task = json.load(sys.stdin)
    if task.get("keygen"):
        json.dump(keygen(), sys.stdout)
        return
    with requests.Session() as session:
        json.dump([send(session, r) for r in task["requests"]], sys.stdout)


if __name__ == "__main__":
    main()
