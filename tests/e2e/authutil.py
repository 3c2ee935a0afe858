"""The management API (`/management/…`, JSON over HTTP Basic) for the suite: provisioning
the key a host that enforces SigV4 is driven with, and the auth tests."""

from __future__ import annotations

import requests

E2E_ADMIN = ("e2e-admin", "e2e-admin-password")
FULL_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


class Mgmt:
    def __init__(self, endpoint: str, auth=E2E_ADMIN, timeout: float = 60.0):
        self.base = endpoint.rstrip("/") + "/management"
        self.auth = auth
        self.timeout = timeout

    def req(self, method: str, path: str, body=None, auth=None) -> requests.Response:
        return requests.request(method, self.base + path, json=body,
                                auth=auth if auth is not None else self.auth,
                                timeout=self.timeout)

    def ok(self, method: str, path: str, body=None, auth=None, expect=(200, 201, 204)):
        r = self.req(method, path, body, auth)
        assert r.status_code in expect, f"{method} {path}: HTTP {r.status_code} {r.text}"
        return r.json() if r.content else None

    def account(self, account_id: str, name: str | None = None):
        r = self.req("POST", "/accounts", {"accountId": account_id, "name": name or account_id})
        assert r.status_code in (201, 409), r.text
        return account_id

    def user(self, account: str, name: str, password: str | None = None, tags=None):
        body = {"userName": name}
        if password:
            body["password"] = password
        if tags:
            body["tags"] = tags
        return self.ok("POST", f"/accounts/{account}/users", body)

    def policy(self, account: str, user: str, name: str, doc: dict):
        return self.ok("PUT", f"/accounts/{account}/users/{user}/policies/{name}", doc)

    def key(self, account: str, user: str, session_token: bool = False, auth=None):
        body = {"sessionToken": True} if session_token else None
        return self.ok("POST", f"/accounts/{account}/users/{user}/access-keys", body, auth=auth)


def provision_full_access(endpoint: str, account: str = "000000000000",
                          user: str = "e2e") -> tuple[str, str]:
    """An account, a user allowed everything, and a new access key: (key id, secret)."""
    m = Mgmt(endpoint)
    m.account(account)
    r = m.req("POST", f"/accounts/{account}/users", {"userName": user})
    assert r.status_code in (201, 409), r.text
    m.policy(account, user, "full-access", FULL_ACCESS)
    k = m.key(account, user)
    return k["accessKeyId"], k["secretAccessKey"]
