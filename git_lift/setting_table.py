"""Every setting git lift reads, in one table (issue 18): its name in git config, its GIT_LIFT_*
variable, what its values must be, its default and where it may come from; and the checks of
values, each an `error:` naming the setting. Pure and cheap to import (a hook with nothing to
check loads it): reading (settings.build), validation, "did you mean" and the README's table
(tests/test_readme.py) all come from here.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from git_lift import names
from git_lift.errors import UsageError
from git_lift.records import record

if TYPE_CHECKING:
    from git_lift.freeze import Window

TRUE_WORDS = {"true", "yes", "on", "1"}
FALSE_WORDS = {"false", "no", "off", "0", ""}
BUILDERS = ("auto", "docker", "buildah", "podman")
REGION = re.compile(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}")
ACCOUNT = re.compile(r"[0-9]{12}")
ROLE_ARN = re.compile(r"arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}")
# A standard SNS topic: "Topic names must be made up of only uppercase and lowercase ASCII
# letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long"
# (SNS API Reference, CreateTopic). FIFO topics (.fifo) need a MessageGroupId: not taken.
TOPIC_ARN = re.compile(r"arn:aws(-cn|-us-gov)?:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}")
WEBHOOK = "webhook"  # env.NAME.notify: the Slack-compatible webhook kept in Parameter Store
VARIABLE_PREFIX = "GIT_LIFT_"


def unknown_key(what: str, key: str, known: Iterable[str], where: str = ".gitlift") -> UsageError:
    """`known` as git config reports keys (lower-case); the hint spells them as documented."""
    close = names.close_spelling(key, sorted(known))
    guess = f"did you mean {_spelled(close)!r}? " if close else ""
    return UsageError(
        f"{where} has an unknown {what} {key!r}",
        hint=f"{guess}known: {', '.join(sorted(map(_spelled, known)))}",
    )


def _spelled(key: str) -> str:
    for s in SETTINGS:
        lift = s.section == "lift"
        if key == s.key:
            return s.name.removeprefix("lift.") if lift else s.name.rpartition(".")[2]
        if lift and key == f"lift.{s.key}":
            return s.name
    return key


def inside_repository(key: str, value: str) -> str:
    """A path from a committed file, normalised; refused when it could leave the repository
    (absolute, `..`, `~`). Symlinks are resolved where the path is used (repo.contained)."""
    if not value or "\0" in value or "\\" in value:
        raise UsageError(f"{key} = {value!r} is not a usable path", hint="give a relative path")
    normal = posixpath.normpath(value)
    if (
        PurePosixPath(normal).is_absolute()
        or normal == ".."
        or normal.startswith("../")
        or normal.startswith("~")
    ):
        raise UsageError(
            f"{key} = {value!r} is outside the repository",
            hint="give a path relative to the repository's top, inside it",
        )
    return normal


def parse_bool(key: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    raise UsageError(
        f"{key} = {value!r} is not a boolean", hint=f"set {key} to true or false in .gitlift"
    )


def parse_number(key: str, value: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not low <= number <= high:  # NaN fails too
        raise UsageError(
            f"{key} = {value!r} is not a number from {low:g} to {high:g}",
            hint=f"set {key} to a number in that range (or remove it)",
        )
    return number


def parameter_path(value: str) -> str:
    path = "/" + value.strip("/")
    if not re.fullmatch(r"(/[A-Za-z0-9_.-]+)+", path):
        raise UsageError(
            f"parameterPath = {value!r} is not a Parameter Store path",
            hint="a path such as /staging/payments-api",
        )
    return path


def check_region(value: str | None, key: str = "region") -> str | None:
    if value is not None and not REGION.fullmatch(value):
        raise UsageError(
            f"{key} = {value!r} is not an AWS region", hint="name one like eu-west-1 or us-east-1"
        )
    return value


# The one table of settings (issue 18): each setting's name in git config, its GIT_LIFT_*
# variable, what its values must be, its default and where it may come from. Reading
# (settings.build), validation, "did you mean" and the README's table all come from here.

T = TypeVar("T")
ANY = "yes"  # a committed .gitlift may set it
TRUSTED = "after `git lift trust`"  # credentials and destinations
POLICY = "no: the default branch's .gitlift and your git config"  # release policy
STRICTER = "only to make it stricter"  # release policy a commit may tighten
VARIABLE = "-"  # an environment variable of git lift's, no git config key
OWN = "no: your own git config only"  # where the release policy is read from


@record(frozen=True)
class Setting(Generic[T]):
    name: str  # as documented: lift.hooks.cacheTtl, env.NAME.deployOnPush, GIT_LIFT_SKIP_HOOKS
    check: Callable[[str, str], T]  # (the name as set, value) -> the value, or UsageError
    accepts: str  # what a value must be, in words
    default: T | None
    source: str  # ANY, TRUSTED, POLICY, STRICTER, OWN or VARIABLE
    doc: str
    shown_default: str | None = None  # the README's default, when not `default` itself
    flag: str | None = None

    @property
    def section(self) -> str:
        return self.name.split(".")[0]

    @property
    def key(self) -> str:
        """As git config reports it inside its section, lower-case (`hooks.cachettl`)."""
        parts = self.name.split(".")
        return ".".join(parts[1:] if self.section == "lift" else parts[2:]).lower()

    @property
    def variable(self) -> str | None:
        if self.source == VARIABLE:
            return self.name
        if self.section != "lift" or self.source == OWN:
            return None
        words = re.sub(r"([a-z])([A-Z])", r"\1_\2", self.name.removeprefix("lift."))
        return VARIABLE_PREFIX + words.replace(".", "_").upper()

    def spelled(self, subsection: str = "") -> str:
        """The name with the environment or service filled in (`env.staging.failFast`)."""
        if self.section not in ("env", "service", "target"):
            return self.name
        section, _, rest = self.name.partition(".")
        return f"{section}.{subsection}.{rest.rpartition('.')[2]}"

    def given(self, values: Mapping[str, str], subsection: str = "") -> T | None:
        """The value set in `values` (keys as `key`), checked; None when not set."""
        raw = values.get(self.key)
        return None if raw is None else self.check(self.spelled(subsection), raw)

    def read(self, values: Mapping[str, str], subsection: str = "") -> T | None:
        found = self.given(values, subsection)
        return self.default if found is None else found

    def value(self, values: Mapping[str, str], subsection: str = "") -> T:
        found = self.read(values, subsection)
        if found is None:
            raise TypeError(f"{self.name} has no default")  # the table's mistake, not input
        return found


def _text(name: str, value: str) -> str:
    return value


def _number(low: float, high: float) -> Callable[[str, str], float]:
    return lambda name, value: parse_number(name, value, low, high)


def _count(low: int, high: int) -> Callable[[str, str], int]:
    return lambda name, value: int(parse_number(name, value, low, high))


def _region(name: str, value: str) -> str:
    return check_region(value, name) or value


def _builder(name: str, value: str) -> str:
    if value not in BUILDERS:
        raise UsageError(
            f"{name} = {value!r} is not a builder", hint=f"set it to one of: {', '.join(BUILDERS)}"
        )
    return value


def _matching(pattern: re.Pattern[str], what: str, hint: str) -> Callable[[str, str], str]:
    def check(name: str, value: str) -> str:
        if not pattern.fullmatch(value):
            raise UsageError(f"{name} = {value!r} is not {what}", hint=hint)
        return value

    return check


def _environment(name: str, value: str) -> str:
    return names.environment(value)


def _parameter_path(name: str, value: str) -> str:
    return parameter_path(value)


def _freeze(name: str, value: str) -> Window:
    from git_lift import freeze  # zoneinfo: only where a window is set

    return freeze.parse(name, value)


def _notify(name: str, value: str) -> str:
    if value == WEBHOOK or TOPIC_ARN.fullmatch(value):
        return value
    raise UsageError(
        f"{name} = {value!r} is neither {WEBHOOK} nor an SNS topic ARN",
        hint=f"set it to {WEBHOOK} (its URL in Parameter Store: git lift notify-webhook -e ENV) "
        "or to arn:aws:sns:REGION:ACCOUNT:TOPIC",
    )


# Preview environments (issue 23): a duration such as `7d`, and a DNS domain.
DURATION = re.compile(r"([0-9]+)([mhd])")
UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}
DOMAIN = re.compile(r"(?=.{1,200}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


def parse_duration(name: str, value: str) -> float:
    """`30m`, `12h`, `7d` -> seconds, from one minute to a year."""
    found = DURATION.fullmatch(value.strip())
    seconds = int(found.group(1)) * UNIT_SECONDS[found.group(2)] if found else 0
    if not 60 <= seconds <= 365 * 86400:
        raise UsageError(
            f"{name} = {value!r} is not a duration from 1m to 365d",
            hint=f"set {name} to minutes, hours or days, such as 7d or 12h",
        )
    return float(seconds)


def _domain(name: str, value: str) -> str:
    # A preview answers at `<slug>.<domain>`: DNS names are at most 253 characters, labels 63
    # (RFC 1035 2.3.4); 200 leaves a slug's label room.
    lowered = value.strip().lower().rstrip(".")
    if not DOMAIN.fullmatch(lowered):
        raise UsageError(
            f"{name} = {value!r} is not a DNS domain",
            hint=f"set {name} to a domain whose wildcard points at the load balancer, "
            "such as preview.example.com",
        )
    return lowered


def _process_names(name: str, value: str) -> tuple[str, ...]:
    """`worker`, `worker, mailer`: processes of the base's service config besides web
    (previews2). Names only: which exist is the base's service config's, read at deploy."""
    web = "web"  # target.WEB (target imports the settings, which import this table)
    found = tuple(dict.fromkeys(v for v in re.split(r"[\s,]+", value.strip()) if v))
    wrong = [v for v in found if v == web or not names.PROCESS_NAME.fullmatch(v)]
    if not found or wrong:
        said = "names no process"
        if wrong:
            said = f": {wrong[0]!r} is not a process name (like worker)"
        if wrong == [web]:
            said = ": web runs in every preview, name the others only"
        raise UsageError(
            f"{name} = {value!r}{said if wrong else ' ' + said}",
            hint=f"name the base's other processes, such as: git config -f .gitlift {name} worker",
        )
    return found


BOOL = "true or false"
REGION_SETTING = Setting(
    "lift.region", _region, "an AWS region", None, ANY,
    "the region of every environment that names none",
    shown_default="AWS_REGION, else AWS_DEFAULT_REGION", flag="--region",
)  # fmt: skip
PROFILE = Setting(
    "lift.profile", _text, "a profile of your AWS config", None, TRUSTED,
    "the AWS profile of every environment that names none",
    shown_default="your default credentials", flag="--profile",
)  # fmt: skip
BUILDER = Setting(
    "lift.builder", _builder, ", ".join(BUILDERS), "auto", ANY,
    "what builds images; auto: docker when a daemon answers, else buildah, else podman",
)  # fmt: skip
REGISTRY = Setting(
    "lift.registry", _text, "an OCI registry (host[:port])", None, TRUSTED,
    "where images go instead of each environment's ECR", shown_default="the account's ECR",
)  # fmt: skip
KMS_KEY = Setting(
    "lift.kmsKey", _text, "a KMS key id, ARN or alias", "alias/aws/ssm", TRUSTED,
    "the KMS key of the SecureString parameters config writes",
)  # fmt: skip
PUSH_TAGS = Setting(
    "lift.pushTags", parse_bool, BOOL, True, ANY, "release tags are pushed to origin"
)
POLL_INTERVAL = Setting(
    "lift.pollInterval", _number(0.01, 60), "0.01 to 60 (seconds)", 1.0, ANY,
    "how often ship asks ECS how a rollout goes",
)  # fmt: skip
HOOKS_STRICT = Setting(
    "lift.hooks.strict", parse_bool, BOOL, False, ANY,
    "a hook that cannot reach the store refuses the commit or push instead of warning; "
    "so does a commit whose code reads a name env.sample lacks",
)  # fmt: skip
HOOKS_CACHE_TTL = Setting(
    "lift.hooks.cacheTtl", _number(0, 86400), "0 to 86400 (seconds)", 900.0, ANY,
    "how long the pre-commit hook trusts names seen in the store; 0: never",
)  # fmt: skip
FAIL_FAST = Setting(
    "env.NAME.failFast", _count(1, 1000), "1 to 1000", 3, ANY,
    "stopped tasks in a row of a new deployment after which ship rolls back",
)  # fmt: skip
DEPLOY_ON_PUSH = Setting(
    "env.NAME.deployOnPush", parse_bool, BOOL, False, POLICY,
    "pushing a ref that maps here releases it (the pre-push hook ships it)",
    shown_default="true for production without .gitlift",
)  # fmt: skip
CONFIRM = Setting(
    "env.NAME.confirm", parse_bool, BOOL, False, STRICTER,
    "ship asks you to confirm, naming the environment (or --yes)",
    shown_default="true for production without .gitlift",
)  # fmt: skip
PIN_CONFIG = Setting(
    "env.NAME.pinConfig", parse_bool, BOOL, None, STRICTER,
    "a release snapshots its config into Secrets Manager", shown_default="confirm's value",
)  # fmt: skip
REQUIRES = Setting(
    "env.NAME.requires", _environment, "an environment", None, STRICTER,
    "an environment that must have released the commit first",
)  # fmt: skip
# Default branch only (issue 24): a commit could otherwise lift a freeze, or send what it
# releases to a topic of its author's.
FREEZE = Setting(
    "env.NAME.freeze", _freeze, "DAY HH:MM-DAY HH:MM [ZONE]; may repeat", None, POLICY,
    "a weekly window in which releases here are refused (--skip-gate REASON lets one through)",
)  # fmt: skip
NOTIFY = Setting(
    "env.NAME.notify", _notify, f"{WEBHOOK} or an SNS topic ARN; may repeat", None, POLICY,
    "who hears of each release, rollback, failure and cancel here",
)  # fmt: skip
CONFIG_LOCK = Setting(
    "env.NAME.configLock", parse_bool, BOOL, False, POLICY,
    "a release is refused when the store differs from the commit's config lock (config.ENV.lock)",
)  # fmt: skip
ACCOUNT_ID = Setting(
    "env.NAME.account", _matching(ACCOUNT, "an AWS account id",
    "give the 12 digits of the account the environment lives in"), "12 digits", None, ANY,
    "the account the credentials must belong to, checked before the first write",
)  # fmt: skip
ROLE = Setting(
    "env.NAME.roleArn", _matching(ROLE_ARN, "an IAM role ARN", "arn:aws:iam::ACCOUNT:role/NAME"),
    "an IAM role ARN", None, TRUSTED, "a role the environment's calls assume",
)  # fmt: skip
PREVIEW = Setting(
    "env.NAME.preview", parse_bool, BOOL, False, POLICY,
    "each branch that maps here runs as previews `<service>--<slug>` (see Previews)",
)  # fmt: skip
PREVIEW_BASE = Setting(
    "env.NAME.base", _environment, "an environment", None, POLICY,
    "a preview environment's base: its service config and config run in each preview",
)  # fmt: skip
PREVIEW_TTL = Setting(
    "env.NAME.ttl", parse_duration, "1m to 365d (`7d`, `12h`)", 7 * 86400.0, POLICY,
    "`git lift preview prune` deletes a preview not deployed for that long",
    shown_default="7d",
)  # fmt: skip
MAX_PREVIEWS = Setting(
    "env.NAME.maxPreviews", _count(1, 100), "1 to 100", 10, POLICY,
    "the previews a preview environment may hold; the next is refused",
)  # fmt: skip
PREVIEW_DOMAIN = Setting(
    "env.NAME.domain", _domain, "a DNS domain", None, POLICY,
    "previews answer at `<slug>.DOMAIN` (a wildcard record to the load balancer)",
    shown_default="a path: /<slug>/",
)  # fmt: skip
PREVIEW_PROCESSES = Setting(
    "env.NAME.previewProcesses", _process_names, "process names (`worker mailer`); may repeat",
    None, POLICY, "the base's processes besides web each preview runs too, one task each",
    shown_default="web alone",
)  # fmt: skip
PARAMETER_PATH = Setting(
    "target.ENV/NAME.parameterPath", _parameter_path, "a Parameter Store path", None, TRUSTED,
    "where its config lives", shown_default="/ENV/NAME",
)  # fmt: skip
SETTINGS: tuple[Setting[Any], ...] = (
    REGION_SETTING, PROFILE, BUILDER, REGISTRY, KMS_KEY, PUSH_TAGS, POLL_INTERVAL,
    HOOKS_STRICT, HOOKS_CACHE_TTL,
    Setting("lift.defaultBranch", _text, "a branch name", None, OWN,
            "the branch whose .gitlift holds the release policy",
            shown_default="origin/HEAD, else main or master, else the remote's HEAD"),
    Setting("env.NAME.ref", _text, "a ref or glob; may repeat", None, POLICY,
            "the refs that deploy to the environment",
            shown_default="staging: the default branch; production: refs/tags/v*"),
    DEPLOY_ON_PUSH, CONFIRM, PIN_CONFIG, REQUIRES, FAIL_FAST, FREEZE, NOTIFY, CONFIG_LOCK,
    Setting("env.NAME.region", _region, "an AWS region", None, ANY,
            "the environment's region", shown_default="lift.region"),
    ACCOUNT_ID,
    Setting("env.NAME.profile", _text, "a profile of your AWS config", None, TRUSTED,
            "the environment's AWS profile", shown_default="lift.profile"),
    ROLE,
    Setting("env.NAME.externalId", _text, "text", None, TRUSTED,
            "the external id roleArn's trust policy asks for"),
    Setting("env.NAME.registry", _text, "an OCI registry (host[:port])", None, TRUSTED,
            "the environment's registry", shown_default="lift.registry"),
    Setting("env.NAME.cluster", _text, "an ECS cluster name", None, TRUSTED,
            "an existing cluster (`git lift adopt`)", shown_default="lift-ENV"),
    PREVIEW, PREVIEW_BASE, PREVIEW_TTL, MAX_PREVIEWS, PREVIEW_DOMAIN, PREVIEW_PROCESSES,
    Setting("service.NAME.path", inside_repository, "a folder inside the repository", ".",
            ANY, "the service's folder"),
    Setting("service.NAME.dockerfile", inside_repository, "a file inside the repository", None,
            ANY, "the service's Dockerfile", shown_default="PATH/Dockerfile"),
    Setting("service.NAME.context", inside_repository, "a folder inside the repository", None,
            ANY, "the build context", shown_default="PATH"),
    Setting("service.NAME.envSample", inside_repository, "a file inside the repository", None,
            ANY, "the keys the service needs", shown_default="PATH/env.sample"),
    Setting("service.NAME.container", _text, "a container name", None, ANY,
            "the container of the task definition", shown_default="NAME"),
    Setting("target.ENV/NAME.ecsService", _text, "an ECS service name", None, TRUSTED,
            "an existing ECS service (`git lift adopt`)", shown_default="NAME"),
    Setting("target.ENV/NAME.taskFamily", _text, "a task definition family", None, TRUSTED,
            "its task definition family", shown_default="ENV-NAME"),
    Setting("target.ENV/NAME.container", _text, "a container name", None, TRUSTED,
            "its container", shown_default="service.NAME.container"),
    Setting("target.ENV/NAME.logGroup", _text, "a log group name", None, TRUSTED,
            "its log group", shown_default="/lift/ENV/NAME"),
    PARAMETER_PATH,
    Setting("GIT_LIFT_SKIP_HOOKS", parse_bool, "1 or true", False, VARIABLE,
            "the hooks skip git lift's checks (CI checkouts, scripts)"),
    Setting("GIT_LIFT_BUILDAH_ROOT", _text, "a folder", None, VARIABLE,
            "where buildah keeps git lift's images", shown_default="~/.cache/git-lift/buildah"),
)  # fmt: skip


def _keys(section: str, *sources: str) -> set[str]:
    chosen = [s for s in SETTINGS if s.section == section]
    return {s.key for s in chosen if not sources or s.source in sources}


# What each section may name (keys lower-case, as git config reports them).
LIFT_KEYS = _keys("lift")
SERVICE_KEYS = _keys("service")
ENV_KEYS = _keys("env")
TARGET_KEYS = _keys("target")
# What a committed .gitlift may set only once trusted: credentials, and where deploys, images
# and secrets go. `region` and `account` are not among them: the credentials decide the
# account, and a wrong expected account only stops the command.
TRUSTED_ONLY = {s.key: s.name for s in SETTINGS if s.section == "lift" and s.source == TRUSTED}
ENV_TRUSTED_ONLY = _keys("env", TRUSTED)
OWN_ONLY = _keys("lift", OWN)
VARIABLES = {s.variable: s for s in SETTINGS if s.variable}


def unknown_variable(name: str) -> UsageError:
    close = names.close_spelling(name, sorted(VARIABLES))
    guess = f"did you mean {close}? " if close else ""
    return UsageError(
        f"{name} is not a git lift setting",
        hint=f"{guess}unset it, or see the settings in git lift's README",
    )


def readme_table() -> str:
    """The README's settings table, from SETTINGS (tests/test_readme.py compares them)."""
    rows = [
        "| setting | variable or flag | values | default | from a committed .gitlift "
        "| what it does |",
        "|---|---|---|---|---|---|",
    ]
    for s in SETTINGS:
        name = "-" if s.source == VARIABLE else f"`{s.name}`"
        also = ", ".join(f"`{v}`" for v in (s.variable, s.flag) if v) or "-"
        default = s.shown_default or _shown(s.default)
        rows.append(f"| {name} | {also} | {s.accepts} | {default} | {s.source} | {s.doc} |")
    return "\n".join(rows) + "\n"


def _shown(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:g}" if isinstance(value, float) else str(value)


if __name__ == "__main__":  # the README's table: python -m git_lift.setting_table
    print(readme_table(), end="")
