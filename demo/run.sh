#!/usr/bin/env bash
# The whole git lift story on this machine's sandbox, with real commands and their real output:
# a service repo with a bare origin, production in its own AWS account, config, a commit
# refused by the hook and fixed, a ship to staging, a release to production by pushing a tag, a broken release rolled back, a canary
# release that an alarm rolls back, status and history, and a worker shipped with web. Needs git-lift on PATH (`make demo` sees to it);
# exits 0 when every step behaved.
# The image part needs an image builder, Debian's docker-registry and a static busybox (the
# image is busybox in `FROM scratch`, so that its tasks run for real, offline): as root with
# apt-get the demo installs them, otherwise it says at the start and at the end that it
# skipped that part.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
work="${DEMO_DIR:-$here/.demo}"
rm -rf "$work"
mkdir -p "$work"
export XDG_STATE_HOME="$work/state" XDG_CACHE_HOME="$work/cache"
export GIT_CONFIG_GLOBAL="$work/gitconfig" GIT_CONFIG_NOSYSTEM=1
export GIT_LIFT_BUILDAH_ROOT="$work/buildah" GIT_LIFT_POLL_INTERVAL=0.2
git config --global user.name "Dana Developer"
git config --global user.email "dana@example.com"
git config --global init.defaultBranch main
git config --global advice.detachedHead false

