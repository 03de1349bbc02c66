"""deploy/ and the Procfile agree with the code they run.

Containers cannot run on the CI machine, so these tests read the compose file, the
image recipe, the example environment and the Procfile, and hold them to casevault's
settings, commands and queues: a renamed setting, a removed subcommand or a new queue
without a worker fails here instead of in a deployment.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
import yaml

from casevault import cli as cli_module
from casevault.app import task_queue
from casevault.core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
ENV_EXAMPLE = DEPLOY / "casevault.env.example"
PROCFILE = ROOT / "Procfile"
DOCKERIGNORE = ROOT / ".dockerignore"

SETTINGS_VARIABLES = {f"CASEVAULT_{name.upper()}" for name in Settings.model_fields}
QUEUES = {task_queue.OCR_QUEUE, task_queue.LIFECYCLE_QUEUE}
CASEVAULT_NAME = re.compile(r"\bCASEVAULT_[A-Z0-9_]+")
INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:[:?+-][^}]*)?\}")


# --- reading the files ---------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict) -> dict[str, dict]:
    return compose["services"]


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def interpolate(text: str) -> str:
    """Compose's ${VAR}, ${VAR:?msg}, ${VAR:-default} with the example's values."""
    example = env_example()
    return INTERPOLATION.sub(lambda match: example[match.group(1)], text)


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """[(INSTRUCTION, arguments), ...] per stage, continuation lines joined."""
    logical, pending = [], ""
    for raw in DOCKERFILE.read_text().splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue  # comments may sit between continuation lines too
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    stages: list[list[tuple[str, str]]] = []
    for line in logical:
        instruction, _, arguments = line.partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        stages[-1].append((instruction.upper(), arguments.strip()))
    return stages


def procfile() -> dict[str, str]:
    entries = {}
    for line in PROCFILE.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_-]+):\s*(.+)$", line)
        if match:
            entries[match.group(1)] = match.group(2).strip()
    return entries


def is_casevault(service: dict) -> bool:
    return "build" in service or str(service.get("image", "")).startswith("casevault")


def command_of(service: dict) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def parse_casevault_command(argv: list[str]) -> click.Context:
    """The context the real CLI would build for argv; fails on unknown commands or options."""
    assert argv and argv[0] == "casevault", f"{argv} does not run casevault"
    command: click.Command = cli_module.cli
    args = argv[1:]
    while isinstance(command, click.Group):
        if command.invoke_without_command and (not args or args[0] not in command.commands):
            break  # a group that runs by itself, like `casevault worker --queues ocr`
        assert args, f"{argv} names no subcommand"
        name = args.pop(0)
        assert name in command.commands, f"{argv}: casevault has no command {name!r}"
        command = command.commands[name]
    try:
        return command.make_context(command.name or "", args)
    except click.ClickException as error:
        pytest.fail(f"{argv}: {error.format_message()}")


def queues_of(context: click.Context) -> set[str]:
    return {queue.strip() for queue in context.params["queues"].split(",")}


# --- settings -------------------------------------------------------------------------


@pytest.mark.parametrize("path", [COMPOSE_FILE, ENV_EXAMPLE, DOCKERFILE, PROCFILE], ids=lambda p: p.name)
def test_every_casevault_variable_named_is_a_setting(path: Path) -> None:
    named = set(CASEVAULT_NAME.findall(path.read_text()))
    assert named - SETTINGS_VARIABLES == set(), f"{path.name} names variables Settings does not have"


def test_every_value_set_is_one_settings_accepts(services: dict[str, dict]) -> None:
    assigned: dict[str, str] = {}
    for instruction, arguments in dockerfile_stages()[-1]:
        if instruction == "ENV":
            assigned.update(pair.split("=", 1) for pair in shlex.split(arguments))
    assigned.update(env_example())
    for service in services.values():
        if is_casevault(service):
            assigned.update({name: interpolate(str(value)) for name, value in service["environment"].items()})
    fields = {
        name[len("CASEVAULT_") :].lower(): value for name, value in assigned.items() if name.startswith("CASEVAULT_")
    }
    settings = Settings(**fields)  # raises, naming the field, on a value it refuses
    assert settings.storage_url == "s3://" and settings.s3_addressing_style == "path"
    assert settings.database_url.startswith("postgresql+psycopg://") and settings.broker_url.startswith("redis://")


def test_the_example_defines_everything_compose_interpolates(services: dict) -> None:
    referenced = set(INTERPOLATION.findall(COMPOSE_FILE.read_text()))
    assert referenced, "compose.yaml takes its passwords from the environment file"
    assert referenced - set(env_example()) == set()


def test_no_password_is_written_into_compose(services: dict[str, dict]) -> None:
    for name, service in services.items():
        for variable, value in (service.get("environment") or {}).items():
            if re.search(r"PASSWORD|SECRET", variable):
                assert INTERPOLATION.fullmatch(str(value)), f"{name}: {variable} must come from deploy/casevault.env"
    for variable, value in env_example().items():
        if re.search(r"PASSWORD|SECRET", variable):
            assert "CHANGE-ME" in value, f"{variable} in the example must be a marked placeholder"


# --- services --------------------------------------------------------------------------


def test_every_service_has_a_health_check(services: dict[str, dict]) -> None:
    for name, service in services.items():
        check = service.get("healthcheck")
        assert check, f"{name} has no health check"
        if check.get("disable"):
            # only a one-shot may go without: its health is its exit code
            assert service.get("restart") == "no", f"{name} disables its health check but is not a one-shot"
            waiting = [other for other in services.values() if name in (other.get("depends_on") or {})]
            assert waiting and all(
                other["depends_on"][name]["condition"] == "service_completed_successfully" for other in waiting
            ), f"services after {name} must wait for it to complete"
        else:
            assert check["test"][0] in {"CMD", "CMD-SHELL"} and len(check["test"]) > 1, name


def test_the_servers_are_there(services: dict[str, dict]) -> None:
    assert {"minio", "postgres", "redis"} <= set(services)
    assert "pg_isready" in str(services["postgres"]["healthcheck"]["test"])
    assert "ping" in str(services["redis"]["healthcheck"]["test"])


def test_every_casevault_service_runs_a_real_command(services: dict[str, dict]) -> None:
    casevault_services = {name: s for name, s in services.items() if is_casevault(s)}
    assert set(casevault_services) >= {"init", "api", "worker-ocr", "worker-lifecycle", "beat"}
    served: set[str] = set()
    for name, service in casevault_services.items():
        context = parse_casevault_command(command_of(service))
        if context.command.name == "worker":
            assert queues_of(context) <= QUEUES, f"{name} names a queue casevault does not have"
            served |= queues_of(context)
    assert served == QUEUES, "every queue needs a worker"
    assert [command_of(s) for s in casevault_services.values()].count(["casevault", "beat"]) == 1, "exactly one beat"


def test_workers_are_checked_by_pinging_them(services: dict[str, dict]) -> None:
    workers = {
        name: s
        for name, s in services.items()
        if is_casevault(s) and parse_casevault_command(command_of(s)).command.name == "worker"
    }
    assert workers
    for name, service in workers.items():
        check = service["healthcheck"]["test"]
        assert check[0] == "CMD", name
        context = parse_casevault_command(check[1:])
        assert context.command.name == "ping", f"{name}: its health check must be `casevault worker ping`"
        ping_timeout = context.params["timeout"]
        assert ping_timeout < _seconds(service["healthcheck"]["timeout"]), (
            f"{name}: the ping must give up before compose does"
        )


def _seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+)s", duration)
    assert match, f"write health check durations in seconds, not {duration!r}"
    return float(match.group(1))


def test_init_runs_first_and_the_others_wait_for_it(services: dict[str, dict]) -> None:
    assert command_of(services["init"]) == ["casevault", "init"]
    for name, service in services.items():
        if is_casevault(service) and name != "init":
            assert service["depends_on"]["init"]["condition"] == "service_completed_successfully", name
            for server in ("postgres", "redis", "minio"):
                assert service["depends_on"][server]["condition"] == "service_healthy", f"{name} on {server}"


def test_paths_resolve_from_the_deploy_directory(compose: dict, services: dict[str, dict]) -> None:
    for name, service in services.items():
        if not is_casevault(service):
            continue
        context = (DEPLOY / service["build"]["context"]).resolve()
        assert (context / "pyproject.toml").is_file(), f"{name}: the build context must be the repository root"
        assert (context / service["build"]["dockerfile"]).resolve() == DOCKERFILE
        env_files = service["env_file"] if isinstance(service["env_file"], list) else [service["env_file"]]
        for env_file in env_files:
            assert (DEPLOY / f"{env_file}.example").resolve() == ENV_EXAMPLE, f"{name}: {env_file} has no example"


def test_data_postgres_and_minio_live_in_named_volumes(compose: dict, services: dict[str, dict]) -> None:
    data_dir = next(
        value
        for instruction, arguments in dockerfile_stages()[-1]
        if instruction == "ENV"
        for pair in shlex.split(arguments)
        for name, _, value in [pair.partition("=")]
        if name == "CASEVAULT_DATA_DIR"
    )
    named = set(compose["volumes"])

    def mounts(service: dict) -> dict[str, str]:
        return {target: source for source, target, *_ in (volume.split(":") for volume in service.get("volumes", []))}

    for name, service in services.items():
        if is_casevault(service):
            assert mounts(service).get(data_dir) in named, f"{name} must keep {data_dir} in a named volume"
            assert service["environment"].get("CASEVAULT_DATA_DIR", data_dir) == data_dir
    assert mounts(services["postgres"]).get("/var/lib/postgresql/data") in named
    assert mounts(services["minio"]).get("/data") in named


# --- the image -------------------------------------------------------------------------


def test_the_image_builds_wheels_apart_and_runs_without_build_tools() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2, "multi-stage: compilers stay in the builder"
    builder, final = _builder(stages), stages[-1]
    assert any(i == "RUN" and "pip wheel" in a for i, a in builder)
    assert final[0] == ("FROM", "python:3.11-slim-bookworm")
    runs = " ".join(a for i, a in final if i == "RUN")
    assert re.search(r"apt-get install .*\btesseract-ocr\b.*\btesseract-ocr-eng\b", runs)
    assert "rm -rf /var/lib/apt/lists/*" in runs
    assert not re.search(r"\b(gcc|g\+\+|build-essential|make|[a-z0-9.+-]+-dev)\b", runs), (
        "no build tools in the final image"
    )
    assert "--no-index" in runs, "the final stage installs only the builder's wheels"


def _builder(stages: list[list[tuple[str, str]]]) -> list[tuple[str, str]]:
    [builder] = [stage for stage in stages if any(i == "RUN" and "pip wheel" in a for i, a in stage)]
    return builder


def test_the_image_carries_the_web_pages_assets_built_from_the_lock_file() -> None:
    stages = dockerfile_stages()
    assets = [stage for stage in stages if any("npm ci" in a for i, a in stage if i == "RUN")]
    assert len(assets) == 1 and assets[0] is not stages[-1], "node builds the assets in a stage of its own"
    copies = [a for i, a in _builder(stages) if i == "COPY"]
    assert any(a.startswith("--from=assets") and "casevault/web/static" in a for a in copies)


def test_the_image_runs_casevault_api_as_a_fixed_non_root_user() -> None:
    final = dockerfile_stages()[-1]
    users = [a for i, a in final if i == "USER"]
    assert users, "the final stage must switch user"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"} and user.isdigit(), "a fixed numeric uid, not root"
    env = " ".join(a for i, a in final if i == "ENV")
    assert "OMP_THREAD_LIMIT=1" in env and "CASEVAULT_HOST=0.0.0.0" in env
    assert ("EXPOSE", "8000") in final
    health = [a for i, a in final if i == "HEALTHCHECK"]
    assert health and "/healthz" in health[0] and "curl" not in health[0]
    cmd = [a for i, a in final if i == "CMD"][-1]
    assert yaml.safe_load(cmd) == ["casevault", "api"]  # the exec form is a JSON list
    parse_casevault_command(yaml.safe_load(cmd))


def test_the_build_context_holds_only_what_the_image_needs() -> None:
    lines = [
        line.strip() for line in DOCKERIGNORE.read_text().splitlines() if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "a whitelist: .venv, var/ (keys!), .git and deploy/casevault.env stay out"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    copied = set()
    for stage in dockerfile_stages()[:-1]:  # every stage before the final one builds from the context
        for instruction, arguments in stage:
            if instruction == "COPY" and not arguments.startswith("--from"):
                sources = arguments.split()[:-1]
                copied |= {source.rstrip("/") for source in sources}
    let_in = {path for path in copied if any(path == a or path.startswith(a + "/") for a in allowed)}
    assert copied and copied == let_in, "everything the build stages copy must be let in"
    assert allowed.isdisjoint({".venv", "var", ".git", "deploy", "tests"})


# --- the Procfile ----------------------------------------------------------------------


def test_the_procfile_runs_the_same_processes(services: dict[str, dict]) -> None:
    entries = procfile()
    assert entries.pop("release") == "casevault init"
    assert set(entries) == {"api", "worker_ocr", "worker_lifecycle", "beat"}
    for command in entries.values():
        parse_casevault_command(shlex.split(command))
    compose_commands = {tuple(command_of(s)) for name, s in services.items() if is_casevault(s) and name != "init"}
    assert {tuple(shlex.split(command)) for command in entries.values()} == compose_commands
