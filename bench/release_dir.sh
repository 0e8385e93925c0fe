# Sourced by the bench scripts: where cargo puts the release build of the repository at $ROOT.
# CARGO_TARGET_DIR if set (relative to the repository, as cargo reads it), else target/.
release_dir() {
  local target=${CARGO_TARGET_DIR:-target}
  case "$target" in /*) ;; *) target="$ROOT/$target" ;; esac
  printf '%s/release\n' "$target"
}
