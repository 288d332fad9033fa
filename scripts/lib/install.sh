# Sourced by the scripts/setup-*.sh scripts: what their installs share.

# Every environment runs this pip. From 25.1 on, pip resumes a download cut off mid-file (5 attempts by
# default); the pip of a new venv (23.2 here) starts the whole multi-GB torch/CUDA download over, or fails.
pip_pin="pip==26.0.1"

# need_space WHO DIR ENV_GIB DOWNLOAD_GIB: exit 1 with one line unless the filesystem that will hold DIR
# has ENV_GIB GiB free and pip's temporary folder DOWNLOAD_GIB (their sum when both are one filesystem).
# A disk that fills mid-install fails pip with a message that may itself not get written (CI logs).
need_space() {
  local who="$1" dir="$2" env_gib="$3" download_gib="$4" tmp="${TMPDIR:-/tmp}"
  dir="$(nearest_existing "$dir")"
  tmp="$(nearest_existing "$tmp")"
  if [[ "$(stat -c %d "$dir")" == "$(stat -c %d "$tmp")" ]]; then
    check_free "$who" "$dir" $((env_gib + download_gib)) "the environment and pip's downloads"
  else
    check_free "$who" "$dir" "$env_gib" "the environment"
    check_free "$who" "$tmp" "$download_gib" "pip's downloads (TMPDIR)"
  fi
}

nearest_existing() {
  local path="$1"
  while [[ ! -e "$path" ]]; do path="$(dirname "$path")"; done
  echo "$path"
}

check_free() {
  local who="$1" path="$2" gib="$3" what="$4" free_kib
  free_kib="$(df -Pk "$path" | awk 'NR == 2 { print $4 }')"
  if ((free_kib < gib * 1024 * 1024)); then
    echo "$who: $what need about $gib GiB free under $path; $((free_kib / 1024 / 1024)) GiB is" >&2
    exit 1
  fi
}
