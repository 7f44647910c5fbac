"""deploy/: every scheduler example runs a command leadsync accepts, and holds no secret."""

from __future__ import annotations

import configparser
import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import sync.cli
from sync.config import load_config

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = [DEPLOY / "leadsync.service", DEPLOY / "leadsync@.service"]
MANIFEST = DEPLOY / "k8s-cronjob.yaml"


def help_options(command: str) -> set[str]:
    """The options `leadsync COMMAND --help` lists, as a person would find them."""
    result = CliRunner().invoke(sync.cli.main, [command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", result.output))


def assert_accepted(argv: list[str]) -> click.Context:
    """`argv` (after the program) names a leadsync command whose options all exist and parse."""
    command = argv[0]
    known = help_options(command)
    used = {arg.split("=", 1)[0] for arg in argv[1:] if arg.startswith("--")}
    assert used <= known, f"not options of leadsync {command}: {sorted(used - known)}"
    group = sync.cli.main
    with group.make_context("leadsync", list(argv)) as outer:
        sub = group.get_command(outer, command)
        assert sub is not None
        # Parses and validates every value (a --log-format choice, --every's range) without
        # running the command.
        return sub.make_context(command, list(argv[1:]), parent=outer)


def leadsync_argv(words: list[str]) -> list[str]:
    """The arguments after the leadsync executable in a command line."""
    starts = [n for n, word in enumerate(words) if Path(word).name in {"leadsync", "leadsync.exe"}]
    assert starts, f"no leadsync executable in {words}"
    return words[starts[0] + 1 :]


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are cased
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_systemd_unit_runs_watch_as_a_service_user_that_can_only_write_the_team_folder(
    path: Path,
) -> None:
    service = unit(path)["Service"]
    argv = leadsync_argv(shlex.split(service["ExecStart"]))
    context = assert_accepted(argv)
    assert argv[0] == "watch"
    assert context.params["once"] is False
    assert context.params["log_format"] == "json"
    configs = [Path(p) for p in context.params["config_paths"]]
    assert configs and all(p.is_absolute() and p.name == "leadsync.toml" for p in configs)

    assert service["User"] not in {"root", "0"}
    assert service["Restart"] == "on-failure"
    assert service["KillSignal"] == "SIGTERM"
    # A pass may wait 120 s for the tracker's lock or lease before it even starts.
    assert int(service["TimeoutStopSec"]) > 120
    assert service["ProtectSystem"] == "strict"
    writable = [Path(p) for p in service["ReadWritePaths"].split()]
    for config in configs:
        assert any(config.parent.is_relative_to(w) for w in writable), config
    assert Path(service["WorkingDirectory"]).is_absolute()
    # Credentials: at most a commented example of the variable naming a key file.
    assert "GOOGLE_APPLICATION_CREDENTIALS" not in service.get("Environment", "")
    assert "#Environment=GOOGLE_APPLICATION_CREDENTIALS=" in path.read_text(encoding="utf-8")


def test_cron_line_runs_one_pass_under_flock_and_logs_to_a_file() -> None:
    lines = [
        line
        for line in (DEPLOY / "cron.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#") and not re.match(r"^[A-Z_]+=", line)
    ]
    assert len(lines) == 1, lines
    fields = lines[0].split(None, 5)
    assert fields[:5] == ["*"] * 5, "every minute"
    command = fields[5]
    assert "%" not in command, "cron turns an unescaped % into a newline"
    words = shlex.split(command)
    flock = words.index("flock")
    assert "-n" in words[flock:], "a run must not queue behind the previous one"
    argv = leadsync_argv(words[flock:])
    end = next((n for n, w in enumerate(argv) if w in {">>", ">", "||", "&&", ";", "|"}), None)
    context = assert_accepted(argv[:end])
    assert argv[0] == "watch"
    assert context.params["once"] is True
    assert context.params["config_paths"]
    assert ">>" in argv and "2>&1" in argv, "output appended to a log file"


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction, continuation lines joined."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    text = re.sub(r"\\\n", " ", text)
    found = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def test_dockerfile_runs_watch_as_non_root_and_copies_what_pip_install_needs() -> None:
    instructions = dockerfile()
    assert instructions[0][0] == "FROM" and instructions[0][1].startswith("python:3.11-slim")

    cmd = json.loads(next(rest for kind, rest in instructions if kind == "CMD"))
    assert cmd[0] == "leadsync"
    context = assert_accepted(cmd[1:])
    assert cmd[1] == "watch"
    assert [str(p) for p in context.params["config_paths"]] == ["/data/leadsync.toml"]
    assert context.params["log_format"] == "json"
    assert not [kind for kind, _ in instructions if kind == "ENTRYPOINT"]

    users = [rest for kind, rest in instructions if kind == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert ("STOPSIGNAL", "SIGTERM") in instructions
    assert any(
        kind == "RUN" and "pip install --no-cache-dir ." in rest for kind, rest in instructions
    )
    assert not [rest for kind, rest in instructions if kind == "ENV" and "CREDENTIALS" in rest]

    copied: set[str] = set()
    for kind, rest in instructions:
        if kind == "COPY":
            *sources, _target = rest.split()
            copied |= {s.rstrip("/") for s in sources if not s.startswith("--")}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    needed = set(project["tool"]["setuptools"]["packages"]) | {"pyproject.toml"}
    needed.add(project["project"]["readme"])
    needed |= {"LICENSE"} if (ROOT / "LICENSE").exists() else set()
    assert needed <= copied, f"not copied into the image: {sorted(needed - copied)}"
    for source in copied:
        assert (ROOT / source).exists(), source
        assert not ignored_by_dockerignore(source), f"{source} is left out of the build context"


def ignored_by_dockerignore(path: str) -> bool:
    """Docker's rule: the last matching pattern decides; `!` lets a path back in."""
    ignore = ROOT / ".dockerignore"
    if not ignore.exists():
        return False
    ignored = False
    for raw in ignore.read_text(encoding="utf-8").splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, pattern.removeprefix("**/")):
            ignored = not negate
    return ignored


def test_dockerignore_keeps_the_venv_tests_and_stray_keys_out_of_the_build_context() -> None:
    for path in [".venv", "tests", "bench", ".git", "service-account.json", "leadsync-demo"]:
        assert ignored_by_dockerignore(path), path


def manifest_documents() -> list[str]:
    text = MANIFEST.read_text(encoding="utf-8")
    return [
        doc for doc in re.split(r"^---\s*$", text, flags=re.M) if re.search(r"^kind:", doc, re.M)
    ]


def field(document: str, key: str) -> list[str]:
    return [
        m.strip().strip('"') for m in re.findall(rf"^\s*{key}:\s*(.+?)\s*(?:#.*)?$", document, re.M)
    ]


def block(document: str, key: str) -> str:
    """The text of a `key: |` block scalar."""
    match = re.search(rf"^(\s*){re.escape(key)}: \|\n((?:\1\s+.*\n|\s*\n)+)", document, re.M)
    assert match, key
    lines = match.group(2).splitlines()
    indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
    return "\n".join(line[indent:] for line in lines) + "\n"


def test_manifest_parses_as_yaml_when_pyyaml_is_there() -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML is not installed; the regex checks stand")
    docs = [doc for doc in yaml.safe_load_all(MANIFEST.read_text(encoding="utf-8")) if doc]
    jobs = [doc for doc in docs if doc["kind"] == "CronJob"]
    assert jobs
    for job in jobs:
        container = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
        assert container["command"][:3] == ["leadsync", "sync", "--config"]


def test_manifest_runs_one_sync_per_tracker_with_credentials_from_a_secret(
    tmp_path: Path,
) -> None:
    text = MANIFEST.read_text(encoding="utf-8")
    assert "\t" not in text
    documents = manifest_documents()
    maps = {field(d, "name")[0]: d for d in documents if field(d, "kind") == ["ConfigMap"]}
    jobs = [d for d in documents if field(d, "kind") == ["CronJob"]]
    assert len(jobs) >= 2, "the example shows how trackers are split, one job each"

    trackers = []
    for job in jobs:
        assert field(job, "apiVersion") == ["batch/v1"]
        assert field(job, "schedule") == ["* * * * *"]
        assert field(job, "concurrencyPolicy") == ["Forbid"]
        assert field(job, "runAsNonRoot") == ["true"]
        commands = [json.loads(c) for c in field(job, "command")]
        assert len(commands) == 1
        argv = commands[0]
        assert argv[0] == "leadsync"
        context = assert_accepted(argv[1:])
        assert argv[1] == "sync"
        config_path = Path(context.params["config_path"])
        assert config_path.name == "leadsync.toml"

        # The config comes from this job's own ConfigMap, mounted where --config points.
        config_maps = re.findall(r"configMap:\n\s+name: (\S+)", job)
        assert len(config_maps) == 1
        mounts = dict(re.findall(r"^\s*- name: (\S+)\n\s+mountPath: (\S+)", job, re.M))
        assert mounts.get("config") == str(config_path.parent)
        source = config_maps[0]
        assert source in maps, f"no ConfigMap {source} in the manifest"
        toml = tmp_path / source / "leadsync.toml"
        toml.parent.mkdir()
        toml.write_text(block(maps[source], "leadsync.toml"), encoding="utf-8")
        config = load_config(toml)  # leadsync itself accepts it
        assert config.tracker.backend == "google"
        assert config.google.credentials is None
        trackers.append(config.tracker.spreadsheet)

        # Credentials: a secret mounted read-only, named by a path in the environment.
        assert field(job, "secretName")
        assert mounts.get("secrets") == "/secrets"
        assert "GOOGLE_APPLICATION_CREDENTIALS" in job
        assert field(job, "value") == ["/secrets/service-account.json"]

    assert len(set(trackers)) == len(trackers), "a tracker must be in exactly one job"


SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "JSON key": re.compile(r'"private_key(_id)?"\s*:'),
    "Google API key": re.compile(r"AIza[0-9A-Za-z_-]{35}"),
    "OAuth token": re.compile(r"ya29\.[0-9A-Za-z_-]{20,}"),
    "OAuth refresh token": re.compile(r"\b1//[0-9A-Za-z_-]{20,}"),
    "client secret": re.compile(r"GOCSPX-[0-9A-Za-z_-]{10,}"),
    "AWS key": re.compile(r"AKIA[0-9A-Z]{16}"),
    "GitHub token": re.compile(r"gh[pousr]_[0-9A-Za-z]{30,}"),
    "inline secret value": re.compile(
        r"(?i)(password|passwd|secret|token|api_?key)\s*[:=]\s*['\"]?[0-9A-Za-z+/_-]{16,}"
    ),
    "base64 blob": re.compile(r"[0-9A-Za-z+/]{60,}={0,2}"),
}


def test_no_file_in_deploy_holds_a_key_or_token() -> None:
    files = [path for path in DEPLOY.rglob("*") if path.is_file()]
    assert len(files) >= 7
    for path in files:
        text = path.read_text(encoding="utf-8")
        for what, pattern in SECRET_PATTERNS.items():
            match = pattern.search(text)
            assert match is None, f"{path.name} holds what looks like a {what}: {match}"


def test_the_secret_check_does_find_a_key() -> None:
    fake = '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIE"}'
    assert SECRET_PATTERNS["private key"].search(fake)
    assert SECRET_PATTERNS["JSON key"].search(fake)


def docker_usable() -> str | None:
    """Why the image cannot be built here, or None when it can."""
    if os.environ.get("LEADSYNC_DOCKER_TEST") != "1":
        return "set LEADSYNC_DOCKER_TEST=1 to build the image (slow, needs network)"
    if shutil.which("docker") is None:
        return "no docker command on this machine"
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, check=False)
    if info.returncode != 0:
        return "the docker daemon is not running or not reachable"
    return None


@pytest.mark.skipif(docker_usable() is not None, reason=str(docker_usable()))
def test_image_builds_and_runs_watch_as_non_root(tmp_path: Path) -> None:
    tag = "leadsync-deploy-test:latest"
    build = ["docker", "build", "-f", str(DEPLOY / "Dockerfile"), "-t", tag, str(ROOT)]
    subprocess.run(build, check=True)
    user = subprocess.run(
        ["docker", "run", "--rm", tag, "id", "-u"], capture_output=True, text=True, check=True
    )
    assert user.stdout.strip() != "0"
    shown = subprocess.run(
        ["docker", "run", "--rm", tag, "leadsync", "watch", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--log-format" in shown.stdout
    # No leadsync.toml in /data: one pass fails the way leadsync sync would, with exit code 2.
    once = ["docker", "run", "--rm", tag, "leadsync", "watch", "--once", "--config"]
    assert subprocess.run([*once, "/data/leadsync.toml"], check=False).returncode == 2
