"""Verifies hyperbank's webhook requests as a receiver written for Griffin would: RFC 9421
signatures checked by the `http-message-signatures` package (its signature base, parameter
checks, `Content-Digest` check and ECDSA code) against the keys published at
/v0/security/public-keys, a JWKS read here with `cryptography`.

The package ships ECDSA for P-256 and P-384; P-521 with SHA-512 is its same ECDSA class with
the curve, hash and coordinate size of ES512.

Input (stdin): {"jwks": {...}, "requests": [{"url", "method", "headers": {..}, "body"}]}.
Output: one line per request; exit status 1 if any fails to verify.
"""

import base64
import json
import sys

import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from http_message_signatures import HTTPMessageVerifier, MappingKeyResolver
from http_message_signatures._algorithms import _ECDSA

GRIFFIN_COMPONENTS = (
    "date",
    "@method",
    "@path",
    "@authority",
    "content-type",
    "content-length",
    "content-digest",
)


class ECDSA_P521_SHA512(_ECDSA):
    algorithm_id = "ecdsa-p521-sha512"
    _curve = ec.SECP521R1
    _hash = hashes.SHA512
    _coordinate_size = 66


def b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwks_keys(jwks):
    keys = {}
    for jwk in jwks["keys"]:
        assert jwk["kty"] == "EC" and jwk["crv"] == "P-521", jwk
        assert jwk["alg"] == "ES512" and jwk["use"] == "sig", jwk
        numbers = ec.EllipticCurvePublicNumbers(
            int.from_bytes(b64url(jwk["x"]), "big"),
            int.from_bytes(b64url(jwk["y"]), "big"),
            ec.SECP521R1(),
        )
        keys[jwk["kid"]] = numbers.public_key()
    return keys


def check(verifier, item):
    body = item["body"].encode()
    request = requests.Request(
        item["method"], item["url"], headers=item["headers"], data=body
    ).prepare()
    results = verifier.verify(
        request, require_components=GRIFFIN_COMPONENTS, body=body, max_age=None
    )
    for result in results:
        params = result.parameters
        if params["keyid"] != result.label:
            raise ValueError("the label is not the key id")
        if params["expires"] - params["created"] != 300:
            raise ValueError("expires is not created + 300")
        if len(params["nonce"]) != 36:
            raise ValueError("the nonce is not a UUID")
    return results[0].label


def main():
    given = json.load(sys.stdin)
    verifier = HTTPMessageVerifier(
        signature_algorithm=ECDSA_P521_SHA512,
        key_resolver=MappingKeyResolver(
            public_keys=jwks_keys(given["jwks"]), private_keys={}
        ),
    )
    failed = 0
    for item in given["requests"]:
        try:
            label = check(verifier, item)
            print(f"verified {item['url']} with {label}")
        except Exception as error:  # noqa: BLE001 - report every failure, then fail
            failed += 1
            print(f"FAILED {item['url']}: {type(error).__name__}: {error}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
