"""Every example in README.md, run as written against the test app (issue 13, finding 10).

The fenced blocks are taken from the README in order: `python` blocks are executed with httpx
talking to the test app, `csv` blocks are saved as the file the next `curl -F file=@...` sends,
and `sh` blocks holding `curl` are interpreted by the small shell below (variables, `$(...)`,
pipes into `echo`, `curl` and `python3 -c`). A comment holding JSON after a command is the
answer the README promises: its keys must be in the answer, and its values too except ids and
the `...` placeholders. Blocks that are not API examples are listed in NOT_API_EXAMPLES, so a new
block is either run or classified.

The world is tests.world's with its ids as the README uses them (contract 1, provider 3: S2
Employment Ltd), the README's provider user login (one the demo has) of organisation 3, and the
variables a reader would have set: CHAINBOARD_PASSWORD, KEY and MEMBER_KEY (an API key of
organisation 3), PRIME_KEY (the prime manager's).
"""

import json
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.demo.generator import generate_cpa
from app.models import Base
from tests.helpers import PASSWORD, add_user
from tests.world import World, make_world

REPOSITORY = Path(__file__).resolve().parents[1]
README = REPOSITORY / "README.md"
SERVER = "http://127.0.0.1:8000"
NOT_API_EXAMPLES = {"make demo", "SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_"
                                  "urlsafe(48))') docker compose up"}
_BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


_LOGIN = re.compile(r'username=([\w.]+)|"username": "([\w.]+)"')
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def readme_blocks() -> list[tuple[str, str]]:
    return [(lang, body) for lang, body in _BLOCK.findall(README.read_text(encoding="utf-8"))]


def readme_logins() -> set[str]:
    """Every user name the README logs in with or shows."""
    return {a or b for a, b in _LOGIN.findall(README.read_text(encoding="utf-8"))}


def demo_logins() -> set[str]:
    return {user.username for user in generate_cpa(50, 1, date(2026, 12, 6)).users}


# -- a small shell -------------------------------------------------------------------------------
def expand(line: str, env: dict[str, str]) -> str:
    """`$NAME` and `${NAME}` replaced outside single quotes, as a shell does."""
    out, quoted, i = [], False, 0
    while i < len(line):
        char = line[i]
        if char == "'":
            quoted = not quoted
        elif char == "$" and not quoted:
            match = re.match(r"\$(\w+)|\$\{(\w+)\}", line[i:])
            if match:
                value = env[match.group(1) or match.group(2)]
                # literal text to shlex: escaped inside double quotes, quoted outside them
                out.append(value.replace("\\", "\\\\").replace('"', '\\"')
                           if _in_double_quotes(line, i) else shlex.quote(value))
                i += match.end()
                continue
        out.append(char)
        i += 1
    return "".join(out)


def _in_double_quotes(line: str, index: int) -> bool:
    quoted_single = quoted_double = False
    for char in line[:index]:
        if char == "'" and not quoted_double:
            quoted_single = not quoted_single
        elif char == '"' and not quoted_single:
            quoted_double = not quoted_double
    return quoted_double


