#!/usr/bin/env python3
"""Writes spec/vectors.json: request -> expected response for every target.

Hash values come from Python's hashlib, independent of every target's code (two of them were
cross-checked by hand with `openssl dgst -sha256 -binary`). Run: python3 spec/gen_vectors.py
"""
import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
TP = "text/plain"
AJ = "application/json"
JSON_HEADERS = {"Content-Type": AJ}


def chained_sha256_hex(body: bytes, rounds: int) -> str:
    digest = hashlib.sha256(body).digest()
    for _ in range(rounds - 1):
        digest = hashlib.sha256(digest).digest()
    return digest.hex()


VECTORS = []


def vector(name, method, path, expect, body=None, body_repeat=None, headers=None):
    request = {"method": method, "path": path}
    if headers:
        request["headers"] = headers
    if body is not None:
        request["body"] = body
    if body_repeat is not None:
        request["body_repeat"] = body_repeat
    VECTORS.append({"name": name, "request": request, "expect": expect})


def status(code):
    return {"status": code}


def main():
    vector("healthz", "GET", "/healthz", {"status": 200, "content_type": TP, "body": "ok"})
    vector("plaintext", "GET", "/plaintext", {"status": 200, "content_type": TP, "body": "Hello, World!"})
    vector("json", "GET", "/json", {"status": 200, "content_type": AJ, "json": {"message": "Hello, World!"}})
    vector("json-doc", "GET", "/json/doc", {"status": 200, "content_type": AJ, "json_file": "json-doc.json"})

    orders = [
        ("order-single", {"id": 1, "items": [{"sku": "A-100", "qty": 2, "price_cents": 1999}]}),
        ("order-many", {"id": 77, "items": [
            {"sku": "A-100", "qty": 2, "price_cents": 1999},
            {"sku": "B-220", "qty": 1, "price_cents": 4550},
            {"sku": "C-310", "qty": 12, "price_cents": 125},
            {"sku": "D-404", "qty": 0, "price_cents": 899}]}),
        ("order-empty", {"id": 18446744073709551615, "items": []}),
        ("order-large-values", {"id": 5, "items": [{"sku": "Z", "qty": 4294967295, "price_cents": 1000000}]}),
        ("order-unicode-sku", {"id": 9, "items": [{"sku": "caf\u00e9-\u2615", "qty": 3, "price_cents": 250}]}),
    ]
    for name, order in orders:
        total = sum(i["qty"] * i["price_cents"] for i in order["items"])
        expect = {"status": 200, "content_type": AJ,
                  "json": {"id": order["id"], "item_count": len(order["items"]), "total_cents": total}}
        vector(name, "POST", "/json/order", expect, body=json.dumps(order, ensure_ascii=False),
               headers=JSON_HEADERS)

    for suffix, body, rounds in [("empty-1", b"", 1), ("abc-1", b"abc", 1), ("abc-2", b"abc", 2),
                                 ("stampede-1000", b"stampede", 1000)]:
        for endpoint in ("hash", "hash/offload"):
            vector(f"{endpoint.replace('/', '-')}-{suffix}", "POST", f"/{endpoint}?rounds={rounds}",
                   {"status": 200, "content_type": TP, "body": chained_sha256_hex(body, rounds)},
                   body=body.decode())
    for endpoint in ("hash", "hash/offload"):
        vector(f"{endpoint.replace('/', '-')}-64KiB-3", "POST", f"/{endpoint}?rounds=3",
               {"status": 200, "content_type": TP, "body": chained_sha256_hex(b"a" * 65536, 3)},
               body_repeat={"text": "a", "times": 65536})
    vector("hash-max-rounds-boundary", "POST", "/hash?rounds=1000000",
           {"status": 200, "content_type": TP, "body": chained_sha256_hex(b"x", 1000000)}, body="x")
    vector("sleep-0", "GET", "/sleep?ms=0", {"status": 200, "content_type": TP, "body": "ok"})
    vector("sleep-20", "GET", "/sleep?ms=20", {"status": 200, "content_type": TP, "body": "ok"})

    # Errors: only the status is part of the contract; the server must stay up afterwards.
    vector("unknown-path", "GET", "/nope", status(404))
    vector("unknown-nested-path", "GET", "/json/nope", status(404))
    vector("wrong-method-plaintext", "POST", "/plaintext", status(405), body="")
    vector("wrong-method-json", "DELETE", "/json", status(405))
    vector("wrong-method-healthz", "POST", "/healthz", status(405), body="")
    vector("wrong-method-order", "GET", "/json/order", status(405))
    vector("wrong-method-hash", "GET", "/hash?rounds=1", status(405))
    vector("wrong-method-sleep", "POST", "/sleep?ms=1", status(405), body="")
    # RFC 9112 section 3.2: a Host value that is not uri-host [":" port] gets 400, a valid one
    # is answered. These values pass Go's byte check, so every target's own code answers them
    # (and names the server); the raw-socket cases (userinfo, path, list) are in rfc-probes.json.
    vector("host-port-not-digits", "GET", "/plaintext", status(400), headers={"Host": "x:http"})
    vector("host-unclosed-ip-literal", "GET", "/plaintext", status(400), headers={"Host": "[::1"})
    vector("host-name-and-port", "GET", "/plaintext", {"status": 200, "content_type": TP, "body": "Hello, World!"},
           headers={"Host": "example.com:8080"})
    bad_orders = [
        ("order-malformed-json", '{"id": 1, "items": ['),
        ("order-not-json", "hello"),
        ("order-empty-body", ""),
        ("order-mistyped-qty", '{"id":1,"items":[{"sku":"A","qty":"2","price_cents":1}]}'),
        ("order-negative-qty", '{"id":1,"items":[{"sku":"A","qty":-1,"price_cents":1}]}'),
        ("order-qty-over-u32", '{"id":1,"items":[{"sku":"A","qty":4294967296,"price_cents":1}]}'),
        ("order-missing-items", '{"id":1}'),
        ("order-id-string", '{"id":"1","items":[]}'),
        ("order-items-not-array", '{"id":1,"items":{}}'),
        ("order-fractional-price", '{"id":1,"items":[{"sku":"A","qty":1,"price_cents":1.5}]}'),
    ]
    for name, body in bad_orders:
        vector(name, "POST", "/json/order", status(400), body=body, headers=JSON_HEADERS)
    vector("order-body-over-64KiB", "POST", "/json/order", status(413),
           body_repeat={"text": " ", "times": 65537}, headers=JSON_HEADERS)
    for endpoint in ("hash", "hash/offload"):
        prefix = endpoint.replace("/", "-")
        for suffix, query in [("missing-rounds", ""), ("non-numeric-rounds", "?rounds=ten"),
                              ("zero-rounds", "?rounds=0"), ("negative-rounds", "?rounds=-1"),
                              ("too-many-rounds", "?rounds=1000001"),
                              ("huge-rounds", "?rounds=99999999999999999999999")]:
            vector(f"{prefix}-{suffix}", "POST", f"/{endpoint}{query}", status(400), body="abc")
        vector(f"{prefix}-body-over-64KiB", "POST", f"/{endpoint}?rounds=1", status(413),
               body_repeat={"text": "a", "times": 65537})
    for suffix, query in [("missing-ms", ""), ("non-numeric-ms", "?ms=abc"), ("negative-ms", "?ms=-5"),
                          ("too-long", "?ms=10001")]:
        vector(f"sleep-{suffix}", "GET", f"/sleep{query}", status(400))

    document = {
        "version": 1,
        "about": "Request -> expected response for every target; see CONTRACT.md. "
                 "Written by gen_vectors.py; hash values from Python hashlib.",
        "vectors": VECTORS,
    }
    with open(os.path.join(HERE, "vectors.json"), "w", encoding="utf-8") as out:
        json.dump(document, out, indent=1, ensure_ascii=False)
        out.write("\n")


if __name__ == "__main__":
    main()
