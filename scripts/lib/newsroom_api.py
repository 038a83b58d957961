"""The admin API as the load scripts use it: one call, its status and its JSON answer."""
import json
import urllib.error
import urllib.request


def call(base, token, method, path, body=None, timeout=15):
    """Sends one request with the bearer token; returns (status, parsed JSON or None)."""
    headers = {"Authorization": "Bearer " + token}
    if body is not None:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(base + path, method=method,
        data=None if body is None else json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, None