bold=$(tput bold 2>/dev/null || true); plain=$(tput sgr0 2>/dev/null || true)
say() { printf '\n%s# %s%s\n' "$bold" "$*" "$plain"; }
# A command as you would type it: an argument with spaces or shell characters in single quotes.
shown() {
  local arg words=() q="'"
  for arg in "$@"; do
    case $arg in
      '' | *[!A-Za-z0-9_@%+=:,./*-]*) words+=("$q${arg//$q/$q\\$q$q}$q") ;;
      *) words+=("$arg") ;;
    esac
  done
  printf '%s' "${words[*]}"
}
run() { printf '%s$ %s%s\n' "$bold" "$(shown "$@")" "$plain"; "$@"; }
# A step that must fail, as the story says it does (a refused commit, a broken release).
refused() {
  printf '%s$ %s%s   (expected to be refused)\n' "$bold" "$(shown "$@")" "$plain"
  if "$@"; then echo "demo: that should have been refused" >&2; exit 1; fi
}
# A step that must exit with a given code, which it shows.
exits() {
  local want=$1 code=0
  shift
  printf '%s$ %s%s\n' "$bold" "$(shown "$@")" "$plain"
  "$@" || code=$?
  echo "(exit code $code)"
  [ "$code" = "$want" ] || { echo "demo: that should have exited $want" >&2; exit 1; }
}

# Debian's busybox-static: one binary that runs in an image with nothing else (ldd refuses it).
static_busybox() { [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; }
# What the image part lacks, as a sentence ("" when nothing).
missing_for_images() {
  local missing=()
  command -v buildah >/dev/null || command -v podman >/dev/null || docker info >/dev/null 2>&1 ||
    missing+=("no image builder (buildah, podman or docker with a daemon) is installed")
  command -v docker-registry >/dev/null || command -v registry >/dev/null ||
    missing+=("no docker-registry is installed")
  static_busybox || missing+=("no static busybox (/bin/busybox) is installed")
  local IFS=";"
  printf '%s' "${missing[*]}" | sed 's/;/ and /g'
}
packages="buildah docker-registry busybox-static"
enable="apt-get install $packages"
[ "$(id -u)" = 0 ] || enable="sudo $enable"
skipped() {
  echo "demo: $1 the image part (build, push, release by tag): $lacking."
  echo "demo: to include it: $enable"
}

lacking=$(missing_for_images)
if [ -n "$lacking" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "demo: $lacking; installing them: apt-get install -y $packages"
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086 # the package names are words
  apt-get install -y -qq $packages ||
    { apt-get update -qq && apt-get install -y -qq $packages; } ||
    echo "demo: apt-get could not install $packages (see above)"
  lacking=$(missing_for_images)
fi
[ -z "$lacking" ] || skipped "skipping"

say "Start the sandbox: moto's AWS emulator, the ECS rollout simulator and a local registry"
git lift sandbox --detach
trap 'git lift sandbox stop >/dev/null 2>&1 || true' EXIT
eval "$(git lift sandbox env)"

say "A service repository with a bare origin (a Dockerfile that builds offline)"
git init -q --bare "$work/remote/payments-api.git"
mkdir "$work/payments-api" && cd "$work/payments-api"
git init -q
git remote add origin "$work/remote/payments-api.git"
if [ -z "$lacking" ]; then
  # A runnable image without pulling a base: the static busybox gives it sh, echo, wc, env,
  # httpd; the service serves app.txt, and its one-off tasks and migrations run for real.
  cp /bin/busybox busybox
  cat > Dockerfile <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY migrate.sh /bin/migrate.sh
COPY app.txt /www/index.html
CMD ["httpd", "-f", "-p", "80", "-h", "/www"]
DOCKERFILE
  printf '#!/bin/sh\necho "applying 001_create_payments"\necho "migrated"\n' > migrate.sh
  chmod +x migrate.sh
else
  printf 'FROM scratch\nCOPY app.txt /app.txt\n' > Dockerfile
fi
echo "payments-api v1" > app.txt
printf 'DATABASE_URL=postgres://localhost/payments\nLOG_LEVEL=info\n' > env.sample
# Production in its own AWS account and region, reached through a role (the sandbox keeps
# each account apart, as AWS does): these lines are all it takes.
cat > .gitlift <<'GITLIFT'
[env "staging"]
	ref = refs/heads/main
[env "production"]
	ref = refs/tags/v*
	deployOnPush = true
	confirm = true
	region = us-east-1
	account = 222222222222
	roleArn = arn:aws:iam::222222222222:role/lift-deployer
GITLIFT
git add . && git commit -q -m "payments-api: first version" && git push -q origin main

say "A committed roleArn chooses credentials: git lift uses it once you trust this .gitlift"
run git lift trust --yes

say "Environments: network, ECS cluster and load balancer, as CloudFormation stacks"
run git lift env create -e staging --yes
run git lift env create -e production --yes

say "Hooks, and the config each environment needs"
run git lift hooks install
run git lift config set -e staging DATABASE_URL=postgres://staging-db/payments LOG_LEVEL=debug
run git lift config set -e production --yes DATABASE_URL=postgres://prod-db/payments LOG_LEVEL=info
run git lift config check

say "The service's infrastructure: its config document (the editor accepts the default) and stack"
export GIT_EDITOR=true
run git lift service create -e staging --yes
run git lift service create -e production --yes
unset GIT_EDITOR

say "A commit whose env.sample names a key the store lacks is refused"
echo "PAYMENT_PROVIDER_KEY=example" >> env.sample
git add env.sample
refused git commit -q -m "Use the payment provider"
run git lift config set -e staging PAYMENT_PROVIDER_KEY=pk_staging_123
run git lift config set -e production --yes PAYMENT_PROVIDER_KEY=pk_live_456
run git commit -q -m "Use the payment provider"
run git push -q origin main

say "Ship the commit to staging: build, push, deploy by digest, wait, tag"
if [ -n "$lacking" ]; then
  echo "demo: without the image part, ship deploys a prebuilt image with --image."
  run git lift ship -e staging --image "public.ecr.aws/docker/library/busybox@sha256:$(printf '%064d' 1)"
  run git lift status
  echo
  skipped "skipped"
  echo "demo: done; everything above ran against the local sandbox, not AWS"
  exit 0
fi
run git lift ship -e staging
run git tag -l "lift/*"

say "Release to production by pushing a tag (the pre-push hook ships it first)"
run git tag -a v1.0.0 -m "v1.0.0"
run git push origin v1.0.0
run git ls-remote --tags origin

say "A one-off task: the release's image and config, the app's real output and exit code"
run git lift run -e staging -- sh -c 'echo $DATABASE_URL | wc -c'

say "The release phase: a migration runs with the new image and config before the service is updated"
git lift service show -e staging > "$work/service.json"
sed -i '1a\  "release_command": ["/bin/migrate.sh"],' "$work/service.json"
run git lift service edit -e staging --yes --file "$work/service.json"
echo "payments-api v1.0.1" > app.txt
git add app.txt && git commit -q -m "v1.0.1" && git push -q origin main
run git lift ship -e staging

say "A failing migration stops the release: nothing deployed, the attempt recorded"
printf '#!/bin/sh\necho "applying 002_add_currency"\necho "error: column currency already exists" >&2\nexit 1\n' > migrate.sh
git add migrate.sh && git commit -q -m "Add currency" && git push -q origin main
refused git lift ship -e staging
run git lift status -e staging
git revert --no-edit HEAD >/dev/null && git push -q origin main

say "A broken release is rolled back and exits 1 (the sandbox crashes tasks whose config has LIFT_SANDBOX_CRASH)"
run git lift config set -e staging LIFT_SANDBOX_CRASH=1
run git lift config set -e production --yes LIFT_SANDBOX_CRASH=1
echo "LIFT_SANDBOX_CRASH=0" >> env.sample
echo "payments-api v2" > app.txt
git add . && git commit -q -m "v2: crashes at start" && git push -q origin main
refused git lift ship -e staging

say "The same broken commit tagged for production: the release fails, so the tag is not pushed"
run git tag -a v1.1.0 -m "v1.1.0"
refused git push origin v1.1.0
run git ls-remote --tags origin "v*"

say "A bad config change rolled back by git lift rollback (production pins its config)"
run git lift config set -e production --yes DATABASE_URL=postgres://wrong-db/payments
run git lift ship -e production --ref v1.0.0 --yes
run git lift rollback -e production
run git lift status -e production
run git lift config restore -e production --release 1 --yes

say "A canary release that an alarm rolls back (the sandbox fires the 5xx alarm on LIFT_SANDBOX_ALARM)"
git lift service show -e staging > "$work/service.json"
sed -i -e 's/"strategy": "rolling"/"strategy": "canary"/' -e 's/"percent": 5.0/"percent": 10/' \
  -e 's/"alarms": \[\]/"alarms": "generated"/' "$work/service.json"
run git lift service edit -e staging --yes --file "$work/service.json"
run git lift config set -e staging LIFT_SANDBOX_ALARM=1
sed -i '/^LIFT_SANDBOX_CRASH=/d' env.sample && echo "LIFT_SANDBOX_ALARM=0" >> env.sample
echo "payments-api v3" > app.txt
git add . && git commit -q -m "v3: its errors fire the 5xx alarm" && git push -q origin main
exits 1 git lift ship -e staging
run git lift status -e staging
git revert --no-edit HEAD >/dev/null && git push -q origin main
echo "demo: the alarm switch off again"
run git lift config unset -e staging --yes LIFT_SANDBOX_ALARM

say "A worker beside web, from the same image and config: one release ships both"
git lift service show -e staging > "$work/service.json"
sed -i '1a\  "processes": {"worker": {"command": ["sh", "-c", "while sleep 60; do echo working; done"]}},' "$work/service.json"
run git lift service edit -e staging --yes --file "$work/service.json"
run git lift ship -e staging --ref v1.0.0
refused git lift ship -e staging --process worker
run git lift status -e staging

say "What runs where"
run git lift status
run git lift history -e staging
run git lift history -e production

say "Previews: a feature branch runs as its own copy of the service; deleting the branch deletes it"
cat >> .gitlift <<'GITLIFT'
[env "preview"]
	ref = refs/heads/feature/*
	preview = true
	base = staging
	deployOnPush = true
	previewProcesses = worker
GITLIFT
run git lift trust --yes   # the changed .gitlift still holds production's roleArn
git add .gitlift && git commit -q -m "Preview every feature branch" && git push -q origin main
run git lift env create -e preview --yes
git checkout -q -b feature/checkout
echo "payments-api: the new checkout" > app.txt
sed -i '/LIFT_SANDBOX_CRASH/d' env.sample   # the branch fixes the crash of v2
git commit -q -am "New checkout, without the crash"
# The preview runs staging's config, but for what it overrides: for itself only.
run git lift config set -e preview --preview feature/checkout LOG_LEVEL=trace
run git push origin feature/checkout
run git lift preview list
run git lift status -e preview   # each branch's preview: its web and its worker, one task each
git checkout -q main
run git push origin --delete feature/checkout
run git lift preview list
echo
echo "demo: done; everything above ran against the local sandbox, not AWS"
