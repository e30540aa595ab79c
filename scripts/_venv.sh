# Sourced by scripts/run and scripts/test: make .venv and install Palabre in it when needed.
# Reinstalls when pyproject.toml changes. Needs only python3 (3.11+) with venv.
PYTHON=${PYTHON:-python3}
stamp=.venv/.palabre-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv with $($PYTHON --version)…" >&2
  "$PYTHON" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "Installing Palabre and its dependencies into .venv…" >&2
  .venv/bin/python -m pip install --quiet --upgrade pip >&2
  .venv/bin/python -m pip install --quiet -e '.[dev]' >&2
  echo "$want" > "$stamp"
fi
