fn main() -> std::process::ExitCode {
    isolint::main()
}
