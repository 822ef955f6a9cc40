"""Dependency declarations as pip, Poetry, Pipenv, conda and Docker read them: pure functions of
text (or already-parsed config data), no I/O, no network, nothing executed.

Every parser returns ``Requirement`` records with the line they were declared on, so rules can
point at the exact requirement and say whether it is pinned.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any, Iterable

PINNED, RANGE, BARE, VCS, URL, LOCAL = "pinned", "range", "bare", "vcs", "url", "local"
MOVING_REFS = {"main", "master", "develop", "dev", "trunk", "head", "latest", "stable", "default"}

NAME_PATTERN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$", re.S)
_COMMENT = re.compile(r"(^|\s)#.*$")
_VCS_PREFIX = re.compile(r"^(git|hg|svn|bzr)\+", re.I)
_COMMIT = re.compile(r"^[0-9a-f]{7,40}$", re.I)
_EXACT = re.compile(r"^===?\s*[^\s,*;]+$")


def normalise(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Requirement:
    name: str  # normalised project name ("" when unknown)
    text: str  # the requirement as written (continuations joined, comments and options removed)
    line: int  # 1-based line it starts on
    state: str  # PINNED, RANGE, BARE, VCS (VCS without a commit), URL, LOCAL
    detail: str = ""  # the specifier, or the VCS reference

    @property
    def pinned(self) -> bool:
        return self.state in (PINNED, URL, LOCAL)


# ------------------------------------------------------------------------------------------------
# One requirement (PEP 508 or pip's URL forms)


def vcs_state(url: str) -> tuple[str, str]:
    """(PINNED or VCS, reference) for a VCS URL: pinned only by a commit or a non-moving tag."""
    body = url.split("#", 1)[0]
    path = body.split("://", 1)[-1]
    host_path, _, ref = path.rpartition("@") if "@" in path.split("/", 1)[-1] else (path, "", "")
    if not ref:
        return VCS, ""
    if ref.lower() in MOVING_REFS:
        return VCS, ref
    return PINNED, ref


def _name_from_url(url: str) -> str:
    egg = re.search(r"[#&]egg=([A-Za-z0-9._-]+)", url)
    if egg:
        return normalise(egg.group(1))
    tail = url.split("#", 1)[0].rstrip("/").split("/")[-1].split("@")[0]
    return normalise(tail[:-4] if tail.endswith(".git") else tail)


def classify_specifier(spec: str) -> str:
    spec = spec.strip()
    if not spec:
        return BARE
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    if any(_EXACT.match(p) for p in parts):
        return PINNED
    return RANGE


def parse_requirement(text: str, line: int = 0) -> Requirement | None:
    """One PEP 508 requirement or pip URL line; None for what is not a requirement."""
    text = text.strip()
    if not text:
        return None
    if _VCS_PREFIX.match(text):
        state, ref = vcs_state(text)
        return Requirement(_name_from_url(text), text, line, state, ref)
    if re.match(r"^[a-z]+://", text, re.I):
        return Requirement(_name_from_url(text), text, line, URL)
    if text.startswith((".", "/", "~", "file:")) or re.match(r"^[A-Za-z]:[\\/]", text):
        return Requirement("", text, line, LOCAL)
    body = text.split(";", 1)[0].strip()  # environment marker
    match = NAME_PATTERN.match(body)
    if not match:
        return None
    name, rest = match.group(1), match.group(3).strip()
    if rest.startswith("@"):
        url = rest[1:].strip()
        if _VCS_PREFIX.match(url):
            state, ref = vcs_state(url)
            return Requirement(normalise(name), text, line, state, ref)
        return Requirement(normalise(name), text, line, URL if "://" in url else LOCAL)
    if rest.startswith("(") and rest.endswith(")"):
        rest = rest[1:-1]
    if rest and not re.match(r"^(==|>=|<=|~=|!=|<|>|===)", rest):
        return None  # not a requirement ("pip install -U pip" leftovers, prose)
    return Requirement(normalise(name), text, line, classify_specifier(rest), rest)


# ------------------------------------------------------------------------------------------------
# requirements.txt / constraints.txt / requirements.in


@dataclass(frozen=True)
class Include:
    kind: str  # "requirement" (-r) or "constraint" (-c)
    target: str
    line: int


_OPTION_WITH_VALUE = {"-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
                      "--extra-index-url", "-f", "--find-links", "--trusted-host", "--no-binary",
                      "--only-binary", "--use-feature", "--config-settings", "--global-option", "--hash"}


def logical_lines(text: str) -> Iterable[tuple[int, str]]:
    """(first line number, text) with backslash continuations joined and comments removed."""
    buffer, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _COMMENT.sub("", raw) if "#" in raw else raw
        if not buffer:
            start = number
        if line.rstrip().endswith("\\"):
            buffer += line.rstrip()[:-1] + " "
            continue
        buffer += line
        if buffer.strip():
            yield start, buffer.strip()
        buffer = ""
    if buffer.strip():
        yield start, buffer.strip()


def parse_requirements_text(text: str) -> tuple[list[Requirement], list[Include]]:
    requirements: list[Requirement] = []
    includes: list[Include] = []
    for line, content in logical_lines(text):
        if content.startswith("-"):
            option, _, value = content.partition(" ") if " " in content else content.partition("=")
            if "=" in option and option.startswith("--"):
                option, _, value = content.partition("=")
            value = value.strip()
            if option in ("-r", "--requirement") or (option.startswith("-r") and len(option) > 2 and not option.startswith("--")):
                includes.append(Include("requirement", value or option[2:], line))
            elif option in ("-c", "--constraint") or (option.startswith("-c") and len(option) > 2 and not option.startswith("--")):
                includes.append(Include("constraint", value or option[2:], line))
            elif option in ("-e", "--editable"):
                req = parse_requirement(value.split()[0] if value else "", line)
                if req is not None:
                    requirements.append(req)
            continue
        # per-requirement options (--hash=..., --config-settings ...) follow the requirement
        spec = re.split(r"\s--?[a-z]", " " + content, maxsplit=1)[0].strip()
        req = parse_requirement(spec, line)
        if req is not None:
            requirements.append(req)
    return requirements, includes


def is_compiled(text: str) -> bool:
    """pip-compile / uv pip compile output: every line pinned, with a generated-by header or `# via`."""
    head = text[:600].lower()
    return "autogenerated by pip-compile" in head or "uv pip compile" in head or "# via" in text


# ------------------------------------------------------------------------------------------------
# pyproject.toml, setup.cfg, Pipfile, environment.yml


def find_line(text: str, needle: str, after: int = 0) -> int:
    """First line (1-based) after ``after`` that contains ``needle``; ``after + 1`` if none does."""
    if needle:
        for number, line in enumerate(text.splitlines(), start=1):
            if number > after and needle in line:
                return number
    return after + 1 if after else 1


def _section_line(text: str, header: str) -> int:
    return find_line(text, header) if header in text else 0


def pyproject_requirements(data: Any, text: str) -> list[Requirement]:
    """PEP 621 ``[project]`` dependencies and Poetry dependency tables."""
    found: list[Requirement] = []
    if not isinstance(data, dict):
        return found
    project = data.get("project")
    if isinstance(project, dict):
        start = _section_line(text, "[project]")
        lists = [project.get("dependencies")]
        optional = project.get("optional-dependencies")
        if isinstance(optional, dict):
            lists.extend(optional.values())
        for items in lists:
            for item in items if isinstance(items, list) else []:
                if isinstance(item, str):
                    req = parse_requirement(item, find_line(text, item, start))
                    if req is not None:
                        found.append(req)
    poetry = (data.get("tool") or {}).get("poetry") if isinstance(data.get("tool"), dict) else None
    if isinstance(poetry, dict):
        tables = [("[tool.poetry.dependencies]", poetry.get("dependencies")),
                  ("[tool.poetry.dev-dependencies]", poetry.get("dev-dependencies"))]
        groups = poetry.get("group")
        if isinstance(groups, dict):
            for group, body in groups.items():
                if isinstance(body, dict):
                    tables.append((f"[tool.poetry.group.{group}.dependencies]", body.get("dependencies")))
        for header, table in tables:
            if not isinstance(table, dict):
                continue
            start = _section_line(text, header)
            for name, spec in table.items():
                if not isinstance(name, str) or name.lower() == "python":
                    continue
                line = find_line(text, name, start)
                found.append(poetry_requirement(name, spec, line))
    return found


def poetry_requirement(name: str, spec: Any, line: int) -> Requirement:
    """Poetry's constraint language: "1.2.3" and "==1.2.3" are exact; ^, ~, *, ranges are not."""
    if isinstance(spec, list):
        spec = spec[0] if spec else "*"
    if isinstance(spec, dict):
        if spec.get("git"):
            ref = spec.get("rev") or spec.get("tag") or ""
            state = PINNED if ref else VCS
            return Requirement(normalise(name), f"{name} = {spec}", line, state, str(ref or spec.get("branch") or ""))
        if spec.get("path") or spec.get("url") or spec.get("file"):
            return Requirement(normalise(name), f"{name} = {spec}", line, LOCAL)
        spec = spec.get("version", "*")
    spec = str(spec).strip()
    text = f'{name} = "{spec}"'
    if spec in ("", "*"):
        return Requirement(normalise(name), text, line, BARE, spec)
    if re.match(r"^(==\s*)?\d[\w.+!-]*$", spec) and "*" not in spec:
        return Requirement(normalise(name), text, line, PINNED, spec)
    return Requirement(normalise(name), text, line, RANGE, spec)


