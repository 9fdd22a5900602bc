"""Pushing `billing/<tenant>` branches and opening (or updating) one pull request per tenant
through GitHub's REST API, with `GITHUB_TOKEN` and `GITHUB_REPOSITORY` (`GITHUB_API_URL`,
as in GitHub Actions, points it elsewhere). Without `--push` the branches stay local."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

import httpx

from compiler.billing.git import BRANCH_PREFIX, Git
from compiler.errors import EnvironmentProblem, UsageError

API = "https://api.github.com"


def push(git: Git, branches: list[str], remote: str = "origin") -> None:
    """Push each branch; each moves forward only (its new commit has the old one as parent)."""
    if branches:
        refs = [f"refs/heads/{b}:refs/heads/{b}" for b in branches]
        git.run("push", "--quiet", remote, *refs, what=f"push to {remote}")


def unpushed(git: Git, remote: str = "origin") -> list[str]:
    """Billing branches whose commit is not on the remote: what a sync that stopped after
    committing left to push."""
    local = git.branches()
    out = []
    for tenant, sha in sorted(local.items()):
        there = git.sha(f"refs/remotes/{remote}/{BRANCH_PREFIX}{tenant}")
        if there != sha:
            out.append(BRANCH_PREFIX + tenant)
    return out


@dataclass(frozen=True)
class PullRequest:
    number: int
    url: str
    created: bool


class GitHub:
    def __init__(self, token: str, repository: str, api: str = API, timeout: float = 30) -> None:
        owner, _, name = repository.partition("/")
        if not owner or not name:
            raise UsageError(f"GITHUB_REPOSITORY must be OWNER/NAME, not '{repository}'")
        self.owner = owner
        self._http = httpx.Client(
            base_url=f"{api.rstrip('/')}/repos/{owner}/{name}",
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            },
            timeout=timeout,
        )

    @classmethod
    def from_environment(cls) -> GitHub:
        token = os.environ.get("GITHUB_TOKEN", "")
        repository = os.environ.get("GITHUB_REPOSITORY", "")
        if not token or not repository:
            raise UsageError("--open-pr needs GITHUB_TOKEN and GITHUB_REPOSITORY (OWNER/NAME)")
        return cls(token, repository, os.environ.get("GITHUB_API_URL", API))

    def open_or_update(self, branch: str, base: str, title: str, body: str) -> PullRequest:
        """The open pull request of `branch`, its title and body brought up to date; or a
        new one."""
        found = self._call(
            "GET", "/pulls", params={"head": f"{self.owner}:{branch}", "state": "open"}
        )
        if isinstance(found, list) and found:
            number = int(found[0]["number"])
            updated = self._object("PATCH", f"/pulls/{number}", json={"title": title, "body": body})
            return PullRequest(number, str(updated.get("html_url", "")), False)
        made = self._object(
            "POST", "/pulls", json={"title": title, "body": body, "head": branch, "base": base}
        )
        return PullRequest(int(made["number"]), str(made.get("html_url", "")), True)

    def _object(self, method: str, path: str, **kwargs: object) -> dict:  # type: ignore[type-arg]
        found = self._call(method, path, **kwargs)
        if not isinstance(found, dict):
            raise EnvironmentProblem(f"GitHub's API answered {method} {path} with a list")
        return found

    def _call(self, method: str, path: str, **kwargs: object) -> dict | list:  # type: ignore[type-arg]
        try:
            response = self._http.request(method, path, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            raise EnvironmentProblem(
                f"GitHub's API cannot be reached ({type(exc).__name__})"
            ) from None
        if response.status_code >= 400:
            message = ""
            with contextlib.suppress(ValueError):
                message = str(response.json().get("message", ""))
            raise EnvironmentProblem(
                f"GitHub's API refused {method} {path.split('?', maxsplit=1)[0]}: HTTP "
                f"{response.status_code} {message}".rstrip()
            )
        data = response.json()
        if not isinstance(data, (dict, list)):
            raise EnvironmentProblem(f"GitHub's API answered {method} {path} with no object")
        return data
