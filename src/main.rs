fn main() {
    std::process::exit(pilah::cli::main());
}