class Shell:
    def __init__(self, client: TestClient, env: dict[str, str]) -> None:
        self.client, self.env = client, env
        self.answers: list[httpx.Response] = []

    def run(self, script: str) -> None:
        commands = _commands(script)
        for index, (command, _) in enumerate(commands):
            output = self.command(command)
            expected = commands[index][1]
            if expected:
                check_answer(output, expected)

    def command(self, command: str) -> str:
        assignment = re.fullmatch(r"(\w+)=\$\((.*)\)", command, re.DOTALL)
        if assignment:
            self.env[assignment.group(1)] = self.pipeline(assignment.group(2)).strip()
            return ""
        return self.pipeline(command)

    def pipeline(self, command: str) -> str:
        tokens = shlex.split(expand(command, self.env))
        stages: list[list[str]] = [[]]
        for token in tokens:
            if token == "|":
                stages.append([])
            else:
                stages[-1].append(token)
        data = ""
        for stage in stages:
            data = self.stage(stage, data)
        return data

    def stage(self, argv: list[str], stdin: str) -> str:
        if argv[0] == "echo":
            return " ".join(argv[1:]) + "\n"
        if argv[:2] == ["python3", "-c"]:
            done = subprocess.run([sys.executable, "-c", argv[2]], input=stdin, text=True,
                                  capture_output=True, check=True, timeout=60)
            return done.stdout
        assert argv[0] == "curl", f"the README runs {argv[0]}, which this shell does not know"
        return self.curl(argv[1:])

    def curl(self, args: list[str]) -> str:
        method, url, headers = None, None, {}
        data: list[str] = []
        form: dict[str, str] = {}
        files: dict[str, tuple[str, bytes]] = {}
        items = iter(args)
        for arg in items:
            if arg == "-s":
                continue
            if arg == "-X":
                method = next(items)
            elif arg == "-H":
                name, value = next(items).split(":", 1)
                headers[name.strip()] = value.strip()
            elif arg == "-d":
                data.append(next(items))
            elif arg == "--data-urlencode":
                name, value = next(items).split("=", 1)
                form[name] = value
            elif arg == "-F":
                name, value = next(items).split("=", 1)
                assert value.startswith("@")
                files[name] = (value[1:], Path(value[1:]).read_bytes())
            elif arg.startswith(SERVER):
                url = arg[len(SERVER):]
            else:
                raise AssertionError(f"curl option {arg} is not known to this shell")
        assert url is not None
        kwargs: dict[str, Any] = {"headers": headers}
        if files:
            kwargs["files"] = files
        elif headers.get("Content-Type") == "application/json":
            kwargs["content"] = "&".join(data)
        elif data or form:
            kwargs["data"] = {**dict(item.split("=", 1) for item in data), **form}
        method = method or ("POST" if data or form or files else "GET")
        answer = self.client.request(method, url, **kwargs)
        assert answer.status_code < 400, (method, url, answer.status_code, answer.text)
        self.answers.append(answer)
        return answer.text


def _commands(script: str) -> list[tuple[str, str]]:
    """(command, the JSON comment after it) for each command; continuation lines joined and
    quoted newlines kept."""
    commands: list[tuple[str, str]] = []
    pending = ""
    lines = script.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        follows_command = index >= 2 and bool(commands) and not pending and not (
            lines[index - 2].startswith("#") or not lines[index - 2].strip())
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            if follows_command and line.startswith("# {"):
                expected = [line[2:]]
                while index < len(lines) and lines[index].startswith("#  "):
                    expected.append(lines[index][2:])
                    index += 1
                commands[-1] = (commands[-1][0], "\n".join(expected))
            continue
        pending += line[:-1] + " " if line.endswith("\\") else line + "\n"
        if line.endswith("\\") or not _complete(pending):
            continue
        commands.append((pending.strip(), ""))
        pending = ""
    assert not pending, f"an unfinished command: {pending}"
    return commands


def _complete(command: str) -> bool:
    try:
        shlex.split(command)
    except ValueError:
        return False  # an open quote: the command goes on
    return command.count("$(") <= command.count(")")


def check_answer(output: str, expected: str) -> None:
    """The keys of the JSON the README shows are in the answer, and its values too unless they
    are ids, placeholders or `...`."""
    answer = json.loads(output)
    try:
        promised = json.loads(expected)
    except json.JSONDecodeError:  # an abridged answer with `...`: its keys, at any depth
        missing = set(re.findall(r'"(\w+)":', expected)) - _keys(answer)
        assert not missing, (missing, answer)
        return
    for key, value in promised.items():
        assert key in answer, (key, answer)
        if not (key == "id" or key.endswith("_id")) and value != "...":
            assert answer[key] == value, (key, answer)


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for item in value.values() for k in _keys(item)}
    if isinstance(value, list):
        return {k for item in value for k in _keys(item)}
    return set()


