# Sourced by the scripts/setup-*.sh scripts.
# find_python ERROR CHECK CANDIDATE...: the path of the first candidate interpreter for which the Python
# expression CHECK (over sys.version_info) holds; else ERROR on stderr and exit 1. Each candidate is asked
# directly: pyenv's shims answer `command -v python3.12` even when 3.12 is not the selected version.
find_python() {
  local error="$1" check="$2" candidate
  shift 2
  for candidate in "$@"; do
    [[ -n "$candidate" ]] || continue
    if "$candidate" -c "import sys; sys.exit(0 if $check else 1)" >/dev/null 2>&1; then
      command -v "$candidate"
      return
    fi
  done
  echo "$error" >&2
  exit 1
}
