//! The `pilah` binary: everything is in the library; this only runs the command line and
//! exits with its code.

fn main() {
    std::process::exit(pilah::cli::main());
}