def setup_cfg_requirements(text: str) -> list[Requirement]:
    import configparser  # only for a setup.cfg

    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return []
    found = []
    if parser.has_option("options", "install_requires"):
        start = _section_line(text, "[options]")
        for item in parser.get("options", "install_requires").splitlines():
            item = _COMMENT.sub("", item).strip()
            req = parse_requirement(item, find_line(text, item, start)) if item else None
            if req is not None:
                found.append(req)
    return found


def pipfile_requirements(data: Any, text: str) -> list[tuple[Requirement, bool]]:
    """(requirement, is_dev) for [packages] and [dev-packages]."""
    found = []
    if not isinstance(data, dict):
        return found
    for section, dev in (("packages", False), ("dev-packages", True)):
        table = data.get(section)
        if not isinstance(table, dict):
            continue
        start = _section_line(text, f"[{section}]")
        for name, spec in table.items():
            line = find_line(text, str(name), start)
            if isinstance(spec, dict):
                if spec.get("git"):
                    ref = spec.get("ref") or ""
                    state = PINNED if ref and ref.lower() not in MOVING_REFS else VCS
                    found.append((Requirement(normalise(name), f"{name} = {spec}", line, state, ref), dev))
                    continue
                if spec.get("path") or spec.get("file"):
                    continue
                spec = spec.get("version", "*")
            spec = str(spec).strip()
            state = BARE if spec in ("", "*") else classify_specifier(spec)
            found.append((Requirement(normalise(name), f'{name} = "{spec}"', line, state, spec), dev))
    return found


