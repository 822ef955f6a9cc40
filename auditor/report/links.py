"""Links from reports to the scanned code on its forge, at the scanned commit.

The URL template has the placeholders ``{commit}``, ``{branch}``, ``{path}`` and ``{line}``. It
comes from the ``source-url-template`` setting, or is derived from the ``origin`` remote when that
is GitHub or GitLab (ssh or https, self-hosted GitLab included when the host says "gitlab").
Credentials in a remote URL never reach a report.
"""

from __future__ import annotations

import re
import string
from urllib.parse import quote, urlsplit

PLACEHOLDERS = {"commit", "branch", "path", "line"}

_SCP = re.compile(r"^(?:[\w.-]+@)?(?P<host>[\w.-]+):(?P<path>[^/].*)$")  # git@github.com:org/repo.git


def template_problem(template: str) -> str | None:
    """Why a URL template is unusable, or None when it is fine."""
    if not re.match(r"^https?://", template):
        return "must start with http:// or https://"
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        return f"is not a valid template: {exc}"
    unknown = fields - PLACEHOLDERS
    if unknown:
        return f"has unknown placeholder(s) {', '.join(sorted(unknown))}"
    if "path" not in fields:
        return "must contain {path}"
    return None


def web_base(remote_url: str | None) -> tuple[str, str] | None:
    """(https base URL of the project, forge) for a GitHub or GitLab remote, else None."""
    if not remote_url:
        return None
    remote = remote_url.strip()
    scp = _SCP.match(remote) if "://" not in remote else None
    if scp:
        host, path = scp.group("host"), scp.group("path")
    else:
        try:
            parts = urlsplit(remote)
            host = parts.hostname or ""
        except ValueError:
            return None
        if parts.scheme not in ("http", "https", "ssh", "git"):
            return None
        path = parts.path
        if parts.scheme in ("http", "https") and parts.port not in (None, 80, 443):
            host = f"{host}:{parts.port}"  # a self-hosted forge on its own port
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    if not host or path.count("/") < 1 or any(p in ("", ".", "..") for p in path.split("/")):
        return None
    lowered = host.lower()
    if lowered in ("github.com", "www.github.com") or lowered.startswith("github."):
        forge = "github"
    elif "gitlab" in lowered:
        forge = "gitlab"
    else:
        return None
    return f"https://{host}/{path}", forge


def default_template(remote_url: str | None) -> str | None:
    found = web_base(remote_url)
    if found is None:
        return None
    base, forge = found
    base = base.replace("{", "{{").replace("}", "}}")
    if forge == "gitlab":
        return base + "/-/blob/{commit}/{path}#L{line}"
    return base + "/blob/{commit}/{path}#L{line}"


def safe_remote(remote_url: str | None) -> str | None:
    """The remote URL without user name or password, for display."""
    if not remote_url:
        return None
    if "://" in remote_url:
        try:
            parts = urlsplit(remote_url)
        except ValueError:
            return None
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        return parts._replace(netloc=netloc).geturl()
    return remote_url


class SourceLinks:
    """Builds the URL of a file and line; ``template`` is None when no link can be made."""

    def __init__(self, template: str | None, commit: str | None, branch: str | None = None) -> None:
        self.commit = commit
        self.branch = branch if branch and branch != "HEAD" else None
        if template and ("{commit}" in template and not commit or "{branch}" in template and not self.branch):
            template = None
        self.template = template

    @classmethod
    def for_result(cls, result) -> "SourceLinks":
        configured = getattr(result.config, "source_url_template", None)
        template = configured or default_template(result.git.remote_url if result.git.available else None)
        return cls(template, result.git.head, result.git.branch)

    def url(self, path: str, line: int | None = None, cell: int | None = None) -> str | None:
        if not self.template:
            return None
        template = self.template
        # Notebook lines count within a cell (and forges render notebooks without line anchors),
        # so a line anchor into the file would be wrong.
        if line is None or cell is not None or path.endswith(".ipynb"):
            template = re.sub(r"#[^#]*\{line\}[^#]*$", "", template)
        values = {"commit": self.commit or "", "branch": quote(self.branch or "", safe="/"),
                  "path": quote(path, safe="/"), "line": "" if line is None else str(line)}
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):
            return None
