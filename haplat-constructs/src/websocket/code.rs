//! The inline Python of the real-time tier's functions (Lambda runs inline code as `index.py`;
//! each stays under Lambda's 4096 bytes of inline source, checked by the tests).

/// The `$connect` authorizer: verifies an RS256 JWT (the `token` query parameter, since browsers
/// cannot set headers on a WebSocket) against the issuer's JWKS, its `iss`, `aud`, `exp` and
/// `nbf`, and allows `$connect` with the user (`sub`) as `userId` in the authorizer context; any
/// failure is a Deny (403). The RSA check is PKCS #1 v1.5 with SHA-256 (RFC 8017, 8.2.2), in the
/// standard library alone, so the function needs no layer.
pub(super) const AUTHORIZER: &str = r#"import base64, hashlib, json, os, time, urllib.request

ISS = os.environ["ISSUER"]
AUD = os.environ["AUDIENCE"]
JWKS = os.environ.get("JWKS_URL") or ISS.rstrip("/") + "/.well-known/jwks.json"
SHA256 = bytes.fromhex("3031300d060960864801650304020105000420")
KEYS = {}

def b64(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

def key(kid):
    if kid not in KEYS:
        with urllib.request.urlopen(JWKS, timeout=3) as r:
            for k in json.load(r)["keys"]:
                if k.get("kty") == "RSA" and "kid" in k:
                    KEYS[k["kid"]] = (int.from_bytes(b64(k["n"]), "big"), int.from_bytes(b64(k["e"]), "big"))
    return KEYS[kid]

def verify(token):
    h, p, s = token.split(".")
    head = json.loads(b64(h))
    if head.get("alg") != "RS256":
        raise ValueError("alg")
    n, e = key(head["kid"])
    size = (n.bit_length() + 7) // 8
    em = pow(int.from_bytes(b64(s), "big"), e, n).to_bytes(size, "big")
    t = SHA256 + hashlib.sha256(f"{h}.{p}".encode()).digest()
    if em != b"\x00\x01" + b"\xff" * (size - len(t) - 3) + b"\x00" + t:
        raise ValueError("signature")
    c = json.loads(b64(p))
    aud = c.get("aud")
    now = time.time()
    if c.get("iss") != ISS or AUD not in (aud if isinstance(aud, list) else [aud]):
        raise ValueError("issuer or audience")
    if c.get("exp", 0) < now or c.get("nbf", 0) > now + 60 or not c.get("sub"):
        raise ValueError("time or subject")
    return c

def policy(user, effect, arn, context):
    doc = {"Version": "2012-10-17", "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": arn}]}
    return {"principalId": user, "policyDocument": doc, "context": context}

def handler(event, context):
    token = (event.get("queryStringParameters") or {}).get("token", "")
    try:
        c = verify(token)
    except Exception as e:
        print(json.dumps({"denied": type(e).__name__}))
        return policy("anonymous", "Deny", event["methodArn"], {})
    return policy(c["sub"], "Allow", event["methodArn"], {"userId": c["sub"]})
"#;

/// The `$connect`/`$disconnect` handler: writes the connection to the registry (connection id,
/// user, region, connect time, `expiresAt` for TTL) on connect, deletes it on disconnect.
pub(super) const CONNECTIONS: &str = r#"import json, os, time, boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE"])
TTL = int(os.environ["TTL_SECONDS"])
REGION = os.environ["AWS_REGION"]

def handler(event, context):
    c = event["requestContext"]
    if c["eventType"] == "CONNECT":
        now = int(time.time())
        user = (c.get("authorizer") or {}).get("userId", "anonymous")
        TABLE.put_item(Item={
            "connectionId": c["connectionId"], "userId": user, "region": REGION,
            "connectedAt": now, "expiresAt": now + TTL,
        })
    elif c["eventType"] == "DISCONNECT":
        TABLE.delete_item(Key={"connectionId": c["connectionId"]})
    return {"statusCode": 200}
"#;

#[cfg(test)]
mod tests {
    #[test]
    fn inline_code_fits_lambda() {
        for code in [super::AUTHORIZER, super::CONNECTIONS] {
            assert!(code.len() <= 4096, "{} bytes", code.len());
        }
    }
}