_CONDA_SPEC = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*)$")


def conda_requirement(item: str, line: int) -> Requirement | None:
    """A conda match spec: ``pkg=1.2.3`` and ``pkg==1.2.3`` (build optional) are pinned."""
    spec = item.split("::", 1)[-1].strip()
    match = _CONDA_SPEC.match(spec)
    if not match:
        return None
    name, rest = match.group(1), match.group(2).strip()
    if not rest:
        return Requirement(normalise(name), item, line, BARE)
    if re.match(r"^(==?\s*)?\d[\w.+!-]*(=[\w.+-]+)?$", rest.replace(" ", "=", 1) if rest[0].isdigit() else rest):
        return Requirement(normalise(name), item, line, PINNED, rest)
    return Requirement(normalise(name), item, line, RANGE, rest)


def environment_requirements(data: Any, text: str) -> list[Requirement]:
    found: list[Requirement] = []
    if not isinstance(data, dict):
        return found
    deps = data.get("dependencies")
    if not isinstance(deps, list):
        return found
    last = 0
    for item in deps:
        if isinstance(item, str):
            last = find_line(text, item, last)
            req = conda_requirement(item, last)
            # pip is the installer; a versioned python (python=3.10.*) is how environments pin it
            if req is not None and req.name != "pip" and not (req.name == "python" and req.state != BARE):
                found.append(req)
        elif isinstance(item, dict) and isinstance(item.get("pip"), list):
            for sub in item["pip"]:
                if isinstance(sub, str) and not sub.startswith("-"):
                    last = find_line(text, sub, last)
                    req = parse_requirement(sub, last)
                    if req is not None:
                        found.append(req)
    return found


# ------------------------------------------------------------------------------------------------
# Dockerfiles


@dataclass(frozen=True)
class BaseImage:
    image: str  # as written (ARG defaults substituted)
    line: int
    state: str  # PINNED (tag or digest), BARE (no tag), "latest"


