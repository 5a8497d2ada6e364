#!/usr/bin/env bash
# The service as shipped: a clean environment from requirements.lock alone (no dev lock), the
# package installed on top without dependencies (not editable), from the files the Dockerfile
# copies, exactly as the image installs them. With that environment only: every module imports,
# every command's --help, `migrate` on an empty throwaway database, `load-demo --if-empty`
# (twice, as each start of the image does), `serve` until /health answers, and one pin.
# Fails (non-zero) on any missing import. Everything it writes is under var/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
work=$root/var/runtime        # the staged source (/app in the image), logs, the media folder
venv=$root/var/runtime-venv
probe=("$venv/bin/python" "$root/.ci/runtime_probe.py")
unset PYTHONPATH PYTHONHOME
SECONDS=0

step() { echo "runtime: $* (${SECONDS}s)"; }

# Output only when a step fails: pip and setuptools are chatty.
quietly() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 || { cat "$log" >&2; echo "runtime check failed: $*" >&2; return 1; }
}

# The image's install, word for word; if the Dockerfile changes, this script must follow.
for line in 'pip install --no-cache-dir --require-hashes -r requirements.lock' \
            'pip install --no-cache-dir --no-deps .'; do
  grep -qF -- "$line" Dockerfile || { echo "runtime check failed: Dockerfile lacks '$line'" >&2; exit 1; }
done

step "staging what the Dockerfile copies into var/runtime/src"
rm -rf "$work"
mkdir -p "$work/src" "$work/run" "$work/media"
while read -r keyword args; do
  [ "$keyword" = COPY ] || continue
  read -ra parts <<<"$args"
  dest=${parts[-1]}
  for src in "${parts[@]:0:${#parts[@]}-1}"; do
    if [ "$dest" != ./ ] && [ "$dest" != "$src" ]; then
      echo "runtime check failed: cannot stage 'COPY $args' (only 'COPY a b ./' or 'COPY a a')" >&2
      exit 1
    fi
    cp -r "$src" "$work/src/$src"
  done
done <Dockerfile
find "$work/src" -name __pycache__ -prune -exec rm -rf {} +

step "a clean virtualenv in var/runtime-venv from requirements.lock alone"
rm -rf "$venv"
"$PYTHON" -m venv "$venv"
# The same two steps as the Dockerfile (which adds --no-cache-dir; here the pip cache saves time).
(cd "$work/src" && quietly "$work/pip.log" "$venv/bin/pip" install --require-hashes -r requirements.lock)
(cd "$work/src" && quietly "$work/pip.log" "$venv/bin/pip" install --no-deps .)

# From here on nothing runs in the work tree, so only the installed package can be imported.
cd "$work/run"
"${probe[@]}" installed
step "importing every module"
"${probe[@]}" imports
yishiting=$venv/bin/yishiting
step "yishiting --help, then every command's --help (found in the CLI's parser)"
quietly "$work/help.log" "$yishiting" --help
"${probe[@]}" helps

export DATABASE_URL YISHITING_MEDIA_DIR=$work/media
DATABASE_URL=$("${probe[@]}" database-url "yishiting_runtime_$$")
drop_database() {
  "$venv/bin/python" -c 'import sys; from geo.core.databases import drop_database; drop_database(sys.argv[1])' \
    "$DATABASE_URL" || echo "runtime: could not drop ${DATABASE_URL##*/}" >&2
  step "dropped ${DATABASE_URL##*/}"
}
trap drop_database EXIT
"$venv/bin/python" -m geo.core.databases >/dev/null

step "yishiting migrate on the empty database ${DATABASE_URL##*/}"
quietly "$work/migrate.log" "$yishiting" migrate
step "yishiting load-demo --if-empty"
quietly "$work/load-demo.log" "$yishiting" load-demo --if-empty --quiet
again=$("$yishiting" load-demo --if-empty --quiet)
[[ "$again" == *"already loaded"* ]] || { echo "runtime check failed: second load-demo --if-empty said: $again" >&2; exit 1; }

step "yishiting serve until /health answers, then one pin"
"${probe[@]}" serve-and-pin "$yishiting" "$DATABASE_URL" --wait 60 ||
  { tail -n 40 serve.log >&2; exit 1; }
step "the runtime environment runs as shipped"
