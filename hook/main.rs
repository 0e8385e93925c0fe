//! `isolint-hook`: the isolint command, built by pre-commit's `language: rust` hook from the
//! repository root (see `.pre-commit-hooks.yaml`).

fn main() -> std::process::ExitCode {
    isolint::main()
}