_INSTALLERS = re.compile(r"(?:^|[;&|(]\s*|\s)(?:python[\d.]*\s+-m\s+)?(?:uv\s+)?pip[\d.]*\s+install\b(?P<args>[^;&|]*)")
# Installers and build tooling, conventionally installed bare; the environment they build is judged
# from its own lock (pipenv installs Pipfile.lock, poetry installs poetry.lock).
_SKIP_PACKAGES = {"pip", "setuptools", "wheel", "uv", "pipenv", "poetry", "pip-tools", "virtualenv"}


def docker_instructions(text: str) -> list[tuple[int, str, str]]:
    """(line, INSTRUCTION, arguments) with continuations joined and comments dropped."""
    result = []
    buffer, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not buffer and (not stripped or stripped.startswith("#")):
            continue
        if buffer and stripped.startswith("#"):
            continue
        if not buffer:
            start = number
        if stripped.endswith("\\"):
            buffer += stripped[:-1] + " "
            continue
        buffer += stripped
        word, _, rest = buffer.partition(" ")
        result.append((start, word.upper(), rest.strip()))
        buffer = ""
    if buffer:
        word, _, rest = buffer.partition(" ")
        result.append((start, word.upper(), rest.strip()))
    return result


def docker_base_images(text: str) -> list[BaseImage]:
    images = []
    args: dict[str, str] = {}
    stages: set[str] = set()
    for line, instruction, rest in docker_instructions(text):
        if instruction == "ARG" and "=" in rest:
            key, _, value = rest.partition("=")
            args[key.strip()] = value.strip().strip("\"'")
        if instruction != "FROM":
            continue
        words = [w for w in rest.split() if not w.startswith("--")]
        if not words:
            continue
        image = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), words[0])
        if len(words) >= 3 and words[1].lower() == "as":
            stages.add(words[2].lower())
        if "$" in image or image.lower() == "scratch" or image.lower() in stages:
            continue
        if "@sha256:" in image:
            state = PINNED
        else:
            last = image.rsplit("/", 1)[-1]
            tag = last.split(":", 1)[1] if ":" in last else ""
            state = BARE if not tag else "latest" if tag.lower() == "latest" else PINNED
        images.append(BaseImage(image, line, state))
    return images


def docker_pip_installs(text: str) -> list[tuple[Requirement, bool]]:
    """(requirement, constrained) for packages named on ``pip install`` lines of RUN instructions."""
    found = []
    for line, instruction, rest in docker_instructions(text):
        if instruction != "RUN":
            continue
        for match in _INSTALLERS.finditer(rest):
            try:
                words = shlex.split(match.group("args"))
            except ValueError:
                words = match.group("args").split()
            constrained = any(w in ("-c", "--constraint") or w.startswith(("-c", "--constraint=")) for w in words)
            skip_next = False
            for word in words:
                if skip_next:
                    skip_next = False
                    continue
                if word.startswith("-"):
                    skip_next = word in _OPTION_WITH_VALUE and "=" not in word
                    continue
                if "$" in word or word in (".", "..") or word.startswith((".", "/")):
                    continue
                req = parse_requirement(word, line)
                if req is not None and req.name and req.name not in _SKIP_PACKAGES:
                    found.append((req, constrained))
    return found


# ------------------------------------------------------------------------------------------------
# Lock files


def locked_names(name: str, data: Any, text: str) -> set[str]:
    """Normalised names of the packages a lock file pins."""
    lower = name.lower()
    if lower in ("poetry.lock", "uv.lock", "pdm.lock") or lower.endswith((".yml", ".yaml")):  # or conda-lock
        names = _package_table_names(data)
    elif lower == "pipfile.lock":
        names = _pipfile_lock_names(data)
    else:
        names = set()
    if not names and text:  # unparsed lock: fall back to name = "..." lines
        names.update(normalise(m) for m in re.findall(r'(?m)^name\s*=\s*"([^"]+)"', text))
    return names


def _package_table_names(data: Any) -> set[str]:
    """Names in a lock's ``package`` list (poetry, uv, pdm: ``[[package]]``; conda-lock: ``package:``)."""
    packages = data.get("package") if isinstance(data, dict) else None
    if not isinstance(packages, list):
        return set()
    return {normalise(p["name"]) for p in packages if isinstance(p, dict) and isinstance(p.get("name"), str)}


def _pipfile_lock_names(data: Any) -> set[str]:
    if not isinstance(data, dict):
        return set()
    names: set[str] = set()
    for section in ("default", "develop"):
        if isinstance(data.get(section), dict):
            names.update(normalise(str(k)) for k in data[section])
    return names