# -- the test ------------------------------------------------------------------------------------
def _restart_ids(db: Session) -> None:
    """PostgreSQL keeps its sequences when the tables are emptied; the README's ids are those
    of a fresh database (SQLite gives them after every emptying)."""
    if db.get_bind().dialect.name != "postgresql":
        return
    for table in Base.metadata.sorted_tables:
        if "id" in table.c:
            db.execute(text("SELECT setval(pg_get_serial_sequence(:t, 'id'), 1, false) "
                            "WHERE pg_get_serial_sequence(:t, 'id') IS NOT NULL"),
                       {"t": table.name})
    db.commit()


@pytest.fixture()
def readme_world(client: TestClient, db: Session) -> Iterator[World]:
    _restart_ids(db)
    world = make_world(client, db)
    assert (world.contract_a, world.s2) == (1, 3), "the README's contract 1 and provider 3"
    (login,) = readme_logins()
    add_user(db, login, "provider_user", world.s2)
    yield world


def test_the_readme_logs_in_as_a_user_the_demo_has():
    logins = readme_logins()
    assert logins, "the README shows a login"
    assert logins <= demo_logins(), logins - demo_logins()


def test_the_readme_links_to_files_in_the_repository():
    """A clone has only the repository: no link may leave it or point at a missing file."""
    for target in _LINK.findall(README.read_text(encoding="utf-8")):
        if target.startswith(("http://", "https://", "#", "mailto:")):
            continue
        path = (REPOSITORY / target.split("#")[0]).resolve()
        assert path.is_relative_to(REPOSITORY) and path.exists(), target


def test_every_readme_block_is_run_or_not_an_api_example():
    blocks = readme_blocks()
    assert {lang for lang, _ in blocks} <= {"sh", "python", "csv"}
    skipped = [body.splitlines()[0] for lang, body in blocks if "curl" not in body
               and lang == "sh"]
    assert set(skipped) == NOT_API_EXAMPLES, skipped


def test_every_readme_example_runs_as_written(client, readme_world, tmp_path, monkeypatch,
                                             capsys):
    world = readme_world
    env = {"CHAINBOARD_PASSWORD": PASSWORD, "KEY": world.keys["s2"]["X-API-Key"],
           "MEMBER_KEY": world.keys["s2"]["X-API-Key"],
           "PRIME_KEY": world.keys["manager_a"]["X-API-Key"]}
    monkeypatch.setenv("CHAINBOARD_PASSWORD", PASSWORD)
    monkeypatch.chdir(tmp_path)
    transport = client._transport

    class ToTheTestApp(httpx.Client):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, transport=transport, **kwargs)

    monkeypatch.setattr(httpx, "Client", ToTheTestApp)
    shell = Shell(client, env)
    ran = []
    for lang, body in readme_blocks():
        if lang == "csv":
            Path("events.csv").write_text(body, encoding="utf-8")
        elif lang == "python":
            exec(compile(body, "README.md", "exec"), {"__name__": "readme"})
            printed = capsys.readouterr().out
            assert printed.startswith("200 {'accepted': "), printed
            assert "'rejected': []" in printed, printed
        elif "curl" in body:
            shell.run(body)
        else:
            continue
        ran.append(lang)
    assert ran.count("sh") >= 5 and "python" in ran and "csv" in ran
    events = [a.json() for a in shell.answers if a.url.path.startswith("/api/v1/events")]
    assert events == [{"accepted": 3, "duplicates": 0, "rejected": []},
                      {"accepted": 4, "duplicates": 0, "rejected": []}]
    complaint = client.get(f"/api/v1/complaints/{env['ID']}", headers=world.keys["s2"]).json()
    assert complaint["status"] == "acknowledged" and complaint["confidential"] is True
